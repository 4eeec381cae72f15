// Bytes, identifiers and the wallet's group key as they travel between main and the MPC host: lowercase hex of checked length.
import { z } from 'zod';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { Fn, Point, idToScalar, parsePoint, sameBytes, taprootOutputPoint, xOnly } from '../../crypto/frost/curve';
import type { GroupKey, PartyId } from '../../crypto/frost/types';

/** Most parties a key may have on this protocol (67-of-100 is the largest tested shape). */
export const MAX_PARTIES = 255;

/**
 * A sealed 32-byte share is always this long (crypto/sealing format v1): version(1) ‖ ephemeral key(32) ‖
 * recipient key(32) ‖ nonce(24) ‖ ciphertext(32) ‖ tag(16). Fixing it lets the schema refuse anything else outright.
 */
export const SEALED_SHARE_BYTES = 1 + 32 + 32 + 24 + 32 + 16;

/** A byte string of exactly `n` bytes, as lowercase hex. */
export const hexBytes = (n: number) =>
  z
    .string()
    .regex(/^[0-9a-f]*$/, 'must be lowercase hex')
    .length(2 * n, `must be ${n} bytes (${2 * n} lowercase hex digits)`);

export const hex32 = hexBytes(32);
export const hex33 = hexBytes(33);
export const hex64 = hexBytes(64);
export const sealedHex = hexBytes(SEALED_SHARE_BYTES);

const ORDER = Fn.ORDER;

/** noble's identifier: a canonical (below the group order), non-zero scalar in 64 lowercase hex digits. */
export const partyIdSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be a party id (64 lowercase hex digits)')
  .refine((s) => {
    const x = BigInt('0x' + s);
    return x > 0n && x < ORDER;
  }, 'is not a canonical non-zero party id');

/** Ids main picks for ceremonies and wallets: short, printable, safe to echo in messages and logs. */
export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'must be 1 to 128 characters: letters, digits and . _ : / - (not first)');

export const keyVersionSchema = z.number().int().min(1).max(0xffffffff);

export const toHex = (b: Uint8Array): string => bytesToHex(b);
export const fromHex = (h: string): Uint8Array => hexToBytes(h);

// ---------------------------------------------------------------------------------------------------
// The group key

/** The JSON form of crypto/frost's GroupKey. Structure is checked here; the curve checks are in groupKeyFromWire. */
export const groupKeyWire = z
  .object({
    threshold: z.number().int().min(2).max(MAX_PARTIES),
    parties: z.array(partyIdSchema).min(2).max(MAX_PARTIES),
    publicPackage: z
      .object({
        signers: z.object({ min: z.number().int(), max: z.number().int() }).strict(),
        commitments: z.array(hex33).min(2).max(MAX_PARTIES),
        verifyingShares: z.record(partyIdSchema, hex33),
      })
      .strict(),
    internalKey: hex32,
    outputKey: hex32,
    chainCode: hex32,
  })
  .strict()
  .superRefine((k, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const n = k.parties.length;
    if (new Set(k.parties).size !== n) issue(['parties'], 'names a party twice');
    if (k.threshold > n) issue(['threshold'], `${k.threshold} is more than the ${n} parties`);
    const { signers, commitments, verifyingShares } = k.publicPackage;
    if (signers.min !== k.threshold || signers.max !== n)
      issue(['publicPackage', 'signers'], `must be { min: ${k.threshold}, max: ${n} } (the threshold and the number of parties)`);
    if (commitments.length !== k.threshold)
      issue(['publicPackage', 'commitments'], `has ${commitments.length} entries; a threshold of ${k.threshold} needs ${k.threshold}`);
    const keys = Object.keys(verifyingShares);
    if (keys.length !== n || !k.parties.every((p) => Object.hasOwn(verifyingShares, p)))
      issue(['publicPackage', 'verifyingShares'], 'must hold exactly one verifying share per party');
  });

export type GroupKeyWire = z.infer<typeof groupKeyWire>;

/** A group key that does not hold together: the message says what, in plain words. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

export function groupKeyToWire(key: GroupKey): GroupKeyWire {
  const pub = key.publicPackage;
  return {
    threshold: key.threshold,
    parties: [...key.parties],
    publicPackage: {
      signers: { min: pub.signers.min, max: pub.signers.max },
      commitments: pub.commitments.map(toHex),
      // In party order, so that two equal keys have equal JSON.
      verifyingShares: Object.fromEntries(key.parties.map((p) => [p, toHex(pub.verifyingShares[p] as Uint8Array)])),
    },
    internalKey: toHex(key.internalKey),
    outputKey: toHex(key.outputKey),
    chainCode: toHex(key.chainCode),
  };
}

/**
 * Parses a group key and checks that it holds together, so that neither side acts on a key the other could not have
 * made: every point on the curve, the output key the Taproot tweak of the internal key and the x of commitments[0],
 * and every verifying share the committed polynomial's value at its party (one batched check).
 */
export function groupKeyFromWire(raw: unknown, what = 'group key'): GroupKey {
  const parsed = groupKeyWire.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new WireError(`the ${what} is malformed: ${i ? `${i.path.join('.') || '(key)'}: ${i.message}` : 'unknown reason'}`);
  }
  const w = parsed.data;
  const fail = (reason: string): never => {
    throw new WireError(`the ${what} does not hold together: ${reason}`);
  };
  const point = (hex: string, where: string) => {
    try {
      return parsePoint(fromHex(hex));
    } catch {
      return fail(`${where} is not a point of secp256k1`);
    }
  };
  const commitments = w.publicPackage.commitments.map((c, i) => point(c, `commitments[${i}]`));
  const shares = w.parties.map((p) => point(w.publicPackage.verifyingShares[p] as string, `the verifying share of party ${p}`));
  const internalKey = fromHex(w.internalKey);
  const outputKey = fromHex(w.outputKey);
  if (!sameBytes(xOnly(commitments[0] as Point), outputKey)) fail('the output key is not the x of commitments[0]');
  let tweaked: Uint8Array;
  try {
    tweaked = xOnly(taprootOutputPoint(internalKey));
  } catch {
    return fail('the internal key is not the x of a secp256k1 point');
  }
  if (!sameBytes(tweaked, outputKey)) fail('the output key is not the Taproot tweak of the internal key');
  if (!verifyingSharesMatch(commitments, w.parties, shares)) fail('the verifying shares do not lie on the committed polynomial');
  return {
    threshold: w.threshold,
    parties: [...w.parties],
    publicPackage: {
      signers: { min: w.publicPackage.signers.min, max: w.publicPackage.signers.max },
      commitments: w.publicPackage.commitments.map(fromHex),
      verifyingShares: Object.fromEntries(w.parties.map((p) => [p, fromHex(w.publicPackage.verifyingShares[p] as string)])),
    },
    internalKey,
    outputKey,
    chainCode: fromHex(w.chainCode),
  };
}

/**
 * Σ r_j·Y_j == Σ_k (Σ_j r_j·x_j^k)·C_k with weights r_j hashed from the whole package: one check of n + t point
 * multiplications instead of n·t, and a forger would have to pick the shares before knowing the weights they set.
 */
function verifyingSharesMatch(commitments: Point[], parties: PartyId[], shares: Point[]): boolean {
  const seed = sha256(concatBytes(utf8ToBytes('custos/verifying-shares/v1'), ...commitments.map((c) => c.toBytes(true)), ...shares.map((s) => s.toBytes(true))));
  const coeff = commitments.map(() => Fn.ZERO);
  let left = Point.ZERO;
  parties.forEach((p, j) => {
    const r = Fn.create(bytesToNumberBE(sha256(concatBytes(seed, fromHex(p)))));
    left = left.add((shares[j] as Point).multiplyUnsafe(r));
    const x = idToScalar(p);
    let pow = r;
    for (let k = 0; k < coeff.length; k++) {
      coeff[k] = Fn.add(coeff[k] as bigint, pow);
      pow = Fn.mul(pow, x);
    }
  });
  let right = Point.ZERO;
  commitments.forEach((c, k) => {
    const w = coeff[k] as bigint;
    if (w !== 0n) right = right.add(c.multiplyUnsafe(w));
  });
  return left.equals(right);
}

// ---------------------------------------------------------------------------------------------------
// Sealed shares

export const sealedShareWire = z.object({ partyId: partyIdSchema, sealed: sealedHex }).strict();
export type SealedShareWire = z.infer<typeof sealedShareWire>;

/** A share sealed to its custodian's device (crypto/sealing encodeSealed bytes). */
export type SealedShare = { partyId: PartyId; sealed: Uint8Array };

export const sealedShareToWire = (s: SealedShare): SealedShareWire => ({ partyId: s.partyId, sealed: toHex(s.sealed) });
export const sealedShareFromWire = (w: SealedShareWire): SealedShare => ({ partyId: w.partyId, sealed: fromHex(w.sealed) });
