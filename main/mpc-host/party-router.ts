// In-process routing of ceremony messages between parties that share no state: broadcasts to every other member, direct messages to one. (A network relay would sit beside it, with the same shape.)
import { BROADCAST } from '../../crypto/frost/types';

export type Routed = { from: string; to: string };

/**
 * A party as the transport sees it: an address, and a function that takes one message and answers with its outbox.
 * Its state stays in its own closure; the transport never reads it, and no member reaches another's.
 */
export interface Member<M> {
  readonly id: string;
  receive(message: M): M[];
}

export interface RouterOptions<M> {
  /**
   * The secret byte fields of a message (a DKG share, a reshare sub-share). They are wiped in the sender's message once
   * every recipient has its own copy, and in each recipient's copy once it was received (receivers copy what they keep).
   */
  secretFields?: (message: M) => Uint8Array[];
}

/**
 * In-memory delivery, round by round: `post` a round's messages, `deliver` them, `post` what came back. Each recipient
 * gets its own structured clone, as it would over a process channel or a relay, so no party can alter what another
 * party received or sent; the ceremony code cannot come to rely on shared memory.
 */
export class PartyRouter<M extends Routed> {
  private readonly members: Map<string, Member<M>>;
  private queue: [string, M][] = [];

  constructor(
    members: readonly Member<M>[],
    private readonly options: RouterOptions<M> = {},
  ) {
    this.members = new Map(members.map((m) => [m.id, m]));
    if (this.members.size !== members.length) throw new Error('router: two members with the same id');
  }

  /** Messages queued and not yet delivered. */
  get pending(): number {
    return this.queue.length;
  }

  /** Queues messages for delivery: a broadcast for every member but its sender, a direct message for its recipient. */
  post(messages: readonly M[]): void {
    for (const m of messages) {
      if (!this.members.has(m.from)) throw new Error(`router: a message from ${m.from}, who is not a member`);
      const targets = m.to === BROADCAST ? [...this.members.keys()].filter((id) => id !== m.from) : [m.to];
      for (const to of targets) {
        if (!this.members.has(to)) throw new Error(`router: a message for ${to}, who is not a member`);
        this.queue.push([to, structuredClone(m)]);
      }
      if (m.to !== BROADCAST) this.wipe(m);
    }
  }

  /**
   * Delivers everything queued, in the order it was posted, and returns what the members sent in answer (the next
   * round). `afterEach` is awaited after each delivery (the host yields and reports progress there). If a member throws,
   * the rest of the batch is dropped, its secrets wiped, and the error goes to the caller.
   */
  async deliver(afterEach?: (delivered: number) => Promise<void>): Promise<M[]> {
    const batch = this.queue;
    this.queue = [];
    const answers: M[] = [];
    let i = 0;
    try {
      for (; i < batch.length; i++) {
        const [to, m] = batch[i] as [string, M];
        answers.push(...(this.members.get(to) as Member<M>).receive(m));
        this.wipe(m);
        await afterEach?.(i + 1);
      }
    } finally {
      for (; i < batch.length; i++) this.wipe((batch[i] as [string, M])[1]);
    }
    return answers;
  }

  /** Drops whatever is still queued, wiping its secrets (the ceremony failed or was abandoned). */
  clear(): void {
    for (const [, m] of this.queue) this.wipe(m);
    this.queue = [];
  }

  private wipe(m: M): void {
    for (const b of this.options.secretFields?.(m) ?? []) b.fill(0);
  }
}
