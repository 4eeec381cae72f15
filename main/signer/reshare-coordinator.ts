// The coordinator of a wallet's refresh or reshare through signer nodes: like the DKG's, it holds no share, asks no
// device and takes no part in the ceremony. The dealers' nodes (current custodians) each open their own share with their
// custodian's device; the receivers' nodes (the approved custodians) each keep their own new sealed share. The coordinator
// checks that every receiver reports the wallet's key unchanged, gathers the attestations, and appends the key record.
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { partyIdFor } from '../../crypto/frost/party-id';
import { ceremonyPlan, type UserState, type WalletState } from '../../crypto/governance';
import { CustosError } from '../errors';
import { gatherAttestations, openCoordination, REPORT_GRACE_MS, untilRefused, type KeygenCoordinatorOptions } from './coordination';
import { pick } from './coordinator';
import { sameKey, walletKeyFrom } from './dkg-result';

/** Runs the refresh or reshare `walletId` owes with its custodians' signer nodes and records the key the receivers attest. */
export async function reshareWithNodes(walletId: string, o: KeygenCoordinatorOptions): Promise<WalletState> {
  const state = o.vault.readState();
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) throw new CustosError('NOT_FOUND', `There is no wallet ${walletId}. List the wallets to find its id.`);
  const plan = ceremonyPlan(state, walletId);
  if ('refused' in plan) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} cannot run a key ceremony: ${plan.refused}.`);
  const ceremony = plan.ceremony;
  if (ceremony === 'dkg' || plan.current === null || wallet.pending === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} owes a DKG, not a refresh or reshare: run it with ceremonyWithNodes.`);
  const current = plan.current.key;
  const proposalId = wallet.pending.proposalId;
  const c = await openCoordination(o);
  try {
    const { inbox, send, head, sessionMs, me } = c;
    const user = (id: string) => c.state.users.find((u) => u.id === id);
    const receivers = plan.receivers.map((r) => user(r.userId)).filter((u): u is UserState => u !== undefined);
    const holders = plan.dealers.map((p) => current.custodians.find((x) => x.partyId === p)).map((x) => (x === undefined ? undefined : user(x.userId))).filter((u): u is UserState => u !== undefined);
    const what = `The ${ceremony} of ${wallet.name}`;
    // Every receiver attests the new key, so every one must be there; a reshare's dealers are t of the current custodians.
    await pick(o, receivers, receivers.length, head, send, inbox, what, 'Nothing was changed.');
    // A refresh needs every current custodian to deal (dealersNeeded is all of them); pick then takes them all or refuses.
    const dealers = await pick(o, holders, plan.dealersNeeded, head, send, inbox, what, 'Nothing was changed.');
    const ceremonyId = `${ceremony}-${bytesToHex(randomBytes(8))}`;
    const everyone = new Map([...dealers, ...receivers].map((u) => [partyIdFor(u.id), u.name]));
    const receiving = new Map(receivers.map((u) => [partyIdFor(u.id), u.name]));
    await o.onEvent?.({ type: 'picked', custodians: [...everyone.values()], ceremonyId });
    const expiresAt = Date.now() + sessionMs;
    const request = { ceremonyId, walletId, ceremony, dealers: dealers.map((u) => partyIdFor(u.id)), receivers: plan.receivers.map((r) => r.partyId), threshold: plan.threshold, head, coordinatorUserId: me.userId, expiresAt };
    for (const p of everyone.keys()) await send(p, { kind: 'session/reshare', ...request }, expiresAt);
    const results = await untilRefused(
      inbox.collect('session/keygen', ceremonyId, receiving, expiresAt - Date.now() + REPORT_GRACE_MS, what, 'No key was recorded.'),
      inbox.refusal(ceremonyId, everyone, o, `take part in the ${ceremony}`, 'No key was recorded.'),
      c.server.lost,
    );
    // Every receiver must report one and the same key, the wallet's own (a refresh or reshare keeps the key and its address).
    const [first] = [...results.values()];
    const digests = new Map<string, string>();
    for (const [party, r] of results) {
      const name = receiving.get(party);
      if (r.partyId !== party || r.walletId !== walletId) throw new CustosError('MPC_PROTOCOL', `${name}'s signer node reported the ${ceremony} of another party or wallet. No key was recorded.`);
      if (!sameKey(r.key, first!.key)) throw new CustosError('MPC_PROTOCOL', `The custodians' signer nodes reported different keys after the ${ceremony} of ${wallet.name} (${name}'s differs). No key was recorded; run the ceremony again.`);
      if (r.key.outputKey !== current.outputKey || r.key.internalKey !== current.internalKey || r.key.chainCode !== current.chainCode) {
        throw new CustosError('MPC_PROTOCOL', `${name}'s signer node reported another key than ${wallet.name}'s after the ${ceremony}: it would change the wallet's address. No key was recorded.`);
      }
      if (!r.key.verifyingShares.some((v) => v.partyId === party)) throw new CustosError('MPC_PROTOCOL', `The key ${name}'s signer node reported has no verifying share of its own. No key was recorded.`);
      digests.set(party, r.shareDigest);
      await o.onEvent?.({ type: 'keygen', custodian: name!, outputKey: r.key.outputKey });
    }
    const key = walletKeyFrom(first!.key, plan.toKeyVersion, plan.receivers, digests);
    return await o.vault.recordAttestedKey({ walletId, proposalId, ceremony, ceremonyId, key, attest: (unsigned) => gatherAttestations(o, c, { wallet, ceremonyId, custodians: receivers, unsigned }) });
  } catch (err) {
    throw c.server.unreachable(err, `The ${ceremony} of ${wallet.name}`, 'No key was recorded; run the ceremony again once the server answers.');
  } finally {
    await c.close();
  }
}
