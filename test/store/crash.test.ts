// A writer process SIGKILLed at random points, several times, leaves a consistent vault: integrity ok, chain valid, projections = replay.
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/store';
import { foundedVault, harness, type Harness } from '../vault/helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

/**
 * Starts the writer, waits until it has finished `afterRounds` rounds (0: until it is ready to write), then `delayMs`
 * more, then SIGKILLs it. Waiting on what the writer reports, not on a clock, keeps a slow start on a loaded machine
 * from landing every kill before the first write.
 */
function killWriter(dataDir: string, afterRounds: number, delayMs: number): Promise<{ rounds: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, 'fixtures/writer.ts'), [dataDir], { cwd: repo, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let rounds = 0;
    let armed = false;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('message', (m: { ready?: boolean; round?: number }) => {
      if (m.round !== undefined) rounds = m.round + 1;
      if (!armed && (m.ready || m.round !== undefined) && rounds >= afterRounds) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve({ rounds });
      else reject(new Error(`the writer stopped on its own: ${stderr}`));
    });
  });
}

const recordCount = (dataDir: string): number => {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('crash safety', () => {
  let h: Harness | null = null;
  afterAll(async () => {
    await h?.close();
  });

  // Five writer processes under tsx, each run to its first round: over 100 s on a loaded 2-core machine.
  it('SIGKILL in the middle of writes, five times, never leaves a half-written change', async () => {
    h = harness();
    await foundedVault(h);
    h.vault.close();
    h.store.close();
    for (let i = 0; i < 5; i++) {
      // Random points: the first kill anywhere from before the first commit on, the others once writes are under way.
      const afterRounds = i === 0 ? 0 : 1;
      const before = recordCount(h.dir);
      const { rounds } = await killWriter(h.dir, afterRounds, Math.floor(Math.random() * 600));
      // Every round the writer reported had committed (a proposal and an approval): it survives the kill.
      expect(recordCount(h.dir)).toBeGreaterThanOrEqual(before + 2 * rounds);
      const db = new Database(path.join(h.dir, DATABASE_FILE));
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      db.close();
      h.reopen();
      const report = h.vault.verify();
      expect(report.problems).toEqual([]);
      expect(h.vault.auditVerify().valid).toBe(true);
      // One record, one audit entry: a change is all there or not at all.
      expect(h.store.audit.count()).toBe(h.store.records.all().length);
    }
    // The vault still acts after the crashes.
    const p = await h.vault.proposeGroupCreate({ name: 'After the crashes', memberIds: [], deviceId: h.device.alice });
    expect(p.status).toBe('pending');
  }, 240_000);
});
