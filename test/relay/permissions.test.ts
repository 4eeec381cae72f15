// The team server's permission sets (main/relay/permissions.ts) on a real nats-server, one user per role: a signer
// node reads only its own subjects (never another party's, never a coordinator's replies) and only reads the log; a
// coordinating console gets its control replies and the sessions' coordinator subject, not another coordinator's
// replies; a 2-of-3 signing and a control round trip work under them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { COORDINATOR } from '../../crypto/frost/types';
import { NatsRelayTransport } from '../../main/relay/nats-transport';
import { consolePermissions, signerNodePermissions } from '../../main/relay/permissions';
import { relaySubject, type RelayTransport } from '../../main/relay/transport';
import { CONTROL_SESSION, coordinatorAddress } from '../../main/signer/control';
import { TeamStream } from '../../main/team/stream';
import { Connections, VAULT, keyring, sighash, startSigning, testKey, type TestKey } from './harness';
import { startNatsServer, type NatsServer } from '../team/nats-server';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

let server: NatsServer;
let conns: Connections;
let key: TestKey;
const admin = { user: 'admin', password: 'admin-secret' };
/** Two consoles that coordinate, as the users whose ids the log gives them. */
const coordinators = [
  { user: 'console-olivia', password: 'po', userId: 'u-olivia' },
  { user: 'console-victor', password: 'pv', userId: 'u-victor' },
];
const nodes = (): { user: string; password: string; party: string }[] => key.parties.map((party, i) => ({ user: `node-${i}`, password: `node-password-${i}`, party }));
const control = (party: string) => relaySubject({ vaultId: VAULT, sessionId: CONTROL_SESSION, party });
const coordinatorControl = (userId: string) => control(coordinatorAddress(userId));

beforeAll(async () => {
  key = testKey(2, 3);
  server = await startNatsServer({
    vaultId: VAULT,
    admin,
    users: [
      ...nodes().map((n) => ({ user: n.user, password: n.password, permissions: signerNodePermissions(VAULT, n.party) })),
      ...coordinators.map((c) => ({ user: c.user, password: c.password, permissions: consolePermissions(VAULT, { coordinatorUserId: c.userId }) })),
    ],
  });
  conns = new Connections(server.url);
});
afterAll(async () => {
  await conns?.closeAll();
  await server?.stop();
});

/** Whether the server lets this connection subscribe to `subject` (a refusal closes the subscription with an error). */
async function mayRead(nc: NatsConnection, subject: string): Promise<boolean> {
  const sub: Subscription = nc.subscribe(subject);
  await nc.flush();
  // The refusal arrives as an -ERR right after the SUB; a second round trip makes sure it was processed.
  await nc.flush();
  if (!sub.isClosed()) {
    sub.unsubscribe();
    return true;
  }
  const closed = await sub.closed;
  expect(String((closed as Error).message)).toMatch(/permissions violation for subscription/i);
  return false;
}

describe('the permission sets on nats-server', () => {
  it("lets a node read its own subjects (sessions and control), and nothing of another party's or a coordinator's", async () => {
    const [alice, bob] = nodes();
    const nc = await conns.connect({ user: alice!.user, pass: alice!.password });
    expect(await mayRead(nc, relaySubject({ vaultId: VAULT, sessionId: 's1', party: alice!.party }))).toBe(true);
    expect(await mayRead(nc, control(alice!.party))).toBe(true);
    expect(await mayRead(nc, relaySubject({ vaultId: VAULT, sessionId: 's1', party: bob!.party }))).toBe(false);
    expect(await mayRead(nc, control(bob!.party))).toBe(false);
    // A coordinator's replies (another custodian's node status, its DKG reports) and the sessions' coordinator subject.
    expect(await mayRead(nc, coordinatorControl(coordinators[0]!.userId))).toBe(false);
    expect(await mayRead(nc, relaySubject({ vaultId: VAULT, sessionId: 's1', party: COORDINATOR }))).toBe(false);
    // Wildcards over the vault's relay traffic are refused the same way.
    expect(await mayRead(nc, 'custos.relay.>')).toBe(false);
    expect(await mayRead(nc, `custos.relay.${VAULT}.control.*`)).toBe(false);
  });

  it("lets a coordinating console read its control replies and the sessions' coordinator subject, not another coordinator's replies nor a party's", async () => {
    const [olivia, victor] = coordinators;
    const nc = await conns.connect({ user: olivia!.user, pass: olivia!.password });
    expect(await mayRead(nc, coordinatorControl(olivia!.userId))).toBe(true);
    expect(await mayRead(nc, relaySubject({ vaultId: VAULT, sessionId: 'sign-1', party: COORDINATOR }))).toBe(true);
    expect(await mayRead(nc, coordinatorControl(victor!.userId))).toBe(false);
    expect(await mayRead(nc, control(key.parties[0]!))).toBe(false);
    expect(await mayRead(nc, relaySubject({ vaultId: VAULT, sessionId: 'sign-1', party: key.parties[0]! }))).toBe(false);
  });

  it("carries a control round trip: the coordinator's request to a node, the node's reply to that coordinator only", async () => {
    const [olivia, victor] = coordinators;
    const [alice] = nodes();
    const co = await conns.connect({ user: olivia!.user, pass: olivia!.password });
    const other = await conns.connect({ user: victor!.user, pass: victor!.password });
    const node = await conns.connect({ user: alice!.user, pass: alice!.password });
    const got = { node: [] as string[], olivia: [] as string[], victor: [] as string[] };
    const into = (list: string[]) => ({ callback: (_e: Error | null, m: { string(): string }) => void list.push(m.string()) });
    node.subscribe(control(alice!.party), into(got.node));
    co.subscribe(coordinatorControl(olivia!.userId), into(got.olivia));
    other.subscribe(coordinatorControl(victor!.userId), into(got.victor));
    await Promise.all([node.flush(), co.flush(), other.flush()]);
    co.publish(control(alice!.party), 'ping');
    await co.flush();
    await waitFor(() => got.node.length === 1);
    node.publish(coordinatorControl(olivia!.userId), 'status');
    await node.flush();
    await waitFor(() => got.olivia.length === 1);
    await other.flush();
    expect(got).toEqual({ node: ['ping'], olivia: ['status'], victor: [] });
  });

  it('lets a node read the log (its replica) but not append to it; a console appends', async () => {
    const adminNc = await conns.connect({ user: admin.user, pass: admin.password });
    await TeamStream.open(adminNc, VAULT, { create: true, user: admin.user });
    const [olivia] = coordinators;
    const console_ = await TeamStream.open(await conns.connect({ user: olivia!.user, pass: olivia!.password }), VAULT, { create: false, user: olivia!.user });
    expect(await console_.append('{"record":0}', 0)).toEqual({ appended: 1 });
    const [alice] = nodes();
    const replica = await TeamStream.open(await conns.connect({ user: alice!.user, pass: alice!.password }), VAULT, { create: false, user: alice!.user });
    expect(await replica.entriesAfter(0)).toEqual([{ streamSeq: 1, body: '{"record":0}' }]);
    await expect(replica.append('{"record":1}', 1)).rejects.toMatchObject({ code: 'TEAM_AUTH' });
    expect(await replica.entriesAfter(1)).toEqual([]);
  });

  it('ends a session in words when the server refuses its subscription (a party logged in as another user)', async () => {
    const [alice] = nodes();
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

  it('signs 2-of-3 with each node logged in as its own user and a coordinating console as its own', async () => {
    const signers = [key.parties[0], key.parties[1]] as string[];
    const byParty = new Map(nodes().map((u) => [u.party, u]));
    const transports = new Map<string, RelayTransport>();
    for (const p of signers) {
      const u = byParty.get(p)!;
      transports.set(p, new NatsRelayTransport(await conns.connect({ user: u.user, pass: u.password })));
    }
    transports.set(COORDINATOR, new NatsRelayTransport(await conns.connect({ user: coordinators[1]!.user, pass: coordinators[1]!.password })));
    const msg = sighash('permissions');
    const run = await startSigning(key, signers, [msg], { sessionId: 'sign-perm', ring: keyring([...key.parties, COORDINATOR]), transportFor: (p) => transports.get(p)! });
    const sig = (await run.outcomes.get(COORDINATOR))!.result.signatures![0]!;
    expect(schnorr.verify(sig, msg, key.groupKey.outputKey)).toBe(true);
  });
});

async function waitFor(done: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
