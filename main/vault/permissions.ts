// Who may do what in the vault's governance: the one answer the services enforce and the console shows beside each button.
import { isActiveAdministrator, proposerCounts, type GovernanceState, type ProposalState, type UserState } from '../../crypto/governance';
import { CustosError } from '../errors';

/**
 * Why the device at `address` (the member `user`, or undefined when it is none) may not act in the vault at all, or
 * null. `doing` ends the sentence: "… can no longer approve or reject proposals".
 */
export function memberRefusal(state: GovernanceState, user: UserState | undefined, address: string, doing?: string): CustosError | null {
  if (user === undefined) {
    const advice = doing === undefined ? '' : ` Use the Ledger of an administrator to ${doing}.`;
    return new CustosError('NOT_AUTHORISED', `This device (${address}) is not a member of the vault "${state.vaultName}".${advice}`);
  }
  if (user.status !== 'active') return new CustosError('NOT_AUTHORISED', `${user.name} was revoked and can no longer ${doing ?? 'act'}.`);
  return null;
}

/** Why this device may not `doing` (propose something, decide on a proposal): only active administrators do, or null. */
export function administratorRefusal(state: GovernanceState, user: UserState | undefined, address: string, doing: string): CustosError | null {
  const member = memberRefusal(state, user, address, doing);
  if (member !== null || user === undefined) return member;
  if (!isActiveAdministrator(user)) {
    return new CustosError('NOT_AUTHORISED', `${user.name} is not an administrator (${user.roles.join(', ')}), and only administrators ${doing}. Ask an administrator.`);
  }
  return null;
}

/**
 * Why `user` may not approve or reject `proposal` now, or null: the proposal must be pending, the person an active
 * administrator other than its proposer, and they count once.
 */
export function proposalDecisionRefusal(
  state: GovernanceState,
  proposal: ProposalState,
  user: UserState | undefined,
  address: string,
  verb: 'approve' | 'reject' | 'approve or reject' = 'approve or reject',
): CustosError | null {
  if (proposal.status !== 'pending') {
    return new CustosError('RULE_VIOLATION', `This proposal is already ${proposal.status}; there is nothing left to ${verb}.`, { status: proposal.status });
  }
  const role = administratorRefusal(state, user, address, 'approve or reject proposals');
  if (role !== null || user === undefined) return role;
  if (user.id === proposal.proposerId) {
    return new CustosError(
      'RULE_VIOLATION',
      proposerCounts(state.settings, state.founding)
        ? 'You proposed this change, and your proposal already counts as your approval. Another administrator must decide.'
        : 'You proposed this change; in this vault a proposer does not decide on their own proposal. Another administrator must decide.',
    );
  }
  const earlier = [...proposal.approvals.map((d) => ({ ...d, kind: 'approved' })), ...proposal.rejections.map((d) => ({ ...d, kind: 'rejected' }))].find((d) => d.userId === user.id);
  if (earlier !== undefined) return new CustosError('RULE_VIOLATION', `${user.name} already ${earlier.kind} this proposal (record ${earlier.seq}); a person counts once.`);
  return null;
}
