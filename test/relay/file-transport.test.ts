// An offline signer whose round travels as files: its bundle is carried to the relay and the replies carried back, and the signing completes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { COORDINATOR, type PartyId, type SecretShare } from '../../crypto/frost/types';
import { SignDriver } from '../../main/relay/drivers';
import { decodeBundle, FileRelayTransport, RelayBundleError, RelayCourier } from '../../main/relay/file-transport';
import { NatsRelayTransport } from '../../main/relay/nats-transport';
import { Connections, VAULT, copyShare, handled, keyring, osRng, sighash, signSession, startSigning, testKey, type TestKey } from './harness';
import { startNatsServer, type NatsServer } from '../team/nats-server';

let server: NatsServer;
let conns: Connections;
let key: TestKey;
let dir: string;

beforeAll(async () => {
  server = await startNatsServer();
  conns = new Connections(server.url);
  key = testKey(2, 3);
  dir = mkdtempSync(join(tmpdir(), 'custos-relay-files-'));
});
afterAll(async () => {
  await conns?.closeAll();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the file transport', () => {
  it('carries an offline signer\'s rounds as files, and the signing completes with a valid signature', async () => {
    const offline = key.parties[1] as PartyId;
    const signers = [key.parties[0], offline] as string[];
    const sessionId = 'sign-offline';
    const messages = [sighash(sessionId)];
    const ring = keyring([...key.parties, COORDINATOR]);
    const online = await conns.transports([key.parties[0]!, COORDINATOR]);
    // The console that carries the files reads the offline signer's subject on its behalf.
    const courier = new RelayCourier(new NatsRelayTransport(await conns.connect()));
    await courier.collect({ vaultId: VAULT, sessionId, party: offline });
    const opts = { sessionId, ring, transportFor: (p: string) => online.get(p)!, expiresInMs: 20_000, resendMs: 150, skip: [offline] };
    const run = await startSigning(key, signers, messages, opts);

    const files = new FileRelayTransport();
    const driver = new SignDriver({ sessionId, self: offline, signers, messages, publicPackage: key.groupKey.publicPackage }, copyShare(key.shares.get(offline) as SecretShare), osRng);
    const session = signSession(driver, offline, Date.now() + 20_000, { ...opts, transportFor: () => files }, new Map());
    await session.open();
    const done = handled(session.run());

    // A person walks the files: out with what the signer wrote, back with what the relay holds for it.
    let trips = 0;
    let carried = 0;
    const coordinator = run.outcomes.get(COORDINATOR)!;
    let finished = false;
    void coordinator.finally(() => (finished = true)).catch(() => undefined);
    while (!finished && trips < 100) {
      trips++;
      const out = join(dir, `out-${trips}.json`);
      const back = join(dir, `in-${trips}.json`);
      carried += await files.exportOutbox(out);
      expect(readFileSync(out, 'utf8')).toContain('custos-relay-bundle/v1');
      await courier.carryOut(out);
      await new Promise((r) => setTimeout(r, 60));
      carried += await courier.carryIn(back);
      await files.importBundle(back);
      await new Promise((r) => setTimeout(r, 20));
    }
    const sig = (await coordinator).result.signatures![0]!;
    expect(schnorr.verify(sig, messages[0]!, key.groupKey.outputKey)).toBe(true);
    expect(carried).toBeGreaterThan(4);
    // The offline signer finishes once its share's acknowledgement comes back by file too.
    for (let i = 0; i < 20; i++) {
      await files.exportOutbox(join(dir, 'tail-out.json')).then(() => courier.carryOut(join(dir, 'tail-out.json')));
      await new Promise((r) => setTimeout(r, 40));
      await courier.carryIn(join(dir, 'tail-in.json'));
      await files.importBundle(join(dir, 'tail-in.json'));
      if (driver.sharesMade === 1 && (await Promise.race([done.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), 20))]))) break;
    }
    await expect(done).resolves.toMatchObject({ result: { signatures: null } });
    expect(driver.sharesMade).toBe(1);
    await courier.close();
    await session.close();
  });

  it('refuses a file that is not a relay bundle, in words', () => {
    expect(() => decodeBundle('not json')).toThrow(RelayBundleError);
    expect(() => decodeBundle('{"format":"other"}')).toThrow(/not a custos-relay-bundle\/v1 bundle/);
  });
});
