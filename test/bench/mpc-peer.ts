// The JS peer: @cmdcode/frost 1.1.4 doing what the floor does. It ships no DKG, so ours is built from its own primitives.
import { Lib } from '@cmdcode/frost';
import type { SecretShare } from '@cmdcode/frost';
import { bytesToHex } from '@noble/hashes/utils.js';
import { msPerOp, type Size } from './mpc-sizes.js';

export type PeerKey = { groupPk: string; shares: SecretShare[] };

/**
 * A Pedersen DKG from the library's building blocks (create_share_set, verify_share, combine_set,
 * merge_share_commits): every party deals a share set, every recipient checks each share against its dealer's
 * VSS commitments, then sums what it received. No proof of knowledge (the library has none), so this does less
 * than noble's DKG; it is the closest the peer comes.
 */
export function peerDkg({ t, n }: Size): PeerKey {
  const dealt = Array.from({ length: n }, () => Lib.create_share_set(t, n));
  const shares: SecretShare[] = [];
  for (let idx = 1; idx <= n; idx++) {
    const received = dealt.map((d) => {
      const share = Lib.get_share(d.shares, idx);
      if (!Lib.verify_share(d.vss_commits, share, t)) throw new Error('bench: peer share failed its VSS check');
      return share;
    });
    shares.push(Lib.combine_set(received));
  }
  const commits = dealt.map((d) => d.vss_commits).reduce((a, b) => Lib.merge_share_commits(a, b));
  return { groupPk: commits[0] as string, shares };
}

/**
 * The README's session for t signers: commit, context, sign, verify each partial signature, combine, verify. Each
 * signer builds the session context itself, as it would on its own machine (noble's signShare does the same work
 * per signer); the README builds one and shares it, which only a single process can do.
 */
export function peerSign(key: PeerKey, t: number, msg: Uint8Array): string {
  const message = bytesToHex(msg);
  const signers = key.shares.slice(0, t);
  const commits = signers.map((s) => Lib.create_commit_pkg(s));
  const signed = signers.map((share) => {
    const commit = Lib.get_commit_pkg(commits, share);
    return { commit, sig: Lib.sign_msg(Lib.get_group_signing_ctx(key.groupPk, commits, message), share, commit) };
  });
  // The coordinator's context: it checks every partial signature, then combines.
  const ctx = Lib.get_group_signing_ctx(key.groupPk, commits, message);
  for (const { commit, sig } of signed)
    if (!Lib.verify_partial_sig(ctx, commit, sig.pubkey, sig.psig)) throw new Error('bench: peer partial signature failed');
  const psigs = signed.map((s) => s.sig);
  const signature = Lib.combine_partial_sigs(ctx, psigs);
  if (!Lib.verify_final_sig(ctx, message, signature)) throw new Error('bench: peer signature did not verify');
  return signature;
}

export type PeerTimes = { keygenMs: number; signMs: number };

export async function peerTimes(size: Size, msg: Uint8Array): Promise<PeerTimes> {
  const keygen = await msPerOp(() => peerDkg(size));
  const signMs = (await msPerOp(() => peerSign(keygen.last, size.t, msg))).ms;
  return { keygenMs: keygen.ms, signMs };
}
