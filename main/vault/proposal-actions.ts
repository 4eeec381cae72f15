// The governance action each proposal channel makes from its input: proposing and previewing build it with one function.
import { nameProblem } from '../../crypto/statements';
import { PolicyError, policyDocument, validatePolicy, validateWhitelist, whitelistDocument } from '../../crypto/policy';
import type { Action, GovernanceState, Role, UserState, WalletNetwork, WalletState } from '../../crypto/governance';
import { ROLES } from '../../preload/contract';
import { CustosError, fieldError } from '../errors';
import type { IdGenerator } from './ids';

/** What each proposal channel takes (the acting device aside), as the service and the preview read it. */
export interface ProposalInputs {
  'users.proposeRevoke': { userId: string };
  'users.proposeRoles': { userId: string; roles: Role[] };
  'groups.proposeCreate': { name: string; memberIds: string[] };
  'groups.proposeEdit': { groupId: string; name?: string; memberIds?: string[] };
  'settings.proposeQuorum': { quorum: number };
  'settings.proposeProposerMayApprove': { value: boolean };
  /** Nothing to choose: the move is one way (see replay's enter-team-mode). */
  'settings.proposeTeamMode': Record<never, never>;
  'wallets.proposeCreate': { name: string; network: WalletNetwork; threshold: number; custodianIds: string[] };
  'wallets.proposeRefresh': { walletId: string };
  'wallets.proposeReshare': { walletId: string; threshold: number; custodianIds: string[] };
  'policies.propose': { document: string };
  'whitelists.propose': { document: string };
}
export type ProposalKind = keyof ProposalInputs;

/** "Only administrators <doing>": what a person does by each kind of proposal, for the refusals that name it. */
export const DOING: Record<ProposalKind | 'users.propose', string> = {
  'users.propose': 'propose a new user',
  'users.proposeRevoke': 'propose a revocation',
  'users.proposeRoles': 'propose a role change',
  'groups.proposeCreate': 'propose a group',
  'groups.proposeEdit': 'propose a group change',
  'settings.proposeQuorum': 'propose a quorum change',
  'settings.proposeProposerMayApprove': 'propose a settings change',
  'settings.proposeTeamMode': 'propose team mode',
  'wallets.proposeCreate': 'propose a wallet',
  'wallets.proposeRefresh': 'propose a share refresh',
  'wallets.proposeReshare': 'propose a reshare',
  'policies.propose': 'propose a policy',
  'whitelists.propose': 'propose a whitelist',
};

/** Checks of the input alone, made before any device is asked anything. */
export function checkProposalInput<K extends ProposalKind>(kind: K, input: ProposalInputs[K]): void {
  const i = input as ProposalInputs[ProposalKind] & { name?: string; memberIds?: string[] };
  if (kind === 'groups.proposeCreate' && i.name !== undefined) requireName(i.name, 'group name');
  if (kind === 'wallets.proposeCreate' && i.name !== undefined) requireName(i.name, 'wallet name');
  if (kind === 'groups.proposeEdit') {
    if (i.name !== undefined) requireName(i.name, 'group name');
    if (i.name === undefined && i.memberIds === undefined) throw new CustosError('BAD_INPUT', 'Say what changes: a new name, a new member list, or both.');
  }
}

/** The action a proposal of `kind` makes from `input` against `state`; `newId` names what the action creates. */
export function proposalAction<K extends ProposalKind>(kind: K, input: ProposalInputs[K], state: GovernanceState, newId: IdGenerator): Action {
  checkProposalInput(kind, input);
  const k = kind as ProposalKind;
  switch (k) {
    case 'users.proposeRevoke': {
      const i = input as ProposalInputs[typeof k];
      requireUser(state, i.userId);
      return { type: 'revoke-user', userId: i.userId };
    }
    case 'users.proposeRoles': {
      const i = input as ProposalInputs[typeof k];
      requireUser(state, i.userId);
      return { type: 'set-roles', userId: i.userId, roles: orderRoles(i.roles) };
    }
    case 'groups.proposeCreate': {
      const i = input as ProposalInputs[typeof k];
      return { type: 'create-group', group: { id: newId('group'), name: i.name, members: requireMembers(state, i.memberIds) } };
    }
    case 'groups.proposeEdit': {
      const i = input as ProposalInputs[typeof k];
      if (!state.groups.some((g) => g.id === i.groupId)) throw new CustosError('NOT_FOUND', `There is no group ${i.groupId} in this vault. List the groups to find its id.`);
      return {
        type: 'edit-group',
        groupId: i.groupId,
        ...(i.name === undefined ? {} : { name: i.name }),
        ...(i.memberIds === undefined ? {} : { members: requireMembers(state, i.memberIds) }),
      };
    }
    case 'settings.proposeQuorum':
      return { type: 'set-quorum', quorum: (input as ProposalInputs[typeof k]).quorum };
    case 'settings.proposeProposerMayApprove':
      return { type: 'set-proposer-may-approve', value: (input as ProposalInputs[typeof k]).value };
    case 'settings.proposeTeamMode':
      return { type: 'enter-team-mode' };
    case 'wallets.proposeCreate': {
      const i = input as ProposalInputs[typeof k];
      requireMembers(state, i.custodianIds);
      return { type: 'create-wallet', wallet: { id: newId('wallet'), name: i.name, network: i.network, threshold: i.threshold, custodians: [...i.custodianIds] } };
    }
    case 'wallets.proposeRefresh': {
      const i = input as ProposalInputs[typeof k];
      requireWallet(state, i.walletId);
      return { type: 'refresh-wallet', walletId: i.walletId };
    }
    case 'wallets.proposeReshare': {
      const i = input as ProposalInputs[typeof k];
      requireWallet(state, i.walletId);
      requireMembers(state, i.custodianIds);
      return { type: 'reshare-wallet', walletId: i.walletId, threshold: i.threshold, custodians: [...i.custodianIds] };
    }
    case 'policies.propose': {
      const policy = parseDocument((input as ProposalInputs[typeof k]).document, 'policy', (v) => policyDocument(validatePolicy(v)));
      return { type: 'set-policy', policy };
    }
    case 'whitelists.propose': {
      const raw = parseJson((input as ProposalInputs[typeof k]).document, 'whitelist');
      // A document without an id is a new whitelist.
      const withId = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && !('id' in raw) ? { ...raw, id: newId('whitelist') } : raw;
      const whitelist = parseDocument(JSON.stringify(withId), 'whitelist', (v) => whitelistDocument(validateWhitelist(v)));
      return { type: 'set-whitelist', whitelist };
    }
  }
}

export function requireName(name: string, what: string, field = 'name'): void {
  const problem = nameProblem(name);
  if (problem !== null) throw fieldError(field, 'BAD_INPUT', `The ${what} "${name}" cannot be used: ${problem}.`);
}

export function requireUser(state: GovernanceState, userId: string): UserState {
  const user = state.users.find((u) => u.id === userId);
  if (user === undefined) throw new CustosError('NOT_FOUND', `There is no user ${userId} in this vault. List the users to find their id.`);
  return user;
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CustosError('BAD_INPUT', `The ${what} is not valid JSON: ${(err as Error).message}.`);
  }
}

/** A document validated and put in its one canonical form, or BAD_INPUT naming the first problem by path. */
export function parseDocument<T>(text: string, what: string, normalise: (value: unknown) => T): T {
  const value = parseJson(text, what);
  try {
    return normalise(value);
  } catch (err) {
    // A whitelist's problem is told by entry ("entry 3, address"), as its form shows it; a policy's keeps its path
    // ("policy.rules[0].steps[1]"), as its JSON editor and the CLI show it. Both carry the field for the form.
    if (err instanceof PolicyError) {
      const where = what === 'whitelist' ? placeOf(err.path) : err.path;
      throw fieldError(fieldOfPath(err.path), 'BAD_INPUT', `The ${what} cannot be used: ${where}: ${err.problem}.`);
    }
    throw err;
  }
}

/** A document's path ("whitelist.entries[2].address") as the form's field name ("entries.2.address"). */
function fieldOfPath(path: string): string {
  return path.replace(/^[a-z]+\.?/i, '').replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '') || 'document';
}

/** A document's path in a person's words: "whitelist.entries[2].address" is "entry 3, address". */
function placeOf(path: string): string {
  const parts = [...path.replace(/^[a-z]+\.?/i, '').matchAll(/([a-zA-Z]+)(?:\[(\d+)\])?/g)].map(([, key, index]) => {
    const word = key!.replace(/ies$/, 'y').replace(/([^s])s$/, '$1').replace(/([A-Z])/g, ' $1').toLowerCase();
    return index === undefined ? key!.replace(/([A-Z])/g, ' $1').toLowerCase() : `${word} ${Number(index) + 1}`;
  });
  return parts.length ? parts.join(', ') : 'the document';
}

export function requireWallet(state: GovernanceState, walletId: string): WalletState {
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) throw new CustosError('NOT_FOUND', `There is no wallet ${walletId} in this vault. List the wallets to find its id.`);
  return wallet;
}

export function requireMembers(state: GovernanceState, ids: readonly string[]): string[] {
  if (new Set(ids).size !== ids.length) throw new CustosError('BAD_INPUT', 'A group lists each member once.');
  for (const id of ids) requireUser(state, id);
  return [...ids];
}

/** Roles in the one order digests use, so ["operator","administrator"] and its reverse mean one thing. */
export function orderRoles(roles: readonly Role[]): Role[] {
  return ROLES.filter((r) => roles.includes(r));
}
