// Warm relay party processes for the bench: n children of party-child.ts started once, each given one job per ceremony.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execArgvFor } from '../../main/mpc/launch-node';
import type { ChildJob, ChildReply } from './party-child';

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'party-child.ts');

type Waiter = { resolve: (r: ChildReply) => void; reject: (e: Error) => void };

/** One child: its replies queue up until someone asks for the next one; an exit fails whoever waits. */
class Party {
  private readonly replies: ChildReply[] = [];
  private readonly waiters: Waiter[] = [];
  private exited: string | null = null;

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: ChildReply) => {
      const w = this.waiters.shift();
      if (w) w.resolve(m);
      else this.replies.push(m);
    });
    child.on('exit', (code, signal) => {
      this.exited = `party process exited (${signal ?? code})`;
      for (const w of this.waiters.splice(0)) w.reject(new Error(this.exited));
    });
  }

  next(): Promise<ChildReply> {
    const r = this.replies.shift();
    if (r) return Promise.resolve(r);
    if (this.exited !== null) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
}

export class PartyPool {
  private constructor(private readonly parties: Party[]) {}

  /** Starts `n` party processes; each loads its code before its first job comes. */
  static start(n: number): PartyPool {
    return new PartyPool(
      Array.from({ length: n }, () => new Party(fork(ENTRY, [], { execArgv: execArgvFor(ENTRY), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))),
    );
  }

  get size(): number {
    return this.parties.length;
  }

  /** True once every process has ended. */
  exited(): boolean {
    return this.parties.every(({ child }) => child.exitCode !== null || child.signalCode !== null);
  }

  /** Gives job i to process i and waits until every one has opened its session (subscribed). */
  async open(jobs: ChildJob[]): Promise<void> {
    if (jobs.length > this.parties.length) throw new Error(`${jobs.length} jobs for ${this.parties.length} party processes`);
    jobs.forEach((job, i) => this.parties[i]!.child.send({ ...job, stay: true }));
    const replies = await Promise.all(jobs.map((_, i) => this.parties[i]!.next()));
    const bad = replies.find((r) => r.type !== 'ready');
    if (bad) throw new Error(`a party could not open its session: ${JSON.stringify(bad)}`);
  }

  /** Lets the first `count` processes run what they opened; answers their replies, in process order. */
  go(count: number): Promise<ChildReply[]> {
    const finals = this.parties.slice(0, count).map((p) => p.next());
    for (const p of this.parties.slice(0, count)) p.child.send('go');
    return Promise.all(finals);
  }

  /** Lets every process go (it drains its connections and exits); kills any still there after 5 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.parties.map(({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        if (child.connected) child.disconnect();
        else child.kill('SIGKILL');
        return gone.finally(() => clearTimeout(timer));
      }),
    );
  }
}
