// FROST signing and DKG between three parties whose only link is a real nats-server: each message signed, sealed and acknowledged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { COORDINATOR } from '../../crypto/frost/types';
import { ids } from '../frost/helpers';
import type { PartyId, SecretShare } from '../../crypto/frost/types';
import { Connections, keyring, sighash, startDkg, startReshare, startSigning, testKey, type TestKey } from './harness';
import { startNatsServer, type NatsServer } from '../team/nats-server';

let server: NatsServer;
let conns: Connections;
let key: TestKey;

beforeAll(async () => {
  server = await startNatsServer();
  conns = new Connections(server.url);
  key = testKey(2, 3);
});
afterAll(async () => {
  await conns?.closeAll();
  await server?.stop();
});

describe('the MPC relay over nats-server', () => {
  it('signs 2-of-3 with every party on its own connection: a BIP-340 signature under the wallet key', async () => {
    const signers = [key.parties[0], key.parties[2]] as string[];
    const ring = keyring([...key.parties, COORDINATOR]);
    const transports = await conns.transports([...signers, COORDINATOR]);
    const messages = [sighash('a'), sighash('b')];
    const run = await startSigning(key, signers, messages, { sessionId: 'sign-nats-1', ring, transportFor: (p) => transports.get(p)! });
    const results = await Promise.all(run.outcomes.values());
    const sigs = (await run.outcomes.get(COORDINATOR))!.result.signatures!;
    expect(sigs).toHaveLength(2);
    sigs.forEach((s, i) => expect(schnorr.verify(s, messages[i]!, key.groupKey.outputKey)).toBe(true));
    expect(results.every((r) => r.unacknowledged.length === 0)).toBe(true);
    for (const id of signers) {
      const d = run.drivers.get(id)!;
      expect(d.sharesMade).toBe(1);
      expect(d.nonces?.used).toBe(true);
      expect(d.nonces?.nonces.every((n) => n.hiding.every((b) => b === 0))).toBe(true);
    }
  });

  it('aborts when a member takes part at another log head, saying so, before any share leaves', async () => {
    const signers = [key.parties[0], key.parties[1]] as string[];
    const ring = keyring([...key.parties, COORDINATOR]);
    const transports = await conns.transports([...signers, COORDINATOR]);
    const head = 'aa'.repeat(32);
    const run = await startSigning(key, signers, [sighash('heads')], {
      sessionId: 'sign-heads', ring, transportFor: (p) => transports.get(p)!, contextFor: (p) => (p === signers[1] ? 'bb'.repeat(32) : head),
    });
    const coord = await run.outcomes.get(COORDINATOR)!.catch((e: unknown) => e);
    expect(coord).toMatchObject({ code: 'CONTEXT_MISMATCH' });
    expect((coord as Error).message).toContain('the server may be showing two histories');
    await Promise.allSettled(run.outcomes.values());
    expect(run.drivers.get(COORDINATOR)!.signState?.public.shares).toEqual({});
  });

  it('runs a 2-of-3 DKG: every party ends with the same group key, and two of the shares sign under it', async () => {
    const parties = key.parties;
    const ring = keyring(parties);
    const transports = await conns.transports(parties);
    const outcomes = await startDkg(parties, 2, { sessionId: 'dkg-nats-1', ring, transportFor: (p) => transports.get(p)! });
    const results = await Promise.all(outcomes.values());
    const gk = results[0]!.result.groupKey;
    for (const r of results) expect(r.result.groupKey.outputKey).toEqual(gk.outputKey);
    const fresh: TestKey = { groupKey: gk, parties, shares: new Map(results.map((r) => [r.result.share.identifier, r.result.share])) };
    const signers = [parties[1], parties[2]] as string[];
    const signRing = keyring([...parties, COORDINATOR]);
    const st = await conns.transports([...signers, COORDINATOR]);
    const msg = sighash('after-dkg');
    const run = await startSigning(fresh, signers, [msg], { sessionId: 'sign-after-dkg', ring: signRing, transportFor: (p) => st.get(p)! });
    const sig = (await run.outcomes.get(COORDINATOR))!.result.signatures![0]!;
    expect(schnorr.verify(sig, msg, gk.outputKey)).toBe(true);
  });

  it('refreshes a 2-of-3 key and then reshares it to a new set of parties: the same key signs with the new shares', async () => {
    const all = ids(4);
    const ring = keyring([...all, COORDINATOR]);
    const transports = await conns.transports([...all, COORDINATOR]);
    const transportFor = (p: string) => transports.get(p)!;
    const refreshed = await Promise.all((await startReshare(key, { mode: 'refresh', dealers: key.parties, receivers: key.parties, threshold: 2 }, { sessionId: 'refresh-nats', ring, transportFor })).values());
    const afterRefresh: TestKey = {
      groupKey: refreshed[0]!.result.groupKey, parties: key.parties,
      shares: new Map(refreshed.map((r) => [r.result.share!.identifier, r.result.share as SecretShare])),
    };
    expect(afterRefresh.groupKey.outputKey).toEqual(key.groupKey.outputKey);
    for (const [id, s] of afterRefresh.shares) expect(s.signingShare).not.toEqual(key.shares.get(id)!.signingShare);
    // Reshare to parties 2, 3 and a new party 4, dealt by parties 1 and 2.
    const receivers = [all[1], all[2], all[3]] as PartyId[];
    const reshared = await Promise.all((await startReshare(afterRefresh, { mode: 'reshare', dealers: [all[0]!, all[1]!], receivers, threshold: 2 }, { sessionId: 'reshare-nats', ring, transportFor })).values());
    const newKey: TestKey = {
      groupKey: reshared.find((r) => r.result.share !== null)!.result.groupKey, parties: receivers,
      shares: new Map(reshared.flatMap((r) => (r.result.share ? [[r.result.share.identifier, r.result.share] as const] : []))),
    };
    expect(newKey.shares.size).toBe(3);
    expect(newKey.groupKey.outputKey).toEqual(key.groupKey.outputKey);
    const signers = [all[2], all[3]] as string[];
    const msg = sighash('after-reshare');
    const run = await startSigning(newKey, signers, [msg], { sessionId: 'sign-after-reshare', ring, transportFor });
    const sig = (await run.outcomes.get(COORDINATOR))!.result.signatures![0]!;
    expect(schnorr.verify(sig, msg, key.groupKey.outputKey)).toBe(true);
  });
});
