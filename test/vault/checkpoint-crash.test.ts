// A writer SIGKILLed while it commits records and checkpoints: nothing committed is lost, nothing half-written is trusted.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/store';
import { headOf } from '../../main/store/log-head';
import { openCheckpoint } from '../../main/vault/checkpoint';
import { foundedVault, harness, type Harness } from './helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

/**
 * Starts the writer, SIGKILLs it `delayMs` after its first commit (so a loaded machine still kills it mid-way, not
 * before it wrote anything); resolves with the last seq it reported committed.
 */
function killWriter(dataDir: string, delayMs: number): Promise<{ committed: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, 'fixtures/checkpoint-writer.ts'), [dataDir], { cwd: repo, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let committed = -1;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('message', (m: { committed?: number }) => {
      if (m.committed === undefined) return;
      if (committed < 0) setTimeout(() => child.kill('SIGKILL'), delayMs);
      committed = m.committed;
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve({ committed });
      else reject(new Error(`the writer stopped on its own: ${stderr}`));
    });
  });
}

describe('a crash while the checkpoint is written', () => {
  let h: Harness | null = null;
  afterAll(async () => {
    await h?.close();
  });

  it('SIGKILL mid-way, four times: status ok, the checkpoint verifies, no committed record lost', async () => {
    h = harness();
    await foundedVault(h);
    h.vault.close();
    h.store.close();
    let reported = -1;
    for (let i = 0; i < 4; i++) {
      const { committed } = await killWriter(h.dir, Math.floor(Math.random() * 800));
      reported = Math.max(reported, committed);
      const db = new Database(path.join(h.dir, DATABASE_FILE));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
      h.reopen();
      // Every record the writer said it committed is there, with its audit entry.
      const records = h.store.records.all();
      expect(records.length).toBeGreaterThan(reported);
      expect(h.store.audit.count()).toBe(records.length);
      const checkpoint = h.store.checkpoint.get();
      if (checkpoint !== null) {
        // A checkpoint is only ever one the commit that wrote it completed: its state, its log and its audit head hold.
        const fingerprints = new Map<number, string>();
        records.forEach((r, n) => fingerprints.set(r.seq, headOf(records.slice(0, n + 1)).fingerprint));
        expect(openCheckpoint(checkpoint, { count: records.length, fingerprintAt: (seq) => fingerprints.get(seq) }).problems).toEqual([]);
        expect(checkpoint.seq).toBeGreaterThanOrEqual(records.length - 2);
      }
      const status = h.vault.status().vault?.integrity;
      expect(status?.problems).toEqual([]);
      expect(status?.replay?.from).toBe(checkpoint === null ? 'genesis' : 'checkpoint');
      // And a full replay from genesis agrees (the checkpoint is the replay at its seq).
      expect(h.vault.verify().problems).toEqual([]);
      h.vault.close();
      h.store.close();
    }
    expect(reported).toBeGreaterThan(3);
    h.reopen();
  }, 180_000);
});
