// Runs a whole DKG inside the host: every party's rounds over the in-memory transport, then each share sealed to its device.
import { dkgAbort, dkgFinish, dkgStart, dkgStep } from '../../../crypto/frost/dkg';
import type { DkgMessage, DkgState } from '../../../crypto/frost/dkg';
import type { GroupKey, PartyId, SecretShare } from '../../../crypto/frost/types';
import { wipeShare } from '../../../crypto/frost/wipe';
import { PartyRouter, type Member } from '../party-router';
import { groupKeyToWire, type SealedShare } from '../wire';
import { CeremonyFault, StepReporter, toFault, type CeremonyEnv } from './common';
import { checkEncryptionKey, sealShare } from './shares';

export type DkgParams = {
  ceremonyId: string;
  walletId: string;
  keyVersion: number;
  threshold: number;
  parties: { partyId: PartyId; encryptionKey: Uint8Array; deviceEntropy: Uint8Array }[];
};

export type DkgOutcome = { ceremonyId: string; groupKey: GroupKey; shares: SealedShare[] };

/**
 * Steps: round1 (each party draws its polynomial from the host RNG mixed with its device entropy), round2 (round-1
 * packages delivered, shares dealt), finish (shares delivered and checked, every party's key compared), seal.
 * Unsealed shares and DKG secrets are wiped when it ends, whichever way.
 */
export async function runDkg(params: DkgParams, env: CeremonyEnv): Promise<DkgOutcome> {
  const { ceremonyId, walletId, keyVersion, threshold } = params;
  const ids = params.parties.map((p) => p.partyId);
  const report = new StepReporter(env);
  const parties: Party[] = [];
  const shares = new Map<PartyId, SecretShare>();
  let transport: PartyRouter<DkgMessage> | null = null;
  try {
    for (const p of params.parties) checkEncryptionKey(p.partyId, p.encryptionKey);

    await report.begin('round1', ids.length);
    const round1: DkgMessage[] = [];
    for (const [i, p] of params.parties.entries()) {
      const r = dkgStart({ ceremonyId, self: p.partyId, parties: ids, threshold }, { rng: env.rng, deviceEntropy: p.deviceEntropy });
      parties.push({ id: p.partyId, state: r.state });
      round1.push(...r.outbox);
      await report.tick(i + 1);
    }

    transport = new PartyRouter<DkgMessage>(parties.map(member), {
      // Round-2 shares are secret; chain-code reveals become public when the ceremony ends.
      secretFields: (m) => (m.kind === 'dkg/round2' ? [m.signingShare] : []),
    });
    transport.post(round1);
    await report.begin('round2', transport.pending);
    transport.post(await transport.deliver(report.tick));

    await report.begin('finish', transport.pending);
    const rest = await transport.deliver(report.tick);
    if (rest.length > 0) throw new CeremonyFault('internal', 'the DKG went on after its second round');
    let groupKey: GroupKey | null = null;
    let reference = '';
    for (const { id, state } of parties) {
      const done = dkgFinish(state);
      shares.set(id, done.share);
      // Every party computed the key on its own; they must agree byte for byte before anything is sealed.
      const wire = JSON.stringify(groupKeyToWire(done.groupKey));
      if (groupKey === null) [groupKey, reference] = [done.groupKey, wire];
      else if (wire !== reference) throw new CeremonyFault('internal', `party ${id} finished the DKG with another group key`);
    }

    await report.begin('seal', ids.length);
    const sealed: SealedShare[] = [];
    for (const [i, p] of params.parties.entries()) {
      const share = shares.get(p.partyId) as SecretShare;
      sealed.push({ partyId: p.partyId, sealed: sealShare(share, p.encryptionKey, { ceremonyId, walletId, keyVersion }, env.rng, p.deviceEntropy) });
      wipeShare(share);
      await report.tick(i + 1);
    }
    return { ceremonyId, groupKey: groupKey as GroupKey, shares: sealed };
  } catch (err) {
    throw toFault(err);
  } finally {
    transport?.clear();
    for (const p of parties) dkgAbort(p.state, 'the DKG ended');
    for (const s of shares.values()) wipeShare(s);
  }
}

/** One party: its state lives here and only its own messages reach it. */
type Party = { id: PartyId; state: DkgState };

function member(party: Party): Member<DkgMessage> {
  return {
    id: party.id,
    receive(message) {
      const r = dkgStep(party.state, message);
      party.state = r.state;
      return r.outbox;
    },
  };
}
