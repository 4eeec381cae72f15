// Share sealing: round trip through the device's raw X25519 secret, and any altered byte or context refused.
import { x25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SealError, decodeSealed, encodeSealed, open, openWithPrivateKey, seal } from '../../crypto/sealing.js';
import type { SealContext } from '../../crypto/sealing.js';
import { rngFor } from './helpers.js';

const device = x25519.keygen(new Uint8Array(32).fill(3));
const ctx: SealContext = { walletId: 'wallet-1', partyId: '01'.padStart(64, '0'), keyVersion: 2 };
const share = new Uint8Array(32).map((_, i) => i + 1);

describe('sealing', () => {
  it('opens with the ECDH secret a device computes for the ephemeral key (raw X25519, as EIP-1024)', () => {
    const box = seal(device.publicKey, share, ctx, rngFor('seal'));
    const deviceSecret = x25519.getSharedSecret(device.secretKey, box.ephemeralPublicKey);
    expect(open(deviceSecret, box, ctx)).toEqual(share);
    expect(openWithPrivateKey(device.secretKey, decodeSealed(encodeSealed(box)), ctx)).toEqual(share);
  });

  it('round-trips any plaintext and context (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ minLength: 1 }), fc.nat(0xffffffff), fc.nat(), (pt, wallet, version, seed) => {
        const c = { walletId: wallet, partyId: 'p', keyVersion: version };
        const box = seal(device.publicKey, pt, c, rngFor('prop' + seed));
        expect(openWithPrivateKey(device.secretKey, box, c)).toEqual(pt);
      }),
      { numRuns: 50 },
    );
  });

  it('uses a fresh ephemeral key for every seal', () => {
    const rng = rngFor('fresh');
    const a = seal(device.publicKey, share, ctx, rng);
    const b = seal(device.publicKey, share, ctx, rng);
    expect(a.ephemeralPublicKey).not.toEqual(b.ephemeralPublicKey);
    expect(a.ciphertext).not.toEqual(b.ciphertext);
  });

  it('refuses a box with any byte altered', () => {
    const bytes = encodeSealed(seal(device.publicKey, share, ctx, rngFor('tamper')));
    for (let i = 0; i < bytes.length; i++) {
      const t = bytes.slice();
      t[i]! ^= 0x01;
      expect(() => openWithPrivateKey(device.secretKey, decodeSealed(t), ctx), `byte ${i}`).toThrow();
    }
    expect(() => decodeSealed(bytes.slice(0, 80))).toThrow(SealError);
  });

  it('refuses another wallet, party, key version or device', () => {
    const box = seal(device.publicKey, share, ctx, rngFor('ctx'));
    for (const other of [
      { ...ctx, walletId: 'wallet-2' },
      { ...ctx, partyId: '02'.padStart(64, '0') },
      { ...ctx, keyVersion: 3 },
    ])
      expect(() => openWithPrivateKey(device.secretKey, box, other)).toThrow(/does not open/);
    const stranger = x25519.keygen(new Uint8Array(32).fill(4));
    expect(() => openWithPrivateKey(stranger.secretKey, box, ctx)).toThrow(SealError);
  });

  it('refuses an all-zero shared secret (a low-order key)', () => {
    const box = seal(device.publicKey, share, ctx, rngFor('zero'));
    expect(() => open(new Uint8Array(32), box, ctx)).toThrow(/all zeros/);
  });

  it('checks its arguments', () => {
    expect(() => seal(new Uint8Array(31), share, ctx, rngFor('a'))).toThrow(/32 bytes/);
    expect(() => seal(device.publicKey, share, { ...ctx, keyVersion: -1 }, rngFor('a'))).toThrow(/keyVersion/);
    expect(() => seal(device.publicKey, share, { ...ctx, walletId: '' }, rngFor('a'))).toThrow(/walletId/);
  });
});
