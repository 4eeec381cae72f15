// The handler table: one function per contract channel, each a thin call into a service.
import type { EventName, EventPayloads } from '../../preload/contract';
import type { Services } from '../services';
import { walletAddresses, walletView } from '../wallets/views';
import { verifyAddressOnDevice } from '../wallets/address-verification';
import type { Handlers } from './dispatch';
import { previewStatements } from '../previews';
import { accessFor } from '../access';

export function createHandlers(services: Services): Handlers {
  const { devices, mpc } = services;
  return {
    'app.info': () => services.appInfo(),
    'app.diagnostics': async () => ({ text: await services.diagnostics() }),
    'inbox.get': ({ deviceId }) => services.inbox().get(deviceId),
    'devices.list': () => devices.list(),
    'devices.refresh': () => devices.refresh(),
    'devices.addVirtual': (input) => {
      const { device, mnemonic } = devices.addVirtual(input);
      // The generated phrase is shown once so a tester can recreate the device; a given one is not echoed back.
      return { ...device, mnemonic: input.mnemonic ? null : mnemonic };
    },
    'devices.remove': ({ deviceId }) => {
      devices.remove(deviceId);
      return { removed: true as const };
    },
    'devices.identity': ({ deviceId, path, showOnDevice }) => devices.identity(deviceId, path, showOnDevice ?? false),
    'devices.signStatement': ({ deviceId, path, text }) => devices.signStatement(deviceId, path, text),
    'devices.encryptionKey': ({ deviceId, path }) => devices.encryptionKey(deviceId, path),
    'devices.prompts': () => devices.prompts(),
    'devices.respond': ({ promptId, decision }) => {
      devices.respond(promptId, decision);
      return { answered: true as const };
    },
    'mpc.ping': () => mpc.ping(),

    'vault.status': () => services.vault().status(),
    'vault.create': (input) => services.vault().create(input),
    'vault.verify': () => services.vault().verify(),
    'vault.whoIs': (input) => services.vault().whoIs(input),
    'users.list': () => services.vault().listUsers(),
    'users.propose': (input) => services.vault().proposeUser(input),
    'users.proposeRevoke': (input) => services.vault().proposeRevoke(input),
    'users.proposeRoles': (input) => services.vault().proposeRoles(input),
    'groups.list': () => services.vault().listGroups(),
    'groups.proposeCreate': (input) => services.vault().proposeGroupCreate(input),
    'groups.proposeEdit': (input) => services.vault().proposeGroupEdit(input),
    'settings.proposeQuorum': (input) => services.vault().proposeQuorum(input),
    'settings.proposeProposerMayApprove': (input) => services.vault().proposeProposerMayApprove(input),
    'proposals.list': (input) => services.vault().listProposals(input),
    'proposals.approve': (input) => services.vault().approve(input),
    'proposals.reject': (input) => services.vault().reject(input),
    'wallets.list': () => {
      const state = services.vault().readState();
      return state.wallets.map((w) => walletView(state, w, Date.now(), services.vault().timeOf));
    },
    'wallets.get': ({ walletId }) => {
      const { wallet, state } = services.vault().wallet(walletId);
      return walletView(state, wallet, Date.now(), services.vault().timeOf);
    },
    'wallets.proposeCreate': ({ custodianIds, ...rest }) => services.vault().proposeWallet({ ...rest, custodianIds }),
    'wallets.proposeRefresh': (input) => services.vault().proposeRefresh(input),
    'wallets.proposeReshare': ({ custodianIds, ...rest }) => services.vault().proposeReshare({ ...rest, custodianIds }),
    'wallets.runCeremony': async ({ walletId }) => {
      await services.wallets().ceremonies.run(walletId);
      const { wallet, state } = services.vault().wallet(walletId);
      return walletView(state, wallet, Date.now(), services.vault().timeOf);
    },
    'wallets.addresses': ({ walletId, branch, from, count }) => walletAddresses(services.vault().wallet(walletId).wallet, branch, from, count),
    'wallets.verifyAddress': (input) => verifyAddressOnDevice(services.vault(), input),
    'wallets.fund': (input) => services.wallets().transfers.fund(input),
    'wallets.utxos': ({ walletId }) => services.wallets().transfers.utxos(walletId),
    'wallets.balances': () => services.wallets().transfers.balances(),
    'wallets.balance': ({ walletId }) => services.wallets().transfers.balance(walletId),
    'policies.get': ({ walletId }) => services.wallets().transfers.policy(walletId),
    'policies.propose': (input) => services.vault().proposePolicy(input),
    'policies.simulate': ({ walletId, document }) => services.wallets().transfers.simulate(walletId, document),
    'whitelists.list': () => services.wallets().transfers.whitelists(),
    'whitelists.propose': (input) => services.vault().proposeWhitelist(input),
    'transfers.list': (input) => services.wallets().transfers.list(input),
    'transfers.get': ({ requestId }) => services.wallets().transfers.get(requestId),
    'transfers.create': (input) => services.wallets().transfers.create(input),
    'transfers.importPsbt': (input) => services.wallets().transfers.importPsbt(input),
    'transfers.previewPsbt': ({ walletId, psbt }) => services.wallets().transfers.previewPsbt(walletId, psbt),
    'transfers.approve': (input) => services.wallets().transfers.approve(input),
    'transfers.reject': (input) => services.wallets().transfers.reject(input),
    'transfers.cancel': (input) => services.wallets().transfers.cancel(input),
    'transfers.sign': ({ requestId }) => services.wallets().transfers.sign(requestId),
    'access.get': ({ deviceId }) => accessFor(services.vault(), services.wallets().transfers, deviceId),
    'statements.preview': ({ action, input }) => previewStatements({ vault: services.vault(), transfers: () => services.wallets().transfers, devices }, action, input),
    'team.status': () => services.team().status(),
    'team.pull': () => services.team().pull(),
    'team.join': (input) => services.team().join(input),
    'team.setNode': ({ nodeDir }) => services.team().setNode(nodeDir),
    'team.ping': () => services.team().ping(),
    'team.push': () => services.team().push(),
    'audit.list': (input) => services.vault().auditList(input),
    'audit.verify': () => services.vault().auditVerify(),
    'audit.export': ({ format }) => services.vault().auditExport(format),
  };
}

/** Forwards the services' events to a bridge; returns the function that stops forwarding. */
export function bindEvents(services: Services, emit: <E extends EventName>(event: E, payload: EventPayloads[E]) => void): () => void {
  const { devices } = services;
  const onChanged = (list: EventPayloads['devices.changed']) => emit('devices.changed', list);
  const onPrompt = (prompt: EventPayloads['devices.prompt']) => emit('devices.prompt', prompt);
  const onEnded = (ended: EventPayloads['devices.promptEnded']) => emit('devices.promptEnded', ended);
  devices.on('changed', onChanged);
  devices.on('prompt', onPrompt);
  devices.on('promptEnded', onEnded);
  const onVaultChanged = (changed: EventPayloads['vault.changed']) => emit('vault.changed', changed);
  // A store that failed to open has no events to forward; its error answers every vault call instead.
  let vault: ReturnType<Services['vault']> | null = null;
  try {
    vault = services.vault();
  } catch {
    vault = null;
  }
  vault?.on('changed', onVaultChanged);
  const onVerifyProgress = (progress: EventPayloads['vault.verifyProgress']) => emit('vault.verifyProgress', progress);
  vault?.on('verifyProgress', onVerifyProgress);
  const onProgress = (progress: EventPayloads['wallets.progress']) => emit('wallets.progress', progress);
  let wallets: ReturnType<Services['wallets']> | null = null;
  try {
    wallets = services.wallets();
  } catch {
    wallets = null;
  }
  wallets?.ceremonies.on('progress', onProgress);
  const onSigning = (progress: EventPayloads['transfers.progress']) => emit('transfers.progress', progress);
  wallets?.transfers.on('progress', onSigning);
  const onInbox = (items: EventPayloads['inbox.new']) => emit('inbox.new', items);
  let inbox: ReturnType<Services['inbox']> | null = null;
  try {
    inbox = services.inbox();
  } catch {
    inbox = null;
  }
  inbox?.on('new', onInbox);
  return () => {
    inbox?.off('new', onInbox);
    wallets?.ceremonies.off('progress', onProgress);
    wallets?.transfers.off('progress', onSigning);
    devices.off('changed', onChanged);
    devices.off('prompt', onPrompt);
    devices.off('promptEnded', onEnded);
    vault?.off('changed', onVaultChanged);
    vault?.off('verifyProgress', onVerifyProgress);
  };
}
