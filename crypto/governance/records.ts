// Payload digests and device statements for each governance record: what the console asks a device to sign, and what replay re-renders.
import { canonicalize, digest } from '../canonical.js';
import { policyHash, validatePolicy, validateWhitelist, whitelistHash } from '../policy/index.js';
import type { CanonicalValue } from '../canonical.js';
import type { Policy } from '../policy/index.js';
import type {
  PolicyWords,
  VelocityWords,
  GenesisStatement,
  ProposalChange,
  ProposalDecisionStatement,
  ProposalStatement,
  RegistrationStatement,
} from '../statements.js';
import type { Action, DecisionRecord, GenesisRecord, GovernanceState, Group, ProposalRecord, User, UserState, WalletState } from './types.js';
import { isActiveAdministrator } from './rules.js';

/** What building statements needs from the state at one point of the log. */
export interface GovernanceLookup {
  readonly vaultId: string;
  readonly vaultName: string;
  user(id: string): UserState | undefined;
  group(id: string): Group | undefined;
  wallet(id: string): WalletState | undefined;
  whitelist(id: string): { readonly document: { readonly name: string } } | undefined;
  administrators(): number;
  proposal(id: string): { readonly seq: number; readonly digest: string; readonly change: ProposalChange } | undefined;
}

/** A lookup over a replayed state, for the console building the next statement to sign. */
export function lookupOf(state: GovernanceState): GovernanceLookup {
  const users = new Map(state.users.map((u) => [u.id, u]));
  const groups = new Map(state.groups.map((g) => [g.id, g]));
  const proposals = new Map(state.proposals.map((p) => [p.id, p]));
  const wallets = new Map(state.wallets.map((w) => [w.id, w]));
  const whitelists = new Map(state.whitelists.map((w) => [w.id, w]));
  return {
    vaultId: state.vaultId,
    vaultName: state.vaultName,
    user: (id) => users.get(id),
    group: (id) => groups.get(id),
    wallet: (id) => wallets.get(id),
    whitelist: (id) => whitelists.get(id),
    administrators: () => state.users.filter(isActiveAdministrator).length,
    proposal: (id) => proposals.get(id),
  };
}

function userBody(user: User): { [key: string]: CanonicalValue } {
  return {
    id: user.id,
    name: user.name,
    roles: [...user.roles],
    identityAddress: user.identityAddress,
    identityPublicKey: user.identityPublicKey,
    encryptionKey: user.encryptionKey,
    devicePath: user.devicePath,
  };
}

function actionBody(action: Action): CanonicalValue {
  switch (action.type) {
    case 'add-user':
      return { type: action.type, user: { ...userBody(action.user), registrationSignature: action.user.registrationSignature } };
    case 'revoke-user':
      return { type: action.type, userId: action.userId };
    case 'set-roles':
      return { type: action.type, userId: action.userId, roles: [...action.roles] };
    case 'create-group':
      return { type: action.type, group: { id: action.group.id, name: action.group.name, members: [...action.group.members] } };
    case 'edit-group': {
      // Absent fields are left out, never encoded as null: "unchanged" has exactly one encoding.
      const body: { [key: string]: CanonicalValue } = { type: action.type, groupId: action.groupId };
      if (action.name !== undefined) body.name = action.name;
      if (action.members !== undefined) body.members = [...action.members];
      return body;
    }
    case 'set-quorum':
      return { type: action.type, quorum: action.quorum };
    case 'set-proposer-may-approve':
      return { type: action.type, value: action.value };
    case 'enter-team-mode':
      return { type: action.type };
    case 'create-wallet': {
      const w = action.wallet;
      return { type: action.type, wallet: { id: w.id, name: w.name, network: w.network, threshold: w.threshold, custodians: [...w.custodians] } };
    }
    case 'refresh-wallet':
      return { type: action.type, walletId: action.walletId };
    case 'reshare-wallet':
      return { type: action.type, walletId: action.walletId, threshold: action.threshold, custodians: [...action.custodians] };
    case 'set-policy':
      return { type: action.type, policy: JSON.parse(canonicalize(action.policy)) as CanonicalValue };
    case 'set-whitelist':
      return { type: action.type, whitelist: JSON.parse(canonicalize(action.whitelist)) as CanonicalValue };
  }
}

/** Digest a registration binds: the user's device identity, name and roles, in one vault at one seq. */
export function registrationDigest(vaultId: string, seq: number, user: User): string {
  return digest({ domain: 'custos/registration/v1', vaultId, seq, user: userBody(user) });
}

export function genesisDigest(record: Omit<GenesisRecord, 'signature'>): string {
  return digest({
    domain: 'custos/genesis/v1',
    vaultId: record.vaultId,
    vaultName: record.vaultName,
    createdAt: record.createdAt,
    admin: { ...userBody(record.admin), registrationSignature: record.admin.registrationSignature },
    settings: { adminQuorum: record.settings.adminQuorum, proposerMayApprove: record.settings.proposerMayApprove },
    // Bound only when present, so a genesis made before the mark keeps the digest it was signed with.
    ...(record.statementFormat === undefined ? {} : { statementFormat: record.statementFormat }),
  });
}

/**
 * The seq a record's statements were signed at: its basis when it was rebased, else its own seq. Every statement and
 * digest of a record binds this seq, so a record keeps its signatures when it moves; replay still applies it at its
 * seq, on the state there, with every rule checked again.
 */
export function signedSeq(record: { readonly seq: number; readonly basis?: number }): number {
  return record.basis ?? record.seq;
}

export function proposalDigest(record: Omit<ProposalRecord, 'signature'>): string {
  return digest({
    domain: 'custos/proposal/v1',
    vaultId: record.vaultId,
    seq: signedSeq(record),
    proposalId: record.proposalId,
    proposerId: record.proposerId,
    createdAt: record.createdAt,
    action: actionBody(record.action),
    // Bound only when present, so a format-1 record keeps the digest it was signed with.
    ...(record.statementFormat === undefined ? {} : { statementFormat: record.statementFormat }),
  });
}

/** The statement a new user's device signs to register: `seq` is that of the record that adds them (0 at genesis). */
export function registrationStatement(vault: { vaultId: string; vaultName: string }, seq: number, user: User): RegistrationStatement {
  return {
    kind: 'registration',
    vaultId: vault.vaultId,
    vaultName: vault.vaultName,
    seq,
    userName: user.name,
    roles: user.roles,
    address: user.identityAddress,
    devicePath: user.devicePath,
    digest: registrationDigest(vault.vaultId, seq, user),
  };
}

export function genesisStatement(record: Omit<GenesisRecord, 'signature'>): GenesisStatement {
  return {
    kind: 'genesis',
    vaultId: record.vaultId,
    vaultName: record.vaultName,
    seq: 0,
    adminName: record.admin.name,
    adminAddress: record.admin.identityAddress,
    quorum: record.settings.adminQuorum,
    proposerMayApprove: record.settings.proposerMayApprove,
    digest: genesisDigest(record),
  };
}

/**
 * What an action does in names, in the proposal statement `format` of its record (1 when the record has no mark).
 * Throws if it refers to a user or group that does not exist: callers check the rules first (replay does), so this
 * only describes valid actions.
 */
export function describeAction(lookup: GovernanceLookup, action: Action, format: 1 | 2 = 1): ProposalChange {
  const user = (id: string): UserState => lookup.user(id) ?? missing(`user ${id}`);
  const group = (id: string): Group => lookup.group(id) ?? missing(`group ${id}`);
  const wallet = (id: string): WalletState => lookup.wallet(id) ?? missing(`wallet ${id}`);
  switch (action.type) {
    case 'add-user':
      return { type: 'add-user', userName: action.user.name, roles: action.user.roles, address: action.user.identityAddress };
    case 'revoke-user': {
      const u = user(action.userId);
      return { type: 'revoke-user', userName: u.name, address: u.identityAddress };
    }
    case 'set-roles':
      return { type: 'set-roles', userName: user(action.userId).name, roles: action.roles };
    case 'create-group':
      return { type: 'create-group', groupName: action.group.name, memberNames: action.group.members.map((id) => user(id).name) };
    case 'edit-group': {
      const change: { -readonly [K in keyof Extract<ProposalChange, { type: 'edit-group' }>]: Extract<ProposalChange, { type: 'edit-group' }>[K] } = {
        type: 'edit-group',
        groupName: group(action.groupId).name,
      };
      if (action.name !== undefined) change.newName = action.name;
      if (action.members !== undefined) change.memberNames = action.members.map((id) => user(id).name);
      return change;
    }
    case 'set-quorum':
      return { type: 'set-quorum', quorum: action.quorum, administrators: lookup.administrators() };
    case 'set-proposer-may-approve':
      return { type: 'set-proposer-may-approve', value: action.value };
    case 'enter-team-mode':
      return { type: 'enter-team-mode' };
    case 'create-wallet':
      return {
        type: 'create-wallet',
        walletName: action.wallet.name,
        network: action.wallet.network,
        threshold: action.wallet.threshold,
        custodianNames: action.wallet.custodians.map((id) => user(id).name),
      };
    case 'refresh-wallet': {
      const w = wallet(action.walletId);
      const key = w.key ?? missing(`the key of wallet ${w.id}`);
      return { type: 'refresh-wallet', walletName: w.name, threshold: key.threshold, custodianNames: key.custodians.map((c) => user(c.userId).name) };
    }
    case 'reshare-wallet': {
      const w = wallet(action.walletId);
      const before = (w.key?.custodians ?? []).map((c) => c.userId);
      return {
        type: 'reshare-wallet',
        walletName: w.name,
        threshold: action.threshold,
        custodianNames: action.custodians.map((id) => user(id).name),
        removedNames: before.filter((id) => !action.custodians.includes(id)).map((id) => user(id).name),
      };
    }
    case 'set-policy': {
      const policy = validatePolicy(action.policy);
      const base = { type: 'set-policy', walletName: wallet(policy.walletId).name, version: policy.version, rules: policy.rules.length, policyHash: policyHash(policy) } as const;
      return format === 1 ? base : { ...base, words: policyWords(lookup, policy) };
    }
    case 'set-whitelist': {
      const list = validateWhitelist(action.whitelist);
      return { type: 'set-whitelist', whitelistName: list.name, network: list.network, entries: list.entries.length, whitelistHash: whitelistHash(list) };
    }
  }
}

/** The policy in words: every group and whitelist id resolved to its name as the log holds it now. */
export function policyWords(lookup: GovernanceLookup, policy: Policy): PolicyWords {
  const groupName = (id: string): string => lookup.group(id)?.name ?? missing(`group ${id}`);
  const limits = (velocity: Policy['velocity']): VelocityWords[] =>
    velocity.map((v) => ({ windowSeconds: v.windowSeconds, maxAmount: v.maxAmount.toString(), maxCount: v.maxCount ?? null }));
  return {
    // Wallets are Bitcoin wallets: amounts are sats.
    asset: 'BTC',
    decimals: 8,
    rules: policy.rules.map((r) => ({
      name: r.name,
      min: r.amount.min === null ? null : r.amount.min.toString(),
      max: r.amount.max === null ? null : r.amount.max.toString(),
      whitelist: r.destination.kind === 'any' ? null : (lookup.whitelist(r.destination.whitelistId)?.document.name ?? missing(`whitelist ${r.destination.whitelistId}`)),
      initiatorGroup: r.initiatorGroupId === null ? null : groupName(r.initiatorGroupId),
      steps: r.steps.map((s) => ({ group: groupName(s.groupId), count: s.count, initiatorMayApprove: s.initiatorMayApprove })),
      delaySeconds: r.delaySeconds,
      velocity: limits(r.velocity),
    })),
    velocity: limits(policy.velocity),
    shareRefresh: policy.shareRefresh === undefined ? null : { afterSignatures: policy.shareRefresh.afterSignatures, afterDays: policy.shareRefresh.afterDays },
  };
}

function missing(what: string): never {
  throw new Error(`${what} does not exist`);
}

/** The statement the proposer's device signs; `change` is describeAction at the proposal's point in the log. */
export function proposalStatement(
  lookup: GovernanceLookup,
  record: Omit<ProposalRecord, 'signature'>,
  change: ProposalChange = describeAction(lookup, record.action, record.statementFormat ?? 1),
): ProposalStatement {
  return {
    kind: 'proposal',
    vaultId: lookup.vaultId,
    vaultName: lookup.vaultName,
    seq: signedSeq(record),
    proposalId: record.proposalId,
    change,
    digest: proposalDigest(record),
  };
}

/** The statement an administrator's device signs to approve or reject a proposal at `record.seq` (its basis once rebased). */
export function decisionStatement(lookup: GovernanceLookup, record: Omit<DecisionRecord, 'signature' | 'userId'>): ProposalDecisionStatement {
  const proposal = lookup.proposal(record.proposalId) ?? missing(`proposal ${record.proposalId}`);
  return {
    kind: record.type === 'approval' ? 'proposal-approval' : 'proposal-rejection',
    vaultId: lookup.vaultId,
    vaultName: lookup.vaultName,
    seq: signedSeq(record),
    proposalId: record.proposalId,
    proposalSeq: proposal.seq,
    change: proposal.change,
    digest: proposal.digest,
  };
}
