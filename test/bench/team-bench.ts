// The team log's part of `npm run bench` (issue 10 §6): appends per second to one stream from three consoles (each its
// own SQLite and virtual Ledgers) next to the same appends on a single desk, and how long a new console takes to catch
// up on a 10,000-record log next to the full replay of that log on the console that holds it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../../main/store';
import { DeviceManager } from '../../main/devices/manager';
import { joinTeam } from '../../main/team/team';
import { VaultService } from '../../main/vault';
import { createStream, foundVault, need, teamConsole, userIdOf, type TeamConsole } from '../team/helpers';
import { startNatsServer } from '../team/nats-server';
import type { Row } from './row';
import { cachedVault, copyVault } from './vault-generator';

const log = (line: string) => process.stderr.write(`[team bench] ${line}\n`);
/** Proposals per console in the append row. */
const APPENDS = Number(process.env.TEAM_BENCH_APPENDS ?? 60);
const CATCH_UP_RECORDS = Number(process.env.TEAM_BENCH_RECORDS ?? 10_000);

async function proposals(c: TeamConsole, person: 'alice' | 'bob' | 'carol', name: string, n: number, tag: string): Promise<void> {
  const me = userIdOf(c, name);
  for (let i = 0; i < n; i++) await c.vault.proposeGroupCreate({ name: `${tag} ${name} ${i}`, memberIds: [me], deviceId: need(c, person) });
}

export async function teamBench(): Promise<{ rows: Row[] }> {
  let server;
  try {
    server = await startNatsServer();
  } catch (err) {
    log(`skipped: ${(err as Error).message}`);
    return { rows: [] };
  }
  const rows: Row[] = [];
  const consoles: TeamConsole[] = [];
  try {
    // Appends: three consoles at once on one stream, against one console alone with no stream.
    const a = teamConsole('bench-a', ['alice', 'bob', 'carol']);
    const b = teamConsole('bench-b', ['bob']);
    const c = teamConsole('bench-c', ['carol']);
    const alone = teamConsole('bench-alone', ['alice', 'bob', 'carol']);
    consoles.push(a, b, c, alone);
    const pin = await foundVault(a);
    await foundVault(alone);
    await createStream(server, null, pin.vaultId);
    await a.join(server, null);
    await b.join(server, null, pin);
    await c.join(server, null, pin);
    for (const x of [a, b, c]) x.attach();
    let started = performance.now();
    await proposals(alone, 'alice', 'Alice', APPENDS * 3, 'Desk');
    const floor = (APPENDS * 3 * 1000) / (performance.now() - started);
    started = performance.now();
    await Promise.all([proposals(a, 'alice', 'Alice', APPENDS, 'Desk'), proposals(b, 'bob', 'Bob', APPENDS, 'Desk'), proposals(c, 'carol', 'Carol', APPENDS, 'Desk')]);
    const team = (APPENDS * 3 * 1000) / (performance.now() - started);
    const rebased = a.store.records.all().filter((r) => r.body.includes('"basis":')).length;
    rows.push({
      name: 'team log: appends from three consoles at once',
      unit: 'records/s',
      custos: team,
      floor,
      ratio: floor / team,
      note: `${APPENDS * 3} proposals (one device signature each; ${rebased} rebased after a lost race) vs the same on one desk, no stream`,
    });

    // Catch-up: a console with a long log publishes it; a new console adopts it, every record checked.
    log(`catch-up on a vault of ${CATCH_UP_RECORDS.toLocaleString('en-US')} records`);
    const cached = await cachedVault(CATCH_UP_RECORDS, '1', log);
    const source = copyVault(cached.dir, 'team-source');
    const target = mkdtempSync(path.join(tmpdir(), 'custos-bench-team-target-'));
    const devices = new DeviceManager();
    const sourceStore = Store.open(source);
    const sourceVault = new VaultService({ store: sourceStore, devices });
    const targetStore = Store.open(target);
    const targetVault = new VaultService({ store: targetStore, devices });
    try {
      started = performance.now();
      sourceVault.verify();
      const replayMs = performance.now() - started;
      const genesis = JSON.parse(sourceStore.records.bodyAt(0) ?? '{}') as { vaultId: string; admin: { identityAddress: string } };
      await createStream(server, null, genesis.vaultId);
      started = performance.now();
      const pushed = await joinTeam(source, sourceStore, sourceVault, { servers: [server.url], user: null, password: null });
      const pushMs = performance.now() - started;
      started = performance.now();
      const joined = await joinTeam(target, targetStore, targetVault, { servers: [server.url], user: null, password: null, vaultId: genesis.vaultId, genesisAddress: genesis.admin.identityAddress });
      const catchUpMs = performance.now() - started;
      const records = joined.adopted.adopted;
      if (records !== sourceStore.records.count()) throw new Error(`the new console adopted ${records} of ${sourceStore.records.count()} records`);
      rows.push({
        name: `team log: a new console catches up on ${records.toLocaleString('en-US')} records`,
        unit: 'records/s',
        custos: (records * 1000) / catchUpMs,
        floor: (records * 1000) / replayMs,
        ratio: catchUpMs / replayMs,
        note: `${(catchUpMs / 1000).toFixed(1)} s to read, check and commit each record (its audit entry, projection, stream cursor) vs the full replay on the console that holds it (${(replayMs / 1000).toFixed(1)} s); publishing the log took ${(pushMs / 1000).toFixed(1)} s (${pushed.pushed.published} records)`,
      });
    } finally {
      sourceVault.close();
      targetVault.close();
      sourceStore.close();
      targetStore.close();
      await devices.close();
      rmSync(source, { recursive: true, force: true });
      rmSync(target, { recursive: true, force: true });
    }
  } finally {
    await Promise.all(consoles.map((x) => x.close()));
    await server.stop();
  }
  return { rows };
}

if (process.argv[1]?.endsWith('team-bench.ts')) {
  const { rows } = await teamBench();
  for (const r of rows) process.stdout.write(`${r.name}: ${r.custos.toFixed(1)} ${r.unit} (floor ${r.floor.toFixed(1)}, ratio ${r.ratio.toFixed(2)}) — ${r.note}\n`);
}
