// What waits for the person at the console: proposals to decide, transfers to approve, shares to provide for signing,
// key ceremonies their device takes part in. Main answers it (one source of truth) and says when something new waits.
import { EventEmitter } from 'node:events';
import { formatBtc } from '../crypto/amounts';
import type { GovernanceState, UserState } from '../crypto/governance';
import { validatePolicy } from '../crypto/policy';
import type { InboxItem, InboxView, ProposalView, TransferView } from '../preload/contract';
import type { TransferService } from './transfers/service';
import type { VaultService } from './vault/service';

/** Everything that waits for `user`, newest first within each kind. Pure over the views main already answers. */
export function inboxItems(state: GovernanceState, user: UserState, proposals: readonly ProposalView[], transfers: readonly TransferView[]): InboxItem[] {
  if (user.status !== 'active') return [];
  const items: InboxItem[] = [];
  for (const p of proposals) {
    if (p.status === 'pending' && p.waitingFor.some((u) => u.id === user.id)) {
      items.push({ kind: 'proposal', id: p.id, title: p.title, link: { name: 'proposals' }, since: p.createdAt });
    }
  }
  const groupsOf = new Set(state.groups.filter((g) => g.members.includes(user.id)).map((g) => g.id));
  for (const t of transfers) {
    const wallet = state.wallets.find((w) => w.id === t.wallet.id);
    const what = `${t.id}: ${formatBtc(t.amount)} from ${t.wallet.name}`;
    if (t.status === 'pending' && mayApprove(state, t, user.id, groupsOf)) {
      items.push({ kind: 'approval', id: t.id, title: `Approve or reject ${what}`, link: { name: 'transfer', id: t.id }, since: t.createdAt });
    }
    if (t.status === 'ready' && wallet?.key?.custodians.some((c) => c.userId === user.id) && wallet.pending === null) {
      items.push({ kind: 'signing', id: t.id, title: `Provide your key share to sign ${what}`, link: { name: 'transfer', id: t.id }, since: t.createdAt });
    }
  }
  for (const w of state.wallets) {
    const pending = w.pending;
    if (pending === null) continue;
    const holds = w.key?.custodians.some((c) => c.userId === user.id) ?? false;
    if (pending.custodians.includes(user.id) || holds) {
      const what = pending.ceremony === 'dkg' ? 'the key ceremony that creates' : `the ${pending.ceremony} of the key shares of`;
      items.push({ kind: 'ceremony', id: `${w.id}:${pending.proposalId}`, title: `Take part in ${what} ${w.name}`, link: { name: 'wallet', id: w.id }, since: null });
    }
  }
  return items;
}

/** A pending request's next unfinished step has a seat for this person: in its group, not yet decided, not barred as initiator. */
function mayApprove(state: GovernanceState, t: TransferView, userId: string, groups: ReadonlySet<string>): boolean {
  if (t.approvals.some((a) => a.id === userId) || t.rejections.some((r) => r.id === userId) || t.rule === null) return false;
  const adopted = state.policies.find((p) => p.walletId === t.wallet.id);
  const rule = adopted === undefined ? undefined : validatePolicy(adopted.document).rules.find((r) => r.id === t.rule?.id);
  return t.steps.some((s) => {
    if (s.finished || s.missing === 0 || !groups.has(s.group.id)) return false;
    const initiatorBarred = t.initiator.id === userId && !(rule?.steps[s.index]?.initiatorMayApprove ?? false);
    return !initiatorBarred;
  });
}

export function countsOf(items: readonly InboxItem[]): InboxView['counts'] {
  const count = (kind: InboxItem['kind']) => items.filter((i) => i.kind === kind).length;
  return { proposal: count('proposal'), approval: count('approval'), signing: count('signing'), ceremony: count('ceremony') };
}

/**
 * The inbox of the person acting at the console. Asking for it names the acting device; after each change the vault
 * commits, the inbox is worked out again for that person and whatever is new is announced (`new`), once.
 */
export class Inbox extends EventEmitter<{ new: [InboxItem[]] }> {
  private watched: { deviceId: string; userId: string; seen: Set<string> } | null = null;

  constructor(
    private readonly vault: () => VaultService,
    private readonly transfers: () => TransferService,
  ) {
    super();
  }

  /** Starts announcing once the vault exists; call after it opened. */
  listen(): void {
    this.vault().on('changed', () => {
      this.announce();
    });
  }

  async get(deviceId: string): Promise<InboxView> {
    const member = await this.vault().whoIs({ deviceId });
    if (member.user === null) return { person: null, items: [], counts: countsOf([]) };
    const items = this.itemsOf(member.user.id);
    this.watched = { deviceId, userId: member.user.id, seen: new Set(items.map(key)) };
    return { person: { id: member.user.id, name: member.user.name }, items, counts: countsOf(items) };
  }

  private itemsOf(userId: string): InboxItem[] {
    const state = this.vault().readState();
    const user = state.users.find((u) => u.id === userId);
    if (user === undefined) return [];
    return inboxItems(state, user, this.vault().listProposals({ status: 'pending' }), this.transfers().unsettled());
  }

  private announce(): void {
    const w = this.watched;
    if (w === null) return;
    let items: InboxItem[];
    try {
      items = this.itemsOf(w.userId);
    } catch {
      // A vault that refuses to be read (tampering) says so on its screens; there is nothing to announce.
      return;
    }
    const fresh = items.filter((i) => !w.seen.has(key(i)));
    w.seen = new Set(items.map(key));
    if (fresh.length > 0) this.emit('new', fresh);
  }
}

const key = (i: InboxItem): string => `${i.kind}:${i.id}`;
