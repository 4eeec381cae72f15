// NATS per-party permissions from relayAuthorizationConfig on a real nats-server: a party reads only its own subjects, and signing works under them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { COORDINATOR } from '../../crypto/frost/types';
import { NatsRelayTransport } from '../../main/relay/nats-transport';
import { relayAuthorizationConfig } from '../../main/relay/permissions';
import { relaySubject, type RelayTransport } from '../../main/relay/transport';
import { Connections, VAULT, keyring, sighash, startSigning, testKey, type TestKey } from './harness';
import { startNatsServer, type NatsServer } from '../team/nats-server';

let server: NatsServer;
let conns: Connections;
let key: TestKey;
const users = (): { user: string; password: string; vaultId: string; party: string }[] =>
  [...key.parties, COORDINATOR].map((party, i) => ({ user: `party-${i}`, password: `test-password-${i}`, vaultId: VAULT, party }));

beforeAll(async () => {
  key = testKey(2, 3);
  server = await startNatsServer({ config: relayAuthorizationConfig(users()) });
  conns = new Connections(server.url);
});
afterAll(async () => {
  await conns?.closeAll();
  await server?.stop();
});

describe('relay permissions on nats-server', () => {
  it('refuses a party that subscribes to another party\'s subject, and lets it subscribe to its own', async () => {
    const [alice, bob] = users();
    const nc = await conns.connect({ user: alice!.user, pass: alice!.password });
    const theirs = nc.subscribe(relaySubject({ vaultId: VAULT, sessionId: 's1', party: bob!.party }));
    const mine = nc.subscribe(relaySubject({ vaultId: VAULT, sessionId: 's1', party: alice!.party }));
    await nc.flush();
    const closed = await theirs.closed;
    expect(closed).toBeInstanceOf(Error);
    expect(String((closed as Error).message)).toMatch(/permissions violation for subscription/i);
    expect(mine.isClosed()).toBe(false);
    // The whole vault's traffic is refused the same way.
    const all = nc.subscribe('custos.relay.>');
    await nc.flush();
    expect(await all.closed).toBeInstanceOf(Error);
  });

  it('ends a session in words when the server refuses its subscription (a party logged in as another user)', async () => {
    const [alice] = users();
    const nc = await conns.connect({ user: alice!.user, pass: alice!.password });
    const signers = [key.parties[1], key.parties[2]] as string[];
    // The session is bob's, but the connection is alice's: the server refuses bob's subject.
    const run = await startSigning(key, signers, [sighash('refused')], {
      sessionId: 'sign-refused', ring: keyring([...key.parties, COORDINATOR]), transportFor: () => new NatsRelayTransport(nc), skip: [signers[1]!, COORDINATOR],
    });
    const err = await run.outcomes.get(signers[0]!)!.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TRANSPORT' });
    expect((err as Error).message).toMatch(/refused or lost this party's subscription .*check the server address and this party's permissions/i);
    expect(run.shares.get(signers[0]!)!.signingShare.every((b) => b === 0)).toBe(true);
  });

  it('signs 2-of-3 with each party logged in as its own user', async () => {
    const signers = [key.parties[0], key.parties[1]] as string[];
    const byParty = new Map(users().map((u) => [u.party, u]));
    const transports = new Map<string, RelayTransport>();
    for (const p of [...signers, COORDINATOR]) {
      const u = byParty.get(p)!;
      transports.set(p, new NatsRelayTransport(await conns.connect({ user: u.user, pass: u.password })));
    }
    const msg = sighash('permissions');
    const run = await startSigning(key, signers, [msg], { sessionId: 'sign-perm', ring: keyring([...key.parties, COORDINATOR]), transportFor: (p) => transports.get(p)! });
    const sig = (await run.outcomes.get(COORDINATOR))!.result.signatures![0]!;
    expect(schnorr.verify(sig, msg, key.groupKey.outputKey)).toBe(true);
  });
});
