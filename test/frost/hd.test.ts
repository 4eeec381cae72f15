// HD derivation: child keys match @scure/bip32 + BIP-86 tweaking, and tweaked shares sign under the child key.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { p2tr } from '@scure/btc-signer';
import { HDKey } from '@scure/bip32';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { taprootAddress } from '../../crypto/bitcoin/address.js';
import { taprootHdDescriptor, hasValidChecksum } from '../../crypto/bitcoin/descriptor.js';
import { changePath, childOutputKey, deriveChildKey, deriveChildShare, extendedPublicKey, receivePath } from '../../crypto/frost/hd.js';
import type { PartyId, SecretShare } from '../../crypto/frost/types.js';
import { COORD, ids, runDkg, runSigning } from './helpers.js';
import type { DkgRun } from './helpers.js';

function childShares(run: DkgRun, child: ReturnType<typeof deriveChildKey>): Map<PartyId, SecretShare> {
  return new Map([...run.shares].map(([id, s]) => [id, deriveChildShare(s, child)]));
}

describe('HD derivation', () => {
  let run: DkgRun;
  beforeAll(() => {
    run = runDkg(3, 5, { ceremonyId: 'hd' });
  });

  it('derives the same child keys as @scure/bip32 from the wallet xpub, tweaked as BIP-86 does', () => {
    const xpub = HDKey.fromExtendedKey(extendedPublicKey(run.groupKey, 'mainnet'));
    expect(xpub.publicKey).toEqual(concatBytes(Uint8Array.of(2), run.groupKey.internalKey));
    fc.assert(
      fc.property(fc.array(fc.nat(0x7fffffff), { minLength: 0, maxLength: 4 }), (path) => {
        const child = deriveChildKey(run.groupKey, path);
        let ref = xpub;
        for (const i of path) ref = ref.deriveChild(i);
        expect(child.groupKey.internalKey).toEqual(ref.publicKey!.slice(1));
        expect(child.groupKey.chainCode).toEqual(ref.chainCode);
        expect(child.groupKey.outputKey).toEqual(p2tr(ref.publicKey!.slice(1)).tweakedPubkey);
      }),
      { numRuns: 30 },
    );
    // The empty path is the wallet itself.
    expect(deriveChildKey(run.groupKey, []).groupKey.outputKey).toEqual(run.groupKey.outputKey);
  });

  it('childOutputKey (addresses and replay) equals the output key of the full derivation and of @scure/bip32 + BIP-86, cached or not', () => {
    const xpub = HDKey.fromExtendedKey(extendedPublicKey(run.groupKey, 'mainnet'));
    fc.assert(
      fc.property(fc.array(fc.nat(0x7fffffff), { minLength: 0, maxLength: 4 }), (path) => {
        let ref = xpub;
        for (const i of path) ref = ref.deriveChild(i);
        const expected = p2tr(ref.publicKey!.slice(1)).tweakedPubkey;
        expect(childOutputKey(run.groupKey, path)).toEqual(deriveChildKey(run.groupKey, path).groupKey.outputKey);
        const again = childOutputKey(run.groupKey, path);
        expect(again).toEqual(expected);
        // A caller changing the bytes it got does not change what the cache answers next.
        again.fill(0);
        expect(childOutputKey(run.groupKey, path)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
    expect(() => childOutputKey(run.groupKey, [0x80000000])).toThrow(/non-hardened/);
  });

  it('tweaks shares and verifying shares so that t custodians sign under receive and change keys', () => {
    for (const path of [receivePath(0), receivePath(7), changePath(3), [5, 9, 2]]) {
      const child = deriveChildKey(run.groupKey, path);
      const shares = childShares(run, child);
      for (const s of shares.values()) schnorr_FROST.validateSecret(s, child.groupKey.publicPackage);
      const msg = new Uint8Array(32).fill(path.length + (path[1] ?? 0));
      const sig = runSigning(child.groupKey.publicPackage, shares, ids(5).slice(2), [msg], { sessionId: 'hd' + path.join('/') }).get(COORD)!.public.signatures![0]!;
      expect(schnorr.verify(sig, msg, child.groupKey.outputKey)).toBe(true);
      expect(schnorr.verify(sig, msg, run.groupKey.outputKey)).toBe(false);
    }
  });

  it('covers both parities of child internal keys', () => {
    const parities = new Set<boolean>();
    for (let i = 0; i < 12 && parities.size < 2; i++) parities.add(deriveChildKey(run.groupKey, receivePath(i)).tweak.negate);
    expect(parities.size).toBe(2);
  });

  it('exports a ranged descriptor whose addresses are the derived ones', () => {
    const xpub = extendedPublicKey(run.groupKey, 'regtest');
    expect(xpub.startsWith('tpub')).toBe(true);
    const desc = taprootHdDescriptor(xpub, 0);
    expect(desc).toMatch(/^tr\(tpub[1-9A-HJ-NP-Za-km-z]+\/0\/\*\)#[a-z0-9]{8}$/);
    expect(hasValidChecksum(desc)).toBe(true);
    const child = deriveChildKey(run.groupKey, receivePath(4));
    const ref = HDKey.fromExtendedKey(xpub, { private: 0x04358394, public: 0x043587cf }).deriveChild(0).deriveChild(4);
    expect(taprootAddress(child.groupKey.internalKey, 'regtest', child.groupKey.outputKey)).toBe(taprootAddress(ref.publicKey!.slice(1), 'regtest'));
  });

  it('refuses hardened indexes', () => {
    expect(() => deriveChildKey(run.groupKey, [0x80000000])).toThrow(/non-hardened/);
  });

  it('signs under a child key of a 7-of-10 wallet', () => {
    const big = runDkg(7, 10, { ceremonyId: 'hd-big' });
    const child = deriveChildKey(big.groupKey, changePath(12));
    const msg = new Uint8Array(32).fill(3);
    const sig = runSigning(child.groupKey.publicPackage, childShares(big, child), ids(10).slice(3), [msg], { sessionId: 'hd-big' }).get(COORD)!.public.signatures![0]!;
    expect(schnorr.verify(sig, msg, child.groupKey.outputKey)).toBe(true);
  });
});
