// The relay as files, for a signer that is offline: its envelopes leave in an exported bundle, the others' replies arrive in one to import.
import { readFile, writeFile } from 'node:fs/promises';
import { base64 } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { RelayRoute, RelaySubscription, RelayTransport } from './transport';

export const BUNDLE_FORMAT = 'custos-relay-bundle/v1';
const MAX_BUNDLE_ENVELOPES = 100_000;

/** One envelope and where it goes. Envelopes are sealed and signed: a bundle holds nothing secret in the clear. */
export type BundleEntry = RelayRoute & { envelope: Uint8Array };

export class RelayBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RelayBundleError';
  }
}

/** A bundle file's text: JSON, one entry per envelope, envelopes in base64. */
export function encodeBundle(entries: readonly BundleEntry[]): string {
  const envelopes = entries.map((e) => ({ vaultId: e.vaultId, sessionId: e.sessionId, to: e.party, envelope: base64.encode(e.envelope) }));
  return JSON.stringify({ format: BUNDLE_FORMAT, envelopes }, null, 1) + '\n';
}

export function decodeBundle(text: string): BundleEntry[] {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new RelayBundleError('this file is not a relay bundle (it is not JSON); export it again with custos');
  }
  const b = o as { format?: unknown; envelopes?: unknown } | null;
  if (typeof b !== 'object' || b === null || b.format !== BUNDLE_FORMAT)
    throw new RelayBundleError(`this file is not a ${BUNDLE_FORMAT} bundle`);
  if (!Array.isArray(b.envelopes) || b.envelopes.length > MAX_BUNDLE_ENVELOPES) throw new RelayBundleError('the bundle has no list of envelopes');
  return b.envelopes.map((e: unknown, i: number) => {
    const x = e as Record<string, unknown> | null;
    if (typeof x !== 'object' || x === null || typeof x.vaultId !== 'string' || typeof x.sessionId !== 'string' || typeof x.to !== 'string' || typeof x.envelope !== 'string')
      throw new RelayBundleError(`envelope ${i} of the bundle is not well formed`);
    let envelope: Uint8Array;
    try {
      envelope = base64.decode(x.envelope);
    } catch {
      throw new RelayBundleError(`envelope ${i} of the bundle is not base64`);
    }
    return { vaultId: x.vaultId, sessionId: x.sessionId, party: x.to, envelope };
  });
}

const routeKey = (r: RelayRoute): string => JSON.stringify([r.vaultId, r.sessionId, r.party]);

/** Keeps each distinct envelope once, in the order first seen (a session resends the same bytes until acknowledged). */
class EnvelopeQueue {
  private entries = new Map<string, BundleEntry>();
  add(route: RelayRoute, envelope: Uint8Array): void {
    const id = routeKey(route) + bytesToHex(sha256(envelope));
    if (!this.entries.has(id)) this.entries.set(id, { ...route, envelope: new Uint8Array(envelope) });
  }
  take(): BundleEntry[] {
    const out = [...this.entries.values()];
    this.entries = new Map();
    return out;
  }
}

/**
 * The offline party's transport. What its session publishes waits in an outbox until `exportOutbox` writes it; a
 * session resends what is unacknowledged, so an envelope whose file was lost simply goes out again in the next export.
 */
export class FileRelayTransport implements RelayTransport {
  private readonly outbox = new EnvelopeQueue();
  private readonly subscribers = new Map<string, (envelope: Uint8Array) => void>();

  async subscribe(route: RelayRoute, deliver: (envelope: Uint8Array) => void): Promise<RelaySubscription> {
    const key = routeKey(route);
    this.subscribers.set(key, deliver);
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    return {
      closed,
      close: async () => {
        this.subscribers.delete(key);
        resolveClosed();
      },
    };
  }

  async publish(route: RelayRoute, envelope: Uint8Array): Promise<void> {
    this.outbox.add(route, envelope);
  }

  /** Writes what was published since the last export to `path`; answers how many envelopes it holds. */
  async exportOutbox(path: string): Promise<number> {
    const entries = this.outbox.take();
    await writeFile(path, encodeBundle(entries));
    return entries.length;
  }

  /** Delivers a bundle's envelopes to this party's open sessions; answers how many were for one of them. */
  async importBundle(path: string): Promise<number> {
    const entries = decodeBundle(await readFile(path, 'utf8'));
    let delivered = 0;
    for (const e of entries) {
      const deliver = this.subscribers.get(routeKey(e));
      if (deliver === undefined) continue;
      deliver(e.envelope);
      delivered++;
    }
    return delivered;
  }
}

/**
 * The online side of a file-carried party: whoever carries its files (any console; trusted for nothing, like the relay)
 * publishes the offline party's bundles on the relay and collects what the relay holds for it into the next bundle.
 */
export class RelayCourier {
  private readonly inbox = new EnvelopeQueue();
  private readonly subs: RelaySubscription[] = [];

  constructor(private readonly transport: RelayTransport) {}

  /** Starts collecting what is published to the offline party in one session. */
  async collect(route: RelayRoute): Promise<void> {
    this.subs.push(await this.transport.subscribe(route, (envelope) => this.inbox.add(route, envelope)));
  }

  /** Publishes an exported bundle's envelopes to their recipients. */
  async carryOut(path: string): Promise<number> {
    const entries = decodeBundle(await readFile(path, 'utf8'));
    for (const e of entries) await this.transport.publish(e, e.envelope);
    return entries.length;
  }

  /** Writes what was collected since the last call to `path`, for the offline party to import. */
  async carryIn(path: string): Promise<number> {
    const entries = this.inbox.take();
    await writeFile(path, encodeBundle(entries));
    return entries.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.subs.splice(0).map((s) => s.close()));
  }
}
