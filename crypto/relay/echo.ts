// The echo check: after a broadcast round each party reports what it received, and a difference is blamed on a signer only with proof.
import { readHeader, RelayOpenError, verifyEvidence, type EnvelopeEvidence } from './envelope.js';
import type { TransportDirectory } from './keys.js';

/** One broadcast as the echoing party received it: the sender, the content hash, and the sender's signed header as proof. */
export type EchoEntry = { from: string; hash: string; evidence: EnvelopeEvidence };

/** An echo as it travels in a 'relay/echo' envelope's payload (the envelope's round is the broadcast round). */
export type EchoPayload = { entries: EchoEntry[] };

export type EchoVerdict =
  | { ok: true }
  /** A party signed two different broadcasts for one round: it is the culprit, and its two signatures prove it. */
  | { ok: false; code: 'CULPRIT'; culprit: string; reason: string }
  /** The views differ and no signature of the sender explains it. */
  | { ok: false; code: 'RELAY_EQUIVOCATION'; reason: string };

export type EchoContext = {
  vaultId: string;
  sessionId: string;
  round: number;
  /** The broadcasts of this round as this party knows them (its own included): sender → content hash. */
  mine: ReadonlyMap<string, string>;
  directory: TransportDirectory;
};

/** Reads an echo payload into entries, or null when it is not one (the echoing party signed a malformed echo). */
export function readEcho(payload: unknown): EchoEntry[] | null {
  const p = payload as { entries?: unknown } | null;
  if (typeof p !== 'object' || p === null || !Array.isArray(p.entries)) return null;
  const out: EchoEntry[] = [];
  for (const e of p.entries as unknown[]) {
    const x = e as Partial<EchoEntry> | null;
    if (typeof x !== 'object' || x === null || typeof x.from !== 'string' || typeof x.hash !== 'string') return null;
    const ev = x.evidence as Partial<EnvelopeEvidence> | undefined;
    if (typeof ev !== 'object' || ev === null || !(ev.header instanceof Uint8Array) || !(ev.body instanceof Uint8Array) || !(ev.sig instanceof Uint8Array))
      return null;
    out.push({ from: x.from, hash: x.hash, evidence: { header: ev.header, body: ev.body, sig: ev.sig } });
  }
  return out;
}

/**
 * Compares `echoer`'s echo with this party's own view. Senders must match exactly (every broadcast sender but the
 * echoer). Where a hash differs, the echoer's evidence decides: a copy validly signed by the sender, for this vault,
 * session and round, addressed to the echoer and carrying the echoed hash, proves the sender signed two different
 * broadcasts. Anything else is "relay equivocation": nobody can be blamed from the signatures at hand.
 * (Evidence is the signed header and the body's hash, not the ciphertext: echoes stay small.)
 */
export function compareEcho(ctx: EchoContext, echoer: string, entries: readonly EchoEntry[]): EchoVerdict {
  const expected = [...ctx.mine.keys()].filter((s) => s !== echoer).sort();
  const got = entries.map((e) => e.from).sort();
  if (expected.length !== got.length || expected.some((s, i) => s !== got[i]))
    return { ok: false, code: 'CULPRIT', culprit: echoer, reason: `party ${echoer} signed an echo of round ${ctx.round} that does not list exactly the round's broadcasts` };
  for (const e of entries) {
    const mine = ctx.mine.get(e.from) as string;
    if (mine === e.hash) continue;
    if (provesEquivocation(ctx, echoer, e))
      return {
        ok: false,
        code: 'CULPRIT',
        culprit: e.from,
        reason: `party ${e.from} signed two different broadcasts for round ${ctx.round} (one to ${echoer}, hash ${e.hash.slice(0, 16)}…, and another, hash ${mine.slice(0, 16)}…)`,
      };
    return {
      ok: false,
      code: 'RELAY_EQUIVOCATION',
      reason: `relay equivocation: party ${echoer} received a broadcast of round ${ctx.round} from ${e.from} that differs from this party's, and no signature of ${e.from} explains it`,
    };
  }
  return { ok: true };
}

function provesEquivocation(ctx: EchoContext, echoer: string, e: EchoEntry): boolean {
  try {
    const h = readHeader(e.evidence.header);
    const keys = ctx.directory(e.from);
    return (
      keys !== null &&
      h.from === e.from &&
      h.to === echoer &&
      h.vaultId === ctx.vaultId &&
      h.sessionId === ctx.sessionId &&
      h.round === ctx.round &&
      h.broadcast === e.hash &&
      verifyEvidence(e.evidence, keys.signingKey)
    );
  } catch (err) {
    if (err instanceof RelayOpenError) return false;
    throw err;
  }
}
