// The one renderer of every statement a device shows and signs (EIP-191 personal message), and its verifier.
import { hexToBytes } from '@noble/hashes/utils.js';
import { verifyPersonalSignature } from './ethereum.js';

/*
 * Text format, version 1 (what the Ledger Ethereum app shows, byte for byte):
 *
 * - Only printable ASCII (0x20..0x7E) and '\n'; lines are at most 32 characters; no trailing newline.
 * - Line 1 is the header "Custos v1: <title>"; then "Vault: <name>", "Vault id: <id>", "Kind: <kind>",
 *   "Seq: <n>", the kind's own fields, and last the digest of the exact payload the statement approves.
 * - A field is "Label: value" when that fits in 32 characters. Otherwise the line is "Label:" and the
 *   value follows on continuation lines indented by two spaces:
 *     - a digest (32 bytes) is four lines of 16 hex digits, without 0x;
 *     - an address (20 bytes) is two lines, "0x" + 20 hex digits then 20 hex digits (EIP-55 case kept);
 *     - a list (roles, members) is one line per item, "  - item";
 *     - anything else is cut into chunks of 30 characters.
 * - Names are restricted (see NAME_PATTERN) so that no name can imitate a label, a list separator or a
 *   line break. Names outside printable ASCII are REJECTED, not transliterated: the name stored must be
 *   the name the person saw on the device, and no transliteration table is stable across languages.
 *
 * Proposal statement formats (the record says which; a record without a mark is format 1):
 * - 1: a set-policy change shows the policy's version, "Rules: N" and its hash.
 * - 2: a set-policy change also lists each rule in words (policyWords below), with group and whitelist names as
 *   the log held them when the proposal was made. A policy whose words don't fit MAX_STATEMENT_LENGTH is refused
 *   (not summarised): administrators approve what their device showed, so every rule must be on the screen.
 * Records made before format 2 keep verifying: replay renders each record in the format it is marked with.
 */

export const STATEMENT_VERSION = 1;
/** The proposal statement format new records are made in (see above); 1 is what an unmarked record means. */
export const PROPOSAL_STATEMENT_FORMAT = 2;
export const MAX_LINE = 32;
/** Device review stays humane; a longer text (a huge member list) must be split into several proposals. */
export const MAX_STATEMENT_LENGTH = 2048;

export type StatementKind =
  | 'genesis'
  | 'registration'
  | 'proposal'
  | 'proposal-approval'
  | 'proposal-rejection'
  | 'transfer-request'
  | 'transfer-approval'
  | 'transfer-rejection'
  | 'transfer-cancel'
  | 'share-use'
  | 'key-attestation'
  | 'address-verification'
  | 'host-anchor'
  | 'node-key';

/** Fields every statement carries: they pin it to one vault, one kind, one place in the log and one payload. */
export interface StatementBase {
  readonly vaultId: string;
  readonly vaultName: string;
  /** The sequence number of the log record that carries this signature. */
  readonly seq: number;
  /** 0x + 64 hex: sha256 of the canonical payload this statement approves. */
  readonly digest: string;
}

export interface GenesisStatement extends StatementBase {
  readonly kind: 'genesis';
  readonly adminName: string;
  readonly adminAddress: string;
  readonly quorum: number;
  readonly proposerMayApprove: boolean;
}

export interface RegistrationStatement extends StatementBase {
  readonly kind: 'registration';
  readonly userName: string;
  readonly roles: readonly string[];
  readonly address: string;
  readonly devicePath: string;
}

/** What a proposal does, with ids already resolved to the names a person recognises. */
export type ProposalChange =
  | { readonly type: 'add-user'; readonly userName: string; readonly roles: readonly string[]; readonly address: string }
  | { readonly type: 'revoke-user'; readonly userName: string; readonly address: string }
  | { readonly type: 'set-roles'; readonly userName: string; readonly roles: readonly string[] }
  | { readonly type: 'create-group'; readonly groupName: string; readonly memberNames: readonly string[] }
  | {
      readonly type: 'edit-group';
      readonly groupName: string;
      readonly newName?: string;
      readonly memberNames?: readonly string[];
    }
  | { readonly type: 'set-quorum'; readonly quorum: number; readonly administrators: number }
  | { readonly type: 'set-proposer-may-approve'; readonly value: boolean }
  | { readonly type: 'enter-team-mode' }
  | {
      readonly type: 'create-wallet';
      readonly walletName: string;
      readonly network: string;
      readonly threshold: number;
      readonly custodianNames: readonly string[];
    }
  | { readonly type: 'refresh-wallet'; readonly walletName: string; readonly threshold: number; readonly custodianNames: readonly string[] }
  | {
      readonly type: 'reshare-wallet';
      readonly walletName: string;
      readonly threshold: number;
      readonly custodianNames: readonly string[];
      /** Custodians who lose their share, by name: the device says who is cut off. */
      readonly removedNames: readonly string[];
    }
  /**
   * The device shows the policy's hash and, in format 2, every rule in words (`words`; null in format 1, where the
   * console alone shows the document that hashes to it).
   */
  | {
      readonly type: 'set-policy';
      readonly walletName: string;
      readonly version: number;
      readonly rules: number;
      readonly policyHash: string;
      readonly words?: PolicyWords | null;
    }
  | { readonly type: 'set-whitelist'; readonly whitelistName: string; readonly network: string; readonly entries: number; readonly whitelistHash: string };

/** A velocity limit as the device shows it: amounts in sats as decimal strings (a change is stored as JSON). */
export interface VelocityWords {
  readonly windowSeconds: number;
  readonly maxAmount: string;
  /** null: no limit on the number of transfers. */
  readonly maxCount: number | null;
}

/** One rule of a policy with every id resolved to the name a person recognises. */
export interface RuleWords {
  readonly name: string;
  /** Sats, decimal; null is unbounded. Both bounds inclusive. */
  readonly min: string | null;
  readonly max: string | null;
  /** The whitelist's name; null: any address. */
  readonly whitelist: string | null;
  /** The initiators' group name; null: any operator. */
  readonly initiatorGroup: string | null;
  readonly steps: readonly { readonly group: string; readonly count: number; readonly initiatorMayApprove: boolean }[];
  readonly delaySeconds: number;
  readonly velocity: readonly VelocityWords[];
}

/** A policy document told in words, as a set-policy statement of format 2 lists it. */
export interface PolicyWords {
  /** Ticker and decimals of the wallet's asset (BTC, 8). */
  readonly asset: string;
  readonly decimals: number;
  readonly rules: readonly RuleWords[];
  readonly velocity: readonly VelocityWords[];
  readonly shareRefresh: { readonly afterSignatures: number | null; readonly afterDays: number | null } | null;
}

export interface ProposalStatement extends StatementBase {
  readonly kind: 'proposal';
  readonly proposalId: string;
  readonly change: ProposalChange;
}

export interface ProposalDecisionStatement extends StatementBase {
  readonly kind: 'proposal-approval' | 'proposal-rejection';
  readonly proposalId: string;
  /** The seq of the proposal record; `digest` is that proposal's payload digest. */
  readonly proposalSeq: number;
  readonly change: ProposalChange;
}

/**
 * A transfer request as its initiator signs it, and as each approver approves or rejects it. `digest` binds the
 * exact transaction (its BIP-341 sighashes) with everything shown; the policy in force is shown by version and hash.
 */
export interface TransferDecisionStatement extends StatementBase {
  readonly kind: 'transfer-request' | 'transfer-approval' | 'transfer-rejection' | 'transfer-cancel';
  readonly policyVersion: number;
  /** 0x + 64 hex. */
  readonly policyHash: string;
  readonly requestId: string;
  readonly walletName: string;
  /** Ticker, e.g. BTC. */
  readonly asset: string;
  /** Decimals of the asset's smallest unit (8 for BTC). */
  readonly decimals: number;
  /** In the smallest unit. */
  readonly amount: bigint;
  readonly fee: bigint;
  readonly destination: string;
}

/** What a key share is about to do, as its custodian's device shows it before the share is opened. */
export type ShareUse =
  | {
      readonly type: 'transfer';
      readonly requestId: string;
      readonly asset: string;
      readonly decimals: number;
      readonly amount: bigint;
      readonly fee: bigint;
      readonly destination: string;
      readonly policyVersion: number;
      /** 0x + 64 hex. */
      readonly policyHash: string;
    }
  | {
      readonly type: 'dkg' | 'refresh' | 'reshare';
      readonly ceremonyId: string;
      /** The threshold and custodians of the key the ceremony makes. */
      readonly threshold: number;
      readonly custodianNames: readonly string[];
    };

/**
 * Signed by a custodian's device before their share is used (a signature, a DKG, a refresh or reshare): the MPC host
 * opens no share without it. `digest` binds the exact use (the request's transaction digest, or the ceremony).
 */
export interface ShareUseStatement extends StatementBase {
  readonly kind: 'share-use';
  readonly walletName: string;
  readonly custodianName: string;
  readonly use: ShareUse;
}

/** Signed by each custodian's device after a key ceremony: the key they now hold a share of, and its first address. */
export interface KeyAttestationStatement extends StatementBase {
  readonly kind: 'key-attestation';
  readonly walletName: string;
  readonly network: string;
  readonly keyVersion: number;
  readonly threshold: number;
  readonly custodianNames: readonly string[];
  /** 0x + 64 hex: the wallet's Taproot output key (x-only). */
  readonly groupKey: string;
  /** The first receive address (0/0). */
  readonly address: string;
}

/** A receive or change address shown on a custodian's device, signed so the console knows the screen showed it. */
export interface AddressVerificationStatement extends StatementBase {
  readonly kind: 'address-verification';
  readonly walletName: string;
  readonly network: string;
  readonly keyVersion: number;
  /** The wallet path, e.g. 0/5. */
  readonly path: string;
  readonly address: string;
}

/** Pins a vault on one MPC signer: a person confirms on their device the vault and its genesis administrator. */
export interface HostAnchorStatement extends StatementBase {
  readonly kind: 'host-anchor';
  readonly genesisAddress: string;
  /** The signer's own id (16 hex digits), fresh for every signer folder. */
  readonly hostId: string;
}

/**
 * A custodian's device registers their signer node's transport keys in the log: the node's id and a fingerprint of its
 * keys, which the node shows on its own screen for the person to compare. Messages of MPC sessions are signed with
 * these keys and sealed to them, so a relay message is tied to a custodian through this statement.
 */
export interface NodeKeyStatement extends StatementBase {
  readonly kind: 'node-key';
  readonly custodianName: string;
  /** The signer node's id (16 lowercase hex digits). */
  readonly nodeId: string;
  /** 0x + 64 hex: sha256 of the node's signing key and HPKE key (crypto/governance/node-key.ts). */
  readonly keyFingerprint: string;
}

export type Statement =
  | GenesisStatement
  | RegistrationStatement
  | ProposalStatement
  | ProposalDecisionStatement
  | TransferDecisionStatement
  | ShareUseStatement
  | KeyAttestationStatement
  | AddressVerificationStatement
  | HostAnchorStatement
  | NodeKeyStatement;

export class StatementError extends Error {
  override readonly name = 'StatementError';
}

/** Names of vaults, users, groups and wallets: 1..32 chars, letters, digits, space and . ' _ ( ) & / - */
export const NAME_PATTERN = /^[A-Za-z0-9.'_()&/-](?:[A-Za-z0-9 .'_()&/-]{0,30}[A-Za-z0-9.'_()&/-])?$/;
/** Ids (vault, proposal, request): 1..64 of A-Z a-z 0-9 _ - */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Why `name` can't appear in a statement, or null when it can. Callers validate input with it early. */
export function nameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'a name must not be empty';
  if (/[^\x20-\x7e]/.test(name)) {
    return 'a name must use printable ASCII only (the device shows other characters as hex); write it in Latin letters';
  }
  if (name.length > 32) return 'a name is at most 32 characters';
  if (name.includes('  ')) return 'a name must not contain two spaces in a row';
  if (!NAME_PATTERN.test(name)) {
    return "a name uses letters, digits, spaces and . ' _ ( ) & / - only, and starts and ends with a non-space";
  }
  return null;
}

const TITLES: Record<StatementKind, string> = {
  genesis: 'create vault',
  registration: 'register device',
  proposal: 'propose change',
  'proposal-approval': 'APPROVE change',
  'proposal-rejection': 'REJECT change',
  'transfer-request': 'REQUEST transfer',
  'transfer-approval': 'APPROVE transfer',
  'transfer-rejection': 'REJECT transfer',
  'transfer-cancel': 'CANCEL transfer',
  'share-use': 'USE key share',
  'key-attestation': 'ATTEST wallet key',
  'address-verification': 'VERIFY address',
  'host-anchor': 'PIN vault on signer',
  'node-key': 'REGISTER signer node',
};

/** The exact text the device shows and signs. Throws StatementError on any field it can't show faithfully. */
export function renderStatement(statement: Statement): string {
  const out = new Lines();
  out.line(`Custos v${STATEMENT_VERSION}: ${TITLES[statement.kind] ?? fail(`unknown statement kind ${String(statement.kind)}`)}`);
  out.field('Vault', name(statement.vaultName, 'vault name'));
  out.field('Vault id', id(statement.vaultId, 'vault id'));
  out.field('Kind', statement.kind);
  out.field('Seq', seq(statement.seq, 'seq'));
  switch (statement.kind) {
    case 'genesis':
      out.field('Admin', name(statement.adminName, 'administrator name'));
      out.address('Address', statement.adminAddress);
      out.field('Quorum', count(statement.quorum, 'quorum'));
      out.field('Proposer counts', yesNo(statement.proposerMayApprove));
      break;
    case 'registration':
      out.field('User', name(statement.userName, 'user name'));
      out.list('Roles', roles(statement.roles));
      out.address('Address', statement.address);
      out.field('Path', devicePath(statement.devicePath));
      break;
    case 'proposal':
      out.field('Proposal', id(statement.proposalId, 'proposal id'));
      renderChange(out, statement.change);
      break;
    case 'proposal-approval':
    case 'proposal-rejection':
      out.field('Proposal', id(statement.proposalId, 'proposal id'));
      out.field('Proposed at seq', seq(statement.proposalSeq, 'proposal seq'));
      renderChange(out, statement.change);
      break;
    case 'transfer-request':
    case 'transfer-approval':
    case 'transfer-rejection':
    case 'transfer-cancel': {
      const decimals = statement.decimals;
      if (!Number.isSafeInteger(decimals) || decimals < 0 || decimals > 30) fail('decimals must be an integer in 0..30');
      const asset = statement.asset;
      if (!/^[A-Z0-9]{1,10}$/.test(asset)) fail('an asset ticker is 1..10 of A-Z 0-9');
      out.field('Request', id(statement.requestId, 'request id'));
      out.field('Wallet', name(statement.walletName, 'wallet name'));
      out.field('Amount', `${formatUnits(statement.amount, decimals)} ${asset}`);
      out.field('Fee', `${formatUnits(statement.fee, decimals)} ${asset}`);
      out.field('To', destination(statement.destination));
      out.field('Policy', `version ${count(statement.policyVersion, 'policy version')}`);
      out.digest('Policy hash', statement.policyHash);
      break;
    }
    case 'share-use':
      out.field('Wallet', name(statement.walletName, 'wallet name'));
      out.field('Custodian', name(statement.custodianName, 'custodian name'));
      renderUse(out, statement.use);
      break;
    case 'key-attestation':
      out.field('Wallet', name(statement.walletName, 'wallet name'));
      out.field('Network', `Bitcoin ${network(statement.network)}`);
      out.field('Key version', count(statement.keyVersion, 'key version'));
      out.field('Threshold', threshold(statement.threshold, statement.custodianNames.length));
      out.list('Custodians', names(statement.custodianNames));
      out.digest('Group key', statement.groupKey);
      out.field('First address', bitcoinAddress(statement.address));
      break;
    case 'address-verification':
      out.field('Wallet', name(statement.walletName, 'wallet name'));
      out.field('Network', `Bitcoin ${network(statement.network)}`);
      out.field('Key version', count(statement.keyVersion, 'key version'));
      out.field('Path', walletPath(statement.path));
      out.field('Address', bitcoinAddress(statement.address));
      break;
    case 'host-anchor':
      out.address('Genesis admin', statement.genesisAddress);
      if (!/^[0-9a-f]{16}$/.test(statement.hostId)) fail('a signer id is 16 lowercase hex digits');
      out.field('Signer', statement.hostId);
      break;
    case 'node-key':
      out.field('Custodian', name(statement.custodianName, 'custodian name'));
      if (!/^[0-9a-f]{16}$/.test(statement.nodeId)) fail('a signer node id is 16 lowercase hex digits');
      out.field('Signer node', statement.nodeId);
      out.digest('Node keys', statement.keyFingerprint);
      break;
    default:
      fail(`unknown statement kind ${String((statement as { kind: unknown }).kind)}`);
  }
  out.digest('Digest', statement.digest);
  const text = out.text();
  if (text.length > MAX_STATEMENT_LENGTH) {
    const change = 'change' in statement ? statement.change : null;
    if (change?.type === 'set-policy' && change.words) {
      fail(`the policy's rules in words take ${text.length} characters and a device shows at most ${MAX_STATEMENT_LENGTH}: adopt fewer or shorter rules`);
    }
    fail(`the statement is ${text.length} characters; at most ${MAX_STATEMENT_LENGTH}`);
  }
  return text;
}

/**
 * True when `signature` (65 bytes r‖s‖v, or its hex) is `expectedAddress`'s EIP-191 signature of the
 * statement's rendering. Re-renders with renderStatement, so what verifies is exactly what was shown.
 */
export function verifyStatement(statement: Statement, signature: Uint8Array | string, expectedAddress: string): boolean {
  let text: string;
  let sig: Uint8Array;
  try {
    text = renderStatement(statement);
    sig = typeof signature === 'string' ? hexToBytes(signature.replace(/^0x/i, '')) : signature;
  } catch {
    return false;
  }
  return verifyPersonalSignature(text, sig, expectedAddress);
}

function renderChange(out: Lines, change: ProposalChange): void {
  switch (change.type) {
    case 'add-user':
      out.field('Change', 'add user');
      out.field('User', name(change.userName, 'user name'));
      out.list('Roles', roles(change.roles));
      out.address('Address', change.address);
      return;
    case 'revoke-user':
      out.field('Change', 'REVOKE user');
      out.field('User', name(change.userName, 'user name'));
      out.address('Address', change.address);
      return;
    case 'set-roles':
      out.field('Change', 'set roles');
      out.field('User', name(change.userName, 'user name'));
      out.list('Roles', roles(change.roles));
      return;
    case 'create-group':
      out.field('Change', 'create group');
      out.field('Group', name(change.groupName, 'group name'));
      out.list('Members', names(change.memberNames));
      return;
    case 'edit-group':
      out.field('Change', 'edit group');
      out.field('Group', name(change.groupName, 'group name'));
      if (change.newName === undefined && change.memberNames === undefined) fail('an edit-group change changes something');
      if (change.newName !== undefined) out.field('New name', name(change.newName, 'new group name'));
      if (change.memberNames !== undefined) out.list('Members', names(change.memberNames));
      return;
    case 'set-quorum':
      out.field('Change', 'set admin quorum');
      out.field('New quorum', count(change.quorum, 'quorum'));
      out.field('Administrators', count(change.administrators, 'administrators'));
      return;
    case 'set-proposer-may-approve':
      out.field('Change', 'proposer approval');
      out.field('Proposer counts', yesNo(change.value));
      return;
    case 'enter-team-mode':
      // What the approvers consent to, in words on their own screen: the console's MPC host stops signing for good.
      out.field('Change', 'TEAM MODE, for good');
      out.wrapped("From then: keys are made and used only by the custodians' signer nodes", 0);
      out.wrapped("Console: its MPC host will refuse to sign and to make or reshare any key", 0);
      out.field('Way back', 'none');
      return;
    case 'create-wallet':
      out.field('Change', 'create wallet');
      out.field('Wallet', name(change.walletName, 'wallet name'));
      if (!/^(mainnet|testnet|signet|regtest)$/.test(change.network)) fail('network must be mainnet, testnet, signet or regtest');
      out.field('Network', `Bitcoin ${change.network}`);
      out.field('Threshold', threshold(change.threshold, change.custodianNames.length));
      out.list('Custodians', names(change.custodianNames));
      return;
    case 'refresh-wallet':
      out.field('Change', 'refresh wallet shares');
      out.field('Wallet', name(change.walletName, 'wallet name'));
      out.field('Threshold', threshold(change.threshold, change.custodianNames.length));
      out.list('Custodians', names(change.custodianNames));
      return;
    case 'reshare-wallet':
      out.field('Change', 'reshare wallet');
      out.field('Wallet', name(change.walletName, 'wallet name'));
      out.field('New threshold', threshold(change.threshold, change.custodianNames.length));
      out.list('Custodians', names(change.custodianNames));
      out.list('Removed', names(change.removedNames));
      return;
    case 'set-policy':
      out.field('Change', 'adopt policy');
      out.field('Wallet', name(change.walletName, 'wallet name'));
      out.field('Policy', `version ${count(change.version, 'policy version')}`);
      out.field('Rules', count(change.rules, 'rules'));
      if (change.words !== undefined && change.words !== null) {
        if (change.words.rules.length !== change.rules) fail(`the policy lists ${change.words.rules.length} rules in words and counts ${change.rules}`);
        renderPolicyWords(out, change.words);
      }
      out.digest('Policy hash', change.policyHash);
      return;
    case 'set-whitelist':
      out.field('Change', 'set whitelist');
      out.field('Whitelist', name(change.whitelistName, 'whitelist name'));
      if (!/^(mainnet|testnet|signet|regtest)$/.test(change.network)) fail('network must be mainnet, testnet, signet or regtest');
      out.field('Network', `Bitcoin ${change.network}`);
      out.field('Addresses', String(change.entries));
      out.digest('List hash', change.whitelistHash);
      return;
    default:
      fail(`unknown change type ${String((change as { type: unknown }).type)}`);
  }
}

/**
 * Every rule in words, in the order the engine tries them, then the wallet-wide limits and the share refresh. Each
 * rule's facts are indented under "Rule n: name", wrapped at spaces (a name holds no colon, so no wrapped piece can
 * pass for a label).
 */
function renderPolicyWords(out: Lines, words: PolicyWords): void {
  const decimals = words.decimals;
  if (!Number.isSafeInteger(decimals) || decimals < 0 || decimals > 30) fail('decimals must be an integer in 0..30');
  if (!/^[A-Z0-9]{1,10}$/.test(words.asset)) fail('an asset ticker is 1..10 of A-Z 0-9');
  const units = (sats: string): string => {
    if (!/^[0-9]{1,78}$/.test(sats)) fail('a policy amount is a decimal string of the smallest unit');
    return `${formatUnits(BigInt(sats), decimals)} ${words.asset}`;
  };
  const limit = (v: VelocityWords): string => {
    const transfers = v.maxCount === null ? '' : `, ${count(v.maxCount, 'transfer count')} transfer${v.maxCount === 1 ? '' : 's'}`;
    return `${units(v.maxAmount)}${transfers} per ${duration(v.windowSeconds)}`;
  };
  words.rules.forEach((rule, i) => {
    out.wrapped(`Rule ${i + 1}: ${name(rule.name, 'rule name')}`, 0);
    const amount =
      rule.min === null && rule.max === null ? 'any' : rule.min === null ? `up to ${units(rule.max ?? '')}` : rule.max === null ? `from ${units(rule.min)}` : `${units(rule.min)} to ${units(rule.max)}`;
    out.wrapped(`Amount: ${amount}`, 2);
    out.wrapped(`To: ${rule.whitelist === null ? 'any address' : `whitelist ${name(rule.whitelist, 'whitelist name')}`}`, 2);
    out.wrapped(`By: ${rule.initiatorGroup === null ? 'any operator' : `operators in ${name(rule.initiatorGroup, 'group name')}`}`, 2);
    if (!Array.isArray(rule.steps) || rule.steps.length === 0) fail('a rule has at least one approval step');
    const steps = rule.steps.map((s) => `${count(s.count, 'step count')} of ${name(s.group, 'group name')}${s.initiatorMayApprove ? ' (initiator may count)' : ''}`);
    out.wrapped(`Approvals: ${steps.join(', then ')}`, 2);
    out.wrapped(`Delay: ${rule.delaySeconds === 0 ? 'none' : duration(rule.delaySeconds)}`, 2);
    for (const v of rule.velocity) out.wrapped(`Limit: ${limit(v)}`, 2);
  });
  for (const v of words.velocity) out.wrapped(`Wallet limit: ${limit(v)}`, 0);
  const refresh = words.shareRefresh;
  if (refresh !== null) {
    const parts = [
      refresh.afterSignatures === null ? null : `${count(refresh.afterSignatures, 'refresh signatures')} signature${refresh.afterSignatures === 1 ? '' : 's'}`,
      refresh.afterDays === null ? null : `${count(refresh.afterDays, 'refresh days')} day${refresh.afterDays === 1 ? '' : 's'}`,
    ].filter((p): p is string => p !== null);
    if (parts.length === 0) fail('a share refresh names a limit');
    out.wrapped(`Refresh shares: after ${parts.join(' or ')}`, 0);
  } else {
    out.line('Refresh shares: not asked');
  }
}

/** A duration in its largest whole unit: 86400 → "24 h", 604800 → "7 days", 90 → "90 s". */
function duration(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 1) fail('a duration is a positive whole number of seconds');
  if (seconds % 86_400 === 0 && seconds >= 172_800) return `${seconds / 86_400} days`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function renderUse(out: Lines, use: ShareUse): void {
  switch (use.type) {
    case 'transfer': {
      const decimals = use.decimals;
      if (!Number.isSafeInteger(decimals) || decimals < 0 || decimals > 30) fail('decimals must be an integer in 0..30');
      if (!/^[A-Z0-9]{1,10}$/.test(use.asset)) fail('an asset ticker is 1..10 of A-Z 0-9');
      out.field('Use', 'SIGN transfer');
      out.field('Request', id(use.requestId, 'request id'));
      out.field('Amount', `${formatUnits(use.amount, decimals)} ${use.asset}`);
      out.field('Fee', `${formatUnits(use.fee, decimals)} ${use.asset}`);
      out.field('To', destination(use.destination));
      out.field('Policy', `version ${count(use.policyVersion, 'policy version')}`);
      out.digest('Policy hash', use.policyHash);
      return;
    }
    case 'dkg':
    case 'refresh':
    case 'reshare':
      out.field('Use', use.type === 'dkg' ? 'CREATE wallet key' : use.type === 'refresh' ? 'REFRESH key shares' : 'RESHARE wallet key');
      out.field('Ceremony', id(use.ceremonyId, 'ceremony id'));
      out.field('Threshold', threshold(use.threshold, use.custodianNames.length));
      out.list('Custodians', names(use.custodianNames));
      return;
    default:
      fail(`unknown share use ${String((use as { type: unknown }).type)}`);
  }
}

function network(value: string): string {
  if (!/^(mainnet|testnet|signet|regtest)$/.test(value)) fail('network must be mainnet, testnet, signet or regtest');
  return value;
}

function bitcoinAddress(value: string): string {
  if (typeof value !== 'string' || !/^[a-z0-9]{14,90}$|^[A-HJ-NP-Za-km-z1-9]{25,40}$/.test(value)) fail('a Bitcoin address is 14..90 letters and digits');
  return value;
}

function walletPath(value: string): string {
  if (typeof value !== 'string' || !/^\d{1,10}(\/\d{1,10}){0,9}$/.test(value)) fail('a wallet path looks like 0/5');
  return value;
}

function threshold(t: number, n: number): string {
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(n) || t < 2 || t > n) fail(`a threshold is 2..${n} of ${n}`);
  return `${t} of ${n}`;
}

/** Accumulates lines and enforces the line rules, so no renderer branch can break them. */
class Lines {
  private readonly lines: string[] = [];

  line(text: string): void {
      if (/[^\x20-\x7e]/.test(text)) fail('a statement line holds a non-printable character');
    if (text.length > MAX_LINE) fail(`a statement line is longer than ${MAX_LINE}: ${text}`);
    this.lines.push(text);
  }

  field(label: string, value: string): void {
    const single = `${label}: ${value}`;
    if (single.length <= MAX_LINE) return this.line(single);
    this.line(`${label}:`);
    for (let i = 0; i < value.length; i += MAX_LINE - 2) this.line('  ' + value.slice(i, i + MAX_LINE - 2));
  }

  list(label: string, items: readonly string[]): void {
    const joined = items.length === 0 ? '(none)' : items.join(', ');
    if (`${label}: ${joined}`.length <= MAX_LINE) return this.line(`${label}: ${joined}`);
    this.line(`${label}:`);
    for (const item of items) this.line(`  - ${item}`);
  }

  /**
   * `text` indented by `indent`, cut at spaces into lines of at most MAX_LINE; continuation lines are indented two
   * more. A word too long for a line is cut into pieces.
   */
  wrapped(text: string, indent: number): void {
    const first = ' '.repeat(indent);
    const next = ' '.repeat(indent + 2);
    let current = first;
    let empty = true;
    const push = (): void => {
      this.line(current);
      current = next;
      empty = true;
    };
    for (const word of text.split(' ')) {
      const room = MAX_LINE - current.length - (empty ? 0 : 1);
      if (word.length <= room) {
        current += (empty ? '' : ' ') + word;
        empty = false;
        continue;
      }
      if (!empty) push();
      let rest = word;
      while (rest.length > MAX_LINE - current.length) {
        const cut = MAX_LINE - current.length;
        current += rest.slice(0, cut);
        rest = rest.slice(cut);
        push();
      }
      current += rest;
      empty = rest.length === 0;
    }
    if (!empty) this.line(current);
  }

  address(label: string, address: string): void {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) fail(`${label.toLowerCase()} must be a 0x-prefixed 20-byte address`);
    this.line(`${label}:`);
    this.line('  ' + address.slice(0, 22));
    this.line('  ' + address.slice(22));
  }

  digest(label: string, digest: string): void {
    if (!/^0x[0-9a-f]{64}$/.test(digest)) fail('a digest must be 0x + 64 lowercase hex digits');
    this.line(`${label}:`);
    for (let i = 2; i < 66; i += 16) this.line('  ' + digest.slice(i, i + 16));
  }

  text(): string {
    return this.lines.join('\n');
  }
}

function fail(message: string): never {
  throw new StatementError(message);
}

function name(value: string, what: string): string {
  const problem = nameProblem(value);
  if (problem !== null) fail(`${what}: ${problem}`);
  return value;
}

function names(values: readonly string[]): readonly string[] {
  if (!Array.isArray(values)) fail('a member list must be an array');
  return values.map((v) => name(v, 'member name'));
}

function id(value: string, what: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) fail(`${what} must be 1..64 of A-Z a-z 0-9 _ -`);
  return value;
}

function seq(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) fail(`${what} must be a non-negative integer`);
  return String(value);
}

function count(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 1) fail(`${what} must be a positive integer`);
  return String(value);
}

function roles(values: readonly string[]): readonly string[] {
  if (!Array.isArray(values) || values.length === 0) fail('roles must be a non-empty list');
  for (const r of values) if (!/^[a-z]{1,20}$/.test(r)) fail(`unknown role text ${JSON.stringify(r)}`);
  return values;
}

function devicePath(value: string): string {
  if (typeof value !== 'string' || !/^m(\/[0-9]{1,10}'?){1,10}$/.test(value)) fail("a device path looks like m/44'/60'/0'/0/0");
  return value;
}

function destination(value: string): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9]{1,128}$/.test(value)) fail('a destination is 1..128 letters and digits');
  return value;
}

function yesNo(value: boolean): string {
  if (typeof value !== 'boolean') fail('expected a boolean');
  return value ? 'yes' : 'no';
}

/** 150000000n with 8 decimals → "1.5"; no float ever touches an amount. */
export function formatUnits(amount: bigint, decimals: number): string {
  if (typeof amount !== 'bigint' || amount < 0n) fail('an amount is a non-negative bigint in the smallest unit');
  const base = 10n ** BigInt(decimals);
  const whole = (amount / base).toString();
  if (decimals === 0) return whole;
  const frac = (amount % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return frac === '' ? whole : `${whole}.${frac}`;
}
