// Bench row: a device statement's signature verified as replay does it, against noble's raw verify on the same inputs.
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { personalMessageHash } from '../../crypto/ethereum';
import { renderStatement, verifyStatement, type TransferDecisionStatement } from '../../crypto/statements';
import { device } from '../crypto/fixtures';
import type { Row } from './row';

/** Issue 11: statements verify at least this many times faster than noble's secp256k1.verify, per core. */
const TARGET_SPEEDUP = 2;
const SLICES = 10;
const SLICE_MS = 150;

interface Sample {
  statement: TransferDecisionStatement;
  signature: string;
  address: string;
  hash: Uint8Array;
  compact: Uint8Array;
  publicKey: Uint8Array;
}

/** A few device keys signing many statements, as a vault's approvers do: each sample is one approval of one request. */
function samples(keys = 4, perKey = 32): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k < keys; k++) {
    const signer = device(k);
    const publicKey = secp256k1.Point.fromBytes(hexToBytes(signer.publicKey.slice(2))).toBytes(false);
    for (let i = 0; i < perKey; i++) {
      const seq = 1000 + k * perKey + i;
      const statement: TransferDecisionStatement = {
        kind: 'transfer-approval',
        vaultId: 'vault-bench',
        vaultName: 'Bench Treasury',
        seq,
        requestId: `req-${seq}`,
        walletName: 'Cold BTC',
        asset: 'BTC',
        decimals: 8,
        amount: 1_000_000n + BigInt(seq),
        fee: 1_250n,
        destination: 'bcrt1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr',
        policyVersion: 3,
        policyHash: '0x' + 'ab'.repeat(32),
        digest: '0x' + seq.toString(16).padStart(64, '0'),
      };
      const signature = signer.sign(statement);
      const rsv = hexToBytes(signature.slice(2));
      out.push({ statement, signature, address: signer.address, hash: personalMessageHash(renderStatement(statement)), compact: rsv.subarray(0, 64), publicKey });
    }
  }
  return out;
}

/** Operations per second of `op` over the samples, round-robin, for about `ms`. */
function slice(list: Sample[], op: (s: Sample) => boolean, ms: number): number {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    if (!op(list[ops % list.length] as Sample)) throw new Error('bench: a signature did not verify');
    ops += 1;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export function statementVerification(slices = SLICES, sliceMs = SLICE_MS): Row {
  const list = samples();
  const custosOp = (s: Sample) => verifyStatement(s.statement, s.signature, s.address);
  const floorOp = (s: Sample) => secp256k1.verify(s.compact, s.hash, s.publicKey, { prehash: false });
  // Warm both paths (JIT, the WASM module, noble's precomputed base-point tables) before anything is counted.
  slice(list, custosOp, sliceMs);
  slice(list, floorOp, sliceMs);
  const custos: number[] = [];
  const floor: number[] = [];
  // Alternating short slices: both sides see the same machine load, so the ratio holds even when the figures drift.
  for (let i = 0; i < slices; i++) {
    custos.push(slice(list, custosOp, sliceMs));
    floor.push(slice(list, floorOp, sliceMs));
  }
  const custosRate = median(custos);
  const floorRate = median(floor);
  const speedup = custosRate / floorRate;
  return {
    name: 'statement signature verified',
    unit: 'verifications/s',
    custos: custosRate,
    floor: floorRate,
    ratio: floorRate / custosRate,
    note:
      `verifyStatement (render, EIP-191 hash, libsecp256k1 recovery, address) vs floor noble secp256k1.verify on the same ` +
      `messages' hashes, signatures and public keys (${list.length} statements by 4 keys); medians of ${slices} alternating ` +
      `${sliceMs} ms slices each; speed-up ${speedup.toFixed(2)}× (target ≥ ${TARGET_SPEEDUP}×: ${speedup >= TARGET_SPEEDUP ? 'met' : 'NOT met'})`,
  };
}
