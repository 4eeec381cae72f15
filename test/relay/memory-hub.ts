// An in-memory relay for fast property tests: routes envelopes between sessions in one process, through a hostile policy.
import { relaySubject, type RelayRoute, type RelaySubscription, type RelayTransport } from '../../main/relay/transport';

/** What becomes of one published envelope: delivered after each listed delay (none: dropped). */
export type HubPolicy = (route: RelayRoute, envelope: Uint8Array) => number[];

export class MemoryHub {
  private readonly subs = new Map<string, (envelope: Uint8Array) => void>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  constructor(public policy: HubPolicy = () => [0]) {}

  transport(): RelayTransport {
    return {
      subscribe: async (route: RelayRoute, deliver: (envelope: Uint8Array) => void): Promise<RelaySubscription> => {
        const subject = relaySubject(route);
        this.subs.set(subject, deliver);
        return { closed: new Promise<void>(() => undefined), close: async () => void this.subs.delete(subject) };
      },
      publish: async (route: RelayRoute, envelope: Uint8Array): Promise<void> => {
        const copy = envelope.slice();
        for (const delay of this.policy(route, copy)) {
          const t = setTimeout(() => {
            this.timers.delete(t);
            this.subs.get(relaySubject(route))?.(copy.slice());
          }, delay);
          this.timers.add(t);
        }
      },
    };
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
