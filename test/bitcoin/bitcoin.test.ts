// Taproot addresses, descriptors (BIP-380 checksum, BIP-386 vector) and FROST-signed PSBTs checked independently.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { beforeAll, describe, expect, it } from 'vitest';
import { BITCOIN_NETWORKS, networkParams, taprootAddress, taprootPayment, taprootScript } from '../../crypto/bitcoin/address.js';
import { descriptorChecksum, hasValidChecksum, taprootDescriptor, withChecksum } from '../../crypto/bitcoin/descriptor.js';
import { buildSend, insertTaprootSignatures, taprootSighashes } from '../../crypto/bitcoin/psbt.js';
import { ids, runDkg, runSigning } from '../frost/helpers.js';
import type { DkgRun } from '../frost/helpers.js';

const le32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const le64 = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};
const compact = (n: number): Uint8Array => {
  if (n >= 0xfd) throw new Error('test helper handles short scripts only');
  return Uint8Array.of(n);
};

describe('descriptors', () => {
  it('computes BIP-380 checksums of known descriptors', () => {
    expect(descriptorChecksum('raw(deadbeef)')).toBe('89f8spxm');
    expect(descriptorChecksum('addr(mkmZxiEcEd8ZqjQWVZuC6so5dFMKEFpN2j)')).toBe('02wpgw69');
    expect(
      descriptorChecksum(
        "sh(multi(2,[00000000/111'/222]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL,xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0))",
      ),
    ).toBe('tjg09x5t');
    expect(hasValidChecksum('raw(deadbeef)#89f8spxm')).toBe(true);
    expect(hasValidChecksum('raw(deadbeef)#89f8spxn')).toBe(false);
    expect(hasValidChecksum('raw(deadbeee)#89f8spxm')).toBe(false);
    expect(() => descriptorChecksum('raw(é)')).toThrow(/BIP-380/);
  });

  it('matches the BIP-386 tr() vector: descriptor, checksum and output script', () => {
    const key = hexToBytes('a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd');
    expect(taprootDescriptor(key)).toBe('tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)#dh4fyxrd');
    expect(bytesToHex(taprootPayment(key, 'mainnet').script)).toBe('512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11');
    expect(withChecksum('tr(x)')).toMatch(/^tr\(x\)#[a-z0-9]{8}$/);
  });
});

describe('addresses', () => {
  let run: DkgRun;
  beforeAll(() => {
    run = runDkg(2, 3, { ceremonyId: 'btc-wallet' });
  });

  it('gives a P2TR address per network whose output key is the FROST group key', () => {
    const prefixes = { mainnet: 'bc1p', testnet: 'tb1p', signet: 'tb1p', regtest: 'bcrt1p' } as const;
    for (const net of BITCOIN_NETWORKS) {
      const addr = taprootAddress(run.groupKey.internalKey, net, run.groupKey.outputKey);
      expect(addr.startsWith(prefixes[net])).toBe(true);
      const decoded = Address(networkParams(net)).decode(addr);
      expect(decoded).toEqual({ type: 'tr', pubkey: run.groupKey.outputKey });
    }
    expect(() => taprootAddress(run.groupKey.internalKey, 'mainnet', run.groupKey.internalKey)).toThrow(/tweak/);
  });

  it('builds, signs by FROST and finalises a send; the sighash and signature check out independently', () => {
    const gk = run.groupKey;
    const utxo = { txid: 'aa'.repeat(32), vout: 1, amount: 100_000n, internalKey: gk.internalKey, outputKey: gk.outputKey };
    const dest = taprootAddress(hexToBytes('a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd'), 'regtest');
    const { psbt, fee, changeAmount } = buildSend({ utxos: [utxo], payments: [{ address: dest, amount: 40_000n }], change: gk, feeRate: 2n, network: 'regtest' });
    expect(fee).toBe(2n * (11n + 58n + 43n * 2n));
    expect(changeAmount).toBe(100_000n - 40_000n - fee);

    const toSign = taprootSighashes(psbt, [gk.outputKey]);
    expect(toSign).toHaveLength(1);

    // Second path: the BIP-341 signature message rebuilt by hand from the spec (SIGHASH_DEFAULT, key path, no annex).
    const tx = Transaction.fromPSBT(psbt);
    const outs = [0, 1].map((i) => tx.getOutput(i));
    const sigMsg = concatBytes(
      Uint8Array.of(0x00, 0x00), // epoch, hash_type
      le32(2), le32(0), // version, locktime
      sha256(concatBytes(hexToBytes(utxo.txid).reverse(), le32(utxo.vout))),
      sha256(le64(utxo.amount)),
      sha256(concatBytes(compact(34), taprootScript(gk.outputKey))),
      sha256(le32(0xffffffff)),
      sha256(concatBytes(...outs.map((o) => concatBytes(le64(o.amount!), compact(o.script!.length), o.script!)))),
      Uint8Array.of(0x00), // spend_type: key path, no annex
      le32(0),
    );
    expect(bytesToHex(toSign[0]!.sighash)).toBe(bytesToHex(schnorr.utils.taggedHash('TapSighash', sigMsg)));

    const states = runSigning(gk.publicPackage, run.shares, ids(3).slice(0, 2), [toSign[0]!.sighash], { sessionId: 'psbt' });
    const sig = states.get('coordinator')!.public.signatures![0]!;
    expect(schnorr.verify(sig, toSign[0]!.sighash, gk.outputKey)).toBe(true);

    expect(() => insertTaprootSignatures(psbt, [{ index: 0, signature: sig.map((b, i) => (i === 63 ? b ^ 1 : b)) }], [gk.outputKey])).toThrow(/does not verify/);
    const done = insertTaprootSignatures(psbt, [{ index: 0, signature: sig }], [gk.outputKey]);
    expect(done.tx).not.toBeNull();
    // The final transaction carries the signature as the input's only witness item.
    const final = Transaction.fromRaw(done.tx!);
    expect(final.getInput(0).finalScriptWitness).toEqual([sig]);
    expect(OutScript.decode(final.getOutput(1).script!)).toEqual({ type: 'tr', pubkey: gk.outputKey });
    expect(done.txid).toBe(final.id);
  });

  it('refuses sends it cannot pay and PSBT inputs without their previous output', () => {
    const gk = run.groupKey;
    const utxo = { txid: 'bb'.repeat(32), vout: 0, amount: 1_000n, internalKey: gk.internalKey, outputKey: gk.outputKey };
    const dest = taprootAddress(gk.internalKey, 'regtest');
    expect(() => buildSend({ utxos: [utxo], payments: [{ address: dest, amount: 900n }], change: gk, feeRate: 5n, network: 'regtest' })).toThrow(/insufficient/);
    const tx = new Transaction();
    tx.addInput({ txid: 'cc'.repeat(32), index: 0 });
    tx.addOutput({ script: taprootScript(gk.outputKey), amount: 500n });
    expect(() => taprootSighashes(tx.toPSBT(), [gk.outputKey])).toThrow(/witnessUtxo/);
  });
});
