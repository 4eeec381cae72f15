// `custos demo --json` from a fresh process: the whole custody flow ends in one JSON object whose transactions verify.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { SigHash, Transaction } from '@scure/btc-signer';
import { describe, expect, it } from 'vitest';
import { hasValidChecksum } from '../../crypto/bitcoin';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface DemoOutput {
  network: string;
  wallet: { threshold: number; parties: number; groupKey: string; descriptor: string };
  address: string;
  transfers: { hex: string; txid: string; prevouts: { txid: string; vout: number; amount: number; scriptPubKey: string }[] }[];
  refused: { requestId: string; reason: string }[];
  audit: { entries: number; chainValid: boolean };
}

describe('custos demo', () => {
  it('runs the custody flow headless and prints verifiable transactions', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'demo', '--json'], { cwd: repo, timeout: 240_000, maxBuffer: 20_000_000 });
    const out = JSON.parse(stdout) as DemoOutput;
    expect(out).toMatchObject({ network: 'regtest', wallet: { threshold: 2, parties: 3 }, audit: { chainValid: true } });
    expect(out.address).toMatch(/^bcrt1p/);
    expect(hasValidChecksum(out.wallet.descriptor)).toBe(true);
    expect(out.transfers).toHaveLength(2);
    expect(out.refused).toEqual([{ requestId: expect.any(String), reason: expect.stringMatching(/velocity/) }]);
    // Each steps' screens were printed as they went.
    expect(stderr).toMatch(/== 1\. Genesis[\s\S]*== 10\. The audit chain/);
    expect(stderr).toMatch(/APPROVE transfer/);
    for (const t of out.transfers) {
      const tx = Transaction.fromRaw(hexToBytes(t.hex), { allowUnknownOutputs: true });
      expect(tx.id).toBe(t.txid);
      const scripts = t.prevouts.map((p) => hexToBytes(p.scriptPubKey));
      const amounts = t.prevouts.map((p) => BigInt(p.amount));
      for (let i = 0; i < tx.inputsLength; i++) {
        const sig = tx.getInput(i).finalScriptWitness![0]!;
        expect(schnorr.verify(sig, tx.preimageWitnessV1(i, scripts, SigHash.DEFAULT, amounts), scripts[i]!.subarray(2))).toBe(true);
      }
    }
    // The second transfer spends the first one's change: the chain of coins holds together.
    expect(out.transfers[1]!.prevouts[0]!.txid).toBe(out.transfers[0]!.txid);
  }, 300_000);
});
