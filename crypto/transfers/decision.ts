// A transfer's policy decision from the replayed log: the policy in force, its whitelists, the approvals, the history.
import { evaluate, validatePolicy, validateWhitelist, type Decision, type Policy, type SignedTransfer, type Whitelist } from '../policy/index.js';
import type { GovernanceState, TransferState } from '../governance/types.js';
import { sats } from './statements.js';

export interface DecisionContext {
  /** ms since the epoch. */
  now: number;
  /** Transfers the wallet signed (the console's log, or the MPC host's own ledger). */
  history: readonly SignedTransfer[];
  /** When each decision counts from (ms); by default the time its record carries. The MPC host passes its own receipt times. */
  timeOf?: (decision: { userId: string; seq: number; at: string }) => number;
}

/**
 * Documents validated once: a state's documents are never changed once replayed (new versions are new objects), and a
 * page of requests asks for the same policy and whitelists on every row.
 */
const policies = new WeakMap<object, Policy>();
const lists = new WeakMap<object, Whitelist>();
function validated<D extends object, V>(memo: WeakMap<object, V>, document: D, validate: (d: D) => V): V {
  let v = memo.get(document);
  if (v === undefined) {
    v = validate(document);
    memo.set(document, v);
  }
  return v;
}

/**
 * evaluate() over the log's facts. Approvals count only from active users who are members of a step's group now
 * (a revoked person has left every group); a person counts once (evaluate's matching).
 */
export function transferDecision(state: GovernanceState, transfer: TransferState, ctx: DecisionContext): Decision {
  const request = transfer.request;
  if (transfer.cancelled !== null) {
    return { outcome: 'rejected', ruleId: '', reason: `cancelled by ${transfer.cancelled.userId}`, rejectedBy: [transfer.cancelled.userId], steps: [], velocity: [] };
  }
  const adopted = state.policies.find((p) => p.walletId === request.walletId);
  if (adopted === undefined || adopted.version !== request.policyVersion || adopted.hash !== request.policyHash) {
    return {
      outcome: 'denied',
      code: 'INVALID_REQUEST',
      reason: adopted === undefined ? 'the wallet has no policy in force' : `the request was made under policy version ${request.policyVersion}; version ${adopted.version} is in force now`,
      ruleId: null,
      velocity: [],
    };
  }
  const policy = validated(policies, adopted.document, validatePolicy);
  const whitelists = state.whitelists.map((w) => validated(lists, w.document, validateWhitelist));
  const active = new Set(state.users.filter((u) => u.status === 'active').map((u) => u.id));
  // A seat needs the group both when the person approved and now: joining a group later does not promote an old
  // approval, and leaving it (or being revoked) withdraws it.
  const heldWhenApproved = new Map(transfer.approvals.map((a) => [a.userId, new Set(a.groups ?? [])]));
  const counts = (groupId: string, userId: string) => heldWhenApproved.get(userId)?.has(groupId) ?? true;
  const groups = new Map(state.groups.map((g) => [g.id, new Set(g.members.filter((m) => active.has(m) && counts(g.id, m)))]));
  const timeOf = ctx.timeOf ?? ((d) => Date.parse(d.at));
  return evaluate({
    policy,
    whitelists,
    request: { id: request.requestId, walletId: request.walletId, initiatorId: request.initiatorId, destination: request.destination, amount: sats(request.amount), createdAt: Date.parse(request.createdAt) },
    approvals: transfer.approvals.filter((a) => active.has(a.userId)).map((a) => ({ userId: a.userId, at: timeOf(a) })),
    rejections: transfer.rejections.filter((r) => active.has(r.userId)).map((r) => ({ userId: r.userId, at: timeOf(r) })),
    groupsAt: groups,
    history: ctx.history.filter((h) => h.requestId !== request.requestId),
    now: ctx.now,
  });
}

/** The wallet's signed transfers as the console's log records them, for velocity (the host keeps its own). */
export function signedHistory(state: GovernanceState, walletId: string): SignedTransfer[] {
  // A state's transfers array is never changed once handed out (replay copies it before a change), so the history
  // read from it once stands for as long as the array does.
  let byWallet = histories.get(state.transfers);
  if (byWallet === undefined) {
    byWallet = new Map();
    histories.set(state.transfers, byWallet);
  }
  let known = byWallet.get(walletId);
  if (known === undefined) {
    known = readHistory(state, walletId);
    byWallet.set(walletId, known);
  }
  return known.slice();
}

const histories = new WeakMap<readonly TransferState[], Map<string, SignedTransfer[]>>();

/**
 * The wallet's signed history from `state`, worked out from the last one read when it can be: replay's next array is
 * the last one with some transfers replaced and some inserted (never removed nor reordered), so one walk comparing
 * references finds what changed without reading every transfer. Anything else (another vault, a list read from the
 * store) is read in full.
 */
function readHistory(state: GovernanceState, walletId: string): SignedTransfer[] {
  const before = lastRead.get(walletId);
  const now = state.transfers;
  let bySigned: Map<string, SignedTransfer> | null = null;
  if (before !== undefined && before.transfers.length <= now.length) {
    const a = before.transfers;
    const next = new Map(before.bySigned);
    let i = 0;
    for (let j = 0; j < now.length; j++) {
      const t = now[j] as TransferState;
      if (i < a.length && a[i] === t) {
        i++;
        continue;
      }
      if (i < a.length && (a[i] as TransferState).id === t.id) i++;
      note(next, t, walletId);
    }
    if (i === a.length) bySigned = next;
  }
  if (bySigned === null) {
    bySigned = new Map();
    for (const t of now) note(bySigned, t, walletId);
  }
  lastRead.set(walletId, { transfers: now, bySigned });
  return [...bySigned.values()];
}

function note(bySigned: Map<string, SignedTransfer>, t: TransferState, walletId: string): void {
  if (t.request.walletId !== walletId || t.signed === null) {
    bySigned.delete(t.id);
    return;
  }
  let entry = entries.get(t);
  if (entry === undefined) {
    entry = { requestId: t.id, ruleId: t.signed.ruleId, amount: sats(t.request.amount), signedAt: Date.parse(t.signed.at) };
    entries.set(t, entry);
  }
  bySigned.set(t.id, entry);
}

/** The last history read per wallet, and the array it was read from. */
const lastRead = new Map<string, { transfers: readonly TransferState[]; bySigned: Map<string, SignedTransfer> }>();

/** Each signed transfer's entry, made once: a transfer entity never changes once replayed (a change is a new object). */
const entries = new WeakMap<TransferState, SignedTransfer>();
