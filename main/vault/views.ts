// Turns the governance state the store projects into the contract's views: summary, users, groups, proposals.
import type { AuditEntry } from '../../crypto/audit-chain';
import { canonicalize } from '../../crypto/canonical';
import {
  isActiveAdministrator,
  proposerCounts,
  tally,
  type GovernanceState,
  type ProposalState,
  type UserState,
} from '../../crypto/governance';
import type { ProposalChange } from '../../crypto/statements';
import type { AuditEntryView, GroupView, IntegrityReport, ProposalView, UserRef, UserView, VaultSummary } from '../../preload/contract';
import type { VaultHeader } from '../store';

/** `teamModeSince` comes from the replayed log (the store does not project it), null when it does not replay. */
export function summaryView(header: VaultHeader, state: GovernanceState, integrity: IntegrityReport, teamModeSince: number | null = null): VaultSummary {
  return {
    vaultId: header.vaultId,
    name: header.vaultName,
    createdAt: header.createdAt,
    identityPath: header.identityPath,
    seq: header.seq,
    settings: { adminQuorum: header.settings.adminQuorum, proposerMayApprove: header.settings.proposerMayApprove, founding: header.founding, teamModeSince },
    counts: {
      users: state.users.filter((u) => u.status === 'active').length,
      administrators: state.users.filter(isActiveAdministrator).length,
      groups: state.groups.length,
      pendingProposals: state.proposals.filter((p) => p.status === 'pending').length,
    },
    integrity,
  };
}

/** When the record at a seq was made (the store knows; a test may pass nothing). */
export type TimeOfRecord = (seq: number) => string | null;

export function userView(u: UserState, timeOf: TimeOfRecord = () => null): UserView {
  return {
    id: u.id,
    name: u.name,
    roles: [...u.roles],
    status: u.status,
    address: u.identityAddress,
    devicePath: u.devicePath,
    encryptionKey: u.encryptionKey,
    registeredAtSeq: u.registeredAtSeq,
    registeredAt: timeOf(u.registeredAtSeq),
  };
}

function refOf(users: ReadonlyMap<string, UserState>, id: string): UserRef {
  return { id, name: users.get(id)?.name ?? id };
}

export function groupView(state: GovernanceState, groupId: string): GroupView | null {
  const g = state.groups.find((x) => x.id === groupId);
  if (g === undefined) return null;
  const users = new Map(state.users.map((u) => [u.id, u]));
  return { id: g.id, name: g.name, members: g.members.map((m) => refOf(users, m)) };
}

/** One line saying what a proposal does, in names. */
export function titleOf(change: ProposalChange): string {
  switch (change.type) {
    case 'add-user':
      return `Add user ${change.userName} (${change.roles.join(', ')})`;
    case 'revoke-user':
      return `Revoke user ${change.userName}`;
    case 'set-roles':
      return `Set the roles of ${change.userName} to ${change.roles.join(', ')}`;
    case 'create-group':
      return `Create group ${change.groupName} (${change.memberNames.length} member${change.memberNames.length === 1 ? '' : 's'})`;
    case 'edit-group': {
      const parts = [change.newName !== undefined ? `rename to ${change.newName}` : null, change.memberNames !== undefined ? `${change.memberNames.length} member(s)` : null];
      return `Edit group ${change.groupName}: ${parts.filter((p) => p !== null).join(', ')}`;
    }
    case 'set-quorum':
      return `Set the administrator quorum to ${change.quorum} (of ${change.administrators})`;
    case 'set-proposer-may-approve':
      return change.value ? 'Let a proposer count as one of the approvals' : 'Stop counting a proposer as one of the approvals';
    case 'enter-team-mode':
      return "Move the vault to team mode for good: keys made and used only by the custodians' signer nodes";
    case 'create-wallet':
      return `Create wallet ${change.walletName} (${change.threshold} of ${change.custodianNames.length}, ${change.network})`;
    case 'refresh-wallet':
      return `Refresh the shares of wallet ${change.walletName}`;
    case 'reshare-wallet':
      return `Reshare wallet ${change.walletName} to ${change.threshold} of ${change.custodianNames.length}${change.removedNames.length ? ` without ${change.removedNames.join(', ')}` : ''}`;
    case 'set-policy':
      return `Adopt policy version ${change.version} for wallet ${change.walletName} (${change.rules} rule${change.rules === 1 ? '' : 's'})`;
    case 'set-whitelist':
      return `Set whitelist ${change.whitelistName} (${change.entries} address${change.entries === 1 ? '' : 'es'}, ${change.network})`;
  }
}

/**
 * A proposal as the UI shows it. Pending: the approvals that count now (a revoked or demoted
 * administrator's do not), who may still approve, and the exact statement an approver's device will
 * show next. Closed: every decision recorded, and the statement its proposer signed.
 */
export function proposalView(p: ProposalState, state: GovernanceState): ProposalView {
  const users = new Map(state.users.map((u) => [u.id, u]));
  const withSeq = (d: { userId: string; seq: number }) => ({ ...refOf(users, d.userId), seq: d.seq });
  const pending = p.status === 'pending';
  const t = tally(p, users, state.settings, state.founding);
  const decided = new Set([...p.approvals, ...p.rejections].map((d) => d.userId));
  const mayCount = proposerCounts(state.settings, state.founding);
  const waitingFor = pending
    ? state.users.filter((u) => isActiveAdministrator(u) && !decided.has(u.id) && (mayCount || u.id !== p.proposerId)).map((u) => refOf(users, u.id))
    : [];
  return {
    id: p.id,
    seq: p.seq,
    createdAt: p.createdAt,
    proposer: refOf(users, p.proposerId),
    title: titleOf(p.change),
    status: p.status,
    approvals: (pending ? t.approvals : p.approvals).map(withSeq),
    rejections: (pending ? t.rejections : p.rejections).map(withSeq),
    needed: state.settings.adminQuorum,
    waitingFor,
    reason: p.reason ?? null,
  };
}

export function auditEntryView(e: AuditEntry): AuditEntryView {
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    subject: e.subject,
    payload: canonicalize(e.payload),
    deviceSignature: e.deviceSignature ?? null,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}
