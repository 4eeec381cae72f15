// The store's signed log as the MPC host is sent it: only the records after the host's, with the log's fingerprint
// kept up to date as records are appended rather than recomputed over the whole log for every sync.
import type { HostLog } from '../mpc/host-log';
import { extendFingerprint, FINGERPRINT_START } from '../store/log-head';
import type { Store } from '../store';

interface Fingerprinted {
  /** Records the fingerprint covers (the last seq + 1). */
  count: number;
  fingerprint: string;
  /** The last covered record's body, so a log rewritten under a running console is fingerprinted anew, not extended. */
  last: string | null;
}

const known = new WeakMap<Store, Fingerprinted>();

/** What main's own check verified of the log: its record count and fingerprint (null: nothing verified). */
export type VerifiedHead = () => { count: number; fingerprint: string } | null;

/**
 * The log of `store` as a HostLog. The fingerprint starts from the one main's check already computed (`verified`), or
 * is computed over the whole log once per opened store, then extended by the records appended since; it starts over
 * whenever the log is shorter than before or its last covered record changed. (Main's own guard checks the whole log against its head before every change; the host checks this
 * fingerprint against its own, so a log cut short or rewritten is refused there too.)
 */
export function storeLog(store: Store, verified: VerifiedHead): HostLog {
  return {
    tail(fromSeq) {
      let fp = known.get(store) ?? fromVerified(store, verified());
      if (fp !== undefined && fp.count > 0 && store.records.bodyAt(fp.count - 1) !== fp.last) fp = undefined;
      const start = fp === undefined ? 0 : Math.min(fp.count, fromSeq);
      const rows = store.records.from(start);
      let { count, fingerprint, last } = fp ?? { count: 0, fingerprint: FINGERPRINT_START, last: null };
      for (const r of rows) {
        if (r.seq < count) continue;
        fingerprint = extendFingerprint(fingerprint, r.seq, r.body);
        last = r.body;
        count = r.seq + 1;
      }
      known.set(store, { count, fingerprint, last });
      const from = Math.min(fromSeq, count);
      return { fromSeq: from, records: rows.filter((r) => r.seq >= from).map((r) => r.body), head: fingerprint };
    },
  };
}

/** The fingerprint main's check verified at start-up, so the first sync does not hash the whole log a second time. */
function fromVerified(store: Store, head: { count: number; fingerprint: string } | null): Fingerprinted | undefined {
  if (head === null || head.count === 0) return undefined;
  const last = store.records.bodyAt(head.count - 1);
  return last === null ? undefined : { count: head.count, fingerprint: head.fingerprint, last };
}
