// The relay over NATS core pub/sub: one subject per session and recipient; the party dials out to nats-server.
import type { NatsConnection } from '@nats-io/transport-node';
import { relaySubject, type RelayRoute, type RelaySubscription, type RelayTransport } from './transport';

/** Core NATS (at-most-once): losses are the session engine's to repair, by resending until acknowledged. */
export class NatsRelayTransport implements RelayTransport {
  constructor(private readonly nc: NatsConnection) {}

  async subscribe(route: RelayRoute, deliver: (envelope: Uint8Array) => void): Promise<RelaySubscription> {
    const sub = this.nc.subscribe(relaySubject(route), {
      callback: (err, msg) => {
        if (err === null) deliver(msg.data);
      },
    });
    // The server has the interest once a round trip is done: what others publish afterwards reaches us.
    try {
      await this.nc.flush();
    } catch (err) {
      // Nobody holds this subscription: left registered, a reconnecting client would subscribe it again, for ever.
      sub.unsubscribe();
      throw err;
    }
    return {
      closed: sub.closed,
      close: async () => {
        if (!sub.isClosed()) sub.unsubscribe();
      },
    };
  }

  async publish(route: RelayRoute, envelope: Uint8Array): Promise<void> {
    this.nc.publish(relaySubject(route), envelope);
  }
}
