// Runs a whole DKG inside the host: every party's rounds on the host's DKG pool, then each share sealed to its device.
import type { GroupKey, PartyId, SecretShare } from '../../../crypto/frost/types';
import { wipeShare } from '../../../crypto/frost/wipe';
import type { PoolProgress } from '../dkg-pool';
import type { SealedShare } from '../wire';
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
 * packages delivered, shares dealt), finish (shares delivered and checked, every party's key compared), seal. The
 * rounds run on the host's DKG pool, its parties spread over worker threads (a DKG's work grows as n²·t); each party's
 * host randomness reaches its thread as a seed drawn from the host's CSPRNG. Unsealed shares are wiped when it ends,
 * whichever way.
 */
export async function runDkg(params: DkgParams, env: CeremonyEnv): Promise<DkgOutcome> {
  const { ceremonyId, walletId, keyVersion, threshold } = params;
  const pool = env.dkgPool;
  const report = new StepReporter(env);
  let shares: SecretShare[] = [];
  const seeds: Uint8Array[] = [];
  try {
    if (!pool) throw new CeremonyFault('internal', 'the MPC host has no DKG pool');
    for (const p of params.parties) checkEncryptionKey(p.partyId, p.encryptionKey);

    const n = params.parties.length;
    await report.begin('round1', n);
    // The pool's counts arrive while this thread waits: reported as they come, without yielding (nothing to yield to).
    const steps = ['round1', 'round2', 'finish'] as const;
    const live = new StepReporter({ ...env, pause: undefined });
    let at = 0;
    const onProgress = (p: PoolProgress) => {
      const reached = [p.started, p.dealt, p.finished];
      while (at < 2 && (reached[at] as number) >= n) void live.begin(steps[++at] as (typeof steps)[number], n);
      void live.tick(reached[at] as number);
    };
    for (const _ of params.parties) seeds.push(env.rng(32));
    const result = await pool.run(
      { ceremonyId, threshold, parties: params.parties.map((p, i) => ({ partyId: p.partyId, rngSeed: seeds[i] as Uint8Array, deviceEntropy: p.deviceEntropy })) },
      onProgress,
    );
    shares = result.shares;
    const groupKey = result.groupKey;
    const byParty = new Map(shares.map((s) => [s.identifier, s]));
    const sameParties = groupKey.parties.length === n && byParty.size === n && params.parties.every((p) => groupKey.parties.includes(p.partyId) && byParty.has(p.partyId));
    if (!sameParties) throw new CeremonyFault('internal', 'the DKG pool answered a key for other parties');

    await report.begin('seal', n);
    const sealed: SealedShare[] = [];
    for (const [i, p] of params.parties.entries()) {
      const share = byParty.get(p.partyId) as SecretShare;
      sealed.push({ partyId: p.partyId, sealed: sealShare(share, p.encryptionKey, { ceremonyId, walletId, keyVersion }, env.rng, p.deviceEntropy) });
      wipeShare(share);
      await report.tick(i + 1);
    }
    return { ceremonyId, groupKey, shares: sealed };
  } catch (err) {
    throw toFault(err);
  } finally {
    for (const s of shares) wipeShare(s);
    for (const seed of seeds) seed.fill(0);
  }
}
