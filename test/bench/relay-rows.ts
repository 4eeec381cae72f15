// The relay's part of `npm run bench` (issue 10 §6): t-of-n signing and DKG with each party in its own Node process,
// through a real nats-server, next to the same state machines in one process with no transport (what the MPC host
// runs), round by round, as ratios; and 2-of-3 signing with 50 ms added per hop by the test proxy: how many one-way
// trips a signature waits for.
import { availableParallelism } from 'node:os';
import { envelopeCost, type EnvelopeCost } from '../relay/bench-envelope';
import { relayBench, type RelayBenchRow } from '../relay/bench-relay';
import type { Row } from './row';

const SIZES: [number, number][] = [
  [2, 3],
  [7, 10],
];
const DELAYED = { t: 2, n: 3, hopDelayMs: 50 };
/** Timed relay rounds per row (each followed by a floor round); RELAY_BENCH_ROUNDS changes it. */
const ROUNDS = Number(process.env.RELAY_BENCH_ROUNDS ?? 5);

const log = (line: string) => process.stderr.write(`[relay bench] ${line}\n`);

export async function relayRows(): Promise<{ rows: Row[]; json: Record<string, unknown> }> {
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`RELAY_BENCH_ROUNDS="${process.env.RELAY_BENCH_ROUNDS}" is not a whole number of rounds ≥ 1`);
  let relay: RelayBenchRow[];
  try {
    relay = await relayBench({ sizes: SIZES, delayed: DELAYED, rounds: ROUNDS, log });
  } catch (err) {
    log(`skipped: ${(err as Error).message}`);
    return { rows: [], json: { skipped: (err as Error).message } };
  }
  const envelope = await envelopeCost();
  const cores = availableParallelism();
  const rows = relay.map((r) => row(r, envelope, cores));
  return { rows, json: { sizes: SIZES, delayed: DELAYED, rounds: ROUNDS, cores, relay, envelope } };
}

function row(r: RelayBenchRow, envelope: EnvelopeCost, cores: number): Row {
  const sign = r.ceremony === 'sign';
  const hop = r.hopDelayMs === 0 ? 'loopback' : `${r.hopDelayMs} ms added per hop`;
  // Signing: the signers' processes and the coordinator (this bench process); DKG: one process per party.
  const processes = sign ? r.processes + 1 : r.processes;
  const parts = [
    `floor: the same ${sign ? 'signing' : 'DKG'} state machines in one process, no relay (the MPC host's way), alternating round by round with the relay's; medians of ${r.samples.length} rounds`,
    sign ? `${r.processes} signer processes and the coordinator (the bench process), timed from the start of the session to the coordinator's verified signature` : `${r.processes} party processes, timed from the start to the last party's result`,
    `${processes} processes and nats-server share ${cores} cores`,
    `${Math.round(r.envelopes)} envelopes per ${sign ? 'signature' : 'key'} (resends included); CPU ${Math.round(r.cpuMs)} ms in all parties against ${r.floorCpuMs.toFixed(1)} ms for the floor (${(r.cpuMs / r.floorCpuMs).toFixed(1)}×: the work the relay adds, which busy cores move less than the times)`,
    `per envelope: seal ${envelope.sealMs.toFixed(1)} ms, open ${envelope.openMs.toFixed(1)} ms; one X25519 ${envelope.x25519Ms.toFixed(1)} ms (two in a seal, one in an open), Ed25519 sign ${envelope.ed25519SignMs.toFixed(1)} ms, verify ${envelope.ed25519VerifyMs.toFixed(1)} ms`,
  ];
  // A signature waits for three trips one after another (commit, echo, share); on busy cores the parties' crypto runs
  // while the delay passes, so the time added can count fewer.
  if (r.tripsAdded !== undefined && r.proxyBaseMs !== undefined)
    parts.push(`through the test proxy; the ${r.hopDelayMs} ms delay added ${r.tripsAdded.toFixed(1)} one-way trips (${Math.round(r.ms)} ms against ${Math.round(r.proxyBaseMs)} ms through the proxy without delay, same rounds; the path is commit, echo, share: 3, less what the parties compute during the delay)`);
  return {
    name: `relay: ${r.t}-of-${r.n} ${sign ? 'signing' : 'DKG'}, a process per party (${hop})`,
    unit: sign ? 'signatures/s' : 'key generations/s',
    custos: 1000 / r.ms,
    floor: 1000 / r.floorMs,
    ratio: r.ms / r.floorMs,
    note: parts.join('; '),
  };
}
