// Runs a refresh or reshare inside the host: unseal the dealers' shares, deal and collect, check the key is unchanged, seal.
import { sha256 } from '@noble/hashes/sha2.js';
import { lengthPrefixed } from '../../../crypto/frost/entropy';
import { reshareAbort, reshareFinish, reshareStart, reshareStep } from '../../../crypto/frost/reshare';
import type { ReshareMessage, ReshareMode, ReshareState } from '../../../crypto/frost/reshare';
import type { GroupKey, PartyId, SecretShare } from '../../../crypto/frost/types';
import { wipeBytes, wipeShare } from '../../../crypto/frost/wipe';
import { sameBytes } from '../../../crypto/frost/curve';
import { PartyRouter, type Member } from '../party-router';
import { groupKeyToWire, type SealedShare } from '../wire';
import { CeremonyFault, StepReporter, toFault, type CeremonyEnv } from './common';
import { checkEncryptionKey, sealShare, unsealShare } from './shares';

export type ReshareParams = {
  ceremonyId: string;
  walletId: string;
  mode: ReshareMode;
  fromKeyVersion: number;
  toKeyVersion: number;
  /** The key as it is now. */
  groupKey: GroupKey;
  dealers: { partyId: PartyId; sealed: Uint8Array; unsealSecret: Uint8Array; deviceEntropy: Uint8Array }[];
  receivers: { partyId: PartyId; encryptionKey: Uint8Array }[];
  threshold: number;
};

export type ReshareOutcome = { ceremonyId: string; groupKey: GroupKey; shares: SealedShare[] };

/**
 * Steps: unseal (the dealers' current shares, under fromKeyVersion), deal (each dealer's polynomial, from the host RNG
 * mixed with its device entropy), collect (commitments and sub-shares delivered and checked), finish (every party's new
 * key compared, and the output key, internal key and chain code checked unchanged), seal (one new share per receiver,
 * under toKeyVersion). Old and new shares are wiped when it ends, whichever way.
 */
export async function runReshare(params: ReshareParams, env: CeremonyEnv): Promise<ReshareOutcome> {
  const { ceremonyId, walletId, mode, groupKey: current } = params;
  const report = new StepReporter(env);
  const dealerIds = params.dealers.map((d) => d.partyId);
  const receiverIds = params.receivers.map((r) => r.partyId);
  const held: SecretShare[] = [];
  const parties: Party[] = [];
  let transport: PartyRouter<ReshareMessage> | null = null;
  // Sealing to receivers mixes every dealer's device entropy, so a broken host RNG alone cannot predict the boxes.
  const sealEntropy = sha256(lengthPrefixed(...params.dealers.map((d) => d.deviceEntropy)));
  try {
    for (const r of params.receivers) checkEncryptionKey(r.partyId, r.encryptionKey);

    await report.begin('unseal', params.dealers.length);
    const oldShares = new Map<PartyId, SecretShare>();
    for (const [i, d] of params.dealers.entries()) {
      const share = unsealShare(d, { ceremonyId, walletId, keyVersion: params.fromKeyVersion }, current.publicPackage);
      held.push(share);
      oldShares.set(d.partyId, share);
      await report.tick(i + 1);
    }

    const everyone = [...new Set([...dealerIds, ...receiverIds])];
    await report.begin('deal', everyone.length);
    const dealt: ReshareMessage[] = [];
    const config = { ceremonyId, mode, current, dealers: dealerIds, receivers: receiverIds, threshold: params.threshold };
    for (const [i, id] of everyone.entries()) {
      const dealer = params.dealers.find((d) => d.partyId === id);
      const r = reshareStart(
        { ...config, self: id },
        dealer ? (oldShares.get(id) as SecretShare) : null,
        dealer ? { rng: env.rng, deviceEntropy: dealer.deviceEntropy } : null,
      );
      parties.push({ id, state: r.state });
      dealt.push(...r.outbox);
      await report.tick(i + 1);
    }
    transport = new PartyRouter<ReshareMessage>(parties.map(member), {
      secretFields: (m) => (m.kind === 'reshare/share' ? [m.share] : []),
    });

    transport.post(dealt);
    await report.begin('collect', transport.pending);
    const rest = await transport.deliver(report.tick);
    if (rest.length > 0) throw new CeremonyFault('internal', `the ${mode} went on after its one round`);

    await report.begin('finish', parties.length);
    const newShares = new Map<PartyId, SecretShare>();
    let groupKey: GroupKey | null = null;
    let reference = '';
    for (const [i, p] of parties.entries()) {
      const done = reshareFinish(p.state);
      if (done.share) {
        held.push(done.share);
        newShares.set(p.id, done.share);
      }
      const wire = JSON.stringify(groupKeyToWire(done.groupKey));
      if (groupKey === null) [groupKey, reference] = [done.groupKey, wire];
      else if (wire !== reference) throw new CeremonyFault('internal', `party ${p.id} finished the ${mode} with another key`);
      await report.tick(i + 1);
    }
    const next = groupKey as GroupKey;
    if (!sameBytes(next.outputKey, current.outputKey) || !sameBytes(next.internalKey, current.internalKey) || !sameBytes(next.chainCode, current.chainCode))
      throw new CeremonyFault('internal', `the ${mode} changed the wallet key; nothing was sealed`);

    await report.begin('seal', params.receivers.length);
    const sealed: SealedShare[] = [];
    for (const [i, r] of params.receivers.entries()) {
      const share = newShares.get(r.partyId);
      if (share === undefined) throw new CeremonyFault('internal', `receiver ${r.partyId} got no new share`);
      const ctx = { ceremonyId, walletId, keyVersion: params.toKeyVersion };
      sealed.push({ partyId: r.partyId, sealed: sealShare(share, r.encryptionKey, ctx, env.rng, sealEntropy) });
      await report.tick(i + 1);
    }
    return { ceremonyId, groupKey: next, shares: sealed };
  } catch (err) {
    throw toFault(err);
  } finally {
    transport?.clear();
    for (const p of parties) reshareAbort(p.state, `the ${mode} ended`);
    for (const s of held) wipeShare(s);
    wipeBytes(sealEntropy);
  }
}

/** One dealer or receiver (or both): its state lives here and only its own messages reach it. */
type Party = { id: PartyId; state: ReshareState };

function member(party: Party): Member<ReshareMessage> {
  return {
    id: party.id,
    receive(message) {
      const r = reshareStep(party.state, message);
      party.state = r.state;
      return r.outbox;
    },
  };
}
