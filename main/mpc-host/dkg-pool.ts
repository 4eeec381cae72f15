// Spreads one DKG's parties over worker threads, each running crypto/frost's state machines, with the same result as one thread.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';
import { dkgAbort, dkgFinish, dkgStart, dkgStep, type DkgMessage, type DkgState } from '../../crypto/frost/dkg';
import { seededRng } from '../../crypto/frost/entropy';
import { CeremonyError, asCeremonyError, type CeremonyFailure } from '../../crypto/frost/errors';
import { BROADCAST, type GroupKey, type PartyId, type SecretShare } from '../../crypto/frost/types';

/*
 * Why: a DKG's cost grows as n²·t and every party's work is independent between rounds, so a 34-of-50 or 67-of-100
 * key made by one host thread leaves the other cores idle. Each worker hosts a slice of the parties; messages between
 * slices go through this (main) thread, messages within a slice never leave its worker. Randomness cannot cross a
 * thread as a function, so each party's host RNG is given as a seed for seededRng; given the same seeds (and device
 * entropy), the key and every share are byte for byte those of the one-thread run (the test checks it).
 *
 * Secrets in flight (round-2 shares, final shares) stay inside the host process; their buffers are transferred, not
 * copied, so the sending thread keeps no second copy, and a receiver wipes a round-2 share once its state machine
 * has taken its own copy.
 */

export type PoolParty = {
  partyId: PartyId;
  /** The party's host randomness for this ceremony, as a seededRng seed (fresh CSPRNG bytes in production). 32 bytes. */
  rngSeed: Uint8Array;
  /** The custodian device's entropy, mixed in by dkgStart. 32 bytes. */
  deviceEntropy: Uint8Array;
};

export type PoolDkgRequest = { ceremonyId: string; threshold: number; parties: PoolParty[] };

/** The group key and every party's share, shares in the key's party order. The caller seals and wipes the shares. */
export type PoolDkgResult = { groupKey: GroupKey; shares: SecretShare[] };

/**
 * How far a run got, summed over its threads: parties that drew their round-1 package, that dealt their round-2 shares
 * (every round-1 package received), and that finished (every share received and checked). Each counts up to the
 * number of parties.
 */
export type PoolProgress = { started: number; dealt: number; finished: number; total: number };

export interface DkgPoolOptions {
  /** Worker threads; defaults to the machine's available parallelism. A run uses at most one per party. */
  threads?: number;
  /** The worker's script: by default `dkg-pool.js` beside this module (a bundle), else this `.ts` file (sources). */
  workerEntry?: string;
  /** A run that has not finished by then is aborted. */
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------------
// Messages between the pool and its workers (same process, same build: no version field, no schema).

type Hosted = { partyId: PartyId; rngSeed: Uint8Array; deviceEntropy: Uint8Array };
type ToWorker =
  | { type: 'start'; run: number; ceremonyId: string; threshold: number; parties: PartyId[]; hosted: Hosted[] }
  | { type: 'deliver'; run: number; messages: DkgMessage[] }
  | { type: 'abort'; run: number; reason: string };
type Counts = { started: number; dealt: number; finished: number };
type FromWorker =
  | { type: 'ready' }
  | ({ type: 'progress'; run: number } & Counts)
  | { type: 'out'; run: number; messages: DkgMessage[] }
  | { type: 'done'; run: number; groupKey: GroupKey; shares: SecretShare[] }
  | { type: 'failed'; run: number; failure: CeremonyFailure };

const WORKER_MARK = 'custos-dkg-pool';

/** Buffers of secret bytes to move with a post: a round-2 share or a final share, each in its own 32-byte buffer. */
function secretBuffers(items: { signingShare?: Uint8Array }[]): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const { signingShare: s } of items) {
    // Only a view that owns its whole buffer can be moved without taking its neighbours along.
    if (s instanceof Uint8Array && s.byteOffset === 0 && s.buffer.byteLength === s.length && s.buffer instanceof ArrayBuffer)
      out.push(s.buffer);
  }
  return out;
}

/** Everything that makes two parties' views of the key the same key. */
const keyFingerprint = (k: GroupKey): string =>
  bytesToHex(
    concatBytes(k.outputKey, k.internalKey, k.chainCode, ...k.publicPackage.commitments, ...k.parties.map((p) => k.publicPackage.verifyingShares[p] as Uint8Array)),
  ) + `/${k.threshold}/${k.parties.join(',')}`;

// ---------------------------------------------------------------------------------------------------
// Worker side

function serveWorker(port: MessagePort): void {
  let run: { id: number; states: Map<PartyId, DkgState>; remote: boolean } | null = null;
  const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

  const fail = (id: number, err: unknown) => {
    if (run?.id === id) {
      for (const s of run.states.values()) dkgAbort(s, 'another party of this ceremony failed');
      run = null;
    }
    post({ type: 'failed', run: id, failure: asCeremonyError(err, 'INTERNAL').toJSON() });
  };

  /** Steps local parties until nothing local is left; returns what must go to parties in other workers. */
  const pump = (r: NonNullable<typeof run>, inbox: [PartyId, DkgMessage][]): DkgMessage[] => {
    const remote: DkgMessage[] = [];
    const send = (m: DkgMessage) => {
      if (m.to === BROADCAST) {
        for (const id of r.states.keys()) if (id !== m.from) inbox.push([id, m]);
        if (r.remote) remote.push(m);
      } else if (r.states.has(m.to)) inbox.push([m.to, m]);
      else remote.push(m);
    };
    for (let i = 0; i < inbox.length; i++) {
      const [to, m] = inbox[i] as [PartyId, DkgMessage];
      const step = dkgStep(r.states.get(to) as DkgState, m);
      r.states.set(to, step.state);
      // The state machine keeps its own copy; a point-to-point share has no other reader.
      if (m.kind === 'dkg/round2') m.signingShare.fill(0);
      step.outbox.forEach(send);
    }
    return remote;
  };

  let told = '';
  /** Tells the pool how far this thread's parties got, when that changed. */
  const tell = (r: NonNullable<typeof run>) => {
    const phases = [...r.states.values()].map((s) => s.public.phase);
    const counts: Counts = { started: phases.length, dealt: phases.filter((p) => p === 'round2' || p === 'done').length, finished: phases.filter((p) => p === 'done').length };
    const key = `${r.id}/${counts.started}/${counts.dealt}/${counts.finished}`;
    if (key !== told) post({ type: 'progress', run: r.id, ...counts });
    told = key;
  };

  const flush = (r: NonNullable<typeof run>, remote: DkgMessage[]) => {
    if (remote.length > 0) post({ type: 'out', run: r.id, messages: remote }, secretBuffers(remote.filter((m) => m.kind === 'dkg/round2')));
    tell(r);
    if ([...r.states.values()].some((s) => s.public.phase !== 'done')) return;
    const finished = [...r.states.values()].map(dkgFinish);
    const groupKey = (finished[0] as (typeof finished)[0]).groupKey;
    const fp = keyFingerprint(groupKey);
    if (finished.some((f) => keyFingerprint(f.groupKey) !== fp))
      throw new CeremonyError('INTERNAL', 'parties in one pool thread finished with different group keys');
    const shares = finished.map((f) => f.share);
    run = null;
    post({ type: 'done', run: r.id, groupKey, shares }, secretBuffers(shares));
  };

  port.on('message', (cmd: ToWorker) => {
    try {
      if (cmd.type === 'abort') {
        if (run?.id === cmd.run) for (const s of run.states.values()) dkgAbort(s, cmd.reason);
        if (run?.id === cmd.run) run = null;
        return;
      }
      if (cmd.type === 'start') {
        const r = { id: cmd.run, states: new Map<PartyId, DkgState>(), remote: cmd.hosted.length < cmd.parties.length };
        run = r;
        const inbox: [PartyId, DkgMessage][] = [];
        const first: DkgMessage[] = [];
        for (const h of cmd.hosted) {
          const rng = seededRng(h.rngSeed);
          h.rngSeed.fill(0);
          try {
            const start = dkgStart(
              { ceremonyId: cmd.ceremonyId, self: h.partyId, parties: cmd.parties, threshold: cmd.threshold },
              { rng, deviceEntropy: h.deviceEntropy },
            );
            r.states.set(h.partyId, start.state);
            first.push(...start.outbox);
          } finally {
            rng.wipe();
            h.deviceEntropy.fill(0);
          }
        }
        // Sent before the local work, so the other threads start on them while this one checks its own.
        if (r.remote) post({ type: 'out', run: r.id, messages: first });
        tell(r);
        // Round-1 broadcasts are delivered locally once every local party exists.
        for (const m of first) for (const id of r.states.keys()) if (id !== m.from) inbox.push([id, m]);
        flush(r, pump(r, inbox));
        return;
      }
      if (run?.id !== cmd.run) return; // a late delivery for a run that already failed or was aborted
      const r = run;
      const inbox: [PartyId, DkgMessage][] = [];
      for (const m of cmd.messages) {
        if (m.to === BROADCAST) for (const id of r.states.keys()) inbox.push([id, m]);
        else inbox.push([m.to, m]);
      }
      flush(r, pump(r, inbox));
    } catch (err) {
      fail(cmd.run, err);
    }
  });
  post({ type: 'ready' });
}

if (!isMainThread && parentPort && (workerData as { mark?: unknown } | null)?.mark === WORKER_MARK) serveWorker(parentPort);

// ---------------------------------------------------------------------------------------------------
// Pool side

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * The worker script: CUSTOS_DKG_POOL_WORKER; else `dkg-pool.js` built as its own entry beside this code, or one folder
 * up when this code sits in a split chunk (out/main/chunks/); else this very file from sources (`dkg-pool.ts`).
 */
export function resolvePoolWorkerEntry(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [env.CUSTOS_DKG_POOL_WORKER, join(HERE, 'dkg-pool.js'), join(HERE, '..', 'dkg-pool.js'), join(HERE, 'dkg-pool.ts')];
  const found = candidates.find((p): p is string => typeof p === 'string' && p.length > 0 && existsSync(p));
  if (!found) throw new CeremonyError('INTERNAL', `the DKG pool's worker script is missing (looked for ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

/**
 * Starts a worker on `entry`. A `.ts` entry (running from sources, under tsx or vitest) needs tsx inside the worker, but
 * on Node 20 `--import tsx` (main/mpc/launch-node.ts's way for the host process) registers its hooks on the main
 * thread only; so the worker boots from a line of JS that registers tsx's ESM hooks and then imports the entry.
 */
function startWorker(entry: string): Worker {
  const workerData = { mark: WORKER_MARK };
  // execArgv set explicitly: a worker would otherwise inherit the parent's flags (vitest's, tsx's, an inspector port).
  if (!/\.[cm]?ts$/.test(entry)) return new Worker(entry, { workerData, execArgv: [] });
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(pathToFileURL(entry).href)}); });`;
  return new Worker(boot, { eval: true, workerData, execArgv: [] });
}

/** What a run hears from one worker: its messages, or that it died. */
type SlotEvent = FromWorker | { type: 'crashed'; reason: string };
type Slot = { worker: Worker; ready: Promise<void>; listener: ((e: SlotEvent) => void) | null };

export class DkgPool {
  private readonly threads: number;
  private readonly workerEntry: string | undefined;
  private readonly timeoutMs: number;
  private slots: Slot[] | null = null;
  private runs = 0;
  /** Runs go one after another: each already uses every thread. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: DkgPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isSafeInteger(threads) || threads < 1) throw new Error('threads must be a positive integer');
    this.threads = threads;
    this.workerEntry = options.workerEntry;
    this.timeoutMs = options.timeoutMs ?? 30 * 60_000;
  }

  /** Starts the workers and waits until they listen (under tsx a `.ts` worker compiles first), so runs do not pay for it. */
  async start(): Promise<void> {
    if (this.closed) throw new CeremonyError('CEREMONY_CLOSED', 'the DKG pool is closed');
    if (!this.slots) this.slots = this.spawn();
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /**
   * Runs one DKG over the pool's threads; rejects with a CeremonyError (culprit named when there is one). `onProgress`
   * hears how far the parties got each time a thread's count changes.
   */
  run(request: PoolDkgRequest, onProgress?: (p: PoolProgress) => void): Promise<PoolDkgResult> {
    const next = this.queue.then(() => this.runNow(request, onProgress));
    this.queue = next.catch(() => {});
    return next;
  }

  /** Stops every worker; a run under way is rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await this.discard();
  }

  /** Drops the workers (after a crash, or on close); the next run starts fresh ones. */
  private async discard(): Promise<void> {
    const slots = this.slots;
    this.slots = null;
    if (slots) await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot[] {
    const entry = this.workerEntry ?? resolvePoolWorkerEntry();
    return Array.from({ length: this.threads }, () => {
      const worker = startWorker(entry);
      // Idle workers must not keep a CLI or a test runner alive (a run's timer keeps the loop alive while it lasts).
      worker.unref();
      const slot: Slot = { worker, ready: Promise.resolve(), listener: null };
      slot.ready = new Promise<void>((resolve, reject) => {
        const crashed = (reason: string) => {
          reject(new CeremonyError('INTERNAL', `a DKG pool thread failed: ${reason}`));
          if (this.slots?.includes(slot)) void this.discard();
          slot.listener?.({ type: 'crashed', reason });
        };
        worker.on('error', (e) => crashed(e.message));
        worker.on('exit', (code) => crashed(`it exited (code ${code})`));
        worker.on('message', (m: FromWorker) => (m.type === 'ready' ? resolve() : slot.listener?.(m)));
      });
      slot.ready.catch(() => {});
      return slot;
    });
  }

  private async runNow(request: PoolDkgRequest, onProgress?: (p: PoolProgress) => void): Promise<PoolDkgResult> {
    await this.start();
    const slots = (this.slots as Slot[]).slice(0, Math.min(this.threads, request.parties.length));
    const id = ++this.runs;
    const parties = request.parties.map((p) => p.partyId);
    // Contiguous slices of equal size: every party does the same work, so equal counts balance the threads.
    const per = Math.ceil(parties.length / slots.length);
    const owner = new Map(parties.map((p, i) => [p, Math.floor(i / per)]));

    return new Promise<PoolDkgResult>((resolve, reject) => {
      const done = new Map<number, { groupKey: GroupKey; shares: SecretShare[] }>();
      const counts = slots.map((): Counts => ({ started: 0, dealt: 0, finished: 0 }));
      const progress = (w: number, c: Counts) => {
        counts[w] = c;
        const sum = (k: keyof Counts) => counts.reduce((a, x) => a + x[k], 0);
        onProgress?.({ started: sum('started'), dealt: sum('dealt'), finished: sum('finished'), total: parties.length });
      };
      let settled = false;
      const settle = (err: CeremonyError | null) => {
        settled = true;
        clearTimeout(timer);
        for (const s of slots) s.listener = null;
        if (err === null) return;
        for (const s of slots) s.worker.postMessage({ type: 'abort', run: id, reason: err.message } satisfies ToWorker);
        reject(err);
      };
      const timer = setTimeout(
        () => settle(new CeremonyError('CEREMONY_CLOSED', `DKG ${request.ceremonyId} did not finish within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );

      const route = (from: number, messages: DkgMessage[]) => {
        const batches = slots.map((): DkgMessage[] => []);
        for (const m of messages) {
          if (m.to === BROADCAST) batches.forEach((b, w) => w !== from && b.push(m));
          else batches[owner.get(m.to) ?? -1]?.push(m);
        }
        batches.forEach((b, w) => {
          if (b.length === 0) return;
          const cmd: ToWorker = { type: 'deliver', run: id, messages: b };
          (slots[w] as Slot).worker.postMessage(cmd, secretBuffers(b.filter((m) => m.kind === 'dkg/round2')));
        });
      };

      const collect = (w: number, d: { groupKey: GroupKey; shares: SecretShare[] }) => {
        done.set(w, d);
        if (done.size < slots.length) return;
        const all = [...done.values()];
        const groupKey = (all[0] as (typeof all)[0]).groupKey;
        const fp = keyFingerprint(groupKey);
        if (all.some((x) => keyFingerprint(x.groupKey) !== fp)) {
          all.forEach((x) => x.shares.forEach((s) => s.signingShare.fill(0)));
          settle(new CeremonyError('INTERNAL', 'the pool threads finished with different group keys'));
          return;
        }
        const byId = new Map(all.flatMap((x) => x.shares.map((s) => [s.identifier, s] as const)));
        settle(null);
        resolve({ groupKey, shares: groupKey.parties.map((p) => byId.get(p) as SecretShare) });
      };

      slots.forEach((slot, w) => {
        slot.listener = (e) => {
          if (settled) return;
          if (e.type === 'crashed') settle(new CeremonyError('INTERNAL', `a DKG pool thread failed during DKG ${request.ceremonyId}: ${e.reason}`));
          else if (e.type === 'ready' || e.run !== id) return;
          else if (e.type === 'out') route(w, e.messages);
          else if (e.type === 'progress') progress(w, e);
          else if (e.type === 'failed') settle(new CeremonyError(e.failure.code, e.failure.reason, e.failure.culprit));
          else collect(w, e);
        };
      });

      slots.forEach((slot, w) => {
        const hosted = request.parties
          .filter((p) => owner.get(p.partyId) === w)
          .map((p) => ({ partyId: p.partyId, rngSeed: p.rngSeed.slice(), deviceEntropy: p.deviceEntropy.slice() }));
        const cmd: ToWorker = { type: 'start', run: id, ceremonyId: request.ceremonyId, threshold: request.threshold, parties, hosted };
        // Moved, not copied: the copies made here are the only ones, and the worker wipes them after use.
        slot.worker.postMessage(cmd, hosted.flatMap((h) => [h.rngSeed.buffer as ArrayBuffer, h.deviceEntropy.buffer as ArrayBuffer]));
      });
    });
  }
}
