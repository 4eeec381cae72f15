// The coordinator of a wallet's DKG through signer nodes (`custos wallet ceremony <wallet> --nodes`): it holds no share,
// asks no device and takes no part in the DKG. Every approved custodian's node runs its own party and keeps its own
// sealed share; the coordinator compares their public answers, builds the key record, gathers each custodian's
// attestation from their node, and appends it through the one writer. No sealed share is written to this console's store.
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { partyIdFor } from '../../crypto/frost/party-id';
import { ceremonyPlan, keyAttestationStatement, type UserState, type WalletState } from '../../crypto/governance';
import { verifyStatement } from '../../crypto/statements';
import { CustosError } from '../errors';
import type { RelayTransport } from '../relay';
import type { VaultService } from '../vault/service';
import { controlDirectory, controlRoute, coordinatorAddress, openControl, sendControl, type ControlMessage } from './control';
import { DEFAULT_SESSION_MS, headOf, Inbox, pick, watchServer, type CoordinatorEvent } from './coordinator';
import { sameKey, walletKeyFrom } from './dkg-result';
import type { NodeKeys } from './node-keys';
import { nodeOwner } from './node-share';

/**
 * How long after a step's expiry the coordinator still waits for the nodes' own reports: a node whose session expired
 * says which party did not answer, which names the node that failed better than this coordinator's own timeout.
 */
export const REPORT_GRACE_MS = 3_000;

export type KeygenEvent = CoordinatorEvent | { type: 'keygen'; custodian: string; outputKey: string } | { type: 'attested'; custodian: string };

export interface KeygenCoordinatorOptions {
  vault: VaultService;
  /** The coordinating user's registered node keys: the coordinator's messages are signed with them. */
  keys: NodeKeys;
  transport: RelayTransport;
  pingMs?: number;
  /** How long the DKG may take, and then the attestations (each), device confirmations on the nodes included (ms). */
  sessionMs?: number;
  onEvent?: (e: KeygenEvent) => void | Promise<void>;
}

/** Runs the DKG `walletId` owes with every approved custodian's signer node and records the key they all attest. */
export async function keygenWithNodes(walletId: string, o: KeygenCoordinatorOptions): Promise<WalletState> {
  const state = o.vault.readState();
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) throw new CustosError('NOT_FOUND', `There is no wallet ${walletId}. List the wallets to find its id.`);
  const plan = ceremonyPlan(state, walletId);
  if ('refused' in plan) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} cannot run a key ceremony: ${plan.refused}.`);
  if (plan.ceremony !== 'dkg' || wallet.pending === null) {
    throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} owes a ${plan.ceremony}; through signer nodes only a new wallet's DKG runs so far.`);
  }
  const proposalId = wallet.pending.proposalId;
  const me = nodeOwner(state, o.keys.nodeId);
  const head = headOf(o.vault);
  const vaultId = state.vaultId;
  const myAddress = coordinatorAddress(me.userId);
  const sessionMs = o.sessionMs ?? DEFAULT_SESSION_MS;
  const inbox = new Inbox();
  const sub = await o.transport.subscribe(controlRoute(vaultId, myAddress), (bytes) => {
    void openControl(bytes, { vaultId, me: myAddress, keys: o.keys.transport, state, now: Date.now() }).then((m) => inbox.take(m), () => undefined);
  });
  const server = watchServer(sub);
  const nothingRecorded = 'No key was recorded; run the ceremony again once the server answers.';
  try {
    const send = (to: string, message: ControlMessage, expiresAt: number) => {
      const toKeys = controlDirectory(state).keysOf(to);
      if (toKeys === null) throw new CustosError('RULE_VIOLATION', `Party ${to} has no registered signer node.`);
      return sendControl({ transport: o.transport, vaultId, keys: o.keys.transport, from: myAddress, to, toKeys, message, expiresAt });
    };
    const custodians = plan.receivers.map((r) => state.users.find((u) => u.id === r.userId)).filter((u): u is UserState => u !== undefined);
    // A DKG needs every approved custodian: each node's party holds a share of the key from its first round.
    await pick(o, custodians, plan.receivers.length, head, send, inbox, `The DKG of ${wallet.name}`, 'No key was made.');
    const ceremonyId = `dkg-${bytesToHex(randomBytes(8))}`;
    const names = new Map(custodians.map((u) => [partyIdFor(u.id), u.name]));
    await o.onEvent?.({ type: 'picked', custodians: custodians.map((u) => u.name), ceremonyId });
    const dkgExpires = Date.now() + sessionMs;
    for (const p of names.keys()) await send(p, { kind: 'session/dkg', ceremonyId, walletId, head, coordinatorUserId: me.userId, expiresAt: dkgExpires }, dkgExpires);
    const results = await untilRefused(
      inbox.collect('session/keygen', ceremonyId, names, dkgExpires - Date.now() + REPORT_GRACE_MS, `The DKG of ${wallet.name}`, 'No key was recorded.'),
      inbox.refusal(ceremonyId, names, o, 'take part in the DKG', 'No key was recorded.'),
      server.lost,
    );
    // Every node must report one and the same key, with its own verifying share in it.
    const [first] = [...results.values()];
    const digests = new Map<string, string>();
    for (const [party, r] of results) {
      if (r.partyId !== party || r.walletId !== walletId) throw new CustosError('MPC_PROTOCOL', `${names.get(party)}'s signer node reported the DKG of another party or wallet. No key was recorded.`);
      if (!sameKey(r.key, first!.key)) throw new CustosError('MPC_PROTOCOL', `The custodians' signer nodes reported different keys for ${wallet.name} (${names.get(party)}'s differs): the DKG failed. No key was recorded; run the ceremony again.`);
      if (!r.key.verifyingShares.some((v) => v.partyId === party)) throw new CustosError('MPC_PROTOCOL', `The key ${names.get(party)}'s signer node reported has no verifying share of its own. No key was recorded.`);
      digests.set(party, r.shareDigest);
      await o.onEvent?.({ type: 'keygen', custodian: names.get(party)!, outputKey: r.key.outputKey });
    }
    const key = walletKeyFrom(first!.key, plan.toKeyVersion, plan.receivers, digests);
    return await o.vault.recordAttestedKey({
      walletId,
      proposalId,
      ceremony: 'dkg',
      ceremonyId,
      key,
      attest: async (unsigned) => {
        const since = inbox.mark();
        const expiresAt = Date.now() + sessionMs;
        for (const p of names.keys()) await send(p, { kind: 'session/attest', ceremonyId, coordinatorUserId: me.userId, record: unsigned, expiresAt }, expiresAt);
        const got = await untilRefused(
          inbox.collect('session/attestation', ceremonyId, names, sessionMs, `The attestation of ${wallet.name}'s key`, 'No key was recorded.'),
          inbox.refusal(ceremonyId, names, o, 'attest the key', 'No key was recorded.', since),
          server.lost,
        );
        // Checked here to name a custodian whose device did not sign this very statement (replay checks them all again).
        const now = o.vault.readState();
        const statement = keyAttestationStatement(now, wallet, unsigned, (id) => now.users.find((u) => u.id === id)?.name ?? id);
        const signatures = new Map<string, string>();
        for (const u of custodians) {
          const signature = got.get(partyIdFor(u.id))!.signature;
          if (!verifyStatement(statement, signature, u.identityAddress)) throw new CustosError('POLICY_DENIED', `${u.name}'s signer node answered an attestation their device did not sign for this key. No key was recorded.`);
          signatures.set(u.id, signature);
          await o.onEvent?.({ type: 'attested', custodian: u.name });
        }
        return signatures;
      },
    });
  } catch (err) {
    throw server.unreachable(err, `The DKG of ${wallet.name}`, nothingRecorded);
  } finally {
    server.done();
    await sub.close();
  }
}

/** The step's answers, unless a node refuses first (the refusal, in words) or the server is lost; a later refusal is nobody's to hear. */
function untilRefused<T>(work: Promise<T>, refused: Promise<never>, lost: Promise<never>): Promise<T> {
  refused.catch(() => undefined);
  work.catch(() => undefined);
  return Promise.race([work, refused, lost]);
}
