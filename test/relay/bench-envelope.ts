// What one relay envelope costs in crypto, for the bench's notes: seal (HPKE + Ed25519 sign) and open (verify + HPKE), with their parts measured alone.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { encodeEnvelope, openEnvelope, sealEnvelope, RELAY_PROTOCOL_VERSION, type EnvelopeHeader } from '../../crypto/relay/envelope';
import { VAULT, keyring, osRng } from './harness';
import { median } from './bench-relay';

/** Medians in ms. `x25519Ms` is one X25519 scalar multiplication (noble's; @hpke/dhkem-x25519 carries a copy of it): a seal does two, an open one or two. */
export type EnvelopeCost = { sealMs: number; openMs: number; x25519Ms: number; ed25519SignMs: number; ed25519VerifyMs: number; runs: number };

async function timeEach(runs: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 5; i++) await fn(i);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn(i);
    out.push(performance.now() - start);
  }
  return median(out);
}

export async function envelopeCost(runs = 60): Promise<EnvelopeCost> {
  const ring = keyring(['1', '2']);
  const [a, b] = [ring.keys.get('1')!, ring.keys.get('2')!];
  const plaintext = osRng(300);
  const header = (counter: number): EnvelopeHeader => ({
    v: RELAY_PROTOCOL_VERSION, vaultId: VAULT, sessionId: 'bench-envelope', kind: 'sign/commit', round: 1, from: '1', to: '2', counter, expiresAt: Date.now() + 60_000,
  });
  const sealed: Uint8Array[] = [];
  const sealMs = await timeEach(runs, async (i) => sealed.push(encodeEnvelope(await sealEnvelope(header(i + 1), plaintext, a, b.hpkeKey))));
  const members = new Set(['1', '2']);
  const ctx = { vaultId: VAULT, sessionId: 'bench-envelope', me: '2', keys: b, members, directory: ring.directory, now: Date.now(), seen: () => false };
  const openMs = await timeEach(runs, (i) => openEnvelope(sealed[i % sealed.length]!, ctx));
  const x25519Ms = await timeEach(runs, () => x25519.getSharedSecret(a.hpkeSecret, b.hpkeKey));
  const msg = osRng(200);
  const sig = ed25519.sign(msg, a.signingSecret);
  const ed25519SignMs = await timeEach(runs, () => ed25519.sign(msg, a.signingSecret));
  const ed25519VerifyMs = await timeEach(runs, () => ed25519.verify(sig, msg, a.signingKey));
  return { sealMs, openMs, x25519Ms, ed25519SignMs, ed25519VerifyMs, runs };
}
