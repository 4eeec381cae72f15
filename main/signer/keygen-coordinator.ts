// The coordinator of a wallet's DKG through signer nodes (`custos wallet ceremony <wallet> --nodes`): it holds no share,
// asks no device and takes no part in the DKG. Every approved custodian's node runs its own party and keeps its own
// sealed share; the coordinator compares their public answers, builds the key record, gathers each custodian's
// attestation from their node, and appends it through the one writer. No sealed share is written to this console's store.
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { partyIdFor } from '../../crypto/frost/party-id';
import { ceremonyPlan, type UserState, type WalletState } from '../../crypto/governance';
import { CustosError } from '../errors';
import { gatherAttestations, openCoordination, REPORT_GRACE_MS, untilRefused, type KeygenCoordinatorOptions } from './coordination';
import { pick } from './coordinator';
import { sameKey, walletKeyFrom } from './dkg-result';

export { REPORT_GRACE_MS } from './coordination';
export type { KeygenCoordinatorOptions, KeygenEvent } from './coordination';

/** Runs the DKG `walletId` owes with every approved custodian's signer node and records the key they all attest. */
export async function keygenWithNodes(walletId: string, o: KeygenCoordinatorOptions): Promise<WalletState> {
  const state = o.vault.readState();
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) throw new CustosError('NOT_FOUND', `There is no wallet ${walletId}. List the wallets to find its id.`);
  const plan = ceremonyPlan(state, walletId);
  if ('refused' in plan) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} cannot run a key ceremony: ${plan.refused}.`);
  if (plan.ceremony !== 'dkg' || wallet.pending === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} owes a ${plan.ceremony}, not a DKG: run it with ceremonyWithNodes.`);
  const proposalId = wallet.pending.proposalId;
  const c = await openCoordination(o);
  try {
    const { inbox, send, head, sessionMs, me } = c;
    const custodians = plan.receivers.map((r) => c.state.users.find((u) => u.id === r.userId)).filter((u): u is UserState => u !== undefined);
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
      c.server.lost,
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
    return await o.vault.recordAttestedKey({ walletId, proposalId, ceremony: 'dkg', ceremonyId, key, attest: (unsigned) => gatherAttestations(o, c, { wallet, ceremonyId, custodians, unsigned }) });
  } catch (err) {
    throw c.server.unreachable(err, `The DKG of ${wallet.name}`, 'No key was recorded; run the ceremony again once the server answers.');
  } finally {
    await c.close();
  }
}
