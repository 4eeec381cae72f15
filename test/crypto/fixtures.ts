// Test fixtures: devices with real keys from a BIP-39 mnemonic, and a builder of signed governance logs.
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync } from '@scure/bip39';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { addressOfPublicKey, personalMessageHash } from '../../crypto/ethereum.js';
import { renderStatement } from '../../crypto/statements.js';
import type { Statement } from '../../crypto/statements.js';
import {
  decisionStatement,
  genesisStatement,
  lookupOf,
  proposalStatement,
  registrationStatement,
  replay,
} from '../../crypto/governance/index.js';
import type {
  Action,
  DecisionRecord,
  GovernanceRecord,
  GovernanceState,
  ProposalRecord,
  Role,
  User,
  VaultSettings,
} from '../../crypto/governance/index.js';

export const MNEMONIC = 'test test test test test test test test test test test junk';
const master = HDKey.fromMasterSeed(mnemonicToSeedSync(MNEMONIC));

/** A stand-in for a Ledger running the Ethereum app: identity key at m/44'/60'/0'/0/i, personal_sign, an X25519 key. */
export class TestDevice {
  readonly path: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: string;
  readonly address: string;
  readonly encryptionKey: string;

  constructor(readonly index: number) {
    this.path = `m/44'/60'/0'/0/${index}`;
    const key = master.derive(this.path);
    if (key.privateKey === null || key.publicKey === null) throw new Error('derivation failed');
    this.privateKey = key.privateKey;
    this.publicKey = '0x' + bytesToHex(key.publicKey);
    this.address = addressOfPublicKey(key.publicKey);
    // Stands in for the device's EIP-1024 key: a real X25519 public key, deterministic per device.
    this.encryptionKey = '0x' + bytesToHex(x25519.getPublicKey(sha256(concatBytes(this.privateKey, utf8ToBytes('eip1024')))));
  }

  /** EIP-191 personal_sign of `text`: r‖s‖v with v = 27 + recovery, as the Ethereum app returns it. */
  signText(text: string): string {
    const recovered = secp256k1.sign(personalMessageHash(text), this.privateKey, { prehash: false, format: 'recovered' });
    // noble v2's 'recovered' format puts the recovery byte first: rec ‖ r ‖ s.
    const rec = recovered[0] as number;
    return '0x' + bytesToHex(concatBytes(recovered.subarray(1, 65), Uint8Array.of(27 + rec)));
  }

  sign(statement: Statement): string {
    return this.signText(renderStatement(statement));
  }
}

const devices = new Map<number, TestDevice>();
export function device(index: number): TestDevice {
  let d = devices.get(index);
  if (d === undefined) devices.set(index, (d = new TestDevice(index)));
  return d;
}

export const VAULT_ID = 'vault-test-1';
export const VAULT_NAME = 'Treasury';
export const T0 = '2025-01-31T12:00:00Z';

/** The user fields a device yields, before the registration signature. */
export function unsignedUser(dev: TestDevice, id: string, name: string, roles: readonly Role[]): Omit<User, 'registrationSignature'> {
  return { id, name, roles, identityAddress: dev.address, identityPublicKey: dev.publicKey, encryptionKey: dev.encryptionKey, devicePath: dev.path };
}

export function registeredUser(vault: { vaultId: string; vaultName: string }, seq: number, dev: TestDevice, id: string, name: string, roles: readonly Role[]): User {
  const draft: User = { ...unsignedUser(dev, id, name, roles), registrationSignature: '0x' };
  return { ...draft, registrationSignature: dev.sign(registrationStatement(vault, seq, draft)) };
}

/** Builds a signed log record by record, replaying after each so statements see the state at that point. */
export class VaultBuilder {
  readonly records: GovernanceRecord[] = [];
  readonly devices = new Map<string, TestDevice>();
  private cached: GovernanceState | null = null;
  private nextProposal = 1;

  constructor(readonly vaultId = VAULT_ID, readonly vaultName = VAULT_NAME) {}

  get state(): GovernanceState {
    return (this.cached ??= replay(this.records));
  }

  get nextSeq(): number {
    return this.records.length;
  }

  genesis(dev: TestDevice, adminId = 'alice', adminName = 'Alice', settings: VaultSettings = { adminQuorum: 1, proposerMayApprove: true }, marked?: { statementFormat: 2 }): this {
    const admin = registeredUser(this, 0, dev, adminId, adminName, ['administrator']);
    const draft = { type: 'genesis', seq: 0, vaultId: this.vaultId, vaultName: this.vaultName, createdAt: T0, admin, settings, ...marked } as const;
    this.devices.set(adminId, dev);
    return this.push({ ...draft, signature: dev.sign(genesisStatement(draft)) });
  }

  /** The signed proposal record (not appended). */
  proposalRecord(proposerId: string, action: Action, proposalId = `prop-${this.nextProposal}`): ProposalRecord {
    const draft = { type: 'proposal', seq: this.nextSeq, vaultId: this.vaultId, proposalId, proposerId, action, createdAt: T0 } as const;
    return { ...draft, signature: this.signer(proposerId).sign(proposalStatement(lookupOf(this.state), draft)) };
  }

  /** Proposes and returns the proposal id. */
  propose(proposerId: string, action: Action, proposalId = `prop-${this.nextProposal}`): string {
    this.push(this.proposalRecord(proposerId, action, proposalId));
    this.nextProposal++;
    return proposalId;
  }

  /** An add-user action whose registration the new user's device signed for the next seq. */
  addUserAction(dev: TestDevice, id: string, name: string, roles: readonly Role[]): Action {
    this.devices.set(id, dev);
    return { type: 'add-user', user: registeredUser(this, this.nextSeq, dev, id, name, roles) };
  }

  proposeAddUser(proposerId: string, dev: TestDevice, id: string, name: string, roles: readonly Role[]): string {
    return this.propose(proposerId, this.addUserAction(dev, id, name, roles));
  }

  decisionRecord(type: 'approval' | 'rejection', userId: string, proposalId: string, signerId = userId): DecisionRecord {
    const draft = { type, seq: this.nextSeq, vaultId: this.vaultId, proposalId } as const;
    return { ...draft, userId, signature: this.signer(signerId).sign(decisionStatement(lookupOf(this.state), draft)) };
  }

  approve(userId: string, proposalId: string): this {
    return this.push(this.decisionRecord('approval', userId, proposalId));
  }

  reject(userId: string, proposalId: string): this {
    return this.push(this.decisionRecord('rejection', userId, proposalId));
  }

  /** Appends without replaying (replay then throws on a bad record when state is read). */
  push(record: GovernanceRecord): this {
    this.records.push(record);
    this.cached = null;
    return this;
  }

  /** Appends only if the log still replays; returns whether it did (a console refuses what breaks a rule). */
  tryPush(record: GovernanceRecord): boolean {
    try {
      this.cached = replay([...this.records, record]);
      this.records.push(record);
      return true;
    } catch {
      return false;
    }
  }

  signer(userId: string): TestDevice {
    const d = this.devices.get(userId);
    if (d === undefined) throw new Error(`no test device for ${userId}`);
    return d;
  }

  proposal(id: string) {
    const p = this.state.proposals.find((x) => x.id === id);
    if (p === undefined) throw new Error(`no proposal ${id}`);
    return p;
  }

  user(id: string) {
    const u = this.state.users.find((x) => x.id === id);
    if (u === undefined) throw new Error(`no user ${id}`);
    return u;
  }
}

/**
 * The story: genesis by Alice (quorum 1, proposer counts); Bob joins as administrator; quorum 2;
 * Carol joins as administrator (Alice + Bob); the proposer stops counting (Alice + Bob); Dave joins as
 * operator, proposed by Alice and approved by Bob and Carol.
 */
export function standardVault(): VaultBuilder {
  const v = new VaultBuilder().genesis(device(0));
  v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
  v.propose('alice', { type: 'set-quorum', quorum: 2 });
  const carol = v.proposeAddUser('alice', device(2), 'carol', 'Carol', ['administrator']);
  v.approve('bob', carol);
  const pma = v.propose('alice', { type: 'set-proposer-may-approve', value: false });
  v.approve('bob', pma);
  const dave = v.proposeAddUser('alice', device(3), 'dave', 'Dave', ['operator']);
  v.approve('bob', dave).approve('carol', dave);
  return v;
}
