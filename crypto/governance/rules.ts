// The administrator-quorum rules and the vote tally, as pure functions of counts and decisions.
import type { Decision, ProposalState, UserState, VaultSettings } from './types.js';

/**
 * Why (administrators, quorum, proposerMayApprove) is not an allowed configuration, or null. The rules:
 *  1. there is at least one administrator and the quorum is an integer ≥ 1;
 *  2. the quorum is at most the number of administrators;
 *  3. with 3 or more administrators, 2 ≤ quorum ≤ administrators − 1 (Ledger Enterprise: no single
 *     administrator decides, and losing one device does not freeze the vault);
 *  4. liveness: when the proposer does not count, the other administrators alone must reach the quorum
 *     (quorum ≤ administrators − 1), so a sole administrator needs proposerMayApprove.
 * While the vault is `founding` (from genesis until its first set-quorum takes effect), rules 3 and 4 do
 * not apply: the founders are onboarded one by one under the genesis quorum of 1 and the proposer always
 * counts (Ledger Enterprise's onboarding). Setting the quorum ends founding, so a set-quorum is checked
 * with founding = false: the configuration it leaves must satisfy every rule.
 * Every change that touches these numbers (genesis, adding, revoking or re-roling an administrator,
 * set-quorum, set-proposer-may-approve) must leave a configuration for which this returns null.
 */
export function configurationProblem(administrators: number, quorum: number, proposerMayApprove: boolean, founding = false): string | null {
  if (!Number.isSafeInteger(administrators) || administrators < 1) return 'the vault must keep at least one administrator';
  if (!Number.isSafeInteger(quorum) || quorum < 1) return 'the quorum must be a whole number of at least 1';
  if (quorum > administrators) return `a quorum of ${quorum} exceeds the ${administrators} administrator(s)`;
  if (founding) return null;
  if (administrators >= 3 && quorum < 2) return `with ${administrators} administrators the quorum must be at least 2`;
  if (administrators >= 3 && quorum >= administrators) {
    return `with ${administrators} administrators the quorum must be below ${administrators}`;
  }
  if (!proposerMayApprove && quorum > administrators - 1) {
    return `when the proposer does not count, ${administrators} administrator(s) cannot reach a quorum of ${quorum}`;
  }
  return null;
}

/** Whether a proposer's own signature counts as an approval: always while founding, else as the vault says. */
export function proposerCounts(settings: VaultSettings, founding: boolean): boolean {
  return founding || settings.proposerMayApprove;
}

export function isActiveAdministrator(user: UserState | undefined): boolean {
  return user !== undefined && user.status === 'active' && user.roles.includes('administrator');
}

export interface Tally {
  /** Decisions that count now: by users who are active administrators continuously since deciding. */
  readonly approvals: readonly Decision[];
  readonly rejections: readonly Decision[];
  /** Eligible administrators who have not decided yet. */
  readonly undecided: number;
  readonly quorum: number;
  readonly reached: boolean;
  /** Even if every undecided administrator approved, the quorum would not be reached. */
  readonly unreachable: boolean;
}

/**
 * Counts a proposal's decisions under the current users and settings. A person counts once (decisions
 * are per user, and a user may decide once); a revoked or demoted administrator's decisions stop
 * counting, and do not count again if the role comes back; the proposer is not eligible unless they
 * count (proposerCounts: then their proposal signature is their approval).
 */
export function tally(proposal: ProposalState, users: ReadonlyMap<string, UserState>, settings: VaultSettings, founding: boolean): Tally {
  const mayCount = proposerCounts(settings, founding);
  const eligible = (userId: string): boolean =>
    isActiveAdministrator(users.get(userId)) && (mayCount || userId !== proposal.proposerId);
  const counts = (d: Decision): boolean => {
    const since = users.get(d.userId)?.adminSinceSeq;
    return eligible(d.userId) && since !== null && since !== undefined && since <= d.seq;
  };
  const approvals = proposal.approvals.filter(counts);
  const rejections = proposal.rejections.filter(counts);
  const decided = new Set([...proposal.approvals, ...proposal.rejections].map((d) => d.userId));
  let undecided = 0;
  for (const id of users.keys()) if (eligible(id) && !decided.has(id)) undecided++;
  const quorum = settings.adminQuorum;
  return {
    approvals,
    rejections,
    undecided,
    quorum,
    reached: approvals.length >= quorum,
    unreachable: approvals.length + undecided < quorum,
  };
}
