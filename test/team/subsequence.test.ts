// The vault's log is the valid subsequence of the stream, computed alike by every console: for any interleaving of a
// real log's records with junk a hostile writer sends (forgeries, copies, records out of place, garbage), consoles
// reading in different batch sizes end with the real log's head and refuse the same entries; junk never blocks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../crypto/canonical';
import { PLACEHOLDER_SIGNATURE, type GovernanceRecord } from '../../crypto/governance';
import { LOG_HEAD_FILE } from '../../main/store/log-head';
import type { LogReplication, ReplicatedEntry } from '../../main/vault/log-writer';
import { expectError } from '../vault/helpers';
import { foundVault, need, teamConsole, userIdOf, type TeamConsole } from './helpers';

/** The stream as a list (what the writer reads is its whole contract with the stream), read `batch` entries at a time. */
function streamOf(bodies: readonly string[], batch: number, genesis: LogReplication['genesis']): LogReplication {
  return {
    genesis,
    entriesAfter: (seq): Promise<ReplicatedEntry[]> => Promise.resolve(bodies.slice(seq, seq + batch).map((body, i) => ({ streamSeq: seq + 1 + i, body }))),
    append: () => Promise.reject(new Error('this stream is read only')),
  };
}

describe('the valid subsequence (property)', () => {
  let source: TeamConsole;
  let honest: string[];
  let pin: { vaultId: string; adminAddress: string };

  beforeAll(async () => {
    source = teamConsole('source', ['alice', 'bob', 'carol']);
    const p = await foundVault(source);
    pin = { vaultId: p.vaultId, adminAddress: p.genesisAddress };
    const me = userIdOf(source, 'Alice');
    for (let i = 0; i < 6; i++) await source.vault.proposeGroupCreate({ name: `Desk ${i}`, memberIds: [me], deviceId: need(source, 'alice') });
    honest = source.store.records.all().map((r) => r.body);
  });
  afterAll(async () => {
    await source?.close();
  });

  /** Junk made from the real records: each kind an attack the brief names. */
  const junk = (): fc.Arbitrary<string> =>
    fc.oneof(
      fc.constantFrom('{', 'null', '[]', '"record"', '{"seq":-1}', '{"type":"proposal","seq":3}'),
      fc.nat({ max: 9 }).map((i) => honest[i % honest.length] ?? ''),
      fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 12 })).map(([i, seq]) => canonicalize({ ...(JSON.parse(honest[i % honest.length] ?? '{}') as GovernanceRecord), seq } as never)),
      fc.nat({ max: 9 }).map((i) => {
        const r = JSON.parse(honest[i % honest.length] ?? '{}') as Record<string, unknown>;
        return canonicalize({ ...r, ...('signature' in r ? { signature: PLACEHOLDER_SIGNATURE } : { vaultId: 'v-other' }) } as never);
      }),
      fc.nat({ max: 9 }).map((i) => JSON.stringify(JSON.parse(honest[i % honest.length] ?? '{}'), null, 2)),
    );

  it('any interleaving of the real log with junk gives every console the real head and the same refusals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: honest.length }), junk()), { maxLength: 10 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 6, max: 40 }), async (inserts, b1, b2) => {
        // Junk placed before the honest record of each chosen index, honest records in their order.
        const stream: string[] = [];
        for (let i = 0; i <= honest.length; i++) {
          for (const [at, body] of inserts) if (at === i) stream.push(body);
          if (i < honest.length) stream.push(honest[i] ?? '');
        }
        const consoles = [teamConsole('p1', []), teamConsole('p2', [])];
        try {
          const reports = [];
          for (const [k, c] of consoles.entries()) {
            c.vault.replicate(streamOf(stream, k === 0 ? b1 : b2, pin));
            reports.push(await c.vault.teamSync());
          }
          for (const c of consoles) {
            expect(c.vault.logHead()).toEqual(source.vault.logHead());
            expect(c.store.teamEntries.cursor()).toBe(stream.length);
          }
          expect(reports[1]?.refused.map((r) => r.at)).toEqual(reports[0]?.refused.map((r) => r.at));
          const kept = (c: TeamConsole | undefined) => c?.store.teamEntries.refusals(100).map((r) => [r.streamSeq, r.refused, r.bodyHash]);
          expect(kept(consoles[1])).toEqual(kept(consoles[0]));
        } finally {
          await Promise.all(consoles.map((c) => c.close()));
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('a batch is adopted all or nothing: a server that skips an entry mid-batch leaves the store, its head file and the guard as they were', async () => {
    const c = teamConsole('gap', []);
    try {
      c.vault.replicate(streamOf(honest.slice(0, 4), 10, pin));
      await c.vault.teamSync();
      const before = { head: c.vault.logHead(), headFile: readFileSync(path.join(c.dir, LOG_HEAD_FILE), 'utf8'), cursor: c.store.teamEntries.cursor() };
      // Entries 5, 6, 7 are given, then 9: the first three were applied inside the batch's transaction.
      const skipping: LogReplication = {
        genesis: pin,
        entriesAfter: (seq) => Promise.resolve(seq === 4 ? [5, 6, 7, 9].map((n) => ({ streamSeq: n, body: honest[n - 1] ?? '' })) : []),
        append: () => Promise.reject(new Error('read only')),
      };
      c.vault.replicate(skipping);
      await expectError(c.vault.teamSync(), 'TEAM_STREAM', /skipped stream entries: after entry 7 it gave 9/);
      expect(c.store.teamEntries.cursor()).toBe(before.cursor);
      expect(c.store.records.count()).toBe(4);
      expect(readFileSync(path.join(c.dir, LOG_HEAD_FILE), 'utf8')).toBe(before.headFile);
      expect(c.vault.logHead()).toEqual(before.head);
      expect(c.vault.verify().status).toBe('ok');
      // The whole stream given again: everything adopted, once.
      c.vault.replicate(streamOf(honest, 3, pin));
      expect(await c.vault.teamSync()).toMatchObject({ adopted: honest.length - 4, refused: [] });
      expect(c.vault.logHead()).toEqual(source.vault.logHead());
    } finally {
      await c.close();
    }
  });
});
