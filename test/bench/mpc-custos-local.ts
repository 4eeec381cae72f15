// Custos' FROST state machines (crypto/frost) in one process, routed in memory: orchestration cost without a process boundary.
import { schnorr } from '@noble/curves/secp256k1.js';
import { deriveChildKey, deriveChildShare } from '../../crypto/frost/hd.js';
import type { GroupKey, PartyId, SecretShare } from '../../crypto/frost/types.js';
import { COORD, ids, runDkg, runSigning } from '../frost/helpers.js';
import { msPerOp, type Size } from './mpc-sizes.js';

export type CustosKey = { groupKey: GroupKey; shares: Map<PartyId, SecretShare> };

let sessions = 0;

/** One signing session of the first t parties plus a coordinator; returns the coordinator's checked signatures. */
export function custosSign(key: CustosKey, messages: Uint8Array[], shareCheck: 'each' | 'on-failure'): Uint8Array[] {
  const { publicPackage, threshold, outputKey } = key.groupKey;
  // A fresh session id each time: the seeded test RNG would otherwise draw the same nonces run after run.
  const states = runSigning(publicPackage, key.shares, ids(key.groupKey.parties.length).slice(0, threshold), messages, {
    sessionId: `bench-sign-${++sessions}`,
    shareCheck,
  });
  const sigs = states.get(COORD)?.public.signatures;
  if (!sigs || !sigs.every((s, i) => schnorr.verify(s, messages[i] as Uint8Array, outputKey)))
    throw new Error('bench: Custos signing gave no valid signature');
  return sigs;
}

/** The key of `path` below `root`, with the child shares of every party (what a host derives before signing). */
export function childKey(root: CustosKey, path: number[]): CustosKey {
  const child = deriveChildKey(root.groupKey, path);
  const shares = new Map([...root.shares].map(([id, s]) => [id, deriveChildShare(s, child)]));
  return { groupKey: child.groupKey, shares };
}

export type LocalTimes = { dkgMs: number; dkgCpuMs: number; signEachMs: number; signOnFailureMs: number };

export async function custosLocalTimes(size: Size, msg: Uint8Array): Promise<LocalTimes & { key: CustosKey }> {
  let runs = 0;
  const dkg = (): CustosKey => runDkg(size.t, size.n, { ceremonyId: `bench-dkg-${size.t}-${size.n}-${++runs}` });
  const { ms: dkgMs, cpuMs: dkgCpuMs, last: key } = await msPerOp(dkg);
  const signEachMs = (await msPerOp(() => custosSign(key, [msg], 'each'))).ms;
  const signOnFailureMs = (await msPerOp(() => custosSign(key, [msg], 'on-failure'))).ms;
  return { dkgMs, dkgCpuMs, signEachMs, signOnFailureMs, key };
}
