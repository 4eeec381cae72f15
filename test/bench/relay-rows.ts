// The relay's part of `npm run bench` (issue 10 §6): t-of-n signing and DKG with every party in its own relay session
// through a real nats-server behind the test relay, next to the same state machines in one process with no transport
// (what the MPC host runs), as ratios; and with 50 ms added per hop, how many one-way trips a signature costs.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { relayBench } from '../relay/bench-relay';
import { custosLocalTimes } from './mpc-custos-local';
import type { Row } from './row';

const SIZES: [number, number][] = [
  [2, 3],
  [7, 10],
];
const HOP_DELAYS = [0, 50];

export async function relayRows(): Promise<{ rows: Row[]; json: Record<string, unknown> }> {
  let relay;
  try {
    relay = await relayBench(SIZES, HOP_DELAYS);
  } catch (err) {
    process.stderr.write(`[relay bench] skipped: ${(err as Error).message}\n`);
    return { rows: [], json: { skipped: (err as Error).message } };
  }
  const rows: Row[] = [];
  const local: Record<string, { dkgMs: number; signEachMs: number }> = {};
  for (const [t, n] of SIZES) {
    const times = await custosLocalTimes({ t, n }, sha256(utf8ToBytes(`relay-floor-${t}-${n}`)));
    local[`${t}-of-${n}`] = { dkgMs: times.dkgMs, signEachMs: times.signEachMs };
  }
  for (const r of relay) {
    const floor = local[`${r.t}-of-${r.n}`]!;
    const hop = r.hopDelayMs === 0 ? 'loopback' : `${r.hopDelayMs} ms added per hop`;
    rows.push({
      name: `relay: ${r.t}-of-${r.n} signing, one session per party (${hop})`,
      unit: 'signatures/s',
      custos: 1000 / r.signMs,
      floor: 1000 / floor.signEachMs,
      ratio: r.signMs / floor.signEachMs,
      note: `floor: the same signing state machines in one process, no transport (the MPC host's way); ${Math.round(r.signEnvelopes)} envelopes per signature${r.hopsPerSignature === null ? '' : `; the delay added ${r.hopsPerSignature.toFixed(1)} hops`}; all parties in this one process (their crypto adds up)`,
    });
    rows.push({
      name: `relay: ${r.t}-of-${r.n} DKG, one session per party (${hop})`,
      unit: 'key generations/s',
      custos: 1000 / r.dkgMs,
      floor: 1000 / floor.dkgMs,
      ratio: r.dkgMs / floor.dkgMs,
      note: 'floor: the same DKG state machines in one process, no transport; all parties in this one process',
    });
  }
  return { rows, json: { sizes: SIZES, hopDelays: HOP_DELAYS, relay, local } };
}
