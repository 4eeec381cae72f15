// Shape checks for records read from untrusted storage: one encoding per meaning, or a clear reason why not.
import { addressOfPublicKey } from '../ethereum.js';
import { canonicalize } from '../canonical.js';
import { PolicyError, policyDocument, validatePolicy, validateWhitelist, whitelistDocument } from '../policy/index.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { ID_PATTERN, nameProblem } from '../statements.js';
import { MAX_CUSTODIANS, REBASE_WINDOW, ROLES, WALLET_NETWORKS } from './types.js';
import type { Action, Group, GovernanceRecord, Role, User, VaultSettings, WalletKey, WalletSpec } from './types.js';

/** A problem found in a record's shape; replay reports it as MALFORMED. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

function fail(message: string): never {
  throw new ShapeError(message);
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const HEX = /^0x(?:[0-9a-f]{2})*$/;

export function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) fail(`${what} must be 1..64 of A-Z a-z 0-9 _ -`);
  return value;
}

export function checkName(value: unknown, what: string): string {
  const problem = typeof value === 'string' ? nameProblem(value) : 'a name must be a string';
  if (problem !== null) fail(`${what}: ${problem}`);
  return value as string;
}

export function checkTime(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ISO_TIME.test(value) || Number.isNaN(Date.parse(value))) {
    fail(`${what} must be an ISO-8601 UTC time such as 2025-01-31T12:00:00Z`);
  }
  return value;
}

export function checkSeq(value: unknown, what = 'seq'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${what} must be a non-negative integer`);
  return value;
}

/**
 * A rebased record's basis: the seq its statements were signed at, before it lost a race for that seq in a team's log
 * (crypto/governance/rebase.ts). Present only when it differs from seq (one encoding per meaning), never after it, and
 * at most REBASE_WINDOW before it.
 */
function checkBasis(value: unknown, seq: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail('basis must be a positive integer');
  if (value >= seq) fail(`basis ${value} must be below the record's seq ${seq} (absent when the record was signed at its seq)`);
  if (seq - value > REBASE_WINDOW) fail(`the record was signed at seq ${value}, more than ${REBASE_WINDOW} records before its seq ${seq}: its devices must sign it again`);
}

function checkHex(value: unknown, bytes: readonly number[], what: string): string {
  if (typeof value !== 'string' || !HEX.test(value) || !bytes.includes((value.length - 2) / 2)) {
    fail(`${what} must be 0x + lowercase hex of ${bytes.join(' or ')} bytes`);
  }
  return value;
}

export function checkSignature(value: unknown, what = 'signature'): string {
  return checkHex(value, [65], what);
}

/** Distinct roles from ROLES, non-empty, in ROLES order. */
export function checkRoles(value: unknown): readonly Role[] {
  if (!Array.isArray(value) || value.length === 0) fail('roles must be a non-empty list');
  let last = -1;
  for (const r of value as unknown[]) {
    const at = ROLES.indexOf(r as Role);
    if (at < 0) fail(`unknown role ${JSON.stringify(r)}; roles are ${ROLES.join(', ')}`);
    if (at <= last) fail(`roles must be distinct and in the order ${ROLES.join(', ')}`);
    last = at;
  }
  return value as readonly Role[];
}

function checkObject(value: unknown, what: string, keys: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} must be an object`);
  const record = value as Record<string, unknown>;
  for (const k of keys) if (!(k in record) || record[k] === undefined) fail(`${what} lacks ${k}`);
  for (const k of Object.keys(record)) {
    if (!keys.includes(k) && !optional.includes(k)) fail(`${what} has an unexpected field ${k}`);
  }
  return record;
}

export function checkUser(value: unknown): User {
  const u = checkObject(value, 'user', [
    'id', 'name', 'roles', 'identityAddress', 'identityPublicKey', 'encryptionKey', 'devicePath', 'registrationSignature',
  ]);
  checkId(u.id, 'user id');
  checkName(u.name, 'user name');
  checkRoles(u.roles);
  const publicKey = checkHex(u.identityPublicKey, [33, 65], 'identity public key');
  let address: string;
  try {
    address = addressOfPublicKey(hexToBytes(publicKey.slice(2)));
  } catch {
    fail('identity public key is not a point of secp256k1');
  }
  if (u.identityAddress !== address) fail(`identity address must be ${address}, the EIP-55 address of the public key`);
  checkHex(u.encryptionKey, [32], 'encryption key');
  if (typeof u.devicePath !== 'string' || !/^m(\/[0-9]{1,10}'?){1,10}$/.test(u.devicePath)) {
    fail("device path must look like m/44'/60'/0'/0/0");
  }
  checkSignature(u.registrationSignature, 'registration signature');
  return value as User;
}

export function checkSettings(value: unknown): VaultSettings {
  const s = checkObject(value, 'settings', ['adminQuorum', 'proposerMayApprove']);
  if (typeof s.adminQuorum !== 'number' || !Number.isSafeInteger(s.adminQuorum)) fail('adminQuorum must be an integer');
  if (typeof s.proposerMayApprove !== 'boolean') fail('proposerMayApprove must be a boolean');
  return value as VaultSettings;
}

function checkMembers(value: unknown): readonly string[] {
  if (!Array.isArray(value)) fail('members must be a list of user ids');
  for (const m of value as unknown[]) checkId(m, 'member id');
  if (new Set(value).size !== value.length) fail('a group lists each member once');
  return value as readonly string[];
}

export function checkGroup(value: unknown): Group {
  const g = checkObject(value, 'group', ['id', 'name', 'members']);
  checkId(g.id, 'group id');
  checkName(g.name, 'group name');
  checkMembers(g.members);
  return value as Group;
}

function checkCustodianIds(value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.length < 2 || value.length > MAX_CUSTODIANS) fail(`custodians must list 2..${MAX_CUSTODIANS} user ids`);
  for (const m of value as unknown[]) checkId(m, 'custodian id');
  if (new Set(value).size !== value.length) fail('a wallet lists each custodian once');
  return value as readonly string[];
}

function checkThreshold(value: unknown, n: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 2 || value > n) fail(`threshold must be an integer from 2 to ${n} (the custodians)`);
  return value;
}

export function checkWalletSpec(value: unknown): WalletSpec {
  const w = checkObject(value, 'wallet', ['id', 'name', 'network', 'threshold', 'custodians']);
  checkId(w.id, 'wallet id');
  checkName(w.name, 'wallet name');
  if (!WALLET_NETWORKS.includes(w.network as WalletSpec['network'])) fail(`network must be one of ${WALLET_NETWORKS.join(', ')}`);
  checkThreshold(w.threshold, checkCustodianIds(w.custodians).length);
  return value as WalletSpec;
}

const PLAIN_HEX = /^(?:[0-9a-f]{2})+$/;

/** Sats as a canonical decimal string (no sign, no leading zeros), at least `min`. */
function checkSats(value: unknown, what: string, min: bigint): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9]\d{0,20})$/.test(value) || BigInt(value) < min) fail(`${what} must be a decimal count of sats, at least ${min}`);
  return BigInt(value as string);
}
function checkPlainHex(value: unknown, bytes: number, what: string): string {
  if (typeof value !== 'string' || !PLAIN_HEX.test(value) || value.length !== bytes * 2) fail(`${what} must be ${bytes} bytes of lowercase hex (no 0x)`);
  return value;
}

/** Shape only: whether the key is consistent (points on the curve, shares matching commitments) is replay's check. */
export function checkWalletKey(value: unknown): WalletKey {
  const k = checkObject(value, 'wallet key', ['keyVersion', 'threshold', 'custodians', 'internalKey', 'outputKey', 'chainCode', 'commitments', 'verifyingShares', 'shareDigests']);
  if (typeof k.keyVersion !== 'number' || !Number.isSafeInteger(k.keyVersion) || k.keyVersion < 1) fail('keyVersion must be a positive integer');
  if (!Array.isArray(k.custodians) || k.custodians.length < 2 || k.custodians.length > MAX_CUSTODIANS) fail(`a key has 2..${MAX_CUSTODIANS} custodians`);
  const n = k.custodians.length;
  const t = checkThreshold(k.threshold, n);
  const parties: string[] = [];
  for (const c of k.custodians as unknown[]) {
    const o = checkObject(c, 'custodian', ['userId', 'partyId']);
    checkId(o.userId, 'custodian user id');
    parties.push(checkPlainHex(o.partyId, 32, 'party id'));
  }
  const ascending = (xs: string[]) => xs.every((x, i) => i === 0 || (xs[i - 1] as string) < x);
  if (!ascending(parties)) fail('custodians must be sorted by party id, each once');
  if (new Set((k.custodians as { userId: string }[]).map((c) => c.userId)).size !== n) fail('a key lists each custodian once');
  checkPlainHex(k.internalKey, 32, 'internal key');
  checkPlainHex(k.outputKey, 32, 'output key');
  checkPlainHex(k.chainCode, 32, 'chain code');
  if (!Array.isArray(k.commitments) || k.commitments.length !== t) fail(`a key of threshold ${t} has ${t} commitments`);
  for (const c of k.commitments as unknown[]) checkPlainHex(c, 33, 'commitment');
  const perParty = (list: unknown, field: 'key' | 'digest', bytes: number, what: string): void => {
    if (!Array.isArray(list) || list.length !== n) fail(`${what}: one per custodian`);
    (list as unknown[]).forEach((item, i) => {
      const o = checkObject(item, what, ['partyId', field]);
      if (o.partyId !== parties[i]) fail(`${what} must follow the custodians' order`);
      checkPlainHex(o[field], bytes, what);
    });
  };
  perParty(k.verifyingShares, 'key', 33, 'verifying shares');
  perParty(k.shareDigests, 'digest', 32, 'share digests');
  return value as WalletKey;
}

/** A policy or whitelist document in its one canonical form: what validates must re-encode to the same bytes. */
function checkDocument(value: unknown, what: string, normalise: (v: unknown) => unknown): void {
  let normal: unknown;
  try {
    normal = normalise(value);
  } catch (e) {
    if (e instanceof PolicyError) fail(`${what}: ${e.message}`);
    throw e;
  }
  if (canonicalize(normal) !== canonicalize(value)) fail(`${what} is not in its canonical document form`);
}

export function checkAction(value: unknown): Action {
  const type = (value as { type?: unknown } | null)?.type;
  switch (type) {
    case 'add-user':
      checkUser(checkObject(value, 'add-user', ['type', 'user']).user);
      break;
    case 'revoke-user':
      checkId(checkObject(value, 'revoke-user', ['type', 'userId']).userId, 'user id');
      break;
    case 'set-roles': {
      const a = checkObject(value, 'set-roles', ['type', 'userId', 'roles']);
      checkId(a.userId, 'user id');
      checkRoles(a.roles);
      break;
    }
    case 'create-group':
      checkGroup(checkObject(value, 'create-group', ['type', 'group']).group);
      break;
    case 'edit-group': {
      const a = checkObject(value, 'edit-group', ['type', 'groupId'], ['name', 'members']);
      checkId(a.groupId, 'group id');
      if (a.name === undefined && a.members === undefined) fail('edit-group changes the name, the members or both');
      if (a.name !== undefined) checkName(a.name, 'group name');
      if (a.members !== undefined) checkMembers(a.members);
      break;
    }
    case 'set-quorum': {
      const a = checkObject(value, 'set-quorum', ['type', 'quorum']);
      if (typeof a.quorum !== 'number' || !Number.isSafeInteger(a.quorum)) fail('quorum must be an integer');
      break;
    }
    case 'set-proposer-may-approve':
      if (typeof checkObject(value, 'set-proposer-may-approve', ['type', 'value']).value !== 'boolean') fail('value must be a boolean');
      break;
    case 'enter-team-mode':
      checkObject(value, 'enter-team-mode', ['type']);
      break;
    case 'create-wallet':
      checkWalletSpec(checkObject(value, 'create-wallet', ['type', 'wallet']).wallet);
      break;
    case 'refresh-wallet':
      checkId(checkObject(value, 'refresh-wallet', ['type', 'walletId']).walletId, 'wallet id');
      break;
    case 'reshare-wallet': {
      const a = checkObject(value, 'reshare-wallet', ['type', 'walletId', 'threshold', 'custodians']);
      checkId(a.walletId, 'wallet id');
      checkThreshold(a.threshold, checkCustodianIds(a.custodians).length);
      break;
    }
    case 'set-policy': {
      const a = checkObject(value, 'set-policy', ['type', 'policy']);
      checkDocument(a.policy, 'policy', (v) => policyDocument(validatePolicy(v)));
      break;
    }
    case 'set-whitelist': {
      const a = checkObject(value, 'set-whitelist', ['type', 'whitelist']);
      checkDocument(a.whitelist, 'whitelist', (v) => whitelistDocument(validateWhitelist(v)));
      break;
    }
    default:
      fail(`unknown action type ${JSON.stringify(type)}`);
  }
  return value as Action;
}

/** Checks a record's shape (not its signature or rules). */
export function checkRecord(value: unknown): GovernanceRecord {
  const type = (value as { type?: unknown } | null)?.type;
  switch (type) {
    case 'genesis': {
      const r = checkObject(value, 'genesis record', ['type', 'seq', 'vaultId', 'vaultName', 'createdAt', 'admin', 'settings', 'signature'], ['statementFormat']);
      if (r.statementFormat !== undefined && r.statementFormat !== 2) fail('statementFormat must be 2, or absent');
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkName(r.vaultName, 'vault name');
      checkTime(r.createdAt, 'createdAt');
      checkUser(r.admin);
      checkSettings(r.settings);
      checkSignature(r.signature);
      break;
    }
    case 'proposal': {
      const r = checkObject(value, 'proposal record', ['type', 'seq', 'vaultId', 'proposalId', 'proposerId', 'action', 'createdAt', 'signature'], ['statementFormat', 'basis']);
      // Format 1 is written by leaving the mark out: one encoding per meaning.
      if (r.statementFormat !== undefined && r.statementFormat !== 2) fail('statementFormat must be 2, or absent for format 1');
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkId(r.proposalId, 'proposal id');
      checkId(r.proposerId, 'proposer id');
      checkAction(r.action);
      checkTime(r.createdAt, 'createdAt');
      checkSignature(r.signature);
      break;
    }
    case 'approval':
    case 'rejection': {
      const r = checkObject(value, `${type} record`, ['type', 'seq', 'vaultId', 'proposalId', 'userId', 'signature'], ['basis']);
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkId(r.proposalId, 'proposal id');
      checkId(r.userId, 'user id');
      checkSignature(r.signature);
      break;
    }
    case 'wallet-key': {
      const r = checkObject(value, 'wallet-key record', ['type', 'seq', 'vaultId', 'walletId', 'proposalId', 'ceremony', 'ceremonyId', 'createdAt', 'key', 'attestations'], ['basis']);
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkId(r.walletId, 'wallet id');
      checkId(r.proposalId, 'proposal id');
      if (r.ceremony !== 'dkg' && r.ceremony !== 'refresh' && r.ceremony !== 'reshare') fail('ceremony must be dkg, refresh or reshare');
      checkId(r.ceremonyId, 'ceremony id');
      checkTime(r.createdAt, 'createdAt');
      checkWalletKey(r.key);
      if (!Array.isArray(r.attestations) || r.attestations.length < 2 || r.attestations.length > 100) fail('attestations must list one per custodian');
      for (const a of r.attestations as unknown[]) {
        const x = checkObject(a, 'attestation', ['userId', 'signature']);
        checkId(x.userId, 'attesting user id');
        checkSignature(x.signature);
      }
      break;
    }
    case 'transfer-request': {
      const r = checkObject(value, 'transfer-request record', [
        'type', 'seq', 'vaultId', 'requestId', 'walletId', 'initiatorId', 'destination', 'amount', 'fee', 'psbt', 'inputPaths', 'changePath', 'sighashes', 'policyVersion', 'policyHash', 'createdAt', 'signature',
      ], ['basis']);
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkId(r.requestId, 'request id');
      checkId(r.walletId, 'wallet id');
      checkId(r.initiatorId, 'initiator id');
      if (typeof r.destination !== 'string' || !/^[a-z0-9]{14,90}$|^[A-HJ-NP-Za-km-z1-9]{25,40}$/.test(r.destination)) fail('destination must be a Bitcoin address');
      checkSats(r.amount, 'amount', 1n);
      checkSats(r.fee, 'fee', 0n);
      if (typeof r.psbt !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(r.psbt) || r.psbt.length > 1_000_000) fail('psbt must be base64 (at most 1 MB)');
      if (!Array.isArray(r.inputPaths) || r.inputPaths.length === 0 || r.inputPaths.length > 1000) fail('inputPaths must list 1..1000 wallet paths');
      for (const p of r.inputPaths as unknown[]) if (typeof p !== 'string' || !/^$|^\d{1,10}(\/\d{1,10}){0,9}$/.test(p)) fail('an input path is "" or like "0/5"');
      if (r.changePath !== null && (typeof r.changePath !== 'string' || !/^$|^\d{1,10}(\/\d{1,10}){0,9}$/.test(r.changePath))) fail('changePath is null, "" or like "1/0"');
      if (!Array.isArray(r.sighashes) || r.sighashes.length !== r.inputPaths.length) fail('one sighash per input');
      for (const h of r.sighashes as unknown[]) checkPlainHex(h, 32, 'sighash');
      if (typeof r.policyVersion !== 'number' || !Number.isSafeInteger(r.policyVersion) || r.policyVersion < 1) fail('policyVersion must be a positive integer');
      checkHex(r.policyHash, [32], 'policy hash');
      checkTime(r.createdAt, 'createdAt');
      checkSignature(r.signature);
      break;
    }
    case 'transfer-approval':
    case 'transfer-rejection':
    case 'transfer-cancel': {
      const r = checkObject(value, `${type} record`, ['type', 'seq', 'vaultId', 'requestId', 'userId', 'at', 'signature'], ['basis']);
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkId(r.requestId, 'request id');
      checkId(r.userId, 'user id');
      checkTime(r.at, 'at');
      checkSignature(r.signature);
      break;
    }
    case 'node-key': {
      const r = checkObject(value, 'node-key record', ['type', 'seq', 'vaultId', 'userId', 'nodeId', 'signingKey', 'hpkeKey', 'createdAt', 'signature'], ['basis']);
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkId(r.userId, 'user id');
      if (typeof r.nodeId !== 'string' || !/^[0-9a-f]{16}$/.test(r.nodeId)) fail('nodeId must be 16 lowercase hex digits');
      checkHex(r.signingKey, [32], 'node signing key');
      checkHex(r.hpkeKey, [32], 'node HPKE key');
      checkTime(r.createdAt, 'createdAt');
      checkSignature(r.signature);
      break;
    }
    case 'transfer-signed': {
      const r = checkObject(value, 'transfer-signed record', ['type', 'seq', 'vaultId', 'requestId', 'ruleId', 'txid', 'tx', 'at'], ['basis']);
      checkSeq(r.seq);
      checkId(r.vaultId, 'vault id');
      checkId(r.requestId, 'request id');
      checkId(r.ruleId, 'rule id');
      checkPlainHex(r.txid, 32, 'txid');
      if (typeof r.tx !== 'string' || !PLAIN_HEX.test(r.tx) || r.tx.length > 2_000_000) fail('tx must be lowercase hex');
      checkTime(r.at, 'at');
      break;
    }
    default:
      fail(`unknown record type ${JSON.stringify(type)}`);
  }
  const placed = value as { seq: number; basis?: unknown };
  if (placed.basis !== undefined) checkBasis(placed.basis, placed.seq);
  return value as GovernanceRecord;
}
