// What the custodians' signer nodes did in a signing or key ceremony through a team's nodes, one row per node, folded from the progress events main sends (pure, no store).
import type { NodeProgressView } from '../preload/contract';

export interface NodeRow {
  custodian: string;
  /** Its latest state; a round answered does not hide that it accepted (see `accepted`). */
  state: NodeProgressView['state'];
  /** Its gate's answer, once given: true accepted, false refused. */
  accepted: boolean | null;
  /** The rounds whose message arrived from it, in order. */
  rounds: number[];
  /** The last detail main gave (a refusal's reason, the head it is at, the key it made). */
  detail: string | null;
}

/** The rows after one more event: a node's row is updated in place, a new node is added at the end (in the order they were heard of). */
export function foldNodeProgress(rows: readonly NodeRow[], e: NodeProgressView): NodeRow[] {
  const at = rows.findIndex((r) => r.custodian === e.custodian);
  const before: NodeRow = at >= 0 ? rows[at]! : { custodian: e.custodian, state: e.state, accepted: null, rounds: [], detail: null };
  const rounds = e.state === 'round' && e.round !== null && !before.rounds.includes(e.round) ? [...before.rounds, e.round].sort((x, y) => x - y) : before.rounds;
  const accepted = e.state === 'accepted' ? true : e.state === 'refused' ? false : before.accepted;
  // A round's event carries no detail: the row keeps the one before (say, the head it was ready at) until a new one.
  const next: NodeRow = { custodian: e.custodian, state: e.state, accepted, rounds, detail: e.detail ?? (e.state === 'round' ? before.detail : null) };
  return at >= 0 ? rows.map((r, i) => (i === at ? next : r)) : [...rows, next];
}

/** Every node's row after these events. */
export function nodeRows(events: readonly NodeProgressView[]): NodeRow[] {
  return events.reduce<NodeRow[]>(foldNodeProgress, []);
}

const list = (rounds: readonly number[]): string => (rounds.length === 1 ? `round ${rounds[0]}` : `rounds ${rounds.join(', ')}`);

/** A node's row in words: where it stands, and which rounds it answered. */
export function nodeRowWords(r: NodeRow): string {
  const answered = r.rounds.length ? `; answered ${list(r.rounds)}` : '';
  switch (r.state) {
    case 'ready':
      return `Ready${r.detail ? ` ${r.detail}` : ''}`;
    case 'not-ready':
      return `Not ready${r.detail ? `: ${r.detail}` : ''}`;
    case 'picked':
      return 'Takes part: waiting for its custodian to approve on their device';
    case 'accepted':
      return 'Accepted: its custodian approved on their device';
    case 'refused':
      return `Refused${r.detail ? `: ${r.detail}` : ''}`;
    case 'round':
      return `${r.accepted ? 'Accepted' : 'Taking part'}${answered}`;
    case 'key':
      return `Made its share of the key${r.detail ? ` ${r.detail}` : ''}${answered}`;
    case 'attested':
      return `Its custodian attested the key on their device${answered}`;
  }
}

/** Whether a node's row is a refusal (or no answer), a finished part, or still going, for its mark. */
export function nodeRowTone(r: NodeRow): 'bad' | 'good' | 'going' {
  if (r.state === 'refused' || r.state === 'not-ready') return 'bad';
  if (r.state === 'attested') return 'good';
  return 'going';
}
