// One relay party in its own process (for the multi-process test): told its job over IPC, it dials nats-server, opens, and runs when told.
import { connect } from '@nats-io/transport-node';
import type { DkgConfig } from '../../crypto/frost/dkg';
import type { SigningConfig } from '../../crypto/frost/sign';
import type { SecretShare } from '../../crypto/frost/types';
import { DkgDriver, SignDriver, type CeremonyDriver } from '../../main/relay/drivers';
import { NatsRelayTransport } from '../../main/relay/nats-transport';
import { RelaySession, RelaySessionError } from '../../main/relay/session';
import { VAULT, keyring, osRng } from './harness';

export type ChildJob =
  | { kind: 'sign'; url: string; members: string[]; party: string; expiresAt: number; config: SigningConfig; share: SecretShare | null }
  | { kind: 'dkg'; url: string; members: string[]; party: string; expiresAt: number; config: DkgConfig };

export type ChildReply =
  | { type: 'ready' }
  | { type: 'done'; result: unknown; published: number; unacknowledged: string[]; ms: number }
  | { type: 'failed'; code: string; message: string };

const send = (r: ChildReply): void => void process.send?.(r);

process.once('message', (job: ChildJob) => {
  void (async () => {
    const nc = await connect({ servers: job.url, reconnect: false });
    const ring = keyring(job.members);
    const driver: CeremonyDriver<unknown> =
      job.kind === 'sign' ? new SignDriver(job.config, job.share, osRng) : new DkgDriver(job.config, { rng: osRng, deviceEntropy: osRng(32) });
    const session = new RelaySession({
      vaultId: VAULT, keys: ring.keys.get(job.party)!, directory: ring.directory, transport: new NatsRelayTransport(nc), driver,
      expiresAt: job.expiresAt, resendMs: 250,
    });
    await session.open();
    process.once('message', () => {
      const t0 = performance.now();
      void session
        .run()
        .then(
          (r) => send({ type: 'done', result: r.result, published: session.published, unacknowledged: r.unacknowledged, ms: Math.round(performance.now() - t0) }),
          (e: unknown) => send({ type: 'failed', code: e instanceof RelaySessionError ? e.code : 'ERROR', message: (e as Error).message }),
        )
        .finally(async () => {
          await session.close();
          // drain, not close: what the session published last (its final acks) reaches the server first.
          await nc.drain();
          process.disconnect();
        });
    });
    send({ type: 'ready' });
  })();
});
