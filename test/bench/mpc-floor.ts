// The MPC floor: noble's raw schnorr_FROST in one process, no state machines, checks or transport around it.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import type { DKG_Round1, DKG_Round2 } from '@noble/curves/abstract/frost.js';
import type { PublicPackage, SecretShare } from '../../crypto/frost/types.js';
import { msPerOp, type Size } from './mpc-sizes.js';

export type NobleKey = { publicPackage: PublicPackage; shares: SecretShare[] };

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => schnorr_FROST.Identifier.fromNumber(i + 1));

/** Every party's round 1, round 2 and round 3, done by one caller: the least work a FROST DKG can be. */
export function nobleDkg({ t, n }: Size): NobleKey {
  const parties = ids(n);
  const signers = { min: t, max: n };
  const r1 = parties.map((id) => schnorr_FROST.DKG.round1(id, signers));
  const pubs: DKG_Round1[] = r1.map((r) => r.public);
  const others = (i: number) => pubs.filter((_, j) => j !== i);
  const r2 = r1.map((r, i) => schnorr_FROST.DKG.round2(r.secret, others(i)));
  const keys = r1.map((r, i) => {
    const id = parties[i] as string;
    const received: DKG_Round2[] = r2.filter((_, j) => j !== i).map((out) => out[id] as DKG_Round2);
    return schnorr_FROST.DKG.round3(r.secret, others(i), received);
  });
  return { publicPackage: (keys[0] as (typeof keys)[0]).public, shares: keys.map((k) => k.secret) };
}

/** t signers commit and sign a share each; noble aggregates (it checks shares only if the result fails) and BIP-340 verifies. */
export function nobleSign(key: NobleKey, t: number, msg: Uint8Array): Uint8Array {
  const signers = key.shares.slice(0, t);
  const commits = signers.map((s) => schnorr_FROST.commit(s));
  const list = commits.map((c) => c.commitments);
  const sigShares: Record<string, Uint8Array> = {};
  signers.forEach((s, i) => {
    sigShares[s.identifier] = schnorr_FROST.signShare(s, key.publicPackage, (commits[i] as (typeof commits)[0]).nonces, list, msg);
  });
  const sig = schnorr_FROST.aggregate(key.publicPackage, list, msg, sigShares);
  if (!schnorr.verify(sig, msg, (key.publicPackage.commitments[0] as Uint8Array).subarray(1)))
    throw new Error('bench: noble signature did not verify');
  return sig;
}

export type MpcTimes = { dkgMs: number; signMs: number };

export async function floorTimes(size: Size, msg: Uint8Array): Promise<MpcTimes> {
  const dkg = await msPerOp(() => nobleDkg(size));
  const sign = await msPerOp(() => nobleSign(dkg.last, size.t, msg));
  return { dkgMs: dkg.ms, signMs: sign.ms };
}
