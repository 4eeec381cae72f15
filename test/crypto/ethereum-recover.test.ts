// personal_sign verification through libsecp256k1 (tiny-secp256k1) agrees with noble's recovery on good and bad signatures.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { addressOfPublicKey, personalMessageHash, recoverPersonalSigner, verifyPersonalSignature } from '../../crypto/ethereum.js';

const N = secp256k1.Point.CURVE().n;
const RUNS = { numRuns: 60 };

/** What verifyPersonalSignature did before libsecp256k1, on noble alone: the reference the new path must match. */
function referenceRecover(message: Uint8Array | string, signature: Uint8Array): string {
  if (signature.length !== 65) throw new Error('length');
  const v = signature[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new Error('v');
  const sig = secp256k1.Signature.fromBytes(signature.subarray(0, 64), 'compact').addRecoveryBit(recovery);
  return addressOfPublicKey(sig.recoverPublicKey(personalMessageHash(message)).toBytes(false));
}

function referenceVerify(message: Uint8Array | string, signature: Uint8Array, address: string): boolean {
  try {
    if (signature.length === 65 && secp256k1.Signature.fromBytes(signature.subarray(0, 64), 'compact').hasHighS()) return false;
    return referenceRecover(message, signature).toLowerCase() === address.toLowerCase();
  } catch {
    return false;
  }
}

/** The recovered address, or 'throws': recoverPersonalSigner must throw exactly where noble did. */
function outcome(recover: () => string): string {
  try {
    return recover();
  } catch {
    return 'throws';
  }
}

function expectSameAsReference(message: Uint8Array | string, signature: Uint8Array, address: string): boolean {
  const verified = verifyPersonalSignature(message, signature, address);
  expect(verified).toBe(referenceVerify(message, signature, address));
  expect(outcome(() => recoverPersonalSigner(message, signature))).toBe(outcome(() => referenceRecover(message, signature)));
  return verified;
}

const secretKey = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .filter((k) => secp256k1.utils.isValidSecretKey(k));
const message = fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }));
const vStyle = fc.constantFrom(0, 27);

interface Signed {
  key: Uint8Array;
  address: string;
  message: Uint8Array | string;
  signature: Uint8Array;
}

const signed = fc.record({ key: secretKey, message, vBase: vStyle }).map(({ key, message, vBase }): Signed => {
  const recovered = secp256k1.sign(personalMessageHash(message), key, { prehash: false, format: 'recovered' });
  const signature = new Uint8Array(65);
  signature.set(recovered.subarray(1, 65), 0);
  signature[64] = vBase + (recovered[0] as number);
  return { key, address: addressOfPublicKey(secp256k1.getPublicKey(key, false)), message, signature };
});

const toBytes32 = (x: bigint) => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
const withPart = (signature: Uint8Array, offset: 0 | 32, value: Uint8Array) => {
  const out = Uint8Array.from(signature);
  out.set(value, offset);
  return out;
};
/** 27 ↔ 28 or 0 ↔ 1: the other recovery id, in the same style. */
const flipV = (v: number) => (v >= 27 ? 55 - v : 1 - v);
const flipBit = (bytes: Uint8Array, bit: number) => {
  const out = Uint8Array.from(bytes);
  out[bit >> 3] = (out[bit >> 3] as number) ^ (1 << (bit & 7));
  return out;
};

describe('personal_sign verification (libsecp256k1 recovery)', () => {
  it('accepts the signer of a message, in any letter case of its address, as noble does', () => {
    fc.assert(
      fc.property(signed, ({ address, message, signature }) => {
        expect(expectSameAsReference(message, signature, address)).toBe(true);
        expect(expectSameAsReference(message, signature, address.toLowerCase())).toBe(true);
        expect(recoverPersonalSigner(message, signature)).toBe(address);
      }),
      RUNS,
    );
  });

  it('refuses the signature for another key', () => {
    fc.assert(
      fc.property(signed, secretKey, ({ key, message, signature }, other) => {
        fc.pre(bytesDiffer(key, other));
        expect(expectSameAsReference(message, signature, addressOfPublicKey(secp256k1.getPublicKey(other, false)))).toBe(false);
      }),
      RUNS,
    );
  });

  it('refuses a signature with one bit flipped in r or s', () => {
    fc.assert(
      fc.property(signed, fc.integer({ min: 0, max: 511 }), ({ address, message, signature }, bit) => {
        expect(expectSameAsReference(message, flipBit(signature, bit), address)).toBe(false);
      }),
      RUNS,
    );
  });

  it('refuses a signature over a message with one bit flipped or a byte added', () => {
    fc.assert(
      fc.property(signed, fc.nat(), ({ address, message, signature }, at) => {
        const bytes = typeof message === 'string' ? utf8ToBytes(message) : message;
        const changed = bytes.length === 0 ? Uint8Array.of(at & 0xff) : flipBit(bytes, at % (bytes.length * 8));
        expect(expectSameAsReference(changed, signature, address)).toBe(false);
      }),
      RUNS,
    );
  });

  it('refuses a signature whose v is flipped (another key recovers) and one whose v is out of range', () => {
    fc.assert(
      fc.property(
        signed,
        fc.integer({ min: 0, max: 255 }).filter((v) => ![0, 1, 27, 28].includes(v)),
        ({ address, message, signature }, badV) => {
          const flipped = Uint8Array.from(signature);
          flipped[64] = flipV(signature[64] as number);
          expect(expectSameAsReference(message, flipped, address)).toBe(false);
          const outOfRange = Uint8Array.from(signature);
          outOfRange[64] = badV;
          expect(expectSameAsReference(message, outOfRange, address)).toBe(false);
          expect(() => recoverPersonalSigner(message, outOfRange)).toThrow(/v byte/);
        },
      ),
      RUNS,
    );
  });

  it('refuses the high-S twin of a good signature, although the same signer recovers from it', () => {
    fc.assert(
      fc.property(signed, ({ address, message, signature }) => {
        const s = BigInt('0x' + Buffer.from(signature.subarray(32, 64)).toString('hex'));
        const twin = withPart(signature, 32, toBytes32(N - s));
        twin[64] = flipV(signature[64] as number);
        expect(expectSameAsReference(message, twin, address)).toBe(false);
        expect(recoverPersonalSigner(message, twin)).toBe(address);
      }),
      RUNS,
    );
  });

  it('refuses r or s equal to 0, to n, or above n', () => {
    const above = fc.bigInt({ min: N, max: 2n ** 256n - 1n });
    fc.assert(
      fc.property(signed, fc.constantFrom<0 | 32>(0, 32), fc.oneof(fc.constant(0n), fc.constant(N), above), ({ address, message, signature }, offset, value) => {
        const bad = withPart(signature, offset, toBytes32(value));
        expect(expectSameAsReference(message, bad, address)).toBe(false);
        expect(() => recoverPersonalSigner(message, bad)).toThrow();
      }),
      RUNS,
    );
  });

  it('refuses a signature of the wrong length with the length in its message', () => {
    fc.assert(
      fc.property(signed, fc.integer({ min: 0, max: 130 }).filter((n) => n !== 65), ({ address, message, signature }, length) => {
        const bad = new Uint8Array(length);
        bad.set(signature.subarray(0, Math.min(length, 65)));
        expect(expectSameAsReference(message, bad, address)).toBe(false);
        expect(() => recoverPersonalSigner(message, bad)).toThrow(`got ${length}`);
      }),
      RUNS,
    );
  });

  it('agrees with noble on arbitrary 65-byte signatures (most are no signature at all)', () => {
    fc.assert(
      fc.property(message, fc.uint8Array({ minLength: 64, maxLength: 64 }), vStyle, fc.integer({ min: 0, max: 1 }), (m, rs, base, bit) => {
        const signature = new Uint8Array(65);
        signature.set(rs, 0);
        signature[64] = base + bit;
        const recovered = outcome(() => referenceRecover(m, signature));
        expectSameAsReference(m, signature, recovered === 'throws' ? '0x' + '00'.repeat(20) : recovered);
      }),
      { numRuns: 200 },
    );
  });
});

function bytesDiffer(a: Uint8Array, b: Uint8Array): boolean {
  return a.some((x, i) => x !== b[i]);
}
