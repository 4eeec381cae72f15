// Relay envelopes from the attacker's side: every altered bit, wrong recipient, other session or vault, and late delivery is refused.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import {
  compareEcho, contentHash, decodeEnvelope, evidenceOf, decodePayload, encodeEnvelope, encodePayload, openEnvelope, RelayOpenError, sealEnvelope,
  transportKeysFromSeed, type EnvelopeHeader, type OpenContext, type TransportKeys,
} from '../../crypto/relay/index';

const keysOf = (name: string): TransportKeys => transportKeysFromSeed(sha256(utf8ToBytes('relay-test/' + name)));
const parties = { alice: keysOf('alice'), bob: keysOf('bob'), carol: keysOf('carol') } as const;
type Name = keyof typeof parties;
const directory = (p: string) => (p in parties ? parties[p as Name] : null);
const members = new Set(Object.keys(parties));
const NOW = 1_800_000_000_000;

const header = (over: Partial<EnvelopeHeader> = {}): EnvelopeHeader => ({
  v: 1, vaultId: 'vault-1', sessionId: 'sess-1', kind: 'sign/commit', round: 1, from: 'alice', to: 'bob', counter: 1, expiresAt: NOW + 60_000, ...over,
});
const ctx = (over: Partial<OpenContext> = {}): OpenContext => ({
  vaultId: 'vault-1', sessionId: 'sess-1', me: 'bob', keys: parties.bob, members, directory, now: NOW, seen: () => false, ...over,
});
const seal = async (h: EnvelopeHeader, pt: Uint8Array): Promise<Uint8Array> =>
  encodeEnvelope(await sealEnvelope(h, pt, parties[h.from as Name], parties[h.to as Name].hpkeKey));
const refusal = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(RelayOpenError);
    return (err as RelayOpenError).code;
  }
  return 'opened';
};

describe('relay payload codec', () => {
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null), fc.boolean(), fc.maxSafeInteger(), fc.string(), fc.uint8Array({ maxLength: 40 }),
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 4 }),
    ),
  })).v;

  it('decodes what it encodes, and encodes equal values to equal bytes', () => {
    fc.assert(fc.property(value, (v) => {
      const bytes = encodePayload(v);
      const back = decodePayload(bytes);
      expect(back).toEqual(v);
      expect(encodePayload(back)).toEqual(bytes);
    }));
  });

  it('refuses trailing bytes, truncation and unknown tags', () => {
    const bytes = encodePayload({ a: new Uint8Array([1, 2, 3]), b: [1, 'x'] });
    expect(() => decodePayload(Uint8Array.of(...bytes, 0))).toThrow(/after the payload/);
    expect(() => decodePayload(bytes.subarray(0, bytes.length - 1))).toThrow(/ends inside/);
    expect(() => decodePayload(Uint8Array.of(99))).toThrow(/unknown tag/);
  });
});

describe('relay envelopes', () => {
  it('round-trips any payload to its recipient', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 1e6 }), async (pt, counter) => {
      const opened = await openEnvelope(await seal(header({ counter }), pt), ctx());
      expect(opened.duplicate).toBe(false);
      if (!opened.duplicate) expect(opened.plaintext).toEqual(pt);
    }), { numRuns: 40 });
  });

  it('refuses any single bit flipped in the header, enc, ct or signature', async () => {
    const wire = await seal(header({ broadcast: contentHash(utf8ToBytes('commitments')) }), utf8ToBytes('commitments'));
    const env = decodeEnvelope(wire);
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('header', 'enc', 'ct', 'sig' as const), fc.nat(), fc.integer({ min: 0, max: 7 }),
      async (field, at, bit) => {
        const f = env[field as 'header'].slice();
        f[at % f.length] = (f[at % f.length] as number) ^ (1 << bit);
        const code = await refusal(openEnvelope(encodeEnvelope({ ...env, [field]: f }), ctx()));
        expect(code).not.toBe('opened');
      },
    ), { numRuns: 150 });
  });

  it('refuses a bit flipped anywhere in the wire bytes', async () => {
    const wire = await seal(header(), utf8ToBytes('share'));
    await fc.assert(fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
      const w = wire.slice();
      w[at % w.length] = (w[at % w.length] as number) ^ (1 << bit);
      expect(await refusal(openEnvelope(w, ctx()))).not.toBe('opened');
    }), { numRuns: 150 });
  });

  it('a party it is not addressed to cannot open it, even holding the recipient field rewritten', async () => {
    const wire = await seal(header(), utf8ToBytes('secret share'));
    expect(await refusal(openEnvelope(wire, ctx({ me: 'carol', keys: parties.carol })))).toBe('WRONG_RECIPIENT');
    // Rewriting `to` breaks the signature; and carol's key cannot open bob's ciphertext in any case.
    const env = decodeEnvelope(wire);
    const forged = utf8ToBytes(new TextDecoder().decode(env.header).replace('"to":"bob"', '"to":"carol"'));
    expect(await refusal(openEnvelope(encodeEnvelope({ ...env, header: forged }), ctx({ me: 'carol', keys: parties.carol })))).toBe('BAD_SIGNATURE');
  });

  it('refuses another vault, another session, an outsider, an expired envelope, and reports a duplicate', async () => {
    expect(await refusal(openEnvelope(await seal(header({ vaultId: 'vault-2' }), new Uint8Array(1)), ctx()))).toBe('WRONG_VAULT');
    expect(await refusal(openEnvelope(await seal(header({ sessionId: 'sess-0' }), new Uint8Array(1)), ctx()))).toBe('WRONG_SESSION');
    expect(await refusal(openEnvelope(await seal(header({ from: 'carol' }), new Uint8Array(1)), ctx({ members: new Set(['alice', 'bob']) })))).toBe('UNKNOWN_SENDER');
    expect(await refusal(openEnvelope(await seal(header({ expiresAt: NOW - 1 }), new Uint8Array(1)), ctx()))).toBe('EXPIRED');
    const dup = await openEnvelope(await seal(header({ counter: 7 }), new Uint8Array(1)), ctx({ seen: (f, c) => f === 'alice' && c === 7 }));
    expect(dup.duplicate).toBe(true);
  });

  it('carries acks in the signed header, and refuses acks that are not ascending counters', async () => {
    const opened = await openEnvelope(await seal(header({ acks: [1, 2, 9] }), new Uint8Array(1)), ctx());
    expect(opened.header.acks).toEqual([1, 2, 9]);
    await expect(sealEnvelope(header({ acks: [2, 1] }), new Uint8Array(1), parties.alice, parties.bob.hpkeKey)).rejects.toThrow(/acks are not ascending/);
  });

  it('blames the sender for a signed broadcast whose plaintext does not match its hash', async () => {
    const wire = await seal(header({ broadcast: contentHash(utf8ToBytes('one')) }), utf8ToBytes('two'));
    expect(await refusal(openEnvelope(wire, ctx()))).toBe('CONTENT_MISMATCH');
  });
});

describe('the echo check', () => {
  const base = { vaultId: 'vault-1', sessionId: 'sess-1', round: 1, directory };
  it('names a sender that signed two different broadcasts, and says relay equivocation when no signature explains a difference', async () => {
    const hA = contentHash(utf8ToBytes('A to bob'));
    const hA2 = contentHash(utf8ToBytes('A to carol'));
    const toCarol = evidenceOf(decodeEnvelope(await seal(header({ to: 'carol', broadcast: hA2 }), utf8ToBytes('A to carol'))));
    const none = { header: new Uint8Array(0), body: new Uint8Array(0), sig: new Uint8Array(0) };
    // bob got hA from alice; carol echoes hA2 with alice's signed copy as proof.
    const mine = new Map([['alice', hA], ['bob', contentHash(utf8ToBytes('bob'))], ['carol', contentHash(utf8ToBytes('carol'))]]);
    const culprit = compareEcho({ ...base, mine }, 'carol', [
      { from: 'alice', hash: hA2, evidence: toCarol },
      { from: 'bob', hash: mine.get('bob') as string, evidence: none },
    ]);
    expect(culprit).toMatchObject({ ok: false, code: 'CULPRIT', culprit: 'alice' });
    // The same difference without alice's signature on it: nobody can be blamed.
    const unproven = compareEcho({ ...base, mine }, 'carol', [
      { from: 'alice', hash: hA2, evidence: evidenceOf(decodeEnvelope(await seal(header({ to: 'bob', broadcast: hA2 }), utf8ToBytes('A to carol')))) },
      { from: 'bob', hash: mine.get('bob') as string, evidence: none },
    ]);
    expect(unproven).toMatchObject({ ok: false, code: 'RELAY_EQUIVOCATION' });
    // Alice's real header with one bit of its signature changed proves nothing either.
    const sig = toCarol.sig.slice();
    sig[5] = (sig[5] as number) ^ 4;
    expect(compareEcho({ ...base, mine }, 'carol', [
      { from: 'alice', hash: hA2, evidence: { ...toCarol, sig } },
      { from: 'bob', hash: mine.get('bob') as string, evidence: none },
    ])).toMatchObject({ ok: false, code: 'RELAY_EQUIVOCATION' });
    expect(compareEcho({ ...base, mine }, 'carol', [
      { from: 'alice', hash: hA, evidence: none },
      { from: 'bob', hash: mine.get('bob') as string, evidence: none },
    ])).toEqual({ ok: true });
  });
});

describe('relay bytes from Node buffers', () => {
  it('copies byte fields out of a Buffer when decoding and encoding, so wiping a copy never touches the source', () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef');
    const encoded = encodePayload({ share: secret });
    expect(secret.toString()).toBe('0123456789abcdef0123456789abcdef');
    const wire = Buffer.from(encoded);
    const decoded = decodePayload(wire) as { share: Uint8Array };
    decoded.share.fill(0);
    expect(decodePayload(wire)).toEqual({ share: new Uint8Array(secret) });
  });
});
