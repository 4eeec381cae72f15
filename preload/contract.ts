// The one definition of what crosses the bridge between the renderer and main: channels, input schemas,
// result types, events and error codes. main validates every input against it; the preload and the
// browser host's shim both build their client from it.
import { z } from 'zod';

/** Error codes that may cross a boundary. The UI maps each to what a person should do. */
export const ERROR_CODES = [
  'BAD_INPUT',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN_SENDER',
  'INTERNAL',
  'DEVICE_NOT_FOUND',
  'DEVICE_LOCKED',
  'WRONG_APP',
  'APP_TOO_OLD',
  'REJECTED_ON_DEVICE',
  'BLIND_SIGNING_REQUIRED',
  'DEVICE_DISCONNECTED',
  'DEVICE_BUSY',
  'DEVICE_IN_USE',
  'DEVICE_TIMEOUT',
  'DEVICE_BAD_RESPONSE',
  'DEVICE_ERROR',
  'MPC_HOST_UNAVAILABLE',
  'MPC_PROTOCOL',
  'MPC_CEREMONY_FAILED',
  'POLICY_DENIED',
  'VAULT_NOT_FOUND',
  'VAULT_EXISTS',
  'NOT_FOUND',
  'NOT_AUTHORISED',
  'RULE_VIOLATION',
  'TAMPERING_DETECTED',
  'DATABASE_TOO_NEW',
  'STORE_ERROR',
  'TEAM_UNREACHABLE',
  'TEAM_AUTH',
  'TEAM_STREAM',
  'TEAM_TLS',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An error as data: what happened, in plain words, and what to do next. Never carries a secret. */
export interface CustosErrorData {
  code: ErrorCode;
  message: string;
  details?: Record<string, string | number | boolean | null>;
  /**
   * The input that caused it, by its name in the channel's input (`destination`, `amount`, `feeRate`, `name`, `psbt`…),
   * when one did: the console shows the message next to that field.
   */
  field?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: CustosErrorData };

// ---------------------------------------------------------------------------------------------------
// Domain types that cross the bridge

export type DeviceKind = 'usb' | 'virtual';
/** What the console knows of a device's state, from its last exchange. */
export type DeviceState = 'ready' | 'locked' | 'wrong-app' | 'app-too-old' | 'busy' | 'disconnected' | 'unknown';

export interface DeviceSummary {
  id: string;
  kind: DeviceKind;
  /** "Nano S Plus", "Virtual Ledger", … */
  model: string;
  label: string;
  state: DeviceState;
  /** The app open on the device, as get-app-and-version reports it ("Ethereum", "BOLOS" for the dashboard). */
  app: { name: string; version: string } | null;
  /** False for virtual devices: they hold keys in this computer's memory. */
  secure: boolean;
  /** A plain sentence for the UI when the device needs the person (locked, wrong app…), else null. */
  hint: string | null;
}

/** One screen the device shows and waits on: the person reads it and approves or rejects. */
export interface DevicePrompt {
  promptId: string;
  deviceId: string;
  /** For virtual devices, the console shows Approve and Reject; for USB ones, the person acts on the device. */
  kind: DeviceKind;
  operation: 'verify-address' | 'sign-message' | 'encryption-key' | 'shared-secret';
  title: string;
  fields: { label: string; value: string }[];
  /** What the person should do, in plain words ("Confirm on your device"). */
  instruction: string;
}

export interface DeviceIdentity {
  deviceId: string;
  path: string;
  /** Uncompressed secp256k1 public key, 0x-hex. */
  publicKey: string;
  /** EIP-55 checksummed, 0x-prefixed. */
  address: string;
}

export interface SignedStatement {
  deviceId: string;
  path: string;
  address: string;
  text: string;
  /** 0x-prefixed r‖s‖v, 65 bytes, v = 27 or 28 (EIP-191 personal_sign). */
  signature: string;
}

export interface MpcHostHealth {
  protocolVersion: number;
  hostVersion: string;
  pid: number;
  uptimeMs: number;
  roundTripMs: number;
}

export interface AppInfo {
  name: 'Custos';
  version: string;
  /** 'electron' in the desktop app; 'browser-host' in the development tool that serves the UI to a browser; 'cli' headless. */
  shell: 'electron' | 'browser-host' | 'cli';
  platform: string;
  /** Linux only: whether Ledger's udev rules were found (without them USB Ledgers are invisible). */
  udevRulesInstalled: boolean | null;
  /** When the rules are missing (an AppImage install): the commands that install them, to show the person. */
  udevGuidance: string | null;
}

// ---------------------------------------------------------------------------------------------------
// The vault: governance as the renderer sees it (projections of the signed record log; main decides everything)

export const ROLES = ['administrator', 'operator', 'approver', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface UserRef {
  id: string;
  name: string;
}

export interface VaultSettingsView {
  adminQuorum: number;
  proposerMayApprove: boolean;
  /** From genesis until the first quorum change takes effect: founders are added one by one and the proposer counts. */
  founding: boolean;
  /**
   * Seq of the record by which the vault moved to team mode (keys made and used only by the custodians' signer nodes),
   * read from the replay of the signed log; null on a single desk (or when the log does not replay).
   */
  teamModeSince: number | null;
}

export interface IntegrityReport {
  /** 'ok' when the store equals the replay of the signed log and the audit chain verifies. */
  status: 'ok' | 'tampered';
  /** Each difference or broken link, in plain words ("user bob: roles are operator in the store, approver by the log"). */
  problems: string[];
  checkedAt: string;
  /**
   * How the signed log was replayed for this report: from the verified checkpoint (only the records after it) or from
   * genesis (a full verify, or no checkpoint was found, which `note` says).
   */
  replay?: ReplaySummary;
}

export interface ReplaySummary {
  from: 'checkpoint' | 'genesis';
  /** The checkpoint's record (from 'checkpoint'), else null. */
  checkpointSeq: number | null;
  /** Records replayed, every signature checked. */
  records: number;
  /** Records in the log. */
  total: number;
  /** How long the replay took, in milliseconds (records per second = records / ms × 1000). */
  ms: number;
  /** Why the replay started where it did, in plain words, when it is worth saying (no checkpoint found). */
  note?: string;
}

/** A full verification's progress (`vault.verifyProgress`): records replayed of the log's total, then the other checks. */
export interface VerifyProgress {
  stage: 'reading' | 'replaying' | 'projection' | 'audit' | 'done';
  done: number;
  total: number;
}

export interface VaultSummary {
  vaultId: string;
  name: string;
  createdAt: string;
  /** The BIP-32 path at which every member's device holds their vault identity. */
  identityPath: string;
  /** Sequence number of the last signed record. */
  seq: number;
  settings: VaultSettingsView;
  counts: { users: number; administrators: number; groups: number; pendingProposals: number };
  integrity: IntegrityReport;
}

export interface UserView {
  id: string;
  name: string;
  roles: Role[];
  status: 'active' | 'revoked';
  address: string;
  devicePath: string;
  encryptionKey: string;
  registeredAtSeq: number;
  /** When the record that registered the user was made (ISO 8601), or null if the log does not say. */
  registeredAt: string | null;
}

export interface GroupView {
  id: string;
  name: string;
  members: UserRef[];
}

export type ProposalStatus = 'pending' | 'approved' | 'rejected' | 'cancelled' | 'failed';

export interface ProposalView {
  id: string;
  seq: number;
  createdAt: string;
  proposer: UserRef;
  /** One line saying what it does ("Add user Dave (operator)"). */
  title: string;
  status: ProposalStatus;
  /** Approvals that count now (a revoked approver's do not). */
  approvals: (UserRef & { seq: number })[];
  rejections: (UserRef & { seq: number })[];
  /** Approvals the quorum needs in all. */
  needed: number;
  /** Administrators who may still approve. */
  waitingFor: UserRef[];
  reason: string | null;
}

export interface AuditEntryView {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  /** Canonical JSON. */
  payload: string;
  deviceSignature: string | null;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  valid: boolean;
  entries: number;
  head: string;
  brokenAt: number | null;
  reason: string | null;
}

export const WALLET_NETWORKS = ['mainnet', 'testnet', 'signet', 'regtest'] as const;
export type WalletNetwork = (typeof WALLET_NETWORKS)[number];
export type KeyCeremony = 'dkg' | 'refresh' | 'reshare';

export interface WalletCustodianView extends UserRef {
  /** FROST party identifier (hex). */
  partyId: string;
  /** 'sealed': holds a share of the key in force, sealed to their device; 'revoked': holds one, but was revoked (a reshare is owed). */
  share: 'sealed' | 'revoked';
}

export interface WalletView {
  id: string;
  name: string;
  network: WalletNetwork;
  /** 'awaiting-key': approved, its DKG not yet run; 'active': it has a key. */
  status: 'awaiting-key' | 'active';
  /** Of the key in force (or, awaiting its key, the approved one). */
  threshold: number;
  /** Holders of the key in force; empty while the wallet awaits its key (the approved custodians are in `pending`). */
  custodians: WalletCustodianView[];
  keyVersion: number | null;
  /** BIP-341 internal key and output key (x-only hex) of the wallet's root key. */
  internalKey: string | null;
  outputKey: string | null;
  /** Watch-only output descriptors with checksums: ranged receive and change (tr(xpub/0/*), tr(xpub/1/*)), and the root key. */
  descriptors: { receive: string; change: string; root: string } | null;
  /** The first receive address (m/0/0 under the wallet key). */
  address: string | null;
  /** A key ceremony owed by an approved proposal (or a revocation): run it with the custodians' devices connected. */
  pending: { proposalId: string; ceremony: KeyCeremony; threshold: number; custodians: UserRef[] } | null;
  /** Why the wallet signs nothing until its shares are refreshed (its policy's share-refresh rule), or null. */
  refreshDue: string | null;
  createdAtSeq: number;
  /** When the record that created the wallet was made (ISO 8601), or null if the log does not say. */
  createdAt: string | null;
}

export interface WalletAddress {
  branch: 'receive' | 'change';
  index: number;
  /** Relative to the wallet key, e.g. "0/5". */
  path: string;
  address: string;
}

/** An address a custodian's device showed and signed ("Verify on device"). */
export interface AddressVerificationView {
  wallet: UserRef;
  path: string;
  address: string;
  keyVersion: number;
  /** The custodian whose device showed it, and that device's identity address. */
  custodian: UserRef;
  deviceAddress: string;
  /** The statement's text as the device showed it, and its EIP-191 signature (anyone can check it again). */
  statement: string;
  signature: string;
  verifiedAt: string;
}

// ---------------------------------------------------------------------------------------------------
// Transfers under policy

export interface PolicyView {
  walletId: string;
  version: number;
  /** 0x-hex sha256 of the canonical document: what the administrators' devices showed when it was adopted. */
  hash: string;
  /** The canonical JSON document (crypto/policy format custos-policy/1). */
  document: string;
  adoptedAtSeq: number;
  /** When the record that adopted this version was made (ISO 8601), or null if the log does not say. */
  adoptedAt: string | null;
}

export interface WhitelistView {
  id: string;
  name: string;
  network: WalletNetwork;
  hash: string;
  entries: { address: string; label: string }[];
  changedAtSeq: number;
  /** When the record that set these entries was made (ISO 8601), or null if the log does not say. */
  changedAt: string | null;
}

export interface UtxoView {
  txid: string;
  vout: number;
  /** Sats, decimal. */
  amount: string;
  path: string;
  label: string;
  spentBy: string | null;
  /** The open request (pending or allowed, not yet signed) that will spend it, or null when it is free. */
  heldBy: string | null;
  /** When the console learned of the coin (ISO), or null for coins recorded before it kept the date. */
  recordedAt: string | null;
}

/** A wallet's money as the console knows it: its unspent coins, what open requests hold of them, what is free. */
export interface WalletBalanceView {
  walletId: string;
  network: WalletNetwork;
  /** Sats, decimal: the sum of the unspent coins. */
  total: string;
  /** Sats held by open requests (pending or allowed, not yet signed): they will spend those coins. */
  held: string;
  /** Each open request holding coins, and how much (sats), oldest request first. */
  heldBy: { requestId: string; amount: string }[];
  /** Sats a new request may spend: total − held. */
  free: string;
  /** Unspent coins. */
  coins: number;
}

export interface BalancesView {
  wallets: WalletBalanceView[];
  /** The vault's total per network: regtest or testnet coins are never added to mainnet money. Networks without wallets are left out. */
  totals: { network: WalletNetwork; total: string; held: string; free: string; wallets: number }[];
}

/** One velocity limit of the policy in force, with what the signers count as used in its window now (the policy engine's own numbers). */
export interface VelocityWindowView {
  scope: 'wallet' | 'rule';
  /** The rule whose limit it is; null for a limit over every transfer of the wallet. */
  rule: UserRef | null;
  windowSeconds: number;
  /** Sats, decimal: signed within the window, the limit, and what is left. */
  used: string;
  max: string;
  left: string;
  usedCount: number;
  maxCount: number | null;
}

/** One moment the wallet's balance changed: a coin recorded, or a transfer signed (its coins spent, its change back). */
export interface BalancePoint {
  /** ISO time. */
  at: string;
  /** Sats, decimal: the balance after this change, and the change itself (negative for a transfer). */
  balance: string;
  change: string;
  kind: 'coin' | 'transfer';
  /** What happened, in words ("Coin recorded: Made-up regtest coin", "Request R-2 signed"). */
  event: string;
  requestId: string | null;
}

/** A wallet's page opens with this: its balance, the velocity its policy has used in each window, and the balance over time. */
export interface WalletFundsView {
  balance: WalletBalanceView;
  /** The policy in force whose limits `velocity` lists; null when none was adopted. */
  policy: { version: number } | null;
  velocity: VelocityWindowView[];
  /** Oldest first; the last point's balance is the wallet's balance now. */
  history: BalancePoint[];
  /** When main counted (ISO): velocity windows end at this time. */
  asOf: string;
}

export type TransferStatus = 'pending' | 'waiting-delay' | 'ready' | 'denied' | 'rejected' | 'cancelled' | 'signed';

export interface TransferStepView {
  index: number;
  group: UserRef;
  required: number;
  counted: UserRef[];
  missing: number;
  finished: boolean;
}

export interface VelocityView {
  scope: 'wallet' | 'rule';
  windowSeconds: number;
  /** Sats, decimal. */
  used: string;
  max: string;
  left: string;
  fits: boolean;
}

export interface TransferView {
  id: string;
  seq: number;
  wallet: UserRef;
  initiator: UserRef;
  destination: string;
  /** Sats, decimal. */
  amount: string;
  fee: string;
  createdAt: string;
  policy: { version: number; hash: string };
  /** 0x-hex: what every approval signs; it binds the exact transaction. */
  digest: string;
  status: TransferStatus;
  /** The rule that matched (null when none did), and why the request is denied or rejected, in plain words. */
  rule: { id: string; name: string } | null;
  reason: string | null;
  steps: TransferStepView[];
  velocity: VelocityView[];
  /** When signing may start (after the rule's delay), ISO; null until every step is full. */
  delayUntil: string | null;
  approvals: (UserRef & { seq: number; at: string })[];
  rejections: (UserRef & { seq: number; at: string })[];
  /** psbt: the finalised PSBT, on a request read alone (transfers.get, sign); null in list rows, where parsing each would cost more than the page. */
  signed: { txid: string; tx: string; psbt: string | null; at: string } | null;
}

/** Whether the acting person may do one thing now, and if not, why, in words (the refusal main would answer). */
export interface Permission {
  allowed: boolean;
  reason: string | null;
}

/**
 * What the person whose device acts may do in the vault now: main answers with the rules it enforces when the action
 * is taken, so a button is disabled with the reason main would give.
 */
export interface AccessView {
  /** Who the acting device is (null: not a member of the vault). */
  person: (UserRef & { roles: Role[] }) | null;
  /** Every proposal (users, groups, settings, wallets, whitelists, policies): only active administrators propose. */
  propose: Permission;
  /** By wallet id: requesting a transfer from it, and running the key ceremony it owes (which asks its custodians). */
  wallets: Record<string, { request: Permission; ceremony: Permission }>;
  /** By proposal id, pending ones: approving or rejecting it. */
  proposals: Record<string, { decide: Permission }>;
  /** By request id, unsettled ones: approving or rejecting, cancelling, and signing (which asks the custodians). */
  transfers: Record<string, { decide: Permission; cancel: Permission; sign: Permission }>;
}

/** One screen a device will show for an action: on which device, what for, and its text. */
export interface DeviceStep {
  /** The device's label ("Alice Ledger"). */
  device: string;
  /** What the screen is for ("Your proposal"). */
  heading: string;
  /**
   * The statement as crypto/statements renders it; what exists only once the action runs (an id, a digest, the
   * address read from a new device) is a placeholder in parentheses, e.g. "Digest: (of the proposal)".
   */
  screen: string;
}

/** The channels whose device statements can be previewed before they run. */
export const PREVIEW_ACTIONS = [
  'vault.create',
  'users.propose',
  'users.proposeRevoke',
  'users.proposeRoles',
  'groups.proposeCreate',
  'groups.proposeEdit',
  'settings.proposeQuorum',
  'settings.proposeProposerMayApprove',
  'settings.proposeTeamMode',
  'wallets.proposeCreate',
  'wallets.proposeRefresh',
  'wallets.proposeReshare',
  'policies.propose',
  'whitelists.propose',
  'proposals.approve',
  'proposals.reject',
  'transfers.create',
  'transfers.importPsbt',
  'transfers.approve',
  'transfers.reject',
  'transfers.cancel',
] as const;
export type PreviewAction = (typeof PREVIEW_ACTIONS)[number];

/** One thing that waits for the person acting: where to go to act on it. */
export interface InboxItem {
  kind: 'proposal' | 'approval' | 'signing' | 'ceremony';
  id: string;
  /** What to do, in words ("Approve or reject R-3: 0.02 BTC from Cold BTC"). */
  title: string;
  link: { name: 'proposals' } | { name: 'transfer'; id: string } | { name: 'wallet'; id: string };
  since: string | null;
}

export interface InboxView {
  /** Who the acting device is in the vault (null: not a member, so nothing waits for it). */
  person: UserRef | null;
  items: InboxItem[];
  counts: Record<InboxItem['kind'], number>;
}

/** A PSBT made elsewhere, read before anything is created from it: what it spends and pays, and whether it can become a request. */
export interface PsbtPreviewView {
  wallet: UserRef;
  network: WalletNetwork;
  /** Sats are decimal strings; amount null when the PSBT does not say; path null when the coin is not the wallet's. */
  inputs: { index: number; txid: string; vout: number; amount: string | null; path: string | null }[];
  outputs: { index: number; address: string | null; amount: string | null; role: 'payment' | 'change' | 'other' }[];
  /** The one payment out of the wallet, the change back to it, the fee: null when the PSBT cannot say (see problems). */
  payment: { destination: string; amount: string } | null;
  change: { path: string; amount: string } | null;
  fee: string | null;
  /** Why it cannot become a request of this wallet, in plain words; empty when it can. */
  problems: string[];
  /** A request of this wallet that already carries this exact transaction (the latest one not cancelled). */
  existing: { id: string; status: TransferStatus } | null;
  /** The policy the request would pass under. */
  policy: { version: number; hash: string } | null;
}

export interface SimulationView {
  results: { requestId: string; before: string; after: string; changed: 'same' | 'now-denied' | 'now-allowed' | 'rerouted' }[];
  counts: Record<'same' | 'now-denied' | 'now-allowed' | 'rerouted', number>;
}

/** Who a connected device is in the vault (users are their devices). */
export interface DeviceMember {
  deviceId: string;
  address: string;
  user: (UserRef & { roles: Role[]; status: 'active' | 'revoked' }) | null;
}

// ---------------------------------------------------------------------------------------------------
// The team: the vault's log shared on a team server (NATS JetStream), as this console sees it

/**
 * How this console reaches its team's server, as it was when the status was read: 'single-desk' (not shared),
 * 'connected', 'unreachable' (the server is down or out of reach), 'wrong-credential' (it refused the user or
 * password), 'tls-problem' (its certificate is not trusted, or it wants or refused a client certificate), or
 * 'stream-problem' (it answered, but its log is missing, misconfigured or not this vault's).
 */
export type TeamConnectionState = 'single-desk' | 'connected' | 'unreachable' | 'wrong-credential' | 'tls-problem' | 'stream-problem';

/** A custodian's signer node as the log registers it (their device signed its keys). Whether it is online is not known here. */
export interface SignerNodeView {
  user: UserRef & { status: 'active' | 'revoked' };
  /** The node's id (16 hex digits). */
  nodeId: string;
  /** 0x + sha256(signing key ‖ HPKE key): what the node printed and the custodian's device showed. */
  keyFingerprint: string;
  /** The record that registered these keys. */
  seq: number;
}

export interface TeamStatusView {
  /** Whether this data folder follows a team's log (team.json); false: a single desk. */
  joined: boolean;
  /** Whether this data folder holds a vault: joining without one needs the vault id and its genesis address. */
  hasVault: boolean;
  servers: string[];
  user: string | null;
  /** The vault (joined: the one the settings follow; a single desk: its own), and its genesis administrator's address. */
  vaultId: string | null;
  genesisAddress: string | null;
  connection: { state: TeamConnectionState; message: string | null };
  /** This console's log: its last seq (-1 when empty) and head fingerprint; every console of the team should show the same. */
  head: { seq: number; fingerprint: string };
  /** The stream's last entry (when connected), the last entry this console consumed, and the entries left to consume. */
  streamLastSeq: number | null;
  cursor: number;
  lag: number | null;
  /** Stream entries this console refused (never applied), the most recent first, with the reason. */
  refusedCount: number;
  refused: { streamSeq: number; reason: string; seenAt: string; excerpt: string | null }[];
  /** Signer nodes registered in the log, one per custodian who registered one. */
  nodes: SignerNodeView[];
  /**
   * The signer node this console coordinates with (its keys sign the session requests it sends): in a team, every
   * signing and key ceremony goes through the custodians' nodes, and needs it. `problem` says why it cannot be used.
   */
  coordinator: { nodeDir: string | null; nodeId: string | null; user: UserRef | null; problem: string | null };
  checkedAt: string;
}

/** Which registered signer nodes answered a ping just now, ready and at this console's head. */
export interface TeamPingView {
  nodes: {
    user: UserRef;
    nodeId: string | null;
    online: boolean;
    /** The node's log head, when it answered. */
    head: { seq: number; fingerprint: string } | null;
    /** Null when online, ready and at this console's head; else why it cannot take part now, in words. */
    problem: string | null;
  }[];
  checkedAt: string;
}

/** What a push published of the records the team log lacked, and the status after it. */
export interface TeamPushView {
  published: number;
  status: TeamStatusView;
}

/** One custodian's signer node during a signing or key ceremony through the team's nodes (in progress events). */
export interface NodeProgressView {
  custodian: string;
  /**
   * ready / not-ready: its answer to the ping (not-ready: no answer, or not at this console's head); picked: it takes
   * part; accepted / refused: its gate's answer, after its custodian's device; round: its message of `round` arrived;
   * key: it reported its share of the new key; attested: its custodian's device attested the key.
   */
  state: 'ready' | 'not-ready' | 'picked' | 'accepted' | 'refused' | 'round' | 'key' | 'attested';
  round: number | null;
  detail: string | null;
}

/** What a catch-up adopted and refused, and the status after it. */
export interface TeamPullView {
  adopted: number;
  refused: number;
  status: TeamStatusView;
}

// ---------------------------------------------------------------------------------------------------
// Input schemas

/** A BIP-32 path the Ethereum app accepts: m/44'/60'/… or m/45'/…, at most 10 levels, hardened with '. */
export const derivationPath = z
  .string()
  .max(120)
  .regex(/^m(\/\d{1,10}'?){1,10}$/, "a BIP-32 path such as m/44'/60'/0'/0/0 (hardened levels end with ')")
  .refine((p) => /^m\/(44'\/60'|45')/.test(p), "the Ethereum app only derives under m/44'/60' or m/45'")
  .refine(
    (p) => p.split('/').slice(1).every((part) => Number.parseInt(part, 10) < 0x80000000),
    'each path level must be below 2^31',
  );

export const deviceId = z.string().min(1).max(200);
/** A statement the device can show as text: printable ASCII and newlines, as the Ethereum app displays it. */
export const statementText = z
  .string()
  .min(1, 'the statement is empty')
  .max(4000, 'the statement is longer than a device can show (4000 characters)')
  .regex(/^[\x20-\x7e\n]+$/, 'only printable ASCII and newlines can be shown faithfully on a device');

const mnemonic = z
  .string()
  .trim()
  .regex(/^[a-z]+( [a-z]+){11,23}$/, 'a BIP-39 mnemonic of 12 to 24 lowercase English words');

const empty = z.object({}).strict();

/** A name a device can show: what the person sees on the screen is exactly what the vault stores. */
const personName = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(32, 'names are at most 32 characters (a device line)')
  .regex(/^[A-Za-z0-9 .'_()&/-]+$/, "names use letters, digits, spaces and . ' _ ( ) & / - only (what a device can show)");
const entityId = z.string().min(1).max(100);
const roles = z
  .array(z.enum(ROLES))
  .min(1, 'at least one role')
  .max(4)
  .refine((r) => new Set(r).size === r.length, 'each role once');
/** Sats as a decimal string (a JSON number cannot hold every amount exactly). */
const sats = z.string().regex(/^[1-9]\d{0,17}$/, 'an amount in sats: a whole number, no leading zeros');
/** A path under the wallet key: "" (the key itself), "0/5" (receive 5), "1/0" (change 0). */
const walletPath = z.string().regex(/^$|^\d{1,10}(\/\d{1,10}){0,9}$/, 'a wallet path such as 0/5 (or empty for the wallet key)');
/** A JSON document as text, at most 1 MB. */
const jsonDocument = z.string().min(2).max(1_000_000);
/** The device of the person acting: main reads its identity to know who they are. */
const actingDevice = { deviceId };

/** One or more team server addresses, comma-separated: nats://host:4222 or tls://host:4222. */
const tlsFile = z.string().trim().min(1, 'a file path').max(4096);

const teamServers = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .regex(/^(nats|tls):\/\/[^\s/,]+(\s*,\s*(nats|tls):\/\/[^\s/,]+)*$/, 'an address such as nats://team.example:4222 (or tls://…), several separated by commas');

export const channels = {
  'app.info': { input: empty },
  /** What waits for the person whose device acts: proposals, approvals, shares to provide, ceremonies. */
  'inbox.get': { input: z.object({ ...actingDevice }).strict() },
  /** Versions, the vault's and the MPC signer's state, devices and recent log lines, for a person to copy: no secret. */
  'app.diagnostics': { input: empty },
  'devices.list': { input: empty },
  'devices.refresh': { input: empty },
  'devices.addVirtual': {
    input: z
      .object({ label: z.string().trim().min(1).max(60).optional(), mnemonic: mnemonic.optional() })
      .strict(),
  },
  'devices.remove': { input: z.object({ deviceId }).strict() },
  'devices.identity': {
    input: z.object({ deviceId, path: derivationPath, showOnDevice: z.boolean().optional() }).strict(),
  },
  'devices.signStatement': { input: z.object({ deviceId, path: derivationPath, text: statementText }).strict() },
  'devices.encryptionKey': { input: z.object({ deviceId, path: derivationPath }).strict() },
  'devices.prompts': { input: empty },
  /** Approve or reject what a virtual device's screen shows (a USB device is answered on the device itself). */
  'devices.respond': {
    input: z.object({ promptId: z.string().min(1).max(100), decision: z.enum(['approve', 'reject']) }).strict(),
  },
  'mpc.ping': { input: empty },

  'vault.status': { input: empty },
  /** Genesis: the first administrator registers with their device and signs the genesis statement on it. */
  'vault.create': {
    input: z.object({ name: personName, adminName: personName, ...actingDevice, identityPath: derivationPath.optional() }).strict(),
  },
  'vault.verify': { input: empty },
  'vault.whoIs': { input: z.object({ ...actingDevice }).strict() },

  'users.list': { input: empty },
  /** Proposes a new user: their device registers (and signs), then the proposer's device signs the proposal. */
  'users.propose': {
    input: z.object({ name: personName, roles, newUserDeviceId: deviceId, ...actingDevice }).strict(),
  },
  'users.proposeRevoke': { input: z.object({ userId: entityId, ...actingDevice }).strict() },
  'users.proposeRoles': { input: z.object({ userId: entityId, roles, ...actingDevice }).strict() },

  'groups.list': { input: empty },
  'groups.proposeCreate': {
    input: z.object({ name: personName, memberIds: z.array(entityId).max(1000), ...actingDevice }).strict(),
  },
  'groups.proposeEdit': {
    input: z
      .object({ groupId: entityId, name: personName.optional(), memberIds: z.array(entityId).max(1000).optional(), ...actingDevice })
      .strict(),
  },

  'settings.proposeQuorum': { input: z.object({ quorum: z.number().int().min(1).max(1000), ...actingDevice }).strict() },
  'settings.proposeProposerMayApprove': { input: z.object({ value: z.boolean(), ...actingDevice }).strict() },
  /** Proposes the vault's move to team mode, for good: once approved, keys are made and used only by signer nodes. */
  'settings.proposeTeamMode': { input: z.object({ ...actingDevice }).strict() },

  'proposals.list': { input: z.object({ status: z.enum(['pending', 'approved', 'rejected', 'cancelled', 'failed']).optional() }).strict() },
  'proposals.approve': { input: z.object({ proposalId: entityId, ...actingDevice }).strict() },
  'proposals.reject': { input: z.object({ proposalId: entityId, ...actingDevice }).strict() },

  'wallets.list': { input: empty },
  'wallets.get': { input: z.object({ walletId: entityId }).strict() },
  /** Proposes a wallet; once approved, its DKG runs with `wallets.runCeremony`. */
  'wallets.proposeCreate': {
    input: z
      .object({
        name: personName,
        network: z.enum(WALLET_NETWORKS),
        threshold: z.number().int().min(2).max(100),
        custodianIds: z.array(entityId).min(2).max(100),
        ...actingDevice,
      })
      .strict()
      .refine((w) => w.threshold <= w.custodianIds.length, { message: 'the threshold cannot exceed the number of custodians', path: ['threshold'] })
      .refine((w) => new Set(w.custodianIds).size === w.custodianIds.length, { message: 'each custodian once', path: ['custodianIds'] }),
  },
  'wallets.proposeRefresh': { input: z.object({ walletId: entityId, ...actingDevice }).strict() },
  'wallets.proposeReshare': {
    input: z
      .object({ walletId: entityId, threshold: z.number().int().min(2).max(100), custodianIds: z.array(entityId).min(2).max(100), ...actingDevice })
      .strict()
      .refine((w) => w.threshold <= w.custodianIds.length, { message: 'the threshold cannot exceed the number of custodians', path: ['threshold'] })
      .refine((w) => new Set(w.custodianIds).size === w.custodianIds.length, { message: 'each custodian once', path: ['custodianIds'] }),
  },
  /**
   * Runs the key ceremony the wallet owes (DKG, refresh or reshare). The custodians' devices must be connected:
   * main finds each by its identity, and each custodian approves on their device. Progress arrives as `wallets.progress`.
   */
  'wallets.runCeremony': { input: z.object({ walletId: entityId }).strict() },
  'wallets.addresses': {
    input: z
      .object({ walletId: entityId, branch: z.enum(['receive', 'change']).default('receive'), from: z.number().int().min(0).max(2 ** 31 - 1).default(0), count: z.number().int().min(1).max(100).default(10) })
      .strict(),
  },

  /** Shows one of the wallet's addresses on a custodian's device, in a statement it signs. */
  'wallets.verifyAddress': {
    input: z.object({ walletId: entityId, path: z.string().regex(/^[01]\/\d{1,10}$/, 'an address path is 0/n (receive) or 1/n (change)'), ...actingDevice }).strict(),
  },

  /** Records a coin the wallet can spend (what the console knows of the chain; on regtest a made-up prevout is fine). */
  'wallets.fund': {
    input: z
      .object({
        walletId: entityId,
        txid: z.string().regex(/^[0-9a-f]{64}$/, 'a txid is 64 lowercase hex digits'),
        vout: z.number().int().min(0).max(100_000),
        amount: sats,
        path: walletPath,
        label: z.string().trim().min(1).max(60),
      })
      .strict(),
  },
  'wallets.utxos': { input: z.object({ walletId: entityId }).strict() },
  /** Every wallet's balance (held and free) and the vault's total per network: for the wallets list and the dashboard. */
  'wallets.balances': { input: empty },
  /** One wallet's balance, the velocity used in each window of its policy, and its balance over time. */
  'wallets.balance': { input: z.object({ walletId: entityId }).strict() },

  'policies.get': { input: z.object({ walletId: entityId }).strict() },
  /** Proposes a policy (JSON document, custos-policy/1); administrators adopt it by quorum. */
  'policies.propose': { input: z.object({ document: jsonDocument, ...actingDevice }).strict() },
  /** Replays a draft policy against the wallet's past requests: which would have been allowed, denied or routed differently. */
  'policies.simulate': { input: z.object({ walletId: entityId, document: jsonDocument }).strict() },
  'whitelists.list': { input: empty },
  'whitelists.propose': { input: z.object({ document: jsonDocument, ...actingDevice }).strict() },

  'transfers.list': {
    input: z.object({ walletId: entityId.optional(), offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(50) }).strict(),
  },
  'transfers.get': { input: z.object({ requestId: entityId }).strict() },
  /** An operator requests a transfer: the console builds the exact transaction from the wallet's coins; the operator signs it on their device. */
  'transfers.create': {
    input: z
      .object({ walletId: entityId, destination: z.string().trim().min(14).max(90), amount: sats, feeRate: z.number().int().min(1).max(10_000), ...actingDevice })
      .strict(),
  },
  /** An operator requests the exact transaction of a PSBT made elsewhere (base64): the wallet's coins, one payment, change back. */
  'transfers.importPsbt': { input: z.object({ walletId: entityId, psbt: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'a base64 PSBT').max(1_000_000), ...actingDevice }).strict() },
  /** Reads a PSBT (base64) against a wallet before anything is created: no record, no device. */
  'transfers.previewPsbt': { input: z.object({ walletId: entityId, psbt: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'a base64 PSBT').max(1_000_000) }).strict() },
  'transfers.approve': { input: z.object({ requestId: entityId, ...actingDevice }).strict() },
  'transfers.reject': { input: z.object({ requestId: entityId, ...actingDevice }).strict() },
  /** The initiator or an administrator withdraws a request before it is signed (e.g. during its delay), on their device. */
  'transfers.cancel': { input: z.object({ requestId: entityId, ...actingDevice }).strict() },
  /** Signs an allowed request: t custodians open their shares on their devices; the MPC host checks every piece of evidence itself. */
  'transfers.sign': { input: z.object({ requestId: entityId }).strict() },

  /** What the person whose device acts may do now, and why not, for every action the console offers. */
  'access.get': { input: z.object({ ...actingDevice }).strict() },
  /**
   * What each device will show if `action` runs with `input` (that channel's own input, acting device included), as
   * main renders it with the statement code the action signs with. Nothing is signed or recorded.
   */
  'statements.preview': { input: z.object({ action: z.enum(PREVIEW_ACTIONS), input: z.record(z.string(), z.unknown()) }).strict() },

  /** The team's state as this console sees it: connects to the server only to read the stream's head. */
  'team.status': { input: empty },
  /** Catches up with the team's log now (the console also follows it on its own). */
  'team.pull': { input: empty },
  /**
   * Sets the folder of this console's user's registered signer node (null clears it): its keys sign the session
   * requests this console sends when it coordinates. Refused unless the folder holds node keys the log registers.
   */
  'team.setNode': { input: z.object({ nodeDir: z.string().trim().min(1).max(4096).nullable() }).strict() },
  /** Pings the registered signer nodes: which are online, ready, and at this console's head. */
  'team.ping': { input: empty },
  /** Publishes the records this console holds that the team log lacks (made offline, or before it joined). */
  'team.push': { input: empty },
  /**
   * Joins the team's log on its server: a console with a vault publishes it there (or finds it), an empty data folder
   * adopts the vault named by `vaultId` and `genesisAddress` (given by the inviting administrator). `create` makes the
   * vault's stream, with a user the server lets create one.
   */
  'team.join': {
    input: z
      .object({
        server: teamServers,
        user: z.string().trim().min(1).max(200).regex(/^[^\s]+$/, 'a user name without spaces').optional(),
        password: z.string().min(1).max(1000).optional(),
        vaultId: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, "a vault id: letters, digits, '-' and '_', up to 64").optional(),
        genesisAddress: z.string().trim().regex(/^0x[0-9a-fA-F]{40}$/, 'an address: 0x and 40 hex digits').optional(),
        create: z.boolean().optional(),
        /** TLS files from the server's administrator: the team's private CA, this console's certificate and its key (PEM paths). */
        caFile: tlsFile.optional(),
        certFile: tlsFile.optional(),
        keyFile: tlsFile.optional(),
      })
      .strict()
      .refine((j) => j.user === undefined || j.password !== undefined, { message: 'is needed with a user', path: ['password'] })
      .refine((j) => (j.certFile === undefined) === (j.keyFile === undefined), { message: 'and the client certificate go together', path: ['keyFile'] })
      .refine((j) => (j.vaultId === undefined) === (j.genesisAddress === undefined), { message: 'and the vault id are given together (both from the administrator who invited you)', path: ['genesisAddress'] }),
  },

  'audit.list': {
    input: z
      .object({
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(200),
        actor: z.string().max(100).optional(),
        action: z.string().max(100).optional(),
      })
      .strict(),
  },
  'audit.verify': { input: empty },
  'audit.export': { input: z.object({ format: z.enum(['csv', 'json']) }).strict() },
} as const;

export type Channel = keyof typeof channels;
export type ChannelInput<C extends Channel> = z.input<(typeof channels)[C]['input']>;
export type ParsedInput<C extends Channel> = z.output<(typeof channels)[C]['input']>;

/** What each channel answers with. */
export interface ChannelResults {
  'app.info': AppInfo;
  'app.diagnostics': { text: string };
  'inbox.get': InboxView;
  'devices.list': DeviceSummary[];
  'devices.refresh': DeviceSummary[];
  'devices.addVirtual': DeviceSummary & { mnemonic: string | null };
  'devices.remove': { removed: true };
  'devices.identity': DeviceIdentity;
  'devices.signStatement': SignedStatement;
  'devices.encryptionKey': { deviceId: string; path: string; publicKey: string };
  'devices.prompts': DevicePrompt[];
  'devices.respond': { answered: true };
  'mpc.ping': MpcHostHealth;
  'vault.status': { vault: VaultSummary | null };
  'vault.create': VaultSummary;
  'vault.verify': IntegrityReport;
  'vault.whoIs': DeviceMember;
  'users.list': UserView[];
  'users.propose': ProposalView;
  'users.proposeRevoke': ProposalView;
  'users.proposeRoles': ProposalView;
  'groups.list': GroupView[];
  'groups.proposeCreate': ProposalView;
  'groups.proposeEdit': ProposalView;
  'settings.proposeQuorum': ProposalView;
  'settings.proposeProposerMayApprove': ProposalView;
  'settings.proposeTeamMode': ProposalView;
  'proposals.list': ProposalView[];
  'proposals.approve': ProposalView;
  'proposals.reject': ProposalView;
  'wallets.list': WalletView[];
  'wallets.get': WalletView;
  'wallets.proposeCreate': ProposalView;
  'wallets.proposeRefresh': ProposalView;
  'wallets.proposeReshare': ProposalView;
  'wallets.runCeremony': WalletView;
  'wallets.addresses': WalletAddress[];
  'wallets.verifyAddress': AddressVerificationView;
  'wallets.fund': UtxoView[];
  'wallets.utxos': UtxoView[];
  'wallets.balances': BalancesView;
  'wallets.balance': WalletFundsView;
  'policies.get': PolicyView | null;
  'policies.propose': ProposalView;
  'policies.simulate': SimulationView;
  'whitelists.list': WhitelistView[];
  'whitelists.propose': ProposalView;
  'transfers.list': { total: number; transfers: TransferView[] };
  'transfers.get': TransferView;
  'transfers.create': TransferView;
  'transfers.importPsbt': TransferView;
  'transfers.previewPsbt': PsbtPreviewView;
  'transfers.approve': TransferView;
  'transfers.reject': TransferView;
  'transfers.cancel': TransferView;
  'transfers.sign': TransferView;
  'access.get': AccessView;
  'statements.preview': DeviceStep[];
  'team.status': TeamStatusView;
  'team.pull': TeamPullView;
  'team.join': TeamStatusView;
  'team.setNode': TeamStatusView;
  'team.ping': TeamPingView;
  'team.push': TeamPushView;
  'audit.list': { total: number; entries: AuditEntryView[] };
  'audit.verify': AuditVerification;
  /** The export as text, with the chain, and the procedure to check it offline in its header (CSV) or a field (JSON). */
  'audit.export': { filename: string; mimeType: string; content: string };
}
export type ChannelResult<C extends Channel> = ChannelResults[C];

export const CHANNELS = Object.keys(channels) as Channel[];

/** Events main pushes to the renderer. */
export interface EventPayloads {
  /** The vault's signed log or audit log grew; the renderer reloads what it shows. */
  'vault.changed': { seq: number; auditEntries: number };
  'devices.changed': DeviceSummary[];
  'devices.prompt': DevicePrompt;
  'devices.promptEnded': { promptId: string; outcome: 'approved' | 'rejected' | 'cancelled' };
  /** A key ceremony's progress: device steps (one per custodian) and the MPC host's steps. */
  'wallets.progress': WalletProgress;
  /**
   * Signing a transfer: on a single desk each custodian's device, then the MPC host checking the evidence and signing;
   * in a team each custodian's signer node (`node`: its answer, and each round it answered).
   */
  'transfers.progress': { requestId: string; message: string; node?: NodeProgressView };
  /** Something new waits for the person acting (announced once per item; the console also shows an OS notification). */
  'inbox.new': InboxItem[];
  /** Verify (a replay from genesis) is under way: about once a second. */
  'vault.verifyProgress': VerifyProgress;
}
export type EventName = keyof EventPayloads;
export const EVENTS: EventName[] = ['vault.changed', 'devices.changed', 'devices.prompt', 'devices.promptEnded', 'wallets.progress', 'transfers.progress', 'inbox.new', 'vault.verifyProgress'];

export interface WalletProgress {
  walletId: string;
  ceremony: KeyCeremony;
  /**
   * 'devices': custodians' devices give their part; 'host': the MPC host runs the rounds; 'nodes': in a team, the
   * custodians' signer nodes do (`node` says which and how far); 'record': the outcome is recorded.
   */
  stage: 'devices' | 'host' | 'nodes' | 'record' | 'done' | 'failed';
  /** A short step name (e.g. "round1", "seal") or the custodian being asked. */
  step: string;
  done: number;
  total: number;
  message: string;
  node?: NodeProgressView;
}

// ---------------------------------------------------------------------------------------------------
// The client both bridges expose: one function per channel, nested by the name's dot ("devices.list" →
// custos.devices.list()), each answering a Result; and `on` for events.

type Split<S extends string> = S extends `${infer Head}.${infer Tail}` ? [Head, Tail] : never;
type Namespaces = Split<Channel>[0];
type MethodsOf<N extends string> = {
  [C in Channel as Split<C>[0] extends N ? Split<C>[1] : never]: (
    input?: ChannelInput<C>,
  ) => Promise<Result<ChannelResult<C>>>;
};
export type CustosApi = { [N in Namespaces]: MethodsOf<N> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void): () => void;
};

/** How a bridge reaches main: by IPC in Electron, by WebSocket in the browser host. */
export interface BridgeTransport {
  invoke(channel: Channel, input: unknown): Promise<Result<unknown>>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

/** Builds the client from the channel list, so the preload and the shim expose exactly the same functions. */
export function createCustosApi(transport: BridgeTransport): CustosApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const channel of CHANNELS) {
    const [ns, method] = channel.split('.') as [string, string];
    api[ns] ??= {};
    api[ns][method] = (input?: unknown) => transport.invoke(channel, input ?? {});
  }
  const on = (event: EventName, listener: (payload: unknown) => void) => {
    if (!EVENTS.includes(event)) throw new Error(`unknown event "${String(event)}"`);
    return transport.subscribe(event, listener);
  };
  return Object.freeze({ ...api, on }) as unknown as CustosApi;
}

/** The channel set a client exposes, as "ns.method" names (for the test that both bridges match). */
export function exposedChannels(api: CustosApi): string[] {
  const names: string[] = [];
  for (const [ns, value] of Object.entries(api)) {
    if (typeof value !== 'object' || value === null) continue;
    for (const method of Object.keys(value)) names.push(`${ns}.${method}`);
  }
  return names.sort();
}
