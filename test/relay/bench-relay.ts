// Relay timings for the bench: signing and DKG over nats-server through the test relay, with and without a fixed delay per hop (`npx tsx test/relay/bench-relay.ts`).
import { COORDINATOR, type PartyId } from '../../crypto/frost/types';
import { Connections, keyring, sighash, startDkg, startSigning, testKey } from './harness';
import { MaliciousRelay } from './malicious-relay';
import { startNatsServer } from '../team/nats-server';

export type RelayBenchRow = { t: number; n: number; hopDelayMs: number; signMs: number; dkgMs: number; signEnvelopes: number; hopsPerSignature: number | null };

/**
 * Every party runs in this process (one thread: the crypto of all parties adds up, so this is a ceiling on the cost);
 * messages go through a real nats-server behind the test relay, which delays each published envelope by `hopDelayMs`.
 * `hopsPerSignature` is what the delay added to a signature over the delay: how many one-way trips it waits for.
 */
export async function relayBench(sizes: [number, number][], hopDelays: number[], runs = 3): Promise<RelayBenchRow[]> {
  const server = await startNatsServer({ jetstream: false });
  const rows: RelayBenchRow[] = [];
  try {
    for (const [t, n] of sizes) {
      const key = testKey(t, n);
      const ring = keyring([...key.parties, COORDINATOR]);
      for (const hopDelayMs of hopDelays) {
        const relay = new MaliciousRelay(server.port, { hopDelayMs, capture: false });
        const port = await relay.start();
        const conns = new Connections(server.url);
        const transports = await conns.transports([...key.parties, COORDINATOR], port);
        const opts = { ring, transportFor: (p: string) => transports.get(p)!, expiresInMs: 60_000, resendMs: Math.max(1000, 20 * hopDelayMs) };
        const signers = key.parties.slice(0, t) as PartyId[];
        let signMs = 0;
        let dkgMs = 0;
        let envelopes = 0;
        for (let i = 0; i < runs; i++) {
          const start = performance.now();
          const run = await startSigning(key, signers, [sighash(`bench-${i}`)], { ...opts, sessionId: `bench-sign-${t}-${n}-${hopDelayMs}-${i}` });
          await Promise.all(run.outcomes.values());
          signMs += performance.now() - start;
          envelopes += [...run.sessions.values()].reduce((a, s) => a + s.published, 0);
          const d0 = performance.now();
          await Promise.all((await startDkg(key.parties, t, { ...opts, sessionId: `bench-dkg-${t}-${n}-${hopDelayMs}-${i}` })).values());
          dkgMs += performance.now() - d0;
        }
        // Hops a signature waits for: the time the delay added, over the delay (the same size without delay is the base).
        const base = rows.find((r) => r.t === t && r.n === n && r.hopDelayMs === 0);
        rows.push({
          t, n, hopDelayMs, signMs: signMs / runs, dkgMs: dkgMs / runs, signEnvelopes: envelopes / runs,
          hopsPerSignature: hopDelayMs > 0 && base ? (signMs / runs - base.signMs) / hopDelayMs : null,
        });
        await conns.closeAll();
        await relay.stop();
      }
    }
  } finally {
    await server.stop();
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await relayBench([[2, 3], [7, 10]], [0, 50]);
  console.table(rows.map((r) => ({ ...r, signMs: Math.round(r.signMs), dkgMs: Math.round(r.dkgMs), hopsPerSignature: r.hopsPerSignature?.toFixed(1) ?? '' })));
}
