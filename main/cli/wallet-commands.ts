// `custos wallet …`: wallets by proposal, their key ceremonies with custodians' devices, addresses and descriptors, on the
// same services as the console. (Signing is a transfer request's: `custos transfer` and `custos psbt`.)
import { mkdirSync } from 'node:fs';
import { formatBtc } from '../../crypto/amounts';
import { channels, WALLET_NETWORKS, type ProposalView, type WalletFundsView, type WalletView } from '../../preload/contract';
import { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { hostClientFor } from '../mpc/launch-node';
import { Store } from '../store';
import { TransferService } from '../transfers/service';
import { VaultService } from '../vault';
import { attachFromSettings, type TeamSession } from '../team/team';
import { readTeamSettings } from '../team/settings';
import { verifyAddressOnDevice } from '../wallets/address-verification';
import { WalletCeremonies } from '../wallets/ceremonies';
import { walletAddresses, walletView } from '../wallets/views';
import { type CliContext, CliUsageError } from './context';
import { teamNodes } from './signer-nodes';
import { addCustodianDevices, openVaultDevices } from './vault-devices';

export const WALLET_COMMANDS = ['create', 'list', 'show', 'balance', 'address', 'verify-address', 'descriptor', 'refresh', 'reshare', 'ceremony'] as const;

/** Commands the acting person signs (a proposal, an address shown on their device); the others read, or run a ceremony. */
const PROPOSING = new Set(['create', 'refresh', 'reshare', 'verify-address']);
const USING_HOST = new Set(['create', 'refresh', 'reshare', 'ceremony']);

export async function runWalletCommand(command: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  const known: readonly string[] = WALLET_COMMANDS;
  if (command === undefined || !known.includes(command)) throw new CliUsageError(`Unknown wallet command "${command ?? ''}": use ${known.join(', ')}.`);
  mkdirSync(ctx.dataDir, { recursive: true });
  const store = Store.open(ctx.dataDir);
  if (ctx.nodes === true && command !== 'ceremony') throw new CliUsageError('--nodes: of the wallet commands, only wallet ceremony takes it.');
  // In a team a key ceremony is run by the custodians' signer nodes: this console coordinates, asks no device and
  // starts no MPC host (it holds no share).
  const inTeam = readTeamSettings(ctx.dataDir) !== null;
  if (ctx.nodes === true && !inTeam) throw new CliUsageError('--nodes: this console is a single desk (not joined to a team); run the ceremony without --nodes.');
  const byNodes = command === 'ceremony' && inTeam;
  const devices = PROPOSING.has(command) ? await openVaultDevices(ctx, { allowNewPhrase: false, newUser: false }) : null;
  const manager = devices?.manager ?? (ctx.virtual || byNodes ? new DeviceManager() : await usbManager(ctx));
  const client = USING_HOST.has(command) ? hostClientFor(ctx.dataDir) : null;
  let team: TeamSession | null = null;
  try {
    if (ctx.virtual) addCustodianDevices(ctx, manager);
    const vault = new VaultService({ store, devices: manager });
    // In a team, each change is published to the team log first (connecting at the first append: reads stay offline).
    team = attachFromSettings(ctx.dataDir, vault);
    const host = client;
    const out = (value: unknown, text: string) => ctx.out(ctx.json ? JSON.stringify(value) : text);
    const state = () => vault.readState();
    const wallet = (ref: string | undefined): string => resolveWallet(vault, ref);
    const show = (id: string): WalletView => walletView(state(), vault.wallet(id).wallet);
    const ceremony = async (id: string): Promise<WalletView> => {
      // One way per mode, chosen by the ceremonies service: the MPC host on a single desk, the nodes in a team.
      const ceremonies = new WalletCeremonies({ vault, store, devices: manager, host: host!, nodes: teamNodes(ctx, vault) });
      ceremonies.on('progress', (p) => ctx.err(`  [${p.stage}] ${p.message}${p.total > 1 && p.stage === 'host' ? ` (${p.done}/${p.total})` : ''}`));
      await ceremonies.run(id);
      return show(id);
    };
    /** A proposal that took effect at once owes its ceremony: run it now if the custodians' devices are here. */
    const proposed = async (p: ProposalView, walletId: string): Promise<number> => {
      const owed = p.status === 'approved' ? show(walletId).pending : null;
      if (owed !== null && ctx.devices !== undefined) {
        const w = await ceremony(walletId);
        out({ proposal: p, wallet: w }, `${p.title}: approved; key version ${w.keyVersion} recorded. Address ${w.address}`);
        return 0;
      }
      const next = owed !== null ? ` Run: custos wallet ceremony ${walletId} (with the custodians' devices).` : p.status === 'pending' ? ` Waiting for ${p.waitingFor.map((u) => u.name).join(', ')}.` : '';
      out({ proposal: p, walletId }, `${p.id}\t${p.status}\t${p.title}.${next}`);
      return 0;
    };
    switch (`wallet ${command}`) {
      case 'wallet create': {
        const input = parse(channels['wallets.proposeCreate'].input, {
          name: required(ctx.name, '--name', "the wallet's name"),
          network: ctx.network ?? 'regtest',
          threshold: Number(required(ctx.threshold, '--threshold', 'the signatures needed (t of n)')),
          custodianIds: users(vault, required(ctx.custodians, '--custodians', 'a comma-separated list of custodians')),
          deviceId: devices!.actor(),
        });
        const p = await vault.proposeWallet(input);
        const created = (p.status === 'approved' ? state().wallets.find((w) => w.name === input.name) : undefined) ?? null;
        if (created === null) {
          out({ proposal: p }, `${p.id}\t${p.status}\t${p.title}. Once approved: custos wallet ceremony <wallet>.`);
          return 0;
        }
        return await proposed(p, created.id);
      }
      case 'wallet list': {
        const list = state().wallets.map((w) => walletView(state(), w));
        out({ wallets: list }, list.map((w) => `${w.id}\t${w.name}\t${w.network}\t${w.status}\t${w.threshold} of ${w.custodians.length || w.pending?.custodians.length}\t${w.address ?? '(no key yet)'}`).join('\n') || 'No wallets.');
        return 0;
      }
      case 'wallet show': {
        const w = show(wallet(args[0]));
        out(w, [`${w.name} (${w.id}) on ${w.network}: ${w.status}`, `threshold ${w.threshold}; key version ${w.keyVersion ?? '-'}; output key ${w.outputKey ?? '-'}`, `custodians: ${w.custodians.map((c) => `${c.name} (${c.share})`).join(', ') || '-'}`, `address: ${w.address ?? '-'}`, w.pending ? `owes a ${w.pending.ceremony} (proposal ${w.pending.proposalId})` : ''].filter(Boolean).join('\n'));
        return 0;
      }
      case 'wallet balance': {
        // Counting never reaches the MPC host; the service only needs a client to exist.
        const transfers = new TransferService({ vault, store, devices: manager, host: hostClientFor(ctx.dataDir) });
        const funds = transfers.balance(wallet(args[0]));
        out(funds, balanceText(vault.wallet(funds.balance.walletId).wallet.name, funds));
        return 0;
      }
      case 'wallet address': {
        const id = wallet(args[0]);
        const input = parse(channels['wallets.addresses'].input, { walletId: id, branch: ctx.branch ?? 'receive', from: Number(ctx.from ?? 0), count: Number(ctx.count ?? 1) });
        const list = walletAddresses(vault.wallet(id).wallet, input.branch, input.from, input.count);
        if (list.length === 0) throw new CustosError('RULE_VIOLATION', 'This wallet has no key yet: run its key ceremony first.');
        out({ addresses: list }, list.map((a) => `${a.path}\t${a.address}`).join('\n'));
        return 0;
      }
      case 'wallet verify-address': {
        const id = wallet(args[0]);
        const branch = ctx.branch ?? 'receive';
        if (branch !== 'receive' && branch !== 'change') throw new CliUsageError('--branch: receive or change.');
        const input = parse(channels['wallets.verifyAddress'].input, { walletId: id, path: `${branch === 'receive' ? 0 : 1}/${ctx.index ?? '0'}`, deviceId: devices!.actor() });
        const v = await verifyAddressOnDevice(vault, input);
        out(v, `${v.address}\n${v.wallet.name} ${v.path}, key version ${v.keyVersion}: shown and signed on ${v.custodian.name}'s device (${v.deviceAddress}) at ${v.verifiedAt}.`);
        return 0;
      }
      case 'wallet descriptor': {
        const w = show(wallet(args[0]));
        if (w.descriptors === null) throw new CustosError('RULE_VIOLATION', 'This wallet has no key yet: run its key ceremony first.');
        out(w.descriptors, `receive: ${w.descriptors.receive}\nchange:  ${w.descriptors.change}\nroot:    ${w.descriptors.root}`);
        return 0;
      }
      case 'wallet refresh': {
        const id = wallet(args[0]);
        return await proposed(await vault.proposeRefresh({ walletId: id, deviceId: devices!.actor() }), id);
      }
      case 'wallet reshare': {
        const id = wallet(args[0]);
        const input = parse(channels['wallets.proposeReshare'].input, {
          walletId: id,
          threshold: Number(required(ctx.threshold, '--threshold', 'the new threshold')),
          custodianIds: users(vault, required(ctx.custodians, '--custodians', 'the new custodians')),
          deviceId: devices!.actor(),
        });
        return await proposed(await vault.proposeReshare(input), id);
      }
      case 'wallet ceremony': {
        const id = wallet(args[0]);
        const w = await ceremony(id);
        if (byNodes) {
          out({ ...w, sealedSharesHere: false }, `${w.name}: key version ${w.keyVersion} recorded (${w.threshold} of ${w.custodians.length}), attested by every custodian on their own node; each sealed share stays on its custodian's node (none is kept here). Address ${w.address}`);
          return 0;
        }
        out(w, `${w.name}: key version ${w.keyVersion} recorded (${w.threshold} of ${w.custodians.length}). Address ${w.address}`);
        return 0;
      }
      default:
        throw new CliUsageError(`Unknown command wallet ${command}.`);
    }
  } finally {
    await team?.close();
    await client?.close();
    store.close();
    await manager.close();
  }
}


/** A wallet's money as a person reads it: balance, what requests hold, what is free, and each velocity window. */
function balanceText(name: string, funds: WalletFundsView): string {
  const b = funds.balance;
  const windows = funds.velocity.map((v) => {
    const of = v.rule ? `rule ${v.rule.name}` : 'the wallet';
    const count = v.maxCount !== null ? `, ${v.usedCount} of ${v.maxCount} transfers` : '';
    return `  ${of}, ${windowWords(v.windowSeconds)}: ${formatBtc(BigInt(v.used))} of ${formatBtc(BigInt(v.max))} used, ${formatBtc(BigInt(v.left))} left${count}`;
  });
  return [
    `${name} (Bitcoin ${b.network}): ${formatBtc(BigInt(b.total))} in ${b.coins} coin${b.coins === 1 ? '' : 's'}`,
    `held by open requests: ${formatBtc(BigInt(b.held))}${b.heldBy.length ? ` (${b.heldBy.map((h) => `${h.requestId} ${formatBtc(BigInt(h.amount))}`).join(', ')})` : ''}`,
    `free: ${formatBtc(BigInt(b.free))}`,
    funds.policy ? `velocity under policy version ${funds.policy.version}, as of ${funds.asOf}:` : 'no policy in force: nothing can be requested yet',
    ...windows,
  ].join('\n');
}

const windowWords = (seconds: number): string =>
  seconds % 86_400 === 0 ? `${seconds / 86_400} d` : seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;

export async function usbManager(ctx: CliContext): Promise<DeviceManager> {
  const { nodeHidDiscovery } = await import('../devices/usb');
  const manager = new DeviceManager({ usb: nodeHidDiscovery((m) => ctx.err(m)) });
  await manager.start();
  return manager;
}

export function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CliUsageError(`${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid value'}`);
  }
  return r.data;
}

export function required(value: string | undefined, option: string, what: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`${option}: ${what} is required.`);
  return value;
}

function users(vault: VaultService, list: string): string[] {
  const all = vault.listUsers();
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((ref) => {
    const u = all.find((x) => x.id === ref) ?? all.find((x) => x.status === 'active' && x.name.toLowerCase() === ref.toLowerCase());
    if (u === undefined) throw new CustosError('NOT_FOUND', `There is no user "${ref}" in this vault. Run custos user list.`);
    return u.id;
  });
}

export function resolveWallet(vault: VaultService, ref: string | undefined): string {
  const wanted = required(ref, '<wallet>', 'the wallet (id or name)');
  const found = vault.readState().wallets.find((w) => w.id === wanted || w.name.toLowerCase() === wanted.toLowerCase());
  if (found === undefined) throw new CustosError('NOT_FOUND', `There is no wallet "${wanted}" in this vault. Run custos wallet list.`);
  return found.id;
}

export const WALLET_NETWORK_LIST = WALLET_NETWORKS.join(', ');
