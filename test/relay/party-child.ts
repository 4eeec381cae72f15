// One relay party in its own process (the multi-process test and the bench): told a job over IPC, it dials nats-server, opens, and runs when told; with `stay` it then waits for the next job.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DkgConfig } from '../../crypto/frost/dkg';
import type { SigningConfig } from '../../crypto/frost/sign';
import type { SecretShare } from '../../crypto/frost/types';
import { DkgDriver, SignDriver, type CeremonyDriver } from '../../main/relay/drivers';
import { NatsRelayTransport } from '../../main/relay/nats-transport';
import { RelaySession, RelaySessionError } from '../../main/relay/session';
import { VAULT, keyring, osRng } from './harness';

/**
 * `stay`: keep the process and its connections for the next job (the bench runs many ceremonies on warm processes);
 * without it the process leaves after its one job. `resendMs`: the session's resend wait (250 ms by default here).
 */
type JobBase = { url: string; members: string[]; party: string; expiresAt: number; stay?: boolean; resendMs?: number };
export type ChildJob =
  | (JobBase & { kind: 'sign'; config: SigningConfig; share: SecretShare | null })
  | (JobBase & { kind: 'dkg'; config: DkgConfig });

/** `ms` and `cpuMs`: wall and CPU time (this process, all threads) from 'go' to the session's end. */
export type ChildReply =
  | { type: 'ready' }
  | { type: 'done'; result: unknown; published: number; unacknowledged: string[]; ms: number; cpuMs: number }
  | { type: 'failed'; code: string; message: string };

const send = (r: ChildReply): void => void process.send?.(r);

/** One connection per server address, kept across jobs: a warm party does not dial again for each ceremony. */
const connections = new Map<string, Promise<NatsConnection>>();
const connection = (url: string): Promise<NatsConnection> => {
  let nc = connections.get(url);
  if (nc === undefined) connections.set(url, (nc = connect({ servers: url, reconnect: false })));
  return nc;
};

async function closeAll(): Promise<void> {
  // drain, not close: what the session published last (its final acks) reaches the server first.
  await Promise.all([...connections.values()].map(async (nc) => (await nc).drain().catch(() => undefined)));
  connections.clear();
}

let opened: { job: ChildJob; session: RelaySession<unknown> } | null = null;

async function open(job: ChildJob): Promise<void> {
  const ring = keyring(job.members);
  const driver: CeremonyDriver<unknown> =
    job.kind === 'sign' ? new SignDriver(job.config, job.share, osRng) : new DkgDriver(job.config, { rng: osRng, deviceEntropy: osRng(32) });
  const session = new RelaySession({
    vaultId: VAULT, keys: ring.keys.get(job.party)!, directory: ring.directory, transport: new NatsRelayTransport(await connection(job.url)), driver,
    expiresAt: job.expiresAt, resendMs: job.resendMs ?? 250,
  });
  await session.open();
  opened = { job, session };
  send({ type: 'ready' });
}

async function go(): Promise<void> {
  if (opened === null) return send({ type: 'failed', code: 'ERROR', message: "'go' before a job was opened" });
  const { job, session } = opened;
  opened = null;
  const t0 = performance.now();
  const cpu = process.cpuUsage();
  let reply: ChildReply;
  try {
    const r = await session.run();
    const used = process.cpuUsage(cpu);
    reply = { type: 'done', result: r.result, published: session.published, unacknowledged: r.unacknowledged, ms: Math.round(performance.now() - t0), cpuMs: (used.user + used.system) / 1000 };
  } catch (e) {
    reply = { type: 'failed', code: e instanceof RelaySessionError ? e.code : 'ERROR', message: (e as Error).message };
  }
  await session.close();
  send(reply);
  if (job.stay !== true) {
    await closeAll();
    process.disconnect();
  }
}

// Jobs and 'go's are handled one at a time, in the order they came.
let chain = Promise.resolve();
process.on('message', (m: ChildJob | 'go') => {
  chain = chain
    .then(() => (m === 'go' ? go() : open(m)))
    .catch((err: unknown) => send({ type: 'failed', code: 'ERROR', message: (err as Error).message }));
});
// The parent went away (or let this party go): leave, after what was published reaches the server.
process.on('disconnect', () => void closeAll().finally(() => process.exit(0)));
