// Runs the ceremonies the host is asked for, one at a time in arrival order, and answers each with its result or its failure.
import type { Rng } from '../../crypto/frost/types';
import { wipeBytes } from '../../crypto/frost/wipe';
import { runDkg } from './ceremonies/dkg';
import { runReshare } from './ceremonies/reshare';
import { runSign } from './ceremonies/sign';
import { CeremonyFault, type CeremonyEnv } from './ceremonies/common';
import {
  dkgOutcomeToWire,
  dkgParamsFromWire,
  reshareOutcomeToWire,
  reshareParamsFromWire,
  secretInputs,
  signOutcomeToWire,
  signParamsFromWire,
  type DkgParams,
  type ReshareParams,
  type SignParams,
} from './ceremony-codec';
import { PROTOCOL_VERSION, errorCodeFor, type CeremonyRequest, type HostReply } from './protocol';
import { WireError } from './wire';

/**
 * Ceremonies queue rather than refuse: main may ask for two signatures at once, and one CPU-bound ceremony at a time is
 * what a host can do well. Beyond this many waiting, a request is refused (busy) instead of piling up secrets in memory.
 */
export const MAX_WAITING = 16;

export interface CeremonyServiceOptions {
  post(reply: HostReply): void;
  warn(line: string): void;
  /** The host's CSPRNG; the host process always passes crypto.getRandomValues (noble's randomBytes). */
  rng: Rng;
  now: () => number;
  /** How the host yields between units of work (setImmediate by default), so pings are answered mid-ceremony. */
  pause?: () => Promise<void>;
}

type Job =
  | { request: CeremonyRequest & { type: 'dkg.run' }; params: DkgParams }
  | { request: CeremonyRequest & { type: 'sign.run' }; params: SignParams }
  | { request: CeremonyRequest & { type: 'reshare.run' }; params: ReshareParams };

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class CeremonyService {
  private running: Job | null = null;
  private readonly waiting: Job[] = [];
  private stopped = false;

  constructor(private readonly options: CeremonyServiceOptions) {}

  /** Decodes and queues a validated ceremony request; refusals and results are posted as replies. */
  submit(request: CeremonyRequest): void {
    if (this.stopped) return;
    let job: Job;
    try {
      job = decode(request);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.fail(request, new CeremonyFault('request', err.message));
      return;
    }
    const same = [this.running, ...this.waiting].find((j) => j?.request.ceremonyId === request.ceremonyId);
    if (same) {
      wipeBytes(...secretInputs(job.params));
      this.fail(request, new CeremonyFault('request', `ceremony ${request.ceremonyId} is already ${same === this.running ? 'running' : 'waiting'} on this host`));
      return;
    }
    if (this.waiting.length >= MAX_WAITING) {
      wipeBytes(...secretInputs(job.params));
      this.fail(request, new CeremonyFault('busy', `the MPC host is busy with ceremony ${this.running?.request.ceremonyId ?? '?'} and ${this.waiting.length} more waiting; try again when they are done`));
      return;
    }
    this.waiting.push(job);
    if (!this.running) void this.drain();
  }

  /** Drops what waits and makes the running ceremony stop (and wipe) at its next pause. */
  stop(): void {
    this.stopped = true;
    for (const job of this.waiting.splice(0)) wipeBytes(...secretInputs(job.params));
  }

  private async drain(): Promise<void> {
    for (let job = this.waiting.shift(); job && !this.stopped; job = this.waiting.shift()) {
      this.running = job;
      try {
        this.options.post(await this.run(job));
      } catch (err) {
        this.fail(job.request, err instanceof CeremonyFault ? err : new CeremonyFault('internal', 'the MPC host hit an unexpected error', null, { cause: err }));
      } finally {
        wipeBytes(...secretInputs(job.params));
        this.running = null;
      }
    }
  }

  private async run(job: Job): Promise<HostReply> {
    const { request } = job;
    const env: CeremonyEnv = {
      rng: this.options.rng,
      now: this.options.now,
      pause: async () => {
        await (this.options.pause ?? yieldToLoop)();
        if (this.stopped) throw new CeremonyFault('internal', 'the MPC host is shutting down');
      },
      progress: (p) => this.options.post({ v: PROTOCOL_VERSION, id: request.id, type: 'progress', ceremonyId: request.ceremonyId, ...p }),
    };
    const envelope = { v: PROTOCOL_VERSION, id: request.id } as const;
    switch (job.request.type) {
      case 'dkg.run':
        return { ...envelope, ...dkgOutcomeToWire(await runDkg(job.params as DkgParams, env)) };
      case 'sign.run':
        return { ...envelope, ...signOutcomeToWire(await runSign(job.params as SignParams, env)) };
      case 'reshare.run':
        return { ...envelope, ...reshareOutcomeToWire(await runReshare(job.params as ReshareParams, env)) };
    }
  }

  private fail(request: CeremonyRequest, fault: CeremonyFault): void {
    const cause = fault.kind === 'internal' ? whereFrom(fault.cause) : '';
    this.options.warn(`mpc-host: ${request.type} ${request.ceremonyId} failed (${fault.kind}): ${fault.message}${cause}`);
    this.options.post({
      v: PROTOCOL_VERSION,
      id: request.id,
      type: 'error',
      code: errorCodeFor(fault.kind),
      message: clip(fault.message),
      ceremonyId: request.ceremonyId,
      culprit: fault.culprit,
      failure: fault.kind,
    });
  }
}

function decode(request: CeremonyRequest): Job {
  switch (request.type) {
    case 'dkg.run':
      return { request, params: dkgParamsFromWire(request) };
    case 'sign.run':
      return { request, params: signParamsFromWire(request) };
    case 'reshare.run':
      return { request, params: reshareParamsFromWire(request) };
  }
}

/**
 * Where an unexpected error came from, for the host's log: its type and stack frames, not its message, which a library
 * may have filled with the value it choked on (a share, a nonce).
 */
function whereFrom(err: unknown): string {
  if (!(err instanceof Error) || err.name === 'CeremonyError') return '';
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return `\n${err.name}\n${frames.join('\n')}`;
}

const clip = (text: string): string => (text.length > 1900 ? `${text.slice(0, 1900)}…` : text);
