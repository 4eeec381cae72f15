// The relay between real processes: three DKG parties, then two signers and a coordinator, each its own Node process with its own nats connection.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import type { DkgResult } from '../../main/relay/drivers';
import { execArgvFor } from '../../main/mpc/launch-node';
import { COORDINATOR, type PartyId } from '../../crypto/frost/types';
import { ids } from '../frost/helpers';
import { sighash } from './harness';
import { startNatsServer, type NatsServer } from '../team/nats-server';
import type { ChildJob, ChildReply } from './party-child';
import { PartyPool } from './party-pool';

const ENTRY = join(__dirname, 'party-child.ts');
let server: NatsServer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await server?.stop();
});

/** Starts one process per job, waits until all are subscribed, then lets them run; answers each one's reply. */
async function runProcesses(jobs: ChildJob[]): Promise<ChildReply[]> {
  const started = jobs.map((job) => {
    const child = fork(ENTRY, [], { execArgv: execArgvFor(ENTRY), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    const replies: ChildReply[] = [];
    const next = (): Promise<ChildReply> =>
      new Promise((resolve, reject) => {
        child.once('message', (m: ChildReply) => resolve(m));
        child.once('exit', (code) => reject(new Error(`party process exited with ${code}`)));
      });
    const ready = next();
    child.send(job);
    return { child, ready, replies, next };
  });
  for (const s of started) expect((await s.ready).type).toBe('ready');
  const finals = started.map((s) => s.next());
  for (const s of started) s.child.send('go');
  return Promise.all(finals);
}

describe('relay parties in separate processes', () => {
  it('runs a 2-of-3 DKG and then a 2-of-3 signing, every party in its own process: the signature verifies', async () => {
    const parties = ids(3);
    const members = [...parties, COORDINATOR];
    const expiresAt = Date.now() + 20_000;
    const dkg = await runProcesses(parties.map((party) => ({
      kind: 'dkg', url: server.url, members, party, expiresAt, config: { ceremonyId: 'proc-dkg', self: party, parties, threshold: 2 },
    })));
    expect(dkg.map((r) => r.type)).toEqual(['done', 'done', 'done']);
    const results = dkg.map((r) => (r as { result: DkgResult }).result);
    const groupKey = results[0]!.groupKey;
    for (const r of results) expect(r.groupKey.outputKey).toEqual(groupKey.outputKey);

    const signers = [parties[0], parties[2]] as PartyId[];
    const messages = [sighash('processes')];
    const config = { sessionId: 'proc-sign', signers, messages, publicPackage: groupKey.publicPackage };
    const shareOf = (p: PartyId) => results.find((r) => r.share.identifier === p)!.share;
    const sign = await runProcesses([...signers, COORDINATOR].map((party) => ({
      kind: 'sign', url: server.url, members, party, expiresAt: Date.now() + 20_000,
      config: { ...config, self: party === COORDINATOR ? null : (party as PartyId) },
      share: party === COORDINATOR ? null : shareOf(party as PartyId),
    })));
    expect(sign.map((r) => r.type)).toEqual(['done', 'done', 'done']);
    // Every party heard every acknowledgement: none finished only at the expiry with something unacknowledged.
    for (const r of [...dkg, ...sign]) expect((r as { unacknowledged: string[] }).unacknowledged).toEqual([]);
    const sig = ((sign[2] as { result: { signatures: Uint8Array[] } }).result.signatures)[0]!;
    expect(schnorr.verify(sig, messages[0]!, groupKey.outputKey)).toBe(true);
  }, 60_000);

  it('keeps warm party processes for the next ceremony (the bench pool): two DKGs on the same processes give two keys, then they all leave', async () => {
    const parties = ids(3);
    const pool = PartyPool.start(3);
    try {
      const keys: string[] = [];
      for (const ceremonyId of ['warm-dkg-1', 'warm-dkg-2']) {
        const expiresAt = Date.now() + 20_000;
        await pool.open(parties.map((party) => ({ kind: 'dkg', url: server.url, members: parties, party, expiresAt, config: { ceremonyId, self: party, parties, threshold: 2 } })));
        const replies = await pool.go(3);
        expect(replies.map((r) => r.type)).toEqual(['done', 'done', 'done']);
        const outputs = new Set(replies.map((r) => Buffer.from((r as { result: DkgResult }).result.groupKey.outputKey).toString('hex')));
        expect(outputs.size).toBe(1);
        keys.push(...outputs);
      }
      expect(new Set(keys).size).toBe(2);
    } finally {
      await pool.stop();
    }
    expect(pool.exited()).toBe(true);
  }, 60_000);
});
