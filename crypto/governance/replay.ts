// The rules of replay: what each record of the signed governance log must satisfy (every signature and rule) and what it
// changes. crypto/governance/replayer.ts runs them over a log or record by record.
import { verifyStatement } from '../statements.js';
import type { ProposalChange } from '../statements.js';
import { configurationProblem, isActiveAdministrator, proposerCounts, tally } from './rules.js';
import { describeAction, decisionStatement, genesisStatement, proposalDigest, proposalStatement, registrationStatement, signedSeq } from './records.js';
import { keyAttestationStatement, walletKeyProblem } from './wallet-key.js';
import { nodeKeyStatement } from './node-key.js';
import { applyTransferCancel, applyTransferDecision, applyTransferRequest, applyTransferSigned, type TransferProblem } from './transfers.js';
import { Working } from './working.js';
import { PolicyError, policyHash, policyReferenceProblems, validatePolicy, validateWhitelist, whitelistHash, type Whitelist } from '../policy/index.js';
import type {
  Action,
  Decision,
  DecisionRecord,
  GenesisRecord,
  GovernanceRecord,
  KeyRecord,
  NodeKeyRecord,
  PendingCeremony,
  TransferRecord,
  ProposalRecord,
  ProposalState,
  ProposalStatus,
  Role,
  UserState,
  WalletState,
} from './types.js';

export type ReplayErrorCode =
  | 'MALFORMED'
  | 'SEQUENCE'
  | 'WRONG_VAULT'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_SIGNER'
  | 'NOT_ADMINISTRATOR'
  | 'UNKNOWN_PROPOSAL'
  | 'RULE_BROKEN';

/** What is wrong with one record of the log: `index` is its position, `seq` what it claims (null if unreadable). */
export class ReplayError extends Error {
  override readonly name = 'ReplayError';
  constructor(
    readonly code: ReplayErrorCode,
    readonly index: number,
    readonly seq: number | null,
    readonly problem: string,
  ) {
    super(`record ${index} (seq ${seq ?? '?'}): ${code}: ${problem}`);
  }
}

export type Err = (code: ReplayErrorCode, problem: string) => ReplayError;

/** A well-formed signature that verifies for nobody: stands in for one not yet asked of a device (see Replayer.check). */
export const PLACEHOLDER_SIGNATURE = '0x' + '00'.repeat(65);

/** The state a genesis record founds (uncommitted, like any record's changes). */
export function applyGenesis(record: GenesisRecord, err: Err): Working {
  const admin = record.admin;
  if (!admin.roles.includes('administrator')) throw err('RULE_BROKEN', 'the first user must be an administrator');
  // A new vault is founding: its sole administrator must be able to act alone, whatever proposerMayApprove says.
  const problem = configurationProblem(1, record.settings.adminQuorum, record.settings.proposerMayApprove, true);
  if (problem !== null) throw err('RULE_BROKEN', problem);
  const vault = { vaultId: record.vaultId, vaultName: record.vaultName };
  if (!verifyStatement(registrationStatement(vault, 0, admin), admin.registrationSignature, admin.identityAddress)) {
    throw err('BAD_SIGNATURE', `the registration of ${admin.id} is not signed by its device ${admin.identityAddress}`);
  }
  if (!verifyStatement(genesisStatement(record), record.signature, admin.identityAddress)) {
    throw err('BAD_SIGNATURE', `the genesis statement is not signed by the administrator's device ${admin.identityAddress}`);
  }
  const working = new Working(record.vaultId, record.vaultName, record.createdAt, record.settings);
  working.policyInWords = record.statementFormat === 2;
  working.users.set({ ...admin, status: 'active', registeredAtSeq: 0, registeredRoles: admin.roles, adminSinceSeq: 0 });
  return working;
}

/** The active administrator `userId`, checked in the order: known, then signature, then role. */
function signer(working: Working, userId: string, err: Err): UserState {
  const user = working.users.get(userId);
  if (user === undefined) throw err('UNKNOWN_SIGNER', `no user ${userId} in the vault`);
  return user;
}

function requireAdministrator(user: UserState, what: string, err: Err): void {
  if (user.status !== 'active') throw err('NOT_ADMINISTRATOR', `${user.id} was revoked and cannot ${what}`);
  if (!user.roles.includes('administrator')) throw err('NOT_ADMINISTRATOR', `${user.id} is not an administrator and cannot ${what}`);
}

function applyProposal(working: Working, record: ProposalRecord, err: Err, verify: boolean): void {
  const proposer = signer(working, record.proposerId, err);
  // Role before rules: "who may propose" is the first question, and describing the change needs valid references.
  requireAdministrator(proposer, 'propose', err);
  if (working.proposals.has(record.proposalId)) throw err('RULE_BROKEN', `proposal ${record.proposalId} already exists`);
  const problem = actionProblem(working, record.action);
  if (problem !== null) throw err('RULE_BROKEN', problem);
  const format = record.statementFormat ?? 1;
  // A ratchet: once a vault shows policies in words, an unmarked proposal (its rules shown only as a count and a hash)
  // could hide what the rules say from the devices that sign it, so it is refused.
  if (record.action.type === 'set-policy' && format === 1 && working.policyInWords) {
    throw err('RULE_BROKEN', "a policy proposal must list its rules in words on the device (statement format 2) in this vault; an unmarked one shows only how many rules there are");
  }
  const change: ProposalChange = describeAction(working, record.action, format);
  if (verify && !verifyStatement(proposalStatement(working, record, change), record.signature, proposer.identityAddress)) {
    throw err('BAD_SIGNATURE', `the proposal is not signed by ${proposer.id}'s device ${proposer.identityAddress}`);
  }
  if (record.action.type === 'add-user') {
    const user = record.action.user;
    if (verify && !verifyStatement(registrationStatement(working, signedSeq(record), user), user.registrationSignature, user.identityAddress)) {
      throw err('BAD_SIGNATURE', `the registration of ${user.id} is not signed by its device ${user.identityAddress}`);
    }
  }
  const proposal: ProposalState = {
    id: record.proposalId,
    seq: record.seq,
    proposerId: record.proposerId,
    action: record.action,
    createdAt: record.createdAt,
    digest: proposalDigest(record),
    change,
    status: 'pending',
    // The proposal statement already shows the change on the proposer's device: when the proposer
    // counts (founding, or the vault says so), that signature is their approval.
    approvals: proposerCounts(working.settings, working.founding) ? [{ userId: proposer.id, seq: record.seq }] : [],
    rejections: [],
  };
  working.proposals.set(proposal);
  working.pending.add(proposal.id);
  if (record.action.type === 'set-policy' && format === 2) working.policyInWords = true;
  settle(working, record.seq);
}

function applyDecision(working: Working, record: DecisionRecord, err: Err, verify: boolean): void {
  const proposal = working.proposals.get(record.proposalId);
  if (proposal === undefined) throw err('UNKNOWN_PROPOSAL', `no proposal ${record.proposalId}`);
  const user = signer(working, record.userId, err);
  if (verify && !verifyStatement(decisionStatement(working, record), record.signature, user.identityAddress)) {
    throw err('BAD_SIGNATURE', `the ${record.type} is not signed by ${user.id}'s device ${user.identityAddress}`);
  }
  requireAdministrator(user, `decide on proposal ${proposal.id}`, err);
  // A rebased decision counts only if its device signed it while its signer was the administrator they are now.
  if (record.basis !== undefined && (user.adminSinceSeq ?? Infinity) > record.basis) {
    throw err('RULE_BROKEN', `${user.id} signed this ${record.type} at seq ${record.basis}, before becoming the administrator they are at seq ${record.seq}; it must be signed again`);
  }
  if (proposal.status !== 'pending') throw err('RULE_BROKEN', `proposal ${proposal.id} is already ${proposal.status}`);
  if (user.id === proposal.proposerId) {
    throw err('RULE_BROKEN', proposerCounts(working.settings, working.founding)
      ? `${user.id} proposed ${proposal.id}; their proposal already counts as their approval`
      : `${user.id} proposed ${proposal.id} and may not decide on it in this vault`);
  }
  if ([...proposal.approvals, ...proposal.rejections].some((d) => d.userId === user.id)) {
    throw err('RULE_BROKEN', `${user.id} already decided on proposal ${proposal.id}; a person counts once`);
  }
  const decision: Decision = { userId: user.id, seq: record.seq };
  working.proposals.set(record.type === 'approval' ? { ...proposal, approvals: [...proposal.approvals, decision] } : { ...proposal, rejections: [...proposal.rejections, decision] });
  settle(working, record.seq);
}

/** Applies a record after genesis to `working`, or throws why it is refused (the caller undoes what it did). */
export function applyOne(working: Working, record: Exclude<GovernanceRecord, GenesisRecord>, err: Err, verify: boolean): void {
  switch (record.type) {
    case 'proposal':
      return applyProposal(working, record, err, verify);
    case 'approval':
    case 'rejection':
      return applyDecision(working, record, err, verify);
    case 'wallet-key':
      return applyKey(working, record, err, verify);
    case 'node-key':
      return applyNodeKey(working, record, err, verify);
    default:
      return applyTransfer(working, record, err, verify);
  }
}

function applyTransfer(working: Working, record: TransferRecord, err: Err, verify: boolean): void {
  const problem: TransferProblem =
    record.type === 'transfer-request'
      ? applyTransferRequest(working, record, verify)
      : record.type === 'transfer-signed'
        ? applyTransferSigned(working, record)
        : record.type === 'transfer-cancel'
          ? applyTransferCancel(working, record, verify)
          : applyTransferDecision(working, record, verify);
  if (problem === null) return;
  throw err(problem.kind === 'signature' ? 'BAD_SIGNATURE' : problem.kind === 'unknown' ? 'UNKNOWN_SIGNER' : 'RULE_BROKEN', problem.problem);
}

/**
 * A custodian's signer node: registered by the user's own device, for themselves only, while active. A node and its
 * keys serve one person (another user's node id or keys are refused); a new registration replaces the user's last.
 */
function applyNodeKey(working: Working, record: NodeKeyRecord, err: Err, verify: boolean): void {
  const user = signer(working, record.userId, err);
  if (verify && !verifyStatement(nodeKeyStatement(working, user.name, record), record.signature, user.identityAddress)) {
    throw err('BAD_SIGNATURE', `the signer node registration is not signed by ${user.id}'s device ${user.identityAddress}`);
  }
  if (user.status !== 'active') throw err('RULE_BROKEN', `${user.id} was revoked and cannot register a signer node`);
  for (const other of working.users.values()) {
    const node = other.node;
    if (other.id === user.id || node === undefined) continue;
    if (node.nodeId === record.nodeId) throw err('RULE_BROKEN', `signer node ${record.nodeId} is ${other.id}'s; a node serves one custodian`);
    if (node.signingKey === record.signingKey || node.hpkeKey === record.hpkeKey) throw err('RULE_BROKEN', `these node keys are ${other.id}'s; a node's keys serve one custodian`);
  }
  working.users.set({ ...user, node: { nodeId: record.nodeId, signingKey: record.signingKey, hpkeKey: record.hpkeKey, seq: record.seq } });
}

/** A ceremony's outcome: accepted only as the one the wallet owes, with the approved custodians and threshold. */
function applyKey(working: Working, record: KeyRecord, err: Err, verify: boolean): void {
  const wallet = working.wallets.get(record.walletId);
  if (wallet === undefined) throw err('RULE_BROKEN', `no wallet ${record.walletId}`);
  const pending = wallet.pending;
  if (pending === null) throw err('RULE_BROKEN', `wallet ${wallet.id} owes no key ceremony`);
  if (pending.proposalId !== record.proposalId) throw err('RULE_BROKEN', `wallet ${wallet.id} owes the ceremony of proposal ${pending.proposalId}, not ${record.proposalId}`);
  const problem = walletKeyProblem(record.key, pending, wallet.key, record.ceremony);
  if (problem !== null) throw err('RULE_BROKEN', `wallet ${wallet.id}: ${problem}`);
  const inactive = record.key.custodians.find((c) => working.users.get(c.userId)?.status !== 'active');
  if (inactive !== undefined) throw err('RULE_BROKEN', `custodian ${inactive.userId} is not an active user`);
  // The key is the custodians' own word, not the ceremony runner's: each of them attests it on their device.
  const attesting = record.attestations.map((a) => a.userId);
  const expected = [...pending.custodians].sort();
  if (attesting.join() !== expected.join()) {
    throw err('RULE_BROKEN', `wallet ${wallet.id}: the key must be attested by exactly its custodians, in id order (${expected.join(', ')}); attested by ${attesting.join(', ') || 'nobody'}`);
  }
  if (verify) {
    const { attestations: _a, ...unsigned } = record;
    const statement = keyAttestationStatement(working, wallet, unsigned, (id) => working.users.get(id)?.name ?? id);
    for (const a of record.attestations) {
      const user = working.users.get(a.userId) as UserState;
      if (!verifyStatement(statement, a.signature, user.identityAddress)) {
        throw err('BAD_SIGNATURE', `wallet ${wallet.id}: the key attestation of ${a.userId} is not signed by their device ${user.identityAddress}`);
      }
    }
  }
  working.wallets.set({ ...wallet, key: record.key, keySince: { seq: record.seq, at: record.createdAt }, status: 'active', pending: null });
}

/**
 * Closes what can be closed after a record: an approved proposal applies (or fails if its action no
 * longer fits the rules), and any proposal whose quorum has become unreachable is rejected.
 */
function settle(working: Working, seq: number): void {
  for (;;) {
    let changed = false;
    for (const id of working.pending.inOrder()) {
      const p = working.proposals.get(id);
      if (p === undefined || p.status !== 'pending') continue;
      const t = tally(p, working.users.view, working.settings, working.founding);
      if (t.reached) {
        const problem = actionProblem(working, p.action);
        if (problem === null) {
          close(working, p, 'approved', seq);
          applyAction(working, p, seq);
        } else close(working, p, 'failed', seq, problem);
        changed = true;
      } else if (t.unreachable) {
        close(working, p, 'rejected', seq, `with ${t.rejections.length} rejection(s) the quorum of ${t.quorum} can no longer be reached`);
        changed = true;
      }
    }
    if (!changed) return;
  }
}

function close(working: Working, p: ProposalState, status: ProposalStatus, seq: number, reason?: string): void {
  working.pending.delete(p.id);
  working.proposals.set(reason === undefined ? { ...p, status, closedAtSeq: seq } : { ...p, status, closedAtSeq: seq, reason });
}

function adminsAfter(working: Working, userId: string, roles: readonly Role[] | null): number {
  const u = working.users.get(userId);
  const before = isActiveAdministrator(u) ? 1 : 0;
  const after = roles !== null && roles.includes('administrator') ? 1 : 0;
  return working.administrators() - before + after;
}

/** Why `action` breaks a rule in the current state, or null. Checked when proposed and again when approved. */
function actionProblem(working: Working, action: Action): string | null {
  const { adminQuorum, proposerMayApprove } = working.settings;
  const founding = working.founding;
  const activeUser = (id: string): UserState | undefined => {
    const u = working.users.get(id);
    return u?.status === 'active' ? u : undefined;
  };
  const membersProblem = (members: readonly string[]): string | null => {
    const bad = members.find((m) => activeUser(m) === undefined);
    return bad === undefined ? null : `group member ${bad} is not an active user`;
  };
  const groupNameTaken = (name: string, except: string | null): boolean =>
    [...working.groups.values()].some((g) => g.id !== except && g.name.toLowerCase() === name.toLowerCase());
  switch (action.type) {
    case 'add-user': {
      const u = action.user;
      if (working.users.has(u.id)) return `user id ${u.id} is already taken`;
      for (const other of working.users.values()) {
        if (other.status === 'active' && other.name.toLowerCase() === u.name.toLowerCase()) return `an active user is already named ${other.name}`;
        if (other.identityAddress.toLowerCase() === u.identityAddress.toLowerCase()) return `device identity ${u.identityAddress} is already registered as ${other.id}; a person counts once`;
        if (other.encryptionKey === u.encryptionKey) return `encryption key already registered for ${other.id}`;
      }
      if (!u.roles.includes('administrator')) return null;
      return configurationProblem(working.administrators() + 1, adminQuorum, proposerMayApprove, founding);
    }
    case 'revoke-user': {
      if (activeUser(action.userId) === undefined) return `no active user ${action.userId} to revoke`;
      for (const w of working.wallets.values()) {
        const problem = revocationProblem(working, w, action.userId);
        if (problem !== null) return problem;
      }
      return configurationProblem(adminsAfter(working, action.userId, null), adminQuorum, proposerMayApprove, founding);
    }
    case 'set-roles': {
      const u = activeUser(action.userId);
      if (u === undefined) return `no active user ${action.userId}`;
      if (u.roles.join() === action.roles.join()) return `${u.id} already has exactly these roles`;
      return configurationProblem(adminsAfter(working, action.userId, action.roles), adminQuorum, proposerMayApprove, founding);
    }
    case 'create-group':
      if (working.groups.has(action.group.id)) return `group id ${action.group.id} is already taken`;
      if (groupNameTaken(action.group.name, null)) return `a group is already named ${action.group.name}`;
      return membersProblem(action.group.members);
    case 'edit-group': {
      if (!working.groups.has(action.groupId)) return `no group ${action.groupId}`;
      if (action.name !== undefined && groupNameTaken(action.name, action.groupId)) return `a group is already named ${action.name}`;
      return action.members === undefined ? null : membersProblem(action.members);
    }
    case 'set-quorum':
      // Setting the quorum ends founding, so what it leaves must satisfy every rule (founding = false).
      if (action.quorum === adminQuorum && !founding) return `the quorum is already ${adminQuorum}`;
      return configurationProblem(working.administrators(), action.quorum, proposerMayApprove, false);
    case 'set-proposer-may-approve':
      if (action.value === proposerMayApprove) return `proposerMayApprove is already ${String(proposerMayApprove)}`;
      return configurationProblem(working.administrators(), adminQuorum, action.value, founding);
    case 'enter-team-mode':
      // One way: no action leads back. A way back would be the side door team mode closes: whoever took the console
      // (or a quorum's past approval replayed into a proposal) could bring back the single desk whose MPC host signs
      // with the shares the console still holds.
      return working.teamModeSince === null ? null : `the vault is already in team mode (since record ${working.teamModeSince}); there is no way back to a single desk`;
    case 'create-wallet': {
      const w = action.wallet;
      if (working.wallets.has(w.id)) return `wallet id ${w.id} is already taken`;
      if ([...working.wallets.values()].some((x) => x.name.toLowerCase() === w.name.toLowerCase())) return `a wallet is already named ${w.name}`;
      const bad = w.custodians.find((id) => activeUser(id) === undefined);
      return bad === undefined ? null : `custodian ${bad} is not an active user`;
    }
    case 'refresh-wallet':
    case 'reshare-wallet': {
      const w = working.wallets.get(action.walletId);
      if (w === undefined) return `no wallet ${action.walletId}`;
      if (w.key === null) return `wallet ${w.name} has no key yet`;
      if (w.pending !== null) return `wallet ${w.name} already owes a key ceremony (proposal ${w.pending.proposalId}); it must be recorded first`;
      const dealers = w.key.custodians.filter((c) => activeUser(c.userId) !== undefined).length;
      if (dealers < w.key.threshold) return `only ${dealers} of the wallet's custodians are active; ${w.key.threshold} must take part`;
      if (action.type === 'refresh-wallet') {
        return dealers === w.key.custodians.length ? null : 'a custodian was revoked: reshare without them instead of refreshing';
      }
      const bad = action.custodians.find((id) => activeUser(id) === undefined);
      if (bad !== undefined) return `custodian ${bad} is not an active user`;
      const same = [...action.custodians].sort().join() === w.key.custodians.map((c) => c.userId).sort().join();
      return same && action.threshold === w.key.threshold ? 'the custodians and threshold would not change: refresh the shares instead' : null;
    }
    case 'set-policy': {
      let policy;
      try {
        policy = validatePolicy(action.policy);
      } catch (e) {
        if (e instanceof PolicyError) return `the policy is not valid: ${e.message}`;
        throw e;
      }
      const w = working.wallets.get(policy.walletId);
      if (w === undefined) return `no wallet ${policy.walletId}`;
      const version = (working.policies.get(w.id)?.version ?? 0) + 1;
      if (policy.version !== version) return `the next policy of ${w.name} is version ${version}, not ${policy.version}`;
      const references = policyReferenceProblems(policy, whitelistsOf(working), w.network);
      const groups = policy.rules.flatMap((r) => [...r.steps.map((s) => s.groupId), ...(r.initiatorGroupId === null ? [] : [r.initiatorGroupId])]);
      const missingGroup = groups.find((g) => !working.groups.has(g));
      if (missingGroup !== undefined) references.push(`group ${missingGroup} does not exist`);
      return references.length === 0 ? null : `the policy refers to what is not there: ${references.join('; ')}`;
    }
    case 'set-whitelist': {
      let list: Whitelist;
      try {
        list = validateWhitelist(action.whitelist);
      } catch (e) {
        if (e instanceof PolicyError) return `the whitelist is not valid: ${e.message}`;
        throw e;
      }
      const sameName = [...working.whitelists.values()].find((x) => x.id !== list.id && x.document.name.toLowerCase() === list.name.toLowerCase());
      if (sameName !== undefined) return `a whitelist is already named ${list.name}`;
      const current = working.whitelists.get(list.id);
      return current !== undefined && current.hash === whitelistHash(list) ? `whitelist ${list.name} already holds exactly these entries` : null;
    }
  }
}

function whitelistsOf(working: Working): Whitelist[] {
  return [...working.whitelists.values()].map((w) => validateWhitelist(w.document));
}

/** Revoking a custodian must leave their wallets able to reshare without them: enough dealers, and at least two parties. */
function revocationProblem(working: Working, w: WalletState, userId: string): string | null {
  const next = ceremonyAfterRevocation(w, userId, '-');
  if (next === null) return null;
  if (next.custodians.length < 2) return `revoking ${userId} would leave wallet ${w.name} with one custodian; reshare it to others first`;
  if (w.key !== null) {
    const dealers = w.key.custodians.filter((c) => c.userId !== userId && working.users.get(c.userId)?.status === 'active').length;
    if (dealers < w.key.threshold) return `revoking ${userId} would leave wallet ${w.name} with ${dealers} active custodians, fewer than its threshold ${w.key.threshold}`;
  }
  return null;
}

/**
 * The ceremony a wallet owes once `userId` is revoked (null: they hold no share and are owed none). A revocation
 * starts a reshare without them, so it really revokes: their old share stops combining once the reshare lands.
 */
function ceremonyAfterRevocation(w: WalletState, userId: string, proposalId: string): PendingCeremony | null {
  if (w.pending !== null && w.pending.custodians.includes(userId)) {
    const custodians = w.pending.custodians.filter((c) => c !== userId);
    const ceremony = w.pending.ceremony === 'refresh' ? 'reshare' : w.pending.ceremony;
    return { ...w.pending, ceremony, custodians, threshold: Math.min(w.pending.threshold, custodians.length) };
  }
  if (w.pending === null && w.key !== null && w.key.custodians.some((c) => c.userId === userId)) {
    const custodians = w.key.custodians.map((c) => c.userId).filter((c) => c !== userId);
    return { proposalId, ceremony: 'reshare', custodians, threshold: Math.min(w.key.threshold, custodians.length) };
  }
  return null;
}

function applyAction(working: Working, proposal: ProposalState, seq: number): void {
  const action = proposal.action;
  const withAdminSince = (u: UserState): UserState => {
    const isAdmin = u.status === 'active' && u.roles.includes('administrator');
    if (!isAdmin) return u.adminSinceSeq === null ? u : { ...u, adminSinceSeq: null };
    return u.adminSinceSeq === null ? { ...u, adminSinceSeq: seq } : u;
  };
  switch (action.type) {
    case 'add-user': {
      working.users.set(withAdminSince({ ...action.user, status: 'active', registeredAtSeq: proposal.seq, registeredRoles: action.user.roles, adminSinceSeq: null }));
      return;
    }
    case 'revoke-user': {
      const u = working.users.get(action.userId);
      if (u === undefined) return;
      working.users.set(withAdminSince({ ...u, status: 'revoked' }));
      // A revoked person leaves every group: groups then hold only people who can still act.
      for (const g of [...working.groups.values()]) {
        if (g.members.includes(u.id)) working.groups.set({ ...g, members: g.members.filter((m) => m !== u.id) });
      }
      for (const w of [...working.wallets.values()]) {
        const next = ceremonyAfterRevocation(w, u.id, proposal.id);
        if (next !== null) working.wallets.set({ ...w, pending: next });
      }
      return;
    }
    case 'set-roles': {
      const u = working.users.get(action.userId);
      if (u === undefined) return;
      working.users.set(withAdminSince({ ...u, roles: action.roles }));
      return;
    }
    case 'create-group':
      working.groups.set({ id: action.group.id, name: action.group.name, members: [...action.group.members] });
      return;
    case 'edit-group': {
      const g = working.groups.get(action.groupId);
      if (g === undefined) return;
      working.groups.set({ ...g, ...(action.name === undefined ? {} : { name: action.name }), ...(action.members === undefined ? {} : { members: [...action.members] }) });
      return;
    }
    case 'set-quorum':
    case 'set-proposer-may-approve':
      working.settings =
        action.type === 'set-quorum'
          ? { ...working.settings, adminQuorum: action.quorum }
          : { ...working.settings, proposerMayApprove: action.value };
      if (action.type === 'set-quorum') working.founding = false;
      // Approvals were given under the old rules; they must be given again under the new ones.
      for (const id of working.pending.inOrder()) {
        const p = working.proposals.get(id);
        if (p !== undefined && id !== proposal.id) close(working, p, 'cancelled', seq, 'the approval rules changed while it waited');
      }
      return;
    case 'enter-team-mode':
      working.teamModeSince = seq;
      return;
    case 'create-wallet': {
      const w = action.wallet;
      const pending: PendingCeremony = { proposalId: proposal.id, ceremony: 'dkg', threshold: w.threshold, custodians: [...w.custodians] };
      working.wallets.set({ id: w.id, name: w.name, network: w.network, createdAtSeq: seq, status: 'awaiting-key', key: null, keySince: null, pending });
      return;
    }
    case 'refresh-wallet':
    case 'reshare-wallet': {
      const w = working.wallets.get(action.walletId);
      if (w === undefined || w.key === null) return;
      const pending: PendingCeremony =
        action.type === 'refresh-wallet'
          ? { proposalId: proposal.id, ceremony: 'refresh', threshold: w.key.threshold, custodians: w.key.custodians.map((c) => c.userId) }
          : { proposalId: proposal.id, ceremony: 'reshare', threshold: action.threshold, custodians: [...action.custodians] };
      working.wallets.set({ ...w, pending });
      return;
    }
    case 'set-policy': {
      const policy = validatePolicy(action.policy);
      working.policies.set({ walletId: policy.walletId, version: policy.version, hash: policyHash(policy), document: action.policy, adoptedAtSeq: seq });
      return;
    }
    case 'set-whitelist': {
      const list = validateWhitelist(action.whitelist);
      working.whitelists.set({ id: list.id, hash: whitelistHash(list), document: action.whitelist, changedAtSeq: seq });
      return;
    }
  }
}
