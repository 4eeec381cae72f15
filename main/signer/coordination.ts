// What every key ceremony through signer nodes shares on the coordinator's side (DKG, refresh, reshare): the control
// channel to the nodes at this console's head, a step's answers unless a node refuses first, and the custodians'
// attestations of the key record gathered from their own nodes and checked before anything is appended.
import { partyIdFor } from '../../crypto/frost/party-id';
import { keyAttestationStatement, type KeyRecord, type UserState, type WalletState } from '../../crypto/governance';
import { verifyStatement } from '../../crypto/statements';
import { CustosError } from '../errors';
import type { RelayTransport } from '../relay';
import type { VaultService } from '../vault/service';
import { openCoordination, type Coordination, type CoordinatorEvent } from './coordinator';

export { openCoordination, type Coordination };
import type { NodeKeys } from './node-keys';

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
  /** How long the ceremony may take, and then the attestations (each), device confirmations on the nodes included (ms). */
  sessionMs?: number;
  onEvent?: (e: KeygenEvent) => void | Promise<void>;
}


/** The step's answers, unless a node refuses first (the refusal, in words) or the server is lost; a later refusal is nobody's to hear. */
export function untilRefused<T>(work: Promise<T>, refused: Promise<never>, lost: Promise<never>): Promise<T> {
  refused.catch(() => undefined);
  work.catch(() => undefined);
  return Promise.race([work, refused, lost]);
}

/**
 * Sends the unsigned key record to every custodian of the new key and gathers their devices' attestations from their
 * nodes, each checked here against the statement this console computes (replay checks them all again).
 */
export async function gatherAttestations(o: KeygenCoordinatorOptions, c: Coordination, x: { wallet: WalletState; ceremonyId: string; custodians: readonly UserState[]; unsigned: Omit<KeyRecord, 'attestations'> }): Promise<Map<string, string>> {
  const names = new Map(x.custodians.map((u) => [partyIdFor(u.id), u.name]));
  const since = c.inbox.mark();
  const expiresAt = Date.now() + c.sessionMs;
  for (const p of names.keys()) await c.send(p, { kind: 'session/attest', ceremonyId: x.ceremonyId, coordinatorUserId: c.me.userId, record: x.unsigned, expiresAt }, expiresAt);
  const got = await untilRefused(
    c.inbox.collect('session/attestation', x.ceremonyId, names, c.sessionMs, `The attestation of ${x.wallet.name}'s key`, 'No key was recorded.'),
    c.inbox.refusal(x.ceremonyId, names, o, 'attest the key', 'No key was recorded.', since),
    c.server.lost,
  );
  const now = o.vault.readState();
  const statement = keyAttestationStatement(now, x.wallet, x.unsigned, (id) => now.users.find((u) => u.id === id)?.name ?? id);
  const signatures = new Map<string, string>();
  for (const u of x.custodians) {
    const signature = got.get(partyIdFor(u.id))!.signature;
    if (!verifyStatement(statement, signature, u.identityAddress)) throw new CustosError('POLICY_DENIED', `${u.name}'s signer node answered an attestation their device did not sign for this key. No key was recorded.`);
    signatures.set(u.id, signature);
    await o.onEvent?.({ type: 'attested', custodian: u.name });
  }
  return signatures;
}
