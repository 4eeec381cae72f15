// A hostile relay between the parties and nats-server: whatever it does, the session signs correctly or aborts naming a culprit, never a wrong signature or a nonce used twice.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { signStart } from '../../crypto/frost/sign';
import { COORDINATOR, type PartyId, type SecretShare } from '../../crypto/frost/types';
import { encodePayload } from '../../crypto/relay/codec';
import { contentHash, decodeEnvelope, encodeEnvelope, evidenceOf, readHeader, sealEnvelope, type EnvelopeHeader } from '../../crypto/relay/envelope';
import type { TransportKeys } from '../../crypto/relay/keys';
import { RelaySessionError } from '../../main/relay/session';
import { relaySubject } from '../../main/relay/transport';
import { Connections, VAULT, keyring, osRng, sighash, startSigning, testKey, type SigningRun, type TestKey } from './harness';
import { MaliciousRelay, pass, type Forward, type PubFrame } from './malicious-relay';
import { startNatsServer, type NatsServer } from '../team/nats-server';

let server: NatsServer;
let key: TestKey;
let relay: MaliciousRelay;
let conns: Connections;

beforeAll(async () => {
  server = await startNatsServer();
  key = testKey(2, 3);
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await conns?.closeAll();
  await relay?.stop();
});

const A = (): PartyId => key.parties[0] as PartyId;
const B = (): PartyId => key.parties[1] as PartyId;
const ring = () => keyring([...key.parties, COORDINATOR]);
const headerOf = (f: PubFrame): EnvelopeHeader => readHeader(decodeEnvelope(f.payload).header);
const subjectFor = (sessionId: string, party: string): string => relaySubject({ vaultId: VAULT, sessionId, party });

type Settled = { party: string; ok: boolean; signatures: Uint8Array[] | null; error: RelaySessionError | null };

/** Signs with signers A and B and the coordinator, every connection through the hostile relay. */
async function signThroughRelay(
  sessionId: string,
  policy: (f: PubFrame, r: MaliciousRelay) => Forward[] | Promise<Forward[]>,
  opts: { expiresInMs?: number; messages?: Uint8Array[] } = {},
): Promise<{ run: SigningRun; settled: Settled[]; messages: Uint8Array[] }> {
  relay.policy = policy;
  const messages = opts.messages ?? [sighash(sessionId)];
  const signers = [A(), B()];
  const port = await relay.start();
  conns = new Connections(server.url);
  const transports = await conns.transports([...signers, COORDINATOR], port);
  const run = await startSigning(key, signers, messages, {
    sessionId, ring: ring(), transportFor: (p) => transports.get(p)!, expiresInMs: opts.expiresInMs ?? 8_000, resendMs: 150,
  });
  const settled: Settled[] = [];
  for (const [party, p] of run.outcomes) {
    try {
      const r = await p;
      settled.push({ party, ok: true, signatures: r.result.signatures, error: null });
    } catch (err) {
      expect(err).toBeInstanceOf(RelaySessionError);
      settled.push({ party, ok: false, signatures: null, error: err as RelaySessionError });
    }
  }
  // Whatever happened: any signature verifies, and each signer used its nonces at most once and wiped them.
  for (const s of settled) s.signatures?.forEach((sig, i) => expect(schnorr.verify(sig, messages[i]!, key.groupKey.outputKey)).toBe(true));
  for (const id of signers) {
    const d = run.drivers.get(id)!;
    expect(d.sharesMade).toBeLessThanOrEqual(1);
    expect(d.nonces?.nonces.every((n) => n.hiding.every((b) => b === 0) && n.binding.every((b) => b === 0))).toBe(true);
    // The unsealed share handed to the session is wiped when it ends, whichever way.
    expect(run.shares.get(id)!.signingShare.every((b) => b === 0)).toBe(true);
  }
  return { run, settled, messages };
}

const signed = (settled: Settled[]): boolean => settled.find((s) => s.party === COORDINATOR)?.signatures?.length === 1;
const refusedCodes = (run: SigningRun): string[] => [...run.events.values()].flat().flatMap((e) => (e.type === 'refused' ? [e.code] : []));

describe('a malicious relay', () => {
  beforeAll(() => undefined);
  const fresh = (): void => {
    relay = new MaliciousRelay(server.port);
  };

  it('drops the first copy of every envelope: resends recover and the session signs', async () => {
    fresh();
    const seen = new Set<string>();
    const { settled, run } = await signThroughRelay('drop-first', (f) => {
      const id = bytesToHex(sha256(f.payload));
      if (seen.has(id)) return pass(f);
      seen.add(id);
      return [];
    });
    expect(settled.every((s) => s.ok)).toBe(true);
    expect(signed(settled)).toBe(true);
    expect([...run.events.values()].flat().some((e) => e.type === 'resent')).toBe(true);
  });

  it('drops everything a signer sends: the session aborts at expiry naming that signer, without a signature', async () => {
    fresh();
    const { settled, run } = await signThroughRelay('drop-all-a', (f) => (headerOf(f).from === A() ? [] : pass(f)), { expiresInMs: 3_000 });
    expect(signed(settled)).toBe(false);
    const coord = settled.find((s) => s.party === COORDINATOR)!;
    expect(coord.error?.code).toBe('NO_ANSWER');
    // A is always named. B is named too exactly when its round-1 commitments had not reached the coordinator by the
    // expiry (a slow machine): the coordinator names whom it really did not hear from, never one it did.
    const heard = run.drivers.get(COORDINATOR)!.signState!.public.commitments;
    expect(heard[A()]).toBeUndefined();
    const missing = [A(), B()].filter((p) => heard[p] === undefined);
    expect(coord.error?.missing).toEqual(missing);
    expect(coord.error?.message).toContain(`${missing.length === 1 ? 'party' : 'parties'} ${missing.join(', ')} did not answer round 1 before expiry; a faulty relay can also cause this`);
  });

  it('delivers every envelope three times: duplicates are acknowledged and dropped, and the session signs', async () => {
    fresh();
    const { settled, run } = await signThroughRelay('duplicate', (f) => [...pass(f), ...pass(f), { ...pass(f)[0]!, delayMs: 30 }]);
    expect(settled.every((s) => s.ok)).toBe(true);
    expect(signed(settled)).toBe(true);
    expect([...run.events.values()].flat().filter((e) => e.type === 'duplicate').length).toBeGreaterThan(5);
  });

  it('delays envelopes at random (so they also overtake each other): the session signs', async () => {
    fresh();
    let x = 7;
    const { settled } = await signThroughRelay('delay', (f) => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return [{ ...pass(f)[0]!, delayMs: x % 120 }];
    });
    expect(settled.every((s) => s.ok)).toBe(true);
    expect(signed(settled)).toBe(true);
  });

  it('reorders envelopes (each batch of three delivered backwards): the session signs', async () => {
    fresh();
    const batch: PubFrame[] = [];
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = (r: MaliciousRelay): void => {
      if (timer) clearTimeout(timer);
      timer = null;
      const out = batch.splice(0).reverse();
      out.forEach((f, i) => setTimeout(() => void reinject(r, f), i * 2));
    };
    const reinject = async (_r: MaliciousRelay, f: PubFrame): Promise<void> => {
      const nc = await conns.connect();
      nc.publish(f.subject, f.payload);
      await nc.flush();
      await nc.close();
    };
    const { settled } = await signThroughRelay('reorder', (f, r) => {
      batch.push(f);
      if (batch.length >= 3) flush(r);
      else if (timer === null) timer = setTimeout(() => flush(r), 40);
      return [];
    });
    expect(settled.every((s) => s.ok)).toBe(true);
    expect(signed(settled)).toBe(true);
  });

  it('replays envelopes of an earlier session into a new one: they are refused, nobody is blamed, and the new session signs', async () => {
    fresh();
    await signThroughRelay('replay-source', pass);
    const old = relay.frames.filter((f) => headerOf(f).sessionId === 'replay-source');
    await relay.stop();
    await conns.closeAll();
    relay = new MaliciousRelay(server.port);
    const { settled, run } = await signThroughRelay('replay-target', (f) => {
      const to = headerOf(f).to;
      const injected = old.filter((o) => headerOf(o).to === to).map((o) => ({ subject: f.subject, payload: o.payload }));
      return [...injected, ...pass(f)];
    });
    expect(settled.every((s) => s.ok)).toBe(true);
    expect(signed(settled)).toBe(true);
    const codes = refusedCodes(run);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['WRONG_SESSION']));
  });

  it('swaps two recipients: every swapped envelope is refused, the session aborts, no signature', async () => {
    fresh();
    const sid = 'swap';
    const b = subjectFor(sid, B());
    const c = subjectFor(sid, COORDINATOR);
    const { settled, run } = await signThroughRelay(sid, (f) => [{ subject: f.subject === b ? c : f.subject === c ? b : f.subject, payload: f.payload }], { expiresInMs: 1_500 });
    expect(signed(settled)).toBe(false);
    expect(settled.every((s) => !s.ok && ['NO_ANSWER', 'PEER_ABORTED'].includes(s.error?.code as string))).toBe(true);
    expect(refusedCodes(run)).toContain('WRONG_RECIPIENT');
    expect(settled.every((s) => s.error?.culprit === null)).toBe(true);
  });

  it('equivocates a broadcast by corrupting the copy one party gets: refused as a bad signature, reported at expiry, no signature', async () => {
    fresh();
    const { settled, run } = await signThroughRelay('corrupt', (f) => {
      const h = headerOf(f);
      if (h.from !== A() || h.to !== COORDINATOR || h.broadcast === undefined) return pass(f);
      const env = decodeEnvelope(f.payload);
      const ct = env.ct.slice();
      ct[0] = (ct[0] as number) ^ 1;
      return [{ subject: f.subject, payload: encodeEnvelope({ ...env, ct }) }];
    }, { expiresInMs: 1_500 });
    expect(signed(settled)).toBe(false);
    const coord = settled.find((s) => s.party === COORDINATOR)!;
    expect(coord.error?.code).toBe('NO_ANSWER');
    expect(coord.error?.message).toMatch(/claiming to come from [0-9a-f]{64} \(BAD_SIGNATURE\)/);
    expect(refusedCodes(run)).toContain('BAD_SIGNATURE');
  });

  it('says "relay equivocation" when an echo differs from this party\'s view and no signature of the sender explains it', async () => {
    fresh();
    const sid = 'false-echo';
    const keys = ring().keys;
    // A colluding echoer (B) tells the coordinator it got another broadcast from A, without A's signature on it.
    const { settled } = await signThroughRelay(sid, async (f, r) => {
      const h = headerOf(f);
      if (h.kind !== 'relay/echo' || h.from !== B() || h.to !== COORDINATOR) return pass(f);
      const fromA = r.frames.find((x) => { const y = headerOf(x); return y.sessionId === sid && y.from === A() && y.to === B() && y.broadcast !== undefined; })!;
      const plaintext = encodePayload({ entries: [{ from: A(), hash: 'ab'.repeat(32), evidence: evidenceOf(decodeEnvelope(fromA.payload)) }] });
      const forged = await sealEnvelope(h, plaintext, keys.get(B()) as TransportKeys, (keys.get(COORDINATOR) as TransportKeys).hpkeKey);
      return [{ subject: f.subject, payload: encodeEnvelope(forged) }];
    });
    expect(signed(settled)).toBe(false);
    const coord = settled.find((s) => s.party === COORDINATOR)!;
    expect(coord.error?.code).toBe('RELAY_EQUIVOCATION');
    expect(coord.error?.culprit).toBeNull();
    expect(coord.error?.message).toMatch(/^relay equivocation: /);
  });

  it('equivocates a broadcast with a second copy validly signed by the sender: the echo check names the sender, before any share is released', async () => {
    fresh();
    const sid = 'equivocate';
    const keys = ring().keys;
    const messages = [sighash(sid)];
    // The sender colludes: a second, validly signed round-1 broadcast with other commitments, for the coordinator only.
    const other = signStart(
      { sessionId: sid, self: A(), signers: [A(), B()], messages, publicPackage: key.groupKey.publicPackage },
      { identifier: A(), signingShare: (key.shares.get(A()) as SecretShare).signingShare.slice() },
      osRng,
    ).outbox[0]!;
    const plaintext = encodePayload(other);
    const { settled, run } = await signThroughRelay(sid, async (f) => {
      const h = headerOf(f);
      if (h.from !== A() || h.to !== COORDINATOR || h.broadcast === undefined) return pass(f);
      const forged = await sealEnvelope({ ...h, broadcast: contentHash(plaintext) }, plaintext, keys.get(A()) as TransportKeys, (keys.get(COORDINATOR) as TransportKeys).hpkeKey);
      return [{ subject: f.subject, payload: encodeEnvelope(forged) }];
    }, { messages });
    expect(signed(settled)).toBe(false);
    for (const party of [B(), COORDINATOR]) {
      const s = settled.find((x) => x.party === party)!;
      expect(s.error?.code).toBe('CULPRIT');
      expect(s.error?.culprit).toBe(A());
      expect(s.error?.message).toContain('signed two different broadcasts for round 1');
    }
    expect(run.drivers.get(COORDINATOR)!.signState?.public.shares).toEqual({});
  });
});
