// Follows the team log while a console runs: each new entry on the vault's subject (and a slow poll, for a lost
// notification or a reconnect) makes the writer adopt what it has not consumed; what it refused is reported.
import type { AdoptReport } from '../vault/log-writer';
import type { NatsConnection } from './connection';

export interface FollowerOptions {
  readonly nc: NatsConnection;
  readonly subject: string;
  /** The writer's catch-up (VaultService.teamSync). */
  readonly sync: () => Promise<AdoptReport>;
  /** Told after each catch-up that adopted or refused something, or failed. */
  readonly onReport?: (report: AdoptReport | { error: Error }) => void;
  readonly pollMs?: number;
}

export class Follower {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly subscription;

  constructor(private readonly options: FollowerOptions) {
    // A console may lack the right to subscribe to the subject: then the poll alone follows the log.
    this.subscription = options.nc.subscribe(options.subject, { callback: () => this.poke() });
    this.timer = setInterval(() => this.poke(), options.pollMs ?? 2_000);
    this.poke();
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
          if (report.adopted > 0 || report.refused.length > 0) this.options.onReport?.(report);
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
    this.subscription.unsubscribe();
    await this.running;
  }
}
