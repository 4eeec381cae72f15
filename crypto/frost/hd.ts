// Non-hardened BIP-32 derivation of a FROST wallet's child keys, and the matching tweak of shares and verifying shares.
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { Fn, Point, hasEvenY, liftX, tapTweakScalar, tweakPublic, tweakSecret, xOnly } from './curve.js';
import type { AffineTweak } from './curve.js';
import type { GroupKey, SecretShare } from './types.js';

/*
 * Definition (chosen so that `tr(xpub/0/*)` in Bitcoin Core or Sparrow watches exactly the addresses we sign for):
 *
 *   Root extended public key: key K₀ = lift_x(internalKey) (the even-Y internal key P, 0x02 prefix), chain code = the
 *   DKG's jointly made chain code; depth 0, parent fingerprint 0, index 0.
 *   Child i (< 2³¹, non-hardened): I = HMAC-SHA512(c, ser₃₃(K) ‖ ser₃₂(i)), K' = K + I_L·G, c' = I_R (BIP-32 CKDpub).
 *   A path's key P_c = K₀ + δ·G with δ = Σ I_L. P_c is the child's Taproot INTERNAL key; its output key is
 *   Q_c = evenY(P_c) + TapTweak(x(P_c))·G, as for any `tr(KEY)` (BIP-86/386).
 *
 * Shares: noble's DKG shares s_j are shares of q = p + t₀ (p the even-Y internal scalar, t₀ = TapTweak(x(P))). The child
 * share is s'_j = ±(s_j − t₀ + δ) + t_c, the sign flipping when P_c has odd Y: the affine map {pre: δ − t₀,
 * negate, post: t_c}. Verifying shares and the constant commitment follow by the same map on points; the higher
 * commitments only flip sign. Any t child shares then sign under x(Q_c) with noble's ordinary signing.
 * An index whose I_L ≥ n or whose key is the identity is refused (BIP-32 says: use the next index).
 */

export const HARDENED = 0x80000000;

/** Receive (external) and change (internal) addresses, BIP-44 style branches below the wallet's root. */
export const receivePath = (index: number): number[] => [0, index];
export const changePath = (index: number): number[] => [1, index];

export type ChildKey = { path: number[]; groupKey: GroupKey; tweak: AffineTweak };

function ser32(i: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, i);
  return b;
}

/** The child key of `root` at `path` (public; any party or watcher can compute it). */
export function deriveChildKey(root: GroupKey, path: readonly number[]): ChildKey {
  const { K, c, delta } = ckdPub(root, path);
  const internalKey = xOnly(K);
  const t0 = tapTweakScalar(root.internalKey);
  const tc = tapTweakScalar(internalKey);
  const tweak: AffineTweak = { pre: Fn.sub(delta, t0), negate: !hasEvenY(K), post: tc };
  const publicPackage = tweakPublic(root.publicPackage, tweak);
  const outputKey = (publicPackage.commitments[0] as Uint8Array).slice(1);
  return { path: [...path], groupKey: { ...root, publicPackage, internalKey, outputKey, chainCode: c }, tweak };
}

/**
 * BIP-32 CKDpub from the root's internal key along `path`: the child point P_c, its chain code, and δ = Σ I_L. Public
 * values only, so the faster variable-time multiplication is safe here (never for shares).
 */
function ckdPub(root: GroupKey, path: readonly number[]): { K: InstanceType<typeof Point>; c: Uint8Array; delta: bigint } {
  checkDerivation(root, path);
  let c: Uint8Array = root.chainCode;
  let lift = lifted.get(root.internalKey);
  if (lift === undefined) {
    lift = liftX(root.internalKey);
    lifted.set(root.internalKey, lift);
  }
  let K: InstanceType<typeof Point> = lift;
  let delta = Fn.ZERO;
  for (const i of path) {
    if (!Number.isSafeInteger(i) || i < 0 || i >= HARDENED) throw new Error(`index ${i} is not a non-hardened index (0..2^31-1)`);
    const I = hmac(sha512, c, concatBytes(K.toBytes(true), ser32(i)));
    const IL = Fn.fromBytes(I.subarray(0, 32), true);
    if (!Fn.isValid(IL)) throw new Error(`index ${i} gives an invalid child (I_L ≥ n); use the next index`);
    K = IL === 0n ? K : K.add(Point.BASE.multiplyUnsafe(IL));
    if (K.is0()) throw new Error(`index ${i} gives the point at infinity; use the next index`);
    delta = Fn.add(delta, IL);
    c = I.slice(32);
  }
  return { K, c, delta };
}

function checkDerivation(root: GroupKey, path: readonly number[]): void {
  if (!Array.isArray(path) || path.length > 255) throw new Error('path must be a list of at most 255 indexes');
  if (!(root.chainCode instanceof Uint8Array) || root.chainCode.length !== 32) throw new Error('chain code must be 32 bytes');
}

/** The roots' internal keys lifted once: lift_x is a square root, the dearest step of a derivation. */
const lifted = new WeakMap<Uint8Array, InstanceType<typeof Point>>();

/** Output keys already derived (x-only), by root and path: replay asks for the same change and input paths again and again. */
const outputKeys = new Map<string, Uint8Array>();
const OUTPUT_KEYS_KEPT = 20_000;

/**
 * The x-only Taproot output key Q_c of the child at `path`, the same as deriveChildKey(root, path).groupKey.outputKey
 * (a property test holds them equal) without tweaking the FROST public package: an address, or a request replayed,
 * needs only this. Remembered per root and path (a bounded cache of public values).
 */
export function childOutputKey(root: GroupKey, path: readonly number[]): Uint8Array {
  checkDerivation(root, path);
  const id = `${bytesToHex(root.internalKey)}${bytesToHex(root.chainCode)}/${path.join('/')}`;
  const known = outputKeys.get(id);
  if (known !== undefined) return known.slice();
  const { K } = ckdPub(root, path);
  // Q_c = evenY(P_c) + TapTweak(x(P_c))·G, as for any tr(KEY).
  const P = hasEvenY(K) ? K : K.negate();
  const Q = P.add(Point.BASE.multiplyUnsafe(tapTweakScalar(xOnly(K))));
  const out = xOnly(Q);
  if (outputKeys.size >= OUTPUT_KEYS_KEPT) outputKeys.delete(outputKeys.keys().next().value as string);
  outputKeys.set(id, out);
  return out.slice();
}

/** A party's share of the child key (a new object; the caller wipes it with the root share after signing). */
export function deriveChildShare(share: SecretShare, child: ChildKey): SecretShare {
  return tweakSecret(share, child.tweak);
}

/** BIP-32 version bytes: xpub on mainnet, tpub on the test networks. */
const VERSIONS = {
  mainnet: { private: 0x0488ade4, public: 0x0488b21e },
  test: { private: 0x04358394, public: 0x043587cf },
};

/** The wallet's root extended public key (for `tr(xpub/0/*)` descriptors and watch-only coordinators). */
export function extendedPublicKey(root: GroupKey, network: 'mainnet' | 'testnet' | 'signet' | 'regtest'): string {
  const versions = network === 'mainnet' ? VERSIONS.mainnet : VERSIONS.test;
  return new HDKey({ versions, publicKey: concatBytes(Uint8Array.of(0x02), root.internalKey), chainCode: root.chainCode, depth: 0, index: 0, parentFingerprint: 0 })
    .publicExtendedKey;
}
