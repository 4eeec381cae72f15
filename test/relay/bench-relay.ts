// Relay timings for the bench: t-of-n signing and DKG with each party in its own Node process through nats-server, in alternation with the same ceremony in one process and no relay (`npx tsx test/relay/bench-relay.ts`).
import { schnorr } from '@noble/curves/secp256k1.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { COORDINATOR, type PartyId } from '../../crypto/frost/types';
import { SignDriver, type DkgResult, type SignResult } from '../../main/relay/drivers';
import { NatsRelayTransport } from '../../main/relay/nats-transport';
import { RelaySession } from '../../main/relay/session';
import { runDkg } from '../frost/helpers';
import { custosSign } from '../bench/mpc-custos-local';
import { cpuMsSince } from '../bench/mpc-sizes';
import { startNatsServer } from '../team/nats-server';
import { VAULT, keyring, osRng, sighash, testKey, type Keyring, type TestKey } from './harness';
import { MaliciousRelay } from './malicious-relay';
import type { ChildReply } from './party-child';
import { PartyPool } from './party-pool';

export type Ceremony = 'sign' | 'dkg';

/** One measured ceremony through the relay: wall time, envelopes published by all parties (resends included), CPU of all parties. */
export type Sample = { ms: number; envelopes: number; cpuMs: number };

export type RelayBenchRow = {
  ceremony: Ceremony;
  t: number;
  n: number;
  hopDelayMs: number;
  /** Party processes that took part (signing: t signers; the coordinator is the bench process). */
  processes: number;
  /** Medians over the rounds. */
  ms: number;
  floorMs: number;
  envelopes: number;
  cpuMs: number;
  /** CPU per floor ceremony (this process): next to cpuMs, what the relay adds in work, which busy neighbours barely move. */
  floorCpuMs: number;
  samples: Sample[];
  floorSamplesMs: number[];
  /** Delayed rows: the same ceremony through the proxy with no delay, measured in the same rounds. */
  proxyBaseMs?: number;
  /** Delayed rows: what the delay added, over the delay: the one-way trips the ceremony waits for one after another. */
  tripsAdded?: number;
};

export type RelayBenchOptions = {
  sizes: [number, number][];
  /** The size and delay of the delayed signing row (through the test proxy). */
  delayed: { t: number; n: number; hopDelayMs: number } | null;
  /** Timed relay rounds per row, each followed by a floor round. */
  rounds: number;
  log?: (line: string) => void;
};

/** The resend wait the signer nodes use (RelaySession's default): a loaded machine should not look like a lost envelope. */
const RESEND_MS = 1000;
/** A floor round runs the in-process ceremony again and again for about this long (at least once). */
const FLOOR_ROUND_MS = 400;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** What one size needs: its key, its warm party processes, and a coordinator connection per server address. */
class SizeBench {
  private seq = 0;
  private readonly conns = new Map<string, Promise<NatsConnection>>();
  readonly ring: Keyring;
  readonly members: string[];

  constructor(readonly key: TestKey, readonly t: number, readonly pool: PartyPool) {
    this.members = [...key.parties, COORDINATOR];
    this.ring = keyring(this.members);
  }

  private conn(url: string): Promise<NatsConnection> {
    let nc = this.conns.get(url);
    if (nc === undefined) this.conns.set(url, (nc = connect({ servers: url, reconnect: false })));
    return nc;
  }

  /** t signer processes and the coordinator (this process): from 'go' to the coordinator's verified signature. */
  async sign(url: string): Promise<Sample> {
    const id = `bench-sign-${this.t}-of-${this.key.parties.length}-${++this.seq}`;
    const message = sighash(id);
    const signers = this.key.parties.slice(0, this.t) as PartyId[];
    const expiresAt = Date.now() + 120_000;
    const config = { sessionId: id, signers, messages: [message], publicPackage: this.key.groupKey.publicPackage };
    const base = { url, members: this.members, expiresAt, resendMs: RESEND_MS };
    await this.pool.open(signers.map((party) => ({ ...base, kind: 'sign' as const, party, config: { ...config, self: party }, share: this.key.shares.get(party)! })));
    const coordinator = new RelaySession<SignResult>({
      vaultId: VAULT, keys: this.ring.keys.get(COORDINATOR)!, directory: this.ring.directory, transport: new NatsRelayTransport(await this.conn(url)),
      driver: new SignDriver({ ...config, self: null }, null, osRng), expiresAt, resendMs: RESEND_MS,
    });
    await coordinator.open();
    const cpu = process.cpuUsage();
    const start = performance.now();
    const children = this.pool.go(signers.length);
    // A signer that fails ends the coordinator's wait at once, rather than at the expiry.
    void children.then((rs) => (rs.some((r) => r.type !== 'done') ? coordinator.close() : undefined));
    let ms: number;
    try {
      const out = await coordinator.run();
      const sig = out.result.signatures?.[0];
      if (sig === undefined || !schnorr.verify(sig, message, this.key.groupKey.outputKey)) throw new Error('the relay signature did not verify');
      ms = performance.now() - start;
    } catch (err) {
      throw new Error(`relay signing failed: ${(err as Error).message}; the parties said ${JSON.stringify(await children)}`);
    } finally {
      await coordinator.close();
    }
    const replies = done(await children);
    return { ms, envelopes: coordinator.published + sum(replies.map((r) => r.published)), cpuMs: cpuMsSince(cpu) + sum(replies.map((r) => r.cpuMs)) };
  }

  /** n party processes: from 'go' to the last party's result (its reply over IPC), all with the same group key. */
  async dkg(url: string): Promise<Sample> {
    const id = `bench-dkg-${this.t}-of-${this.key.parties.length}-${++this.seq}`;
    const parties = this.key.parties;
    const expiresAt = Date.now() + 120_000;
    await this.pool.open(parties.map((party) => ({ url, members: this.members, expiresAt, resendMs: RESEND_MS, kind: 'dkg' as const, party, config: { ceremonyId: id, self: party, parties, threshold: this.t } })));
    const cpu = process.cpuUsage();
    const start = performance.now();
    const replies = done(await this.pool.go(parties.length));
    const ms = performance.now() - start;
    const keys = replies.map((r) => Buffer.from((r.result as DkgResult).groupKey.outputKey).toString('hex'));
    if (new Set(keys).size !== 1) throw new Error(`the relay DKG's parties hold ${new Set(keys).size} different keys`);
    return { ms, envelopes: sum(replies.map((r) => r.published)), cpuMs: cpuMsSince(cpu) + sum(replies.map((r) => r.cpuMs)) };
  }

  /** The floor: the same ceremony's state machines in this process, messages routed in memory (the MPC host's way). */
  floor(ceremony: Ceremony): () => void {
    const { t, n } = { t: this.t, n: this.key.parties.length };
    return ceremony === 'sign'
      ? () => void custosSign(this.key, [sighash(`floor-${++this.seq}`)], 'each')
      : () => void runDkg(t, n, { ceremonyId: `bench-floor-dkg-${t}-of-${n}-${++this.seq}` });
  }

  async close(): Promise<void> {
    await Promise.all([...this.conns.values()].map(async (nc) => (await nc).close().catch(() => undefined)));
    await this.pool.stop();
  }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function done(replies: ChildReply[]): Extract<ChildReply, { type: 'done' }>[] {
  const bad = replies.find((r) => r.type !== 'done');
  if (bad) throw new Error(`a party process failed: ${JSON.stringify(bad)}`);
  return replies as Extract<ChildReply, { type: 'done' }>[];
}

/** Floor runs: each one's wall time, and the CPU time they took together. */
type FloorRuns = { ms: number[]; cpuMs: number };

/** Runs the floor again and again for about `ms` (at least once), adding to `into`. */
function floorRound(op: () => void, ms: number, into: FloorRuns = { ms: [], cpuMs: 0 }): FloorRuns {
  const cpu = process.cpuUsage();
  const until = performance.now() + ms;
  do {
    const start = performance.now();
    op();
    into.ms.push(performance.now() - start);
  } while (performance.now() < until);
  into.cpuMs += cpuMsSince(cpu);
  return into;
}

/**
 * Each party in its own Node process, started and warmed up (a whole ceremony of each kind) before any timing; the
 * coordinator of a signing is this process. Rounds alternate: one ceremony through the relay, then the same ceremony
 * in this process without relay (the floor), so a neighbour's burst on the shared cores weighs on both alike.
 */
export async function relayBench(o: RelayBenchOptions): Promise<RelayBenchRow[]> {
  const log = o.log ?? (() => undefined);
  const server = await startNatsServer({ jetstream: false });
  const proxies: MaliciousRelay[] = [];
  const rows: RelayBenchRow[] = [];
  try {
    for (const [t, n] of o.sizes) {
      const pool = PartyPool.start(n);
      const bench = new SizeBench(testKey(t, n), t, pool);
      try {
        const delayed = o.delayed !== null && o.delayed.t === t && o.delayed.n === n ? o.delayed : null;
        let proxyUrls: { base: string; delayed: string } | null = null;
        if (delayed !== null) {
          const base = new MaliciousRelay(server.port, { hopDelayMs: 0, capture: false });
          const slow = new MaliciousRelay(server.port, { hopDelayMs: delayed.hopDelayMs, capture: false });
          proxies.push(base, slow);
          proxyUrls = { base: `nats://127.0.0.1:${await base.start()}`, delayed: `nats://127.0.0.1:${await slow.start()}` };
        }
        log(`${t}-of-${n}: ${n} party processes, warming up`);
        for (const url of [server.url, ...(proxyUrls ? [proxyUrls.base, proxyUrls.delayed] : [])]) await bench.sign(url);
        await bench.dkg(server.url);
        floorRound(bench.floor('sign'), 200);
        floorRound(bench.floor('dkg'), 200);
        for (const ceremony of ['sign', 'dkg'] as const) {
          const samples: Sample[] = [];
          const floors: FloorRuns = { ms: [], cpuMs: 0 };
          for (let i = 0; i < o.rounds; i++) {
            const s = await bench[ceremony](server.url);
            samples.push(s);
            floorRound(bench.floor(ceremony), Math.min(FLOOR_ROUND_MS, s.ms), floors);
          }
          rows.push(summary(ceremony, t, n, 0, ceremony === 'sign' ? t : n, samples, floors));
          log(`${t}-of-${n} ${ceremony}: ${Math.round(rows.at(-1)!.ms)} ms (floor ${rows.at(-1)!.floorMs.toFixed(1)} ms)`);
        }
        if (delayed !== null && proxyUrls !== null) {
          const samples: Sample[] = [];
          const base: number[] = [];
          const floors: FloorRuns = { ms: [], cpuMs: 0 };
          for (let i = 0; i < o.rounds; i++) {
            const s = await bench.sign(proxyUrls.delayed);
            samples.push(s);
            base.push((await bench.sign(proxyUrls.base)).ms);
            floorRound(bench.floor('sign'), Math.min(FLOOR_ROUND_MS, s.ms), floors);
          }
          const row = summary('sign', t, n, delayed.hopDelayMs, t, samples, floors);
          row.proxyBaseMs = median(base);
          row.tripsAdded = (row.ms - row.proxyBaseMs) / delayed.hopDelayMs;
          rows.push(row);
          log(`${t}-of-${n} sign, ${delayed.hopDelayMs} ms per hop: ${Math.round(row.ms)} ms (through the proxy without delay ${Math.round(row.proxyBaseMs)} ms)`);
        }
      } finally {
        await bench.close();
      }
    }
  } finally {
    for (const p of proxies) await p.stop();
    await server.stop();
  }
  return rows;
}

function summary(ceremony: Ceremony, t: number, n: number, hopDelayMs: number, processes: number, samples: Sample[], floors: FloorRuns): RelayBenchRow {
  return {
    ceremony, t, n, hopDelayMs, processes,
    ms: median(samples.map((s) => s.ms)),
    floorMs: median(floors.ms),
    envelopes: median(samples.map((s) => s.envelopes)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    floorCpuMs: floors.cpuMs / floors.ms.length,
    samples: samples.map((s) => ({ ms: Math.round(s.ms * 10) / 10, envelopes: s.envelopes, cpuMs: Math.round(s.cpuMs) })),
    floorSamplesMs: floors.ms.map((f) => Math.round(f * 100) / 100),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await relayBench({ sizes: [[2, 3], [7, 10]], delayed: { t: 2, n: 3, hopDelayMs: 50 }, rounds: Number(process.env.RELAY_BENCH_ROUNDS ?? 3), log: (l) => process.stderr.write(`${l}\n`) });
  console.table(rows.map(({ samples: _s, floorSamplesMs: _f, ...r }) => ({ ...r, ms: Math.round(r.ms), floorMs: r.floorMs.toFixed(1), cpuMs: Math.round(r.cpuMs), tripsAdded: r.tripsAdded?.toFixed(1) ?? '' })));
}
