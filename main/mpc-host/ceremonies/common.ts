// What every ceremony runner shares: its environment (randomness, progress, yielding), step reporting, and failures as data.
import { CeremonyError } from '../../../crypto/frost/errors';
import type { PartyId, Rng } from '../../../crypto/frost/types';
import type { DkgPool } from '../dkg-pool';
import type { CeremonyStep, FailureKind } from '../protocol';

export type Progress = { step: CeremonyStep; done: number; total: number };

export interface CeremonyEnv {
  /** The host's CSPRNG. A parameter so an in-process test can pass a constant one and see what device entropy protects. */
  rng: Rng;
  /** Told when each step begins and, at most every PROGRESS_INTERVAL_MS, how far it got. */
  progress?: (p: Progress) => void;
  /** Awaited between units of work: the host yields to its event loop there, so it keeps answering pings. */
  pause?: () => Promise<void>;
  /** Milliseconds on a monotonic clock, for spacing progress events. */
  now?: () => number;
  /** Where a DKG's rounds run: the host's worker threads (the host owns it and closes it). */
  dkgPool?: DkgPool;
}

/** Within a step, progress is reported no more often than this: at 100 parties a report per unit would flood main. */
export const PROGRESS_INTERVAL_MS = 250;
/** How long the host may compute before it yields to its event loop (a ping then waits at most about this long). */
export const YIELD_INTERVAL_MS = 10;

/** A failed ceremony, as the host answers it: which kind, who is to blame (if anyone), and a plain-words message. */
export class CeremonyFault extends Error {
  readonly kind: FailureKind;
  readonly culprit: PartyId | null;
  constructor(kind: FailureKind, message: string, culprit: PartyId | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CeremonyFault';
    this.kind = kind;
    this.culprit = culprit;
  }
}

/**
 * Turns whatever a ceremony threw into a fault. crypto/frost's failures keep their reason (plain words, no secrets);
 * anything else is a fault of the host's own, whose text goes to the host's log (as `cause`), not into the reply.
 */
export function toFault(err: unknown): CeremonyFault {
  if (err instanceof CeremonyFault) return err;
  if (err instanceof CeremonyError) {
    const culprit = err.culprit ?? null;
    switch (err.code) {
      case 'BAD_CONFIG':
        return new CeremonyFault('request', `the request does not fit the key: ${err.reason}`, null, { cause: err });
      case 'DKG_CULPRIT':
      case 'SIGN_CULPRIT':
      case 'RESHARE_CULPRIT':
      case 'MALFORMED_MESSAGE':
        if (culprit !== null) return new CeremonyFault('culprit', `party ${culprit} sent a message that fails its checks: ${err.reason}`, culprit, { cause: err });
        break;
      default:
        break;
    }
    return new CeremonyFault('internal', `a self-check of the MPC host failed (${err.code}): ${err.reason}`, null, { cause: err });
  }
  return new CeremonyFault('internal', 'the MPC host hit an unexpected error during the ceremony; its log has the details', null, { cause: err });
}

/** Reports steps and their progress, and yields to the host's event loop between units of work. */
export class StepReporter {
  private step: CeremonyStep | null = null;
  private total = 1;
  private lastEmit = -Infinity;
  private lastYield = -Infinity;
  constructor(private readonly env: CeremonyEnv) {}

  /** The step under way, for the host's log when a ceremony fails. */
  get current(): CeremonyStep | null {
    return this.step;
  }

  async begin(step: CeremonyStep, total: number): Promise<void> {
    this.step = step;
    this.total = Math.max(1, total);
    this.emit(0);
    this.lastYield = this.env.now?.() ?? 0;
    await this.env.pause?.();
  }

  /** `done` units of the current step are finished. */
  readonly tick = async (done: number): Promise<void> => {
    const now = this.env.now?.();
    if (now !== undefined && now - this.lastEmit >= PROGRESS_INTERVAL_MS && done < this.total) this.emit(done);
    if (now === undefined || now - this.lastYield >= YIELD_INTERVAL_MS) {
      this.lastYield = now ?? 0;
      await this.env.pause?.();
    }
  };

  private emit(done: number): void {
    if (this.step === null) return;
    this.lastEmit = this.env.now?.() ?? this.lastEmit;
    this.env.progress?.({ step: this.step, done, total: this.total });
  }
}
