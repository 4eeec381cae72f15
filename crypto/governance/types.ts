// The governance model as plain data: roles, users, groups, settings, the signed record log and the replayed state.
import type { PolicyDocument, WhitelistDocument } from '../policy/index.js';
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
  | { readonly type: 'set-proposer-may-approve'; readonly value: boolean }
  /**
   * The vault moves to team mode, for good: from then on its keys are made and used only by the custodians' signer
   * nodes, and every process that replays the log (a console, the MPC host's gate) refuses the single desk's ways.
   */
  | { readonly type: 'enter-team-mode' }
  | { readonly type: 'create-wallet'; readonly wallet: WalletSpec }
  | { readonly type: 'refresh-wallet'; readonly walletId: string }
  | { readonly type: 'reshare-wallet'; readonly walletId: string; readonly threshold: number; readonly custodians: readonly string[] }
  /** Adopts a wallet's policy: a crypto/policy PolicyDocument (its version the next one for the wallet). */
  | { readonly type: 'set-policy'; readonly policy: PolicyDocument }
  /** Creates or replaces a named whitelist: a crypto/policy WhitelistDocument. */
  | { readonly type: 'set-whitelist'; readonly whitelist: WhitelistDocument };

export const WALLET_NETWORKS = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type WalletNetwork = (typeof WALLET_NETWORKS)[number];
/** Custodians of one wallet at most: a DKG among more parties is hours of device prompts, not a vault's need. */
export const MAX_CUSTODIANS = 100;

/** What a create-wallet proposal names: the key does not exist yet; a DKG makes it once the proposal is approved. */
export interface WalletSpec {
  readonly id: string;
  readonly name: string;
  readonly network: WalletNetwork;
  /** Signatures need `threshold` custodians (2 ≤ threshold ≤ custodians). */
  readonly threshold: number;
  /** User ids, distinct, each an active user; each holds one share sealed to their device. */
  readonly custodians: readonly string[];
}

/** A custodian's FROST party (crypto/frost partyIdFor(userId)). */
export interface Custodian {
  readonly userId: string;
  readonly partyId: string;
}

/**
 * The public outcome of a key ceremony, as recorded: all hex is lowercase without 0x (as the MPC host speaks it).
 * `shareDigests` are sha256 of each custodian's sealed share, so a swapped sealed share in the store is caught.
 */
export interface WalletKey {
  readonly keyVersion: number;
  readonly threshold: number;
  /** Sorted by partyId. */
  readonly custodians: readonly Custodian[];
  readonly internalKey: string;
  readonly outputKey: string;
  readonly chainCode: string;
  /** noble's VSS commitments of the (Taproot-tweaked) key: `threshold` compressed points, the first being the group key. */
  readonly commitments: readonly string[];
  /** Sorted by partyId, one per custodian. */
  readonly verifyingShares: readonly { readonly partyId: string; readonly key: string }[];
  /** Sorted by partyId, one per custodian. */
  readonly shareDigests: readonly { readonly partyId: string; readonly digest: string }[];
}

export type KeyCeremony = 'dkg' | 'refresh' | 'reshare';

/** A ceremony an approved proposal asked for and that has not been recorded yet. */
export interface PendingCeremony {
  readonly proposalId: string;
  readonly ceremony: KeyCeremony;
  readonly threshold: number;
  readonly custodians: readonly string[];
}

export type WalletStatus = 'awaiting-key' | 'active';

export interface WalletState {
  readonly id: string;
  readonly name: string;
  readonly network: WalletNetwork;
  /** Seq of the record that approved the wallet's creation. */
  readonly createdAtSeq: number;
  readonly status: WalletStatus;
  /** The key in force (null until the DKG is recorded). */
  readonly key: WalletKey | null;
  /** Seq and createdAt of the wallet-key record of the key in force: the signatures and age a share-refresh rule counts. */
  readonly keySince: { readonly seq: number; readonly at: string } | null;
  /** The ceremony still owed: the DKG of a new wallet, or a refresh/reshare (a revoked custodian's starts one). */
  readonly pending: PendingCeremony | null;
}

/** A custodian's device signature of the key-attestation statement of a wallet-key record. */
export interface KeyAttestation {
  readonly userId: string;
  readonly signature: string;
}

/**
 * A ceremony's public outcome, attested by the devices of every custodian of the new key. Replay accepts it only as
 * the fulfilment of an approved proposal's pending ceremony, with exactly the custodians and threshold approved, a
 * consistent public key, and one valid attestation from each of those custodians.
 */
export interface KeyRecord {
  readonly type: 'wallet-key';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly walletId: string;
  readonly proposalId: string;
  readonly ceremony: KeyCeremony;
  readonly ceremonyId: string;
  readonly createdAt: string;
  readonly key: WalletKey;
  /** Sorted by userId: one per custodian of the new key. */
  readonly attestations: readonly KeyAttestation[];
}

export type ActionType = Action['type'];

/**
 * How far a signed record may move: a team's console that lost the race for the seq its devices signed at places the
 * same record up to this many records later, without asking the devices again (crypto/governance/rebase.ts).
 */
export const REBASE_WINDOW = 64;

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
  /**
   * 2: every set-policy proposal of this vault must list its rules in words (proposal statement format 2). Bound by
   * the genesis digest when present; vaults made before the mark existed have none (and ratchet to it, see replay).
   */
  readonly statementFormat?: 2;
  /** The admin's EIP-191 signature of the genesis statement. */
  readonly signature: string;
}

export interface ProposalRecord {
  readonly type: 'proposal';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly proposalId: string;
  readonly proposerId: string;
  readonly action: Action;
  readonly createdAt: string;
  /**
   * The proposal statement format its devices showed (crypto/statements.ts): absent for format 1, the records made
   * before format 2; 2 lists a set-policy change's rules in words. Approvals of the proposal show the same format.
   */
  readonly statementFormat?: 2;
  /** The proposer's signature of the proposal statement. */
  readonly signature: string;
}

export interface DecisionRecord {
  readonly type: 'approval' | 'rejection';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly proposalId: string;
  readonly userId: string;
  readonly signature: string;
}

/**
 * A transfer as its initiator (an operator) signed it on their device: the exact transaction (the PSBT, the BIP-341
 * sighashes of the wallet's inputs and the wallet path each one spends), what it pays, and the policy in force.
 * Amounts are decimal strings of sats.
 */
export interface TransferRequestRecord {
  readonly type: 'transfer-request';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly requestId: string;
  readonly walletId: string;
  readonly initiatorId: string;
  readonly destination: string;
  readonly amount: string;
  readonly fee: string;
  /** The unsigned PSBT, base64. */
  readonly psbt: string;
  /** One per input, in input order: the wallet path it spends ("" for the wallet key, "0/5" for receive 5). */
  readonly inputPaths: readonly string[];
  /** The change output's wallet path, or null when there is no change. */
  readonly changePath: string | null;
  /** BIP-341 sighashes of the inputs, in input order (lowercase hex). */
  readonly sighashes: readonly string[];
  readonly policyVersion: number;
  /** 0x-hex sha256 of the policy in force. */
  readonly policyHash: string;
  readonly createdAt: string;
  readonly signature: string;
}

/** An approver's decision on a transfer, signed on their device over the statement regenerated from the request. */
export interface TransferDecisionRecord {
  readonly type: 'transfer-approval' | 'transfer-rejection';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly requestId: string;
  readonly userId: string;
  /** When the console recorded it (the MPC host keeps its own time of receipt for delays). */
  readonly at: string;
  readonly signature: string;
}

/** The MPC host's signatures for a request: the final transaction. Not device-signed: its input signatures are the proof. */
export interface TransferSignedRecord {
  readonly type: 'transfer-signed';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly requestId: string;
  /** The policy rule the console evaluated it under (velocity counts per rule; the MPC host keeps its own ledger). */
  readonly ruleId: string;
  readonly txid: string;
  /** The final network transaction, hex. */
  readonly tx: string;
  readonly at: string;
}

/** The initiator or an administrator withdraws a request before it is signed (during its delay, typically), on their device. */
export interface TransferCancelRecord {
  readonly type: 'transfer-cancel';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly requestId: string;
  readonly userId: string;
  readonly at: string;
  readonly signature: string;
}

/** A signer node's transport keys, as the custodian's device registered them (the keys MPC sessions use for them). */
export interface NodeKey {
  /** The node's id (16 lowercase hex digits), fresh for every node folder. */
  readonly nodeId: string;
  /** 0x + 32 bytes: the node's Ed25519 public key; every relay message it sends is signed with it. */
  readonly signingKey: string;
  /** 0x + 32 bytes: the node's X25519 public key; relay messages to it are sealed to it (HPKE). */
  readonly hpkeKey: string;
}

/** A custodian registers (or replaces) their signer node's keys, signed on their device. */
export interface NodeKeyRecord extends NodeKey {
  readonly type: 'node-key';
  readonly seq: number;
  /** Present only on a rebased record: the seq its statements were signed at (see REBASE_WINDOW). */
  readonly basis?: number;
  readonly vaultId: string;
  readonly userId: string;
  readonly createdAt: string;
  /** The user's EIP-191 signature of the node-key statement. */
  readonly signature: string;
}

export type TransferRecord = TransferRequestRecord | TransferDecisionRecord | TransferSignedRecord | TransferCancelRecord;

export type GovernanceRecord = GenesisRecord | ProposalRecord | DecisionRecord | KeyRecord | TransferRecord | NodeKeyRecord;

export interface PolicyState {
  readonly walletId: string;
  readonly version: number;
  /** 0x-hex, crypto/policy policyHash. */
  readonly hash: string;
  readonly document: PolicyDocument;
  readonly adoptedAtSeq: number;
}

export interface WhitelistState {
  readonly id: string;
  readonly hash: string;
  readonly document: WhitelistDocument;
  readonly changedAtSeq: number;
}

export interface TransferDecisionState {
  readonly userId: string;
  readonly seq: number;
  readonly at: string;
  /** The groups the person belonged to when the record was made: an approval counts only for those (and if still a member). */
  readonly groups?: readonly string[];
}

/** The facts of a transfer as the log holds them; its policy decision is computed from them (crypto/transfers). */
export interface TransferState {
  readonly id: string;
  readonly seq: number;
  readonly request: TransferRequestRecord;
  readonly approvals: readonly TransferDecisionState[];
  readonly rejections: readonly TransferDecisionState[];
  readonly signed: { readonly seq: number; readonly ruleId: string; readonly txid: string; readonly tx: string; readonly at: string } | null;
  readonly cancelled: TransferDecisionState | null;
}

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
  /** The user's signer node, from their latest node-key record (absent: none registered). Derived by replay. */
  readonly node?: NodeKey & { readonly seq: number };
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
  /**
   * Set once set-policy proposals must list their rules in words (format 2): from a genesis so marked, or from the
   * first format-2 set-policy proposal. Derived by replay from signed records only, so the store does not project it.
   */
  readonly policyInWords?: true;
  /**
   * Seq of the record that approved the vault's move to team mode (enter-team-mode), absent on a single desk. From then
   * on keys are made and used only by the custodians' signer nodes. Derived by replay from signed records only, so the
   * store does not project it: whoever enforces it replays the log.
   */
  readonly teamModeSince?: number;
  readonly users: readonly UserState[];
  readonly groups: readonly Group[];
  readonly proposals: readonly ProposalState[];
  readonly wallets: readonly WalletState[];
  /** The policy in force for each wallet that has one (earlier versions stay in the log). */
  readonly policies: readonly PolicyState[];
  readonly whitelists: readonly WhitelistState[];
  readonly transfers: readonly TransferState[];
}
