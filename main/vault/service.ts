// The vault service: genesis, proposals and decisions signed on the actors' devices, the replay guard and the audit log.
import { EventEmitter } from 'node:events';
import type { AuditDraft } from '../../crypto/audit-chain';
import { canonicalize, type CanonicalValue } from '../../crypto/canonical';
import {
  decisionStatement,
  genesisStatement,
  keyAttestationStatement,
  lookupOf,
  nodeKeyFingerprint,
  nodeKeyStatement,
  PLACEHOLDER_SIGNATURE,
  proposalStatement,
  registrationStatement,
  type Action,
  type DecisionRecord,
  type GenesisRecord,
  type GovernanceState,
  type KeyCeremony,
  type KeyRecord,
  type NodeKeyRecord,
  type ProposalRecord,
  type ProposalState,
  type TransferRecord,
  type Role,
  type User,
  type UserState,
  type WalletKey,
  type WalletState,
} from '../../crypto/governance';
import { PROPOSAL_STATEMENT_FORMAT, renderStatement, StatementError, type Statement } from '../../crypto/statements';
import {
  type AuditEntryView,
  type AuditVerification,
  type DeviceMember,
  type EventPayloads,
  type GroupView,
  type IntegrityReport,
  type ProposalStatus,
  type ProposalView,
  type UserView,
  type VaultSummary,
} from '../../preload/contract';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { silentLogger, type Logger } from '../log';
import type { SealedShareRow, Store, VaultHeader } from '../store';
import { exportCsv, exportJson } from './audit-export';
import { CHECKPOINT_INTERVAL } from './checkpoint';
import { randomIds, type IdGenerator } from './ids';
import { IntegrityGuard, verifyAuditChain, type IntegrityCheck, type ProgressListener } from './integrity';
import { LogWriter, type AdoptReport, type LogReplication, type PushReport } from './log-writer';
import type { GenesisPin } from './adopted';
import { administratorRefusal, memberRefusal, proposalDecisionRefusal } from './permissions';
import { checkProposalInput, DOING, orderRoles, proposalAction, requireName, requireWallet, type ProposalInputs, type ProposalKind } from './proposal-actions';
import { auditEntryView, groupView, proposalView, summaryView, titleOf, userView } from './views';

export const DEFAULT_IDENTITY_PATH = "m/44'/60'/0'/0/0";
/** A new vault's settings: the proposer does not count once the quorum is set (founding lets the sole founder act until then). */
export const GENESIS_SETTINGS = { adminQuorum: 1, proposerMayApprove: false } as const;

export interface VaultServiceOptions {
  store: Store;
  devices: DeviceManager;
  clock?: () => Date;
  ids?: IdGenerator;
  log?: Logger;
  /** A checkpoint every this many records (main/vault/checkpoint.ts CHECKPOINT_INTERVAL by default). */
  checkpointInterval?: number;
}

export interface VaultServiceEvents {
  changed: [EventPayloads['vault.changed']];
  /** A full verification's progress, about once a second (the console shows it beside Verify). */
  verifyProgress: [EventPayloads['vault.verifyProgress']];
}

/** How often a full verification announces its progress. */
const PROGRESS_EVERY_MS = 1_000;

/** What every acting call names: the device of the person acting (users are their devices). */
interface Acting {
  deviceId: string;
}

/** A key ceremony's outcome, ready to record: the public key and the sealed shares (ciphertexts). */
export interface KeyOutcome {
  walletId: string;
  proposalId: string;
  ceremony: KeyCeremony;
  ceremonyId: string;
  key: WalletKey;
  shares: SealedShareRow[];
  /** The connected device of each custodian of the new key (user id → device id): each attests the key on its screen. */
  attesters: ReadonlyMap<string, string>;
  /** Told before each custodian's device is asked. */
  onAttest?: (custodianName: string) => void;
}

export class VaultService extends EventEmitter<VaultServiceEvents> {
  private readonly store: Store;
  private readonly devices: DeviceManager;
  private readonly clock: () => Date;
  private readonly ids: IdGenerator;
  private readonly log: Logger;
  private readonly guard: IntegrityGuard;
  private readonly writer: LogWriter;

  constructor(options: VaultServiceOptions) {
    super();
    this.store = options.store;
    this.devices = options.devices;
    this.clock = options.clock ?? (() => new Date());
    this.ids = options.ids ?? randomIds;
    this.log = options.log ?? silentLogger;
    this.guard = new IntegrityGuard(this.store, this.clock);
    this.writer = new LogWriter({
      store: this.store,
      guard: this.guard,
      now: () => this.now(),
      checkpointInterval: options.checkpointInterval,
      onCommitted: ({ state, entry }) => this.emit('changed', { seq: state.seq, auditEntries: entry.seq + 1 }),
    });
    // Verified on start, from the checkpoint: a tampered vault is reported at once, and refuses to act until restored.
    // A replay from genesis (no checkpoint) on a long log takes a while: said at its start, then about once a second.
    let said = -Infinity;
    const start = this.guard.start((p) => {
      if (p.stage !== 'reading' && p.stage !== 'replaying') return;
      const now = performance.now();
      if (p.stage === 'replaying' && p.done === 0) this.log.info('replaying the signed log from genesis', { records: p.total });
      else if (now - said >= PROGRESS_EVERY_MS) this.log.info(`start-up check: ${p.stage} ${p.done} of ${p.total} records`);
      else return;
      said = now;
    });
    const replayed = start.report.replay;
    if (replayed?.note !== undefined) this.log.info(replayed.note, { records: replayed.records, ms: replayed.ms });
    if (start.report.status === 'tampered') this.log.warn('vault integrity check failed at start', { problems: start.report.problems });
    // A long replay at start (no checkpoint yet, as in a vault made before checkpoints, or one deleted) is not repeated
    // at the next start: the state it verified becomes the checkpoint.
    const interval = options.checkpointInterval ?? CHECKPOINT_INTERVAL;
    if (start.report.status === 'ok' && start.replayed !== null && replayed !== undefined && replayed.records > 1 && (replayed.from === 'genesis' || replayed.records >= interval)) {
      if (this.writer.checkpointAfterVerify(start.replayed)) this.log.info('checkpoint written at the head after the start-up replay', { seq: start.replayed.seq });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reads: from the store's projections, even when tampered, so people can see what is wrong.

  status(): { vault: VaultSummary | null } {
    const check = this.guard.check();
    if (check.projection === null) return { vault: null };
    return { vault: summaryView(check.projection.header, check.projection.state, check.report) };
  }

  /**
   * The MPC signer refused this log as cut short or rewritten (it pinned more of it than the store holds): the vault
   * reports it as tampering and refuses to act until a person restores the data folder.
   */
  noteSignerProblem(problem: string): void {
    this.guard.noteSignerProblem(`The MPC signer refuses this log: ${problem}`);
  }

  /**
   * Everything again from genesis: every signature, every projection row, every audit entry, and the stored checkpoint
   * against the replay at its seq. When all holds, a checkpoint at the head. `onProgress` hears how far it is.
   */
  verify(onProgress?: ProgressListener): IntegrityReport {
    let last = -Infinity;
    const check = this.guard.check({
      full: true,
      onProgress: (p) => {
        onProgress?.(p);
        const now = performance.now();
        if (p.stage !== 'done' && now - last < PROGRESS_EVERY_MS) return;
        last = now;
        this.emit('verifyProgress', p);
      },
    });
    if (check.report.status === 'ok' && check.replayed !== null) this.writer.checkpointAfterVerify(check.replayed);
    return check.report;
  }

  async whoIs({ deviceId }: Acting): Promise<DeviceMember> {
    const projection = this.guard.check().projection;
    const path = projection?.header.identityPath ?? DEFAULT_IDENTITY_PATH;
    const { address } = await this.devices.identity(deviceId, path);
    const user = projection?.state.users.find((u) => sameAddress(u.identityAddress, address)) ?? null;
    return { deviceId, address, user: user === null ? null : { id: user.id, name: user.name, roles: [...user.roles], status: user.status } };
  }

  listUsers(): UserView[] {
    return this.read().users.map((u) => userView(u, this.timeOf));
  }

  listGroups(): GroupView[] {
    const state = this.read();
    return state.groups.map((g) => groupView(state, g.id)).filter((g): g is GroupView => g !== null);
  }

  listProposals(filter: { status?: ProposalStatus } = {}): ProposalView[] {
    const state = this.read();
    return state.proposals
      .filter((p) => filter.status === undefined || p.status === filter.status)
      .sort((a, b) => b.seq - a.seq)
      .map((p) => proposalView(p, state));
  }

  auditList(filter: { offset: number; limit: number; actor?: string; action?: string }): { total: number; entries: AuditEntryView[] } {
    const { total, entries } = this.store.audit.page(filter);
    return { total, entries: entries.map(auditEntryView) };
  }

  auditVerify(): AuditVerification {
    const r = verifyAuditChain(this.store, null);
    return { valid: r.valid, entries: r.entries, head: r.head, brokenAt: r.brokenAt ?? null, reason: r.reason ?? null };
  }

  auditExport(format: 'csv' | 'json'): { filename: string; mimeType: string; content: string } {
    const header = this.store.vault.get();
    if (header === null) throw noVault();
    const verification = this.auditVerify();
    const at = this.now();
    const meta = { vaultId: header.vaultId, vaultName: header.vaultName, exportedAt: at, head: verification.head };
    const count = this.store.audit.count();
    const stamp = at.replace(/[:.]/g, '-');
    return format === 'csv'
      ? { filename: `custos-audit-${header.vaultId}-${stamp}.csv`, mimeType: 'text/csv', content: exportCsv(this.store.audit.iterate(), meta, count) }
      : { filename: `custos-audit-${header.vaultId}-${stamp}.json`, mimeType: 'application/json', content: exportJson(this.store.audit.iterate(), meta, count) };
  }

  // ---------------------------------------------------------------------------------------------
  // Genesis

  /**
   * Creates the vault: the first administrator's device gives its identity and EIP-1024 key, then shows
   * and signs the registration statement and the genesis statement (two screens).
   */
  create(input: { name: string; adminName: string; identityPath?: string } & Acting): Promise<VaultSummary> {
    return this.writer
      .genesis(async (existing) => {
        if (existing.projection !== null || existing.recordCount > 0) {
          const name = existing.projection?.header.vaultName;
          throw new CustosError('VAULT_EXISTS', `This data folder already holds ${name ? `the vault "${name}"` : 'a vault'}. Open it, or choose another folder to create a new one.`);
        }
        requireName(input.name, 'vault name');
        requireName(input.adminName, 'administrator name', 'adminName');
        const path = input.identityPath ?? DEFAULT_IDENTITY_PATH;
        const identity = await this.devices.identity(input.deviceId, path);
        const { publicKey: encryptionKey } = await this.devices.encryptionKey(input.deviceId, path);
        const vault = { vaultId: this.ids('vault'), vaultName: input.name };
        const unsigned: User = {
          id: this.ids('user'),
          name: input.adminName,
          roles: ['administrator'],
          identityAddress: identity.address,
          identityPublicKey: identity.publicKey,
          encryptionKey,
          devicePath: path,
          registrationSignature: PLACEHOLDER_SIGNATURE,
        };
        const settings = GENESIS_SETTINGS;
        const createdAt = this.now();
        // Marked so that every policy proposal of this vault must list its rules in words on the devices.
        const draft = (admin: User): Omit<GenesisRecord, 'signature'> => ({ type: 'genesis', seq: 0, ...vault, createdAt, admin, settings, statementFormat: PROPOSAL_STATEMENT_FORMAT });
        // Both statements must render before the device is asked for anything.
        const registrationText = render(registrationStatement(vault, 0, unsigned));
        render(genesisStatement(draft(unsigned)));
        const registration = await this.sign(input.deviceId, path, registrationText, identity.address);
        const admin: User = { ...unsigned, registrationSignature: registration };
        const genesisDraft = draft(admin);
        const signature = await this.sign(input.deviceId, path, render(genesisStatement(genesisDraft)), identity.address);
        const record: GenesisRecord = { ...genesisDraft, signature };
        return {
          record,
          identityPath: path,
          audit: {
            actor: admin.id,
            action: 'vault.create',
            subject: vault.vaultId,
            payload: { recordSeq: 0, actorName: admin.name, vaultName: vault.vaultName, identityPath: path, address: admin.identityAddress, registrationSignature: registration, settings: { ...settings } },
            deviceSignature: signature,
          },
        };
      })
      .then(() => {
        const status = this.status().vault;
        if (status === null) throw new CustosError('STORE_ERROR', 'The vault was written but cannot be read back. Check the data folder.');
        return status;
      });
  }

  // ---------------------------------------------------------------------------------------------
  // Proposals

  /** The new user's device registers (identity, encryption key, their registration signed on their screen); then the proposer signs. */
  proposeUser(input: { name: string; roles: Role[]; newUserDeviceId: string } & Acting): Promise<ProposalView> {
    requireName(input.name, 'user name');
    return this.propose(input.deviceId, 'propose a new user', async ({ state, header, seq }) => {
      if (input.newUserDeviceId === input.deviceId) {
        throw new CustosError('BAD_INPUT', "The new user registers with their own device, not the proposer's. Connect their Ledger and choose it.");
      }
      const identity = await this.devices.identity(input.newUserDeviceId, header.identityPath);
      const { publicKey: encryptionKey } = await this.devices.encryptionKey(input.newUserDeviceId, header.identityPath);
      const taken = state.users.find((u) => sameAddress(u.identityAddress, identity.address));
      if (taken !== undefined) {
        throw new CustosError('RULE_VIOLATION', `This device is already registered as ${taken.name}; a person counts once. Use the new user's own Ledger.`);
      }
      const user: User = {
        id: this.ids('user'),
        name: input.name,
        roles: orderRoles(input.roles),
        identityAddress: identity.address,
        identityPublicKey: identity.publicKey,
        encryptionKey,
        devicePath: header.identityPath,
        registrationSignature: PLACEHOLDER_SIGNATURE,
      };
      const action: Action = { type: 'add-user', user };
      return {
        action,
        // After the rules accepted the draft: the new user's screen first, then the proposer's.
        beforeProposerSigns: async () => {
          const text = render(registrationStatement(state, seq, user));
          const registrationSignature = await this.sign(input.newUserDeviceId, header.identityPath, text, identity.address);
          return { type: 'add-user', user: { ...user, registrationSignature } };
        },
      };
    });
  }

  proposeRevoke(input: ProposalInputs['users.proposeRevoke'] & Acting): Promise<ProposalView> {
    return this.proposeKind('users.proposeRevoke', input);
  }

  proposeRoles(input: ProposalInputs['users.proposeRoles'] & Acting): Promise<ProposalView> {
    return this.proposeKind('users.proposeRoles', input);
  }

  proposeGroupCreate(input: ProposalInputs['groups.proposeCreate'] & Acting): Promise<ProposalView> {
    return this.proposeKind('groups.proposeCreate', input);
  }

  proposeGroupEdit(input: ProposalInputs['groups.proposeEdit'] & Acting): Promise<ProposalView> {
    return this.proposeKind('groups.proposeEdit', input);
  }

  proposeQuorum(input: ProposalInputs['settings.proposeQuorum'] & Acting): Promise<ProposalView> {
    return this.proposeKind('settings.proposeQuorum', input);
  }

  proposeProposerMayApprove(input: ProposalInputs['settings.proposeProposerMayApprove'] & Acting): Promise<ProposalView> {
    return this.proposeKind('settings.proposeProposerMayApprove', input);
  }

  /**
   * A proposal of `kind`: the input checked before any device is asked, then the action built by proposalAction (the
   * function the previews use too) from the state the proposal is made on.
   */
  private proposeKind<K extends ProposalKind>(kind: K, input: ProposalInputs[K] & Acting): Promise<ProposalView> {
    checkProposalInput(kind, input);
    return this.propose(input.deviceId, DOING[kind], ({ state }) => ({ action: proposalAction(kind, input, state, this.ids) }));
  }

  // ---------------------------------------------------------------------------------------------
  // Wallets: created, refreshed and reshared by proposal; their key ceremonies recorded by main/wallets.

  /** The projected governance state (what the UI reads), for views that need names as well as wallets. */
  readState(): GovernanceState {
    return this.read();
  }

  /** The projected state with the vault's header (its identity path), for previews of what devices will sign. */
  readProjection(): { state: GovernanceState; header: VaultHeader } {
    const projection = this.guard.check().projection;
    if (projection === null) throw noVault();
    return projection;
  }

  /** The log's record count and fingerprint as this console last verified them (null when the last check failed). */
  readonly verifiedHead = (): { count: number; fingerprint: string } | null => {
    const head = this.guard.head();
    return head === null ? null : { count: head.count, fingerprint: head.fingerprint };
  };

  /** When the record at `seq` was made (a view shows dates, not sequence numbers); an arrow so views can take it as is. */
  readonly timeOf = (seq: number): string | null => this.store.records.timeOf(seq);

  /** The wallet from the projections (reads), with the state it belongs to. */
  wallet(walletId: string): { wallet: WalletState; state: GovernanceState; header: VaultHeader } {
    const projection = this.guard.check().projection;
    if (projection === null) throw noVault();
    return { wallet: requireWallet(projection.state, walletId), state: projection.state, header: projection.header };
  }

  /** The wallet as the signed log says, for acting on it (refuses a tampered vault, like every change). */
  walletForChange(walletId: string): { wallet: WalletState; state: GovernanceState; header: VaultHeader } {
    const { state, header } = this.guardForChange();
    return { wallet: requireWallet(state, walletId), state, header };
  }

  /** The sealed shares of the wallet's key in force, one per custodian. */
  sealedShares(walletId: string): SealedShareRow[] {
    const { wallet } = this.walletForChange(walletId);
    if (wallet.key === null) return [];
    return this.store.wallets.shares(walletId, wallet.key.keyVersion);
  }

  proposeWallet(input: ProposalInputs['wallets.proposeCreate'] & Acting): Promise<ProposalView> {
    return this.proposeKind('wallets.proposeCreate', input);
  }

  proposeRefresh(input: ProposalInputs['wallets.proposeRefresh'] & Acting): Promise<ProposalView> {
    return this.proposeKind('wallets.proposeRefresh', input);
  }

  proposeReshare(input: ProposalInputs['wallets.proposeReshare'] & Acting): Promise<ProposalView> {
    return this.proposeKind('wallets.proposeReshare', input);
  }

  /** Proposes a wallet's policy from its JSON document (crypto/policy custos-policy/1), in its canonical form. */
  proposePolicy(input: ProposalInputs['policies.propose'] & Acting): Promise<ProposalView> {
    return this.proposeKind('policies.propose', input);
  }

  /** Proposes a whitelist (new, or replacing the one with its id); a document without an id gets a new one. */
  proposeWhitelist(input: ProposalInputs['whitelists.propose'] & Acting): Promise<ProposalView> {
    return this.proposeKind('whitelists.propose', input);
  }

  /**
   * Records a key ceremony's outcome: the record, the wallet's projection and its sealed shares in one transaction,
   * after replay accepted the record as the ceremony the wallet owes. A crash before the commit leaves the wallet
   * owing the same ceremony (it simply runs again); after it, the new key and shares are both there.
   */
  recordKey(outcome: KeyOutcome): Promise<WalletState> {
    return this.appendKey(outcome, outcome.shares, async ({ statement, attesting, state, header, wallet }) => {
      const attestations = [];
      for (const userId of attesting) {
        const user = state.users.find((u) => u.id === userId) as UserState;
        const deviceId = outcome.attesters.get(userId);
        if (deviceId === undefined) throw new CustosError('DEVICE_NOT_FOUND', `${user.name}'s Ledger must attest the new key of ${wallet.name}; connect it. Nothing was recorded.`);
        outcome.onAttest?.(user.name);
        attestations.push({ userId, signature: await this.signOnDevice(deviceId, header.identityPath, statement, user.identityAddress) });
      }
      return attestations;
    });
  }

  /**
   * Records a key whose custodians attest it on devices elsewhere (their signer nodes, team mode): `attest` gets the
   * unsigned record as the writer placed it and returns every custodian's signature of its key-attestation statement.
   * No sealed share is written here: each stays on its custodian's node. The same append as recordKey; replay verifies
   * every attestation, so a wrong or missing one records nothing.
   */
  recordAttestedKey(outcome: Omit<KeyOutcome, 'shares' | 'attesters' | 'onAttest'> & { attest: (unsigned: Omit<KeyRecord, 'attestations'>, attesting: readonly string[]) => Promise<ReadonlyMap<string, string>> }): Promise<WalletState> {
    return this.appendKey(outcome, null, async ({ unsigned, attesting, wallet, state }) => {
      const signatures = await outcome.attest(unsigned, attesting);
      return attesting.map((userId) => {
        const signature = signatures.get(userId);
        if (signature === undefined) throw new CustosError('DEVICE_NOT_FOUND', `${state.users.find((u) => u.id === userId)?.name ?? userId} did not attest the new key of ${wallet.name}. Nothing was recorded.`);
        return { userId, signature };
      });
    });
  }

  /** The one append of a key record: the rules checked on a draft first, then the attestations, then the record (and the shares, if any). */
  private appendKey(
    outcome: Omit<KeyOutcome, 'shares' | 'attesters' | 'onAttest'>,
    shares: SealedShareRow[] | null,
    attest: (ctx: { unsigned: Omit<KeyRecord, 'attestations'>; statement: Statement; attesting: string[]; state: GovernanceState; header: VaultHeader; wallet: WalletState }) => Promise<KeyRecord['attestations']>,
  ): Promise<WalletState> {
    return this.writer
      .append<KeyRecord>(async ({ state, header, seq, now }) => {
        const unsigned: Omit<KeyRecord, 'attestations'> = {
          type: 'wallet-key',
          seq,
          vaultId: state.vaultId,
          walletId: outcome.walletId,
          proposalId: outcome.proposalId,
          ceremony: outcome.ceremony,
          ceremonyId: outcome.ceremonyId,
          createdAt: now,
          key: outcome.key,
        };
        const wallet0 = requireWallet(state, outcome.walletId);
        const attesting = [...(wallet0.pending?.custodians ?? [])].sort();
        return {
          // Every rule checked before any device is asked to attest.
          draft: { ...unsigned, attestations: attesting.map((userId) => ({ userId, signature: PLACEHOLDER_SIGNATURE })) },
          sign: async (): Promise<KeyRecord> => {
            const statement = keyAttestationStatement(state, wallet0, unsigned, (id) => state.users.find((u) => u.id === id)?.name ?? id);
            return { ...unsigned, attestations: await attest({ unsigned, statement, attesting, state, header, wallet: wallet0 }) };
          },
          alsoWrite: shares === null ? undefined : () => this.store.wallets.replaceShares(outcome.walletId, outcome.key.keyVersion, shares),
          audit: (next, record) => ({
            actor: shares === null ? 'signer-nodes' : 'mpc-host',
            action: `wallet.${outcome.ceremony}`,
            subject: outcome.walletId,
            payload: {
              recordSeq: record.seq,
              walletName: requireWallet(next, outcome.walletId).name,
              proposalId: outcome.proposalId,
              ceremonyId: outcome.ceremonyId,
              keyVersion: outcome.key.keyVersion,
              threshold: outcome.key.threshold,
              custodians: outcome.key.custodians.map((c) => c.userId),
              outputKey: outcome.key.outputKey,
            },
          }),
        };
      })
      .then(({ state }) => requireWallet(state, outcome.walletId));
  }

  /**
   * Appends one transfer record built against the current state (its device signature obtained inside `build`, which
   * checks its draft with preflightTransfer first), after replay accepted it: the same writer every record goes through.
   * Returns the state after it.
   */
  appendTransfer(
    build: (ctx: { state: GovernanceState; header: VaultHeader; seq: number; now: string }) => Promise<{ record: TransferRecord; audit: Omit<AuditDraft, 'at'>; alsoWrite?: () => void }>,
  ): Promise<GovernanceState> {
    return this.writer
      .append(async (ctx) => {
        const built = await build(ctx);
        return { sign: () => Promise.resolve(built.record), audit: () => built.audit, alsoWrite: built.alsoWrite };
      })
      .then(({ state }) => state);
  }

  /** Checks a draft record against every rule before a device is asked to sign it (signatures not checked). */
  preflightTransfer(state: GovernanceState, draft: TransferRecord): void {
    this.writer.check(state, draft);
  }

  /** The active user whose device this is (any role): transfers check roles themselves. */
  async member(deviceId: string, state: GovernanceState, header: VaultHeader): Promise<UserState> {
    const { address, user } = await this.identify(deviceId, state, header);
    const refusal = memberRefusal(state, user, address);
    if (refusal !== null || user === undefined) throw refusal;
    return user;
  }

  /** Asks the device to show and sign a statement; the signature must come from the expected identity. */
  signOnDevice(deviceId: string, path: string, statement: Statement, expectedAddress: string): Promise<string> {
    return this.sign(deviceId, path, render(statement), expectedAddress);
  }

  /**
   * The acting user's device registers their signer node's transport keys (the node shows the same fingerprint on its
   * own screen): from then on, MPC sessions reach that user's share only through that node, sealed to those keys.
   */
  registerNode(input: { nodeId: string; signingKey: string; hpkeKey: string } & Acting): Promise<{ seq: number; userId: string; nodeId: string; keyFingerprint: string }> {
    return this.writer
      .append<NodeKeyRecord>(async ({ state, header, seq, now: createdAt }) => {
        const { address, user } = await this.identify(input.deviceId, state, header);
        if (user === undefined || user.status !== 'active') throw new CustosError('NOT_AUTHORISED', `The device ${address} is no active member of this vault, so it registers no signer node. Nothing was signed.`);
        const unsigned: Omit<NodeKeyRecord, 'signature'> = { type: 'node-key', seq, vaultId: state.vaultId, userId: user.id, nodeId: input.nodeId, signingKey: input.signingKey, hpkeKey: input.hpkeKey, createdAt };
        const statement = nodeKeyStatement(lookupOf(state), user.name, unsigned);
        return {
          draft: { ...unsigned, signature: PLACEHOLDER_SIGNATURE },
          sign: async (): Promise<NodeKeyRecord> => ({ ...unsigned, signature: await this.signOnDevice(input.deviceId, header.identityPath, statement, user.identityAddress) }),
          audit: (_next, record) => ({
            actor: user.id,
            action: 'node.register',
            subject: record.nodeId,
            payload: { recordSeq: seq, actorName: user.name, nodeId: record.nodeId, keyFingerprint: statement.keyFingerprint },
            deviceSignature: record.signature,
          }),
        };
      })
      .then(({ record }) => ({ seq: record.seq, userId: record.userId, nodeId: record.nodeId, keyFingerprint: nodeKeyFingerprint(record) }));
  }

  approve(input: { proposalId: string } & Acting): Promise<ProposalView> {
    return this.decide('approval', input);
  }

  reject(input: { proposalId: string } & Acting): Promise<ProposalView> {
    return this.decide('rejection', input);
  }

  close(): void {
    this.removeAllListeners();
  }

  // ---------------------------------------------------------------------------------------------
  // The team log (main/team/): the writer publishes and adopts; these only hand it the stream.

  /** Team mode from now on (null: back to the single desk). */
  replicate(replication: LogReplication | null): void {
    this.writer.replicate(replication);
  }

  /** In a team, a key is made and used only by the custodians' signer nodes: the console's MPC host holds no part. */
  inTeam(): boolean {
    return this.writer.inTeam();
  }

  /** Adopts (or refuses, keeping the reason) every stream entry this console has not consumed. */
  teamSync(): Promise<AdoptReport> {
    return this.writer.sync();
  }

  /** Publishes the local records the team stream lacks. */
  teamPush(): Promise<PushReport> {
    return this.writer.push();
  }

  /** Adopts the records of a bundle file (an air-gapped console), each checked like any record. */
  importRecords(bodies: readonly string[], pin: GenesisPin | null): Promise<AdoptReport> {
    return this.writer.adopt(bodies, pin);
  }

  /** The verified log's head (records and fingerprint), or null when the vault is missing or does not verify. */
  logHead(): { count: number; fingerprint: string } | null {
    const check = this.guard.check();
    if (check.report.status !== 'ok') return null;
    const head = this.guard.head();
    return head === null ? null : { count: head.count, fingerprint: head.fingerprint };
  }

  // ---------------------------------------------------------------------------------------------

  private propose(
    deviceId: string,
    doing: string,
    build: (ctx: { state: GovernanceState; header: VaultHeader; seq: number }) =>
      | Promise<{ action: Action; beforeProposerSigns?: () => Promise<Action> }>
      | { action: Action; beforeProposerSigns?: () => Promise<Action> },
  ): Promise<ProposalView> {
    let proposalId = '';
    return this.writer
      .append<ProposalRecord>(async ({ state, header, seq, now: createdAt }) => {
        const actor = await this.actor(deviceId, state, header, doing);
        const built = await build({ state, header, seq });
        proposalId = this.ids('proposal');
        const draft = (action: Action): Omit<ProposalRecord, 'signature'> => ({
          type: 'proposal',
          seq,
          vaultId: state.vaultId,
          proposalId,
          proposerId: actor.id,
          action,
          createdAt,
          // Format 2 changes only what a set-policy statement shows, so only those records carry the mark.
          ...(action.type === 'set-policy' ? { statementFormat: PROPOSAL_STATEMENT_FORMAT } : {}),
        });
        return {
          // Every rule checked before any device is asked to sign.
          draft: { ...draft(built.action), signature: PLACEHOLDER_SIGNATURE },
          sign: async (): Promise<ProposalRecord> => {
            const action = built.beforeProposerSigns === undefined ? built.action : await built.beforeProposerSigns();
            const unsigned = draft(action);
            const signature = await this.sign(deviceId, header.identityPath, render(proposalStatement(lookupOf(state), unsigned)), actor.identityAddress);
            return { ...unsigned, signature };
          },
          audit: (next, record) => {
            const proposal = findProposal(next, proposalId);
            return {
              actor: actor.id,
              action: 'proposal.create',
              subject: proposalId,
              // record.seq, not seq: in a team the record may have moved to a later seq after losing a race.
              payload: { recordSeq: record.seq, actorName: actor.name, title: titleOf(proposal.change), change: toCanonical(proposal.change), digest: proposal.digest, settled: settled(next, record.seq) },
              deviceSignature: record.signature,
            };
          },
        };
      })
      .then(({ state }) => proposalView(findProposal(state, proposalId), state));
  }

  private decide(type: 'approval' | 'rejection', input: { proposalId: string } & Acting): Promise<ProposalView> {
    return this.writer
      .append<DecisionRecord>(async ({ state, header, seq }) => {
        const proposal = state.proposals.find((p) => p.id === input.proposalId);
        if (proposal === undefined) throw new CustosError('NOT_FOUND', `There is no proposal ${input.proposalId} in this vault. List the proposals to find its id.`);
        const { address, user: actor } = await this.identify(input.deviceId, state, header);
        const refusal = proposalDecisionRefusal(state, proposal, actor, address, type === 'approval' ? 'approve' : 'reject');
        if (refusal !== null || actor === undefined) throw refusal;
        const unsigned = { type, seq, vaultId: state.vaultId, proposalId: proposal.id } as const;
        return {
          draft: { ...unsigned, userId: actor.id, signature: PLACEHOLDER_SIGNATURE },
          sign: async (): Promise<DecisionRecord> => {
            const signature = await this.sign(input.deviceId, header.identityPath, render(decisionStatement(lookupOf(state), unsigned)), actor.identityAddress);
            return { ...unsigned, userId: actor.id, signature };
          },
          audit: (next, record) => {
            const after = findProposal(next, proposal.id);
            return {
              actor: actor.id,
              action: type === 'approval' ? 'proposal.approve' : 'proposal.reject',
              subject: proposal.id,
              payload: { recordSeq: record.seq, actorName: actor.name, title: titleOf(after.change), digest: after.digest, status: after.status, settled: settled(next, record.seq) },
              deviceSignature: record.signature,
            };
          },
        };
      })
      .then(({ state }) => proposalView(findProposal(state, input.proposalId), state));
  }

  /** The replayed state, if the store agrees with it and the audit chain holds; else the vault refuses to act. */
  private guardForChange(): { state: GovernanceState; header: VaultHeader; check: IntegrityCheck } {
    return this.writer.verified();
  }

  /** Reads go to the projections, whatever their integrity (the status says whether to trust them). */
  private read(): GovernanceState {
    const projection = this.guard.check().projection;
    if (projection === null) throw noVault();
    return projection.state;
  }

  /** The active administrator whose device this is. */
  private async actor(deviceId: string, state: GovernanceState, header: VaultHeader, doing: string): Promise<UserState> {
    const { address, user } = await this.identify(deviceId, state, header);
    const refusal = administratorRefusal(state, user, address, doing);
    if (refusal !== null || user === undefined) throw refusal;
    return user;
  }

  /** The device's identity address and the member it is in `state` (undefined: none). */
  async identify(deviceId: string, state: GovernanceState, header: VaultHeader): Promise<{ address: string; user: UserState | undefined }> {
    const { address } = await this.devices.identity(deviceId, header.identityPath);
    return { address, user: state.users.find((u) => sameAddress(u.identityAddress, address)) };
  }

  /** Asks the device to show and sign `text`; the signature must come from the expected identity. */
  private async sign(deviceId: string, path: string, text: string, expectedAddress: string): Promise<string> {
    const signed = await this.devices.signStatement(deviceId, path, text);
    if (!sameAddress(signed.address, expectedAddress)) {
      throw new CustosError('DEVICE_BAD_RESPONSE', 'A different device signed than the one that was identified. Nothing was recorded; try again with one device.');
    }
    return signed.signature;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

function render(statement: Statement): string {
  try {
    return renderStatement(statement);
  } catch (err) {
    if (err instanceof StatementError) throw new CustosError('BAD_INPUT', `This cannot be shown faithfully on a device: ${err.message}. Nothing was signed.`);
    throw err;
  }
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function findProposal(state: GovernanceState, id: string): ProposalState {
  const p = state.proposals.find((x) => x.id === id);
  if (p === undefined) throw new Error(`proposal ${id} missing after replay`);
  return p;
}

/** Proposals the record closed (approved and applied, rejected, cancelled, failed): the audit entry names them. */
function settled(state: GovernanceState, seq: number): CanonicalValue {
  return state.proposals
    .filter((p) => p.closedAtSeq === seq)
    .map((p) => ({ proposalId: p.id, status: p.status, title: titleOf(p.change), ...(p.reason === undefined ? {} : { reason: p.reason }) }));
}

function toCanonical(value: unknown): CanonicalValue {
  return JSON.parse(canonicalize(value)) as CanonicalValue;
}

function noVault(): CustosError {
  return new CustosError('VAULT_NOT_FOUND', 'There is no vault in this data folder yet. Create one, or open the folder that holds it.');
}
