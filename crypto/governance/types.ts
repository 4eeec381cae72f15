// The governance model as plain data: roles, users, groups, settings, the signed record log and the replayed state.
import type { ProposalChange } from '../statements.js';

export const ROLES = ['administrator', 'operator', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** A person as their device makes them: no registration signature, no user. Hex is 0x-prefixed. */
export interface User {
  readonly id: string;
  readonly name: string;
  /** Distinct, in ROLES order (one encoding per meaning, so digests can't drift). */
  readonly roles: readonly Role[];
  /** EIP-55 address of identityPublicKey. */
  readonly identityAddress: string;
  /** secp256k1 public key from the device (33 or 65 bytes, hex). */
  readonly identityPublicKey: string;
  /** EIP-1024 X25519 public encryption key from the device (32 bytes, hex). */
  readonly encryptionKey: string;
  /** BIP-32 path of the identity on the device, e.g. m/44'/60'/0'/0/0. */
  readonly devicePath: string;
  /** 65-byte r‖s‖v EIP-191 signature of the registration statement, by identityAddress. */
  readonly registrationSignature: string;
}

export interface Group {
  readonly id: string;
  readonly name: string;
  /** User ids, each an active user, no duplicates. */
  readonly members: readonly string[];
}

export interface VaultSettings {
  /** Approvals by distinct administrators a proposal needs. */
  readonly adminQuorum: number;
  /** Whether the proposer's own signature counts as one of those approvals. */
  readonly proposerMayApprove: boolean;
}

export type Action =
  | { readonly type: 'add-user'; readonly user: User }
  | { readonly type: 'revoke-user'; readonly userId: string }
  | { readonly type: 'set-roles'; readonly userId: string; readonly roles: readonly Role[] }
  | { readonly type: 'create-group'; readonly group: Group }
  | { readonly type: 'edit-group'; readonly groupId: string; readonly name?: string; readonly members?: readonly string[] }
  | { readonly type: 'set-quorum'; readonly quorum: number }
  | { readonly type: 'set-proposer-may-approve'; readonly value: boolean };

export type ActionType = Action['type'];

export interface GenesisRecord {
  readonly type: 'genesis';
  readonly seq: 0;
  readonly vaultId: string;
  readonly vaultName: string;
  /** ISO-8601 time, passed in. */
  readonly createdAt: string;
  /** The first administrator, with their registration signed at seq 0. */
  readonly admin: User;
  readonly settings: VaultSettings;
  /** The admin's EIP-191 signature of the genesis statement. */
  readonly signature: string;
}

export interface ProposalRecord {
  readonly type: 'proposal';
  readonly seq: number;
  readonly vaultId: string;
  readonly proposalId: string;
  readonly proposerId: string;
  readonly action: Action;
  readonly createdAt: string;
  /** The proposer's signature of the proposal statement. */
  readonly signature: string;
}

export interface DecisionRecord {
  readonly type: 'approval' | 'rejection';
  readonly seq: number;
  readonly vaultId: string;
  readonly proposalId: string;
  readonly userId: string;
  readonly signature: string;
}

export type GovernanceRecord = GenesisRecord | ProposalRecord | DecisionRecord;

export type UserStatus = 'active' | 'revoked';

export interface UserState extends User {
  readonly status: UserStatus;
  /** Seq of the record that registered the user (0 for the first administrator). */
  readonly registeredAtSeq: number;
  /** The roles signed at registration (roles may change later; the registration stays verifiable). */
  readonly registeredRoles: readonly Role[];
  /**
   * Seq since which the user has been an active administrator without interruption, or null. Derived by
   * replay (a database need not hold it): a decision counts only if made at or after this seq.
   */
  readonly adminSinceSeq: number | null;
}

/**
 * pending → approved (the action applied) | rejected (the quorum can no longer be reached) |
 * cancelled (the approval rules changed while it waited) | failed (approved, but by then its action broke a rule).
 */
export type ProposalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled' | 'failed';

export interface Decision {
  readonly userId: string;
  /** Seq of the record that carried it (the proposal's own seq for a proposer's counted approval). */
  readonly seq: number;
}

export interface ProposalState {
  readonly id: string;
  readonly seq: number;
  readonly proposerId: string;
  readonly action: Action;
  readonly createdAt: string;
  /** sha256 of the canonical proposal payload: what every approval signs. */
  readonly digest: string;
  /** What the proposal does in names, resolved when proposed; every approval statement shows it. */
  readonly change: ProposalChange;
  readonly status: ProposalStatus;
  readonly approvals: readonly Decision[];
  readonly rejections: readonly Decision[];
  /** Seq at which the status left 'pending'. */
  readonly closedAtSeq?: number;
  readonly reason?: string;
}

/** What replay yields; collections are sorted by id so two equal states are equal as data. */
export interface GovernanceState {
  readonly vaultId: string;
  readonly vaultName: string;
  readonly createdAt: string;
  /** Seq of the last record replayed. */
  readonly seq: number;
  readonly settings: VaultSettings;
  /**
   * True from genesis until the first set-quorum takes effect: the founders are onboarded under the genesis
   * quorum, the proposer's own signature counts, and the minimum-quorum rules do not block adding administrators.
   */
  readonly founding: boolean;
  readonly users: readonly UserState[];
  readonly groups: readonly Group[];
  readonly proposals: readonly ProposalState[];
}
