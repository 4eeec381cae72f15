// Follows the team log while a console runs: each new entry on the vault's subject (and a slow poll, for a missed
// notification or a server that came back) makes the writer adopt what it has not consumed; refusals and failures
// are reported, never thrown.
import type { AdoptReport } from '../vault/log-writer';

export interface FollowerOptions {
  /** The writer's catch-up (VaultService.teamSync). */
  readonly sync: () => Promise<AdoptReport>;
  /** Calls `onEntry` for each new entry on the vault's subject until the returned function is called. */
  readonly watch?: (onEntry: () => void) => Promise<() => void>;
  /** Told after each catch-up, or its failure. */
  readonly onReport?: (report: AdoptReport | { error: Error }) => void;
  readonly pollMs?: number;
}

export class Follower {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private unwatch: (() => void) | null = null;

  constructor(private readonly options: FollowerOptions) {}

  start(): this {
    this.timer = setInterval(() => this.poke(), this.options.pollMs ?? 2_000);
    this.timer.unref();
    this.poke();
    return this;
  }

  /** Catches up now (once more after the current run when one is going). */
  poke(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const report = await this.options.sync();
          this.options.onReport?.(report);
          // Notifications once connected (a server that was down is watched again after it answers).
          if (this.unwatch === null && this.options.watch !== undefined && !this.stopped) {
            this.unwatch = await this.options.watch(() => this.poke());
            // An entry that landed between that catch-up and the subscription is caught by one more.
            this.again = true;
          }
        } catch (err) {
          this.options.onReport?.({ error: err as Error });
        }
      } while (this.again && !this.stopped);
      this.running = null;
    })();
  }

  /** Stops following and waits for a catch-up in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    this.unwatch?.();
    this.unwatch = null;
  }
}
