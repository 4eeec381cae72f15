// Transfers under policy: an operator requests the exact transaction on their device, approvers approve or reject on
// theirs, and signing goes to the MPC host, which checks the whole evidence itself before any share signs.
import { EventEmitter } from 'node:events';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import type { AuditDraft } from '../../crypto/audit-chain';
import { addressProblem, buildSend, insertTaprootSignatures, taprootSighashes } from '../../crypto/bitcoin';
import { findSorted, PLACEHOLDER_SIGNATURE, type GovernanceState, type TransferRequestRecord, type TransferState, type UserState, type WalletState } from '../../crypto/governance';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { PolicyError, simulate, validatePolicy, validateWhitelist, type Decision, type SignedTransfer } from '../../crypto/policy';
import { signedHistory, transferDecision } from '../../crypto/transfers/decision';
import { transferStatement } from '../../crypto/transfers/statements';
import { parseWalletPath, walletKeyAt, walletOutputKeyAt } from '../../crypto/transfers/transaction';
import { formatBtc } from '../../crypto/amounts';
import type { BalancesView, EventPayloads, PolicyView, PsbtPreviewView, SimulationView, TransferView, UtxoView, WalletFundsView, WhitelistView } from '../../preload/contract';
import type { DeviceManager } from '../devices/manager';
import { CustosError, fieldError } from '../errors';
import type { Store, UtxoRow, VaultHeader } from '../store';
import { randomIds, type IdGenerator } from '../vault/ids';
import type { VaultService } from '../vault/service';
import type { MpcHostClient } from '../mpc/client';
import type { TeamNodes } from '../signer/team-nodes';
import { ensureAnchored } from '../wallets/host-anchor';
import { signingCustodians, signingShares } from '../wallets/signing-shares';
import { storeLog } from '../wallets/store-log';
import { balanceHistory, networkTotals, velocityInForce, walletBalance } from './balances';
import { freeCoins, heldCoins, outpointsOf, selectCoins } from './coins';
import { describePsbt, psbtRequest, readPsbt, type RequestTransaction } from './psbt-import';
import { transferView, withNames } from './views';
import { cancelRefusal, requestRefusal, signRefusal, transferDecisionRefusal } from './permissions';

export interface TransferServiceOptions {
  vault: VaultService;
  store: Store;
  devices: DeviceManager;
  host: MpcHostClient;
  /** In a team, the custodians' signer nodes: the one way a request is signed there. */
  nodes?: TeamNodes;
  clock?: () => Date;
  ids?: IdGenerator;
}

export class TransferService extends EventEmitter<{ progress: [EventPayloads['transfers.progress']] }> {
  private readonly vault: VaultService;
  private readonly store: Store;
  private readonly devices: DeviceManager;
  private readonly host: MpcHostClient;
  private readonly nodes: TeamNodes | null;
  private readonly clock: () => Date;
  private readonly ids: IdGenerator;
  /** Final PSBTs of signed requests, by request id (they never change). */
  private readonly finals = new Map<string, string>();

  constructor(options: TransferServiceOptions) {
    super();
    this.vault = options.vault;
    this.store = options.store;
    this.devices = options.devices;
    this.host = options.host;
    this.nodes = options.nodes ?? null;
    this.clock = options.clock ?? (() => new Date());
    this.ids = options.ids ?? randomIds;
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  list(filter: { walletId?: string; offset: number; limit: number }): { total: number; transfers: TransferView[] } {
    const state = this.vault.readState();
    const { total, transfers } = this.store.transfers.page(filter);
    // One pass over the signed history per wallet on the page, not one per row: a page costs the same at any history.
    const histories = new Map<string, SignedTransfer[]>();
    const historyOf = (walletId: string) => histories.get(walletId) ?? histories.set(walletId, recentHistory(state, walletId, this.now())).get(walletId)!;
    return { total, transfers: transfers.map((t) => this.view(state, t, historyOf(t.request.walletId), false)) };
  }

  /** Every request not yet signed nor cancelled, whatever its number: what may still wait for someone. */
  unsettled(): TransferView[] {
    const state = this.vault.readState();
    return state.transfers.filter((t) => t.signed === null && t.cancelled === null).map((t) => this.view(state, t));
  }

  get(requestId: string): TransferView {
    const state = this.vault.readState();
    return this.view(state, requireTransfer(state, requestId));
  }

  /** The service's clock, ms since the epoch: delays and refreshes are counted against it. */
  now(): number {
    return this.clock().getTime();
  }

  decision(state: GovernanceState, t: TransferState, history: readonly SignedTransfer[] = signedHistory(state, t.request.walletId)): Decision {
    return transferDecision(state, t, { now: this.clock().getTime(), history });
  }

  policy(walletId: string): PolicyView | null {
    const p = this.vault.readState().policies.find((x) => x.walletId === walletId);
    return p === undefined ? null : { walletId, version: p.version, hash: p.hash, document: JSON.stringify(p.document, null, 2), adoptedAtSeq: p.adoptedAtSeq, adoptedAt: this.vault.timeOf(p.adoptedAtSeq) };
  }

  whitelists(): WhitelistView[] {
    return this.vault.readState().whitelists.map((w) => {
      const list = validateWhitelist(w.document);
      return { id: list.id, name: list.name, network: list.network, hash: w.hash, entries: list.entries.map((e) => ({ ...e })), changedAtSeq: w.changedAtSeq, changedAt: this.vault.timeOf(w.changedAtSeq) };
    });
  }

  utxos(walletId: string): UtxoView[] {
    this.vault.wallet(walletId);
    const state = this.vault.readState();
    const held = heldCoins(state, walletId, (t) => this.isOpen(state, t));
    return this.store.transfers.utxos(walletId).map(({ walletId: _w, ...u }) => ({ ...u, heldBy: u.spentBy === null ? (held.get(`${u.txid}:${u.vout}`) ?? null) : null }));
  }

  /** Every wallet's balance, held and free, and the vault's total per network. */
  balances(): BalancesView {
    const state = this.vault.readState();
    const wallets = state.wallets.map((w) => this.balanceOf(state, w.id, w.network));
    return { wallets, totals: networkTotals(wallets) };
  }

  /** One wallet's balance, the velocity its policy in force has used in each window now, and its balance over time. */
  balance(walletId: string): WalletFundsView {
    const { wallet, state } = this.vault.wallet(walletId);
    const now = this.clock();
    const { policy, velocity } = velocityInForce(state, walletId, now.getTime());
    const history = balanceHistory(state, walletId, this.store.transfers.utxos(walletId), wallet.keySince?.at ?? state.createdAt);
    return { balance: this.balanceOf(state, walletId, wallet.network), policy, velocity, history, asOf: now.toISOString() };
  }

  private balanceOf(state: GovernanceState, walletId: string, network: WalletFundsView['balance']['network']) {
    return walletBalance(walletId, network, this.store.transfers.utxos(walletId), heldCoins(state, walletId, (t) => this.isOpen(state, t)));
  }

  /** An unsigned request still holds its coins while it may yet be signed: pending, or allowed. */
  private isOpen(state: GovernanceState, t: TransferState): boolean {
    const outcome = this.decision(state, t).outcome;
    return outcome === 'pending' || outcome === 'allowed';
  }

  /** Records a coin of the wallet (chain knowledge, not governance): its output must pay the wallet's key at `path`. */
  fund(input: { walletId: string; txid: string; vout: number; amount: string; path: string; label: string }): UtxoView[] {
    const { wallet } = this.vault.wallet(input.walletId);
    if (wallet.key === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key yet: run its key ceremony first.`);
    if (parseWalletPath(input.path) === null) throw new CustosError('BAD_INPUT', `"${input.path}" is not a wallet path (like 0/5).`);
    if (this.store.transfers.utxos(input.walletId).some((u) => u.txid === input.txid && u.vout === input.vout)) {
      throw new CustosError('RULE_VIOLATION', `The coin ${input.txid}:${input.vout} is already recorded.`);
    }
    this.store.transfers.addUtxo({ walletId: input.walletId, txid: input.txid, vout: input.vout, amount: input.amount, path: input.path, label: input.label, recordedAt: this.clock().toISOString() });
    return this.utxos(input.walletId);
  }

  /** The wallet's past requests replayed under a draft policy, next to what the policy in force decided. */
  simulate(walletId: string, document: string): SimulationView {
    const state = this.vault.readState();
    const { wallet } = this.vault.wallet(walletId);
    let draft;
    try {
      draft = validatePolicy(JSON.parse(document) as unknown);
    } catch (err) {
      const message = err instanceof PolicyError ? err.message : (err as Error).message;
      throw new CustosError('BAD_INPUT', `The draft policy cannot be used: ${message}.`);
    }
    if (draft.walletId !== walletId) throw new CustosError('BAD_INPUT', `The draft governs wallet ${draft.walletId}, not ${wallet.name}.`);
    const adopted = state.policies.find((p) => p.walletId === walletId);
    const current = adopted === undefined ? { ...draft, rules: [], velocity: [] } : validatePolicy(adopted.document);
    const whitelists = state.whitelists.map((w) => validateWhitelist(w.document));
    const active = new Set(state.users.filter((u) => u.status === 'active').map((u) => u.id));
    const groupsAt = new Map(state.groups.map((g) => [g.id, new Set(g.members.filter((m) => active.has(m)))]));
    const history = signedHistory(state, walletId);
    const cases = state.transfers
      .filter((t) => t.request.walletId === walletId)
      .map((t) => ({
        request: { id: t.id, walletId, initiatorId: t.request.initiatorId, destination: t.request.destination, amount: BigInt(t.request.amount), createdAt: Date.parse(t.request.createdAt) },
        approvals: t.approvals.map((a) => ({ userId: a.userId, at: Date.parse(a.at) })),
        rejections: t.rejections.map((a) => ({ userId: a.userId, at: Date.parse(a.at) })),
        groupsAt,
        history,
        now: t.signed === null ? this.clock().getTime() : Date.parse(t.signed.at),
      }));
    const report = simulate({ current, draft, whitelists, cases });
    const names = new Map(state.users.map((u) => [u.id, u.name]));
    // Rules by their names, as the policy that decided names them (the policy in force before, the draft after).
    const describe = (policy: { rules: readonly { id: string; name: string }[] }) => (o: { outcome: string; ruleId: string | null; reason?: string }) => {
      const rule = o.ruleId === null ? null : (policy.rules.find((r) => r.id === o.ruleId)?.name ?? o.ruleId);
      return `${o.outcome}${rule !== null ? ` (rule "${rule}")` : ''}${o.reason ? `: ${withNames(o.reason, names)}` : ''}`;
    };
    const [before, after] = [describe(current), describe(draft)];
    return {
      results: report.results.map((r) => ({ requestId: r.requestId, before: before(r.before), after: after(r.after), changed: r.changed })),
      counts: report.counts,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Requests and decisions

  async create(input: { walletId: string; destination: string; amount: string; feeRate: number; deviceId: string }): Promise<TransferView> {
    let requestId = '';
    // The destination is checked before any device is asked: a wrong address is the person's to fix, in place.
    const destinationProblem = addressProblem(input.destination, this.vault.wallet(input.walletId).wallet.network);
    if (destinationProblem !== null) throw fieldError('destination', 'BAD_INPUT', `${capitalise(destinationProblem)}.`);
    const next = await this.vault.appendTransfer(async ({ state, header, seq, now }) => {
      const { initiator, wallet, root } = await this.requester(input.deviceId, input.walletId, state, header);
      const facts = this.requestTransaction(state, wallet, root, input);
      requestId = `R-${state.transfers.length + 1}`;
      return this.requestRecord({ state, header, seq, now }, input.deviceId, initiator, wallet.name, wallet.id, requestId, facts, (p) => walletOutputKeyAt(root, p));
    });
    return this.view(next, requireTransfer(next, requestId));
  }

  /**
   * The exact transaction a request of `amount` to `destination` would carry: the wallet's free coins selected, change
   * back to the wallet, the fee from the rate. Creating a request and previewing its statement both build it here.
   */
  requestTransaction(
    state: GovernanceState,
    wallet: WalletState,
    root: ReturnType<typeof groupKeyOf>,
    input: { destination: string; amount: string; feeRate: number },
  ): RequestTransaction {
    const policy = state.policies.find((p) => p.walletId === wallet.id);
    if (policy === undefined) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no policy: administrators adopt one before anything can be requested.`);
    const keyAt = (path: string) => walletKeyAt(root, path);
    const known = this.store.transfers.utxos(wallet.id);
    const held = heldCoins(state, wallet.id, (t) => this.isOpen(state, t));
    const free = freeCoins(known, held);
    const amount = BigInt(input.amount);
    const coins = selectCoins(free, amount, BigInt(input.feeRate));
    const freeTotal = free.reduce((sum, c) => sum + BigInt(c.amount), 0n);
    if (amount < DUST_SATS) throw fieldError('amount', 'BAD_INPUT', `${formatBtc(amount)} is below the dust limit: Bitcoin nodes do not relay a payment under ${formatBtc(DUST_SATS)}.`);
    if (coins.length === 0 || freeTotal < amount) throw fieldError('amount', 'RULE_VIOLATION', notEnoughFree(wallet.name, amount, freeTotal, known, held));
    const changePath = `1/${state.transfers.filter((t) => t.request.walletId === wallet.id).length}`;
    const change = keyAt(changePath);
    let built;
    try {
      built = buildSend({
        utxos: coins.map((c) => ({ txid: c.txid, vout: c.vout, amount: BigInt(c.amount), internalKey: keyAt(c.path).internalKey, outputKey: keyAt(c.path).outputKey })),
        payments: [{ address: input.destination, amount }],
        change: { internalKey: change.internalKey, outputKey: change.outputKey },
        feeRate: BigInt(input.feeRate),
        network: wallet.network,
      });
    } catch (err) {
      throw buildProblem(err, wallet.name, amount, BigInt(input.feeRate), freeTotal);
    }
    return {
      psbt: built.psbt,
      inputPaths: coins.map((c) => c.path),
      changePath: built.changeAmount > 0n ? changePath : null,
      destination: input.destination,
      amount: input.amount,
      fee: built.fee,
    };
  }

  /**
   * A request from a PSBT made elsewhere (a coordinator, Sparrow): it must spend only this wallet's coins (its key or its
   * first 100 receive and change addresses) by key path, pay one destination, and send any change back to the wallet.
   */
  async importPsbt(input: { walletId: string; psbt: string; deviceId: string }): Promise<TransferView> {
    let requestId = '';
    const next = await this.vault.appendTransfer(async ({ state, header, seq, now }) => {
      const { initiator, wallet, root } = await this.requester(input.deviceId, input.walletId, state, header);
      const facts = psbtRequest(input.psbt, root, wallet);
      requestId = `R-${state.transfers.length + 1}`;
      return this.requestRecord({ state, header, seq, now }, input.deviceId, initiator, wallet.name, wallet.id, requestId, facts, (path) => walletOutputKeyAt(root, path));
    });
    return this.view(next, requireTransfer(next, requestId));
  }

  /**
   * What a PSBT would become as a request of the wallet, read with the same rules as importPsbt (readPsbt) but creating
   * nothing and asking no device: its inputs with their wallet paths, the payment, the change, the fee, and every
   * reason it cannot become a request, in plain words.
   */
  previewPsbt(walletId: string, psbt: string): PsbtPreviewView {
    const state = this.vault.readState();
    const { wallet } = this.vault.wallet(walletId);
    const policy = state.policies.find((p) => p.walletId === walletId);
    const empty: PsbtPreviewView = {
      wallet: { id: wallet.id, name: wallet.name },
      network: wallet.network,
      inputs: [],
      outputs: [],
      payment: null,
      change: null,
      fee: null,
      problems: [],
      existing: null,
      policy: policy === undefined ? null : { version: policy.version, hash: policy.hash },
    };
    if (wallet.key === null) return { ...empty, problems: [`The wallet ${wallet.name} has no key yet: run its key ceremony first.`] };
    const root = groupKeyOf(wallet.key);
    let bytes: Uint8Array;
    let described: ReturnType<typeof describePsbt>;
    try {
      bytes = base64.decode(psbt);
      described = describePsbt(bytes, root, wallet.network);
    } catch (err) {
      return { ...empty, problems: [`This is not a PSBT (BIP-174) that can be read: ${(err as Error).message}.`] };
    }
    const problems: string[] = [];
    let facts: RequestTransaction | null = null;
    try {
      facts = readPsbt(bytes, root, wallet.network);
    } catch (err) {
      problems.push(`This PSBT cannot become a request of ${wallet.name}: ${(err as Error).message}.`);
    }
    if (facts !== null) {
      try {
        taprootSighashes(facts.psbt, facts.inputPaths.map((p) => walletOutputKeyAt(root, p)));
      } catch (err) {
        problems.push(`The transaction cannot be signed by ${wallet.name}: ${(err as Error).message}.`);
      }
    }
    if (policy === undefined) problems.push(`The wallet ${wallet.name} has no policy: administrators adopt one before anything can be requested.`);
    if (wallet.pending !== null) problems.push(`The wallet ${wallet.name} owes a ${wallet.pending.ceremony} (proposal ${wallet.pending.proposalId}); nothing can be signed until it is run.`);
    // Coins already spent, or held by another open request, would make a request that can never be signed.
    const known = new Map(this.store.transfers.utxos(walletId).map((u) => [`${u.txid}:${u.vout}`, u]));
    const existing = facts === null ? null : this.requestFor(state, walletId, facts);
    for (const input of described.inputs) {
      const coin = known.get(`${input.txid}:${input.vout}`);
      if (coin?.spentBy != null) problems.push(`Input ${input.index} spends a coin already spent by request ${coin.spentBy}.`);
    }
    const held = heldCoins(state, walletId, (t) => t.id !== existing?.id && this.isOpen(state, t));
    for (const input of described.inputs) {
      const holder = held.get(`${input.txid}:${input.vout}`);
      if (holder !== undefined) problems.push(`Input ${input.index} spends a coin that open request ${holder} already spends.`);
    }
    const changeIndex = facts?.changePath == null ? -1 : described.outputs.findIndex((o) => o.path === facts.changePath);
    const str = (v: bigint | null) => (v === null ? null : v.toString());
    return {
      ...empty,
      inputs: described.inputs.map((i) => ({ index: i.index, txid: i.txid, vout: i.vout, amount: str(i.amount), path: i.path })),
      outputs: described.outputs.map((o) => ({ index: o.index, address: o.address, amount: str(o.amount), role: o.index === changeIndex ? 'change' : facts !== null && o.path === null ? 'payment' : 'other' })),
      payment: facts === null ? null : { destination: facts.destination, amount: facts.amount },
      change: facts === null || facts.changePath === null ? null : { path: facts.changePath, amount: str(described.outputs[changeIndex]?.amount ?? null) ?? '0' },
      fee: facts === null ? null : facts.fee.toString(),
      problems: existing === null ? problems : [],
      existing: existing === null ? null : { id: existing.id, status: this.view(state, existing).status },
    };
  }

  /**
   * The request of the wallet that carries this exact transaction (same sighashes: same coins, amounts and outputs),
   * the latest one not cancelled; null when there is none, or the PSBT cannot be a request of this wallet.
   */
  requestForPsbt(walletId: string, psbt: string): TransferView | null {
    const state = this.vault.readState();
    const { wallet } = this.vault.wallet(walletId);
    if (wallet.key === null) return null;
    let facts: RequestTransaction;
    try {
      facts = readPsbt(base64.decode(psbt), groupKeyOf(wallet.key), wallet.network);
    } catch {
      return null;
    }
    const found = this.requestFor(state, walletId, facts);
    return found === null ? null : this.view(state, found);
  }

  private requestFor(state: GovernanceState, walletId: string, facts: RequestTransaction): TransferState | null {
    const wallet = state.wallets.find((w) => w.id === walletId);
    if (wallet?.key == null) return null;
    const root = groupKeyOf(wallet.key);
    let sighashes: string[];
    try {
      sighashes = taprootSighashes(facts.psbt, facts.inputPaths.map((p) => walletOutputKeyAt(root, p)))
        .sort((a, b) => a.index - b.index)
        .map((s) => bytesToHex(s.sighash));
    } catch {
      return null;
    }
    const same = state.transfers.filter((t) => t.request.walletId === walletId && t.cancelled === null && t.request.sighashes.join() === sighashes.join());
    return same.at(-1) ?? null;
  }

  /** The operator whose device this is, and the wallet (with its key) they request from. */
  private async requester(deviceId: string, walletId: string, state: GovernanceState, header: VaultHeader) {
    const initiator = await this.vault.member(deviceId, state, header);
    const { wallet } = this.vault.walletForChange(walletId);
    const refusal = requestRefusal(state, initiator, wallet);
    if (refusal !== null || wallet.key === null) throw refusal;
    return { initiator, wallet, root: groupKeyOf(wallet.key) };
  }

  /** The request record for an exact transaction, checked by every rule, then signed on the initiator's device. */
  private async requestRecord(
    ctx: { state: GovernanceState; header: { identityPath: string }; seq: number; now: string },
    deviceId: string,
    initiator: UserState,
    walletName: string,
    walletId: string,
    requestId: string,
    facts: RequestTransaction,
    outputKeyAt: (path: string) => Uint8Array,
  ): Promise<{ record: TransferRequestRecord; audit: Omit<AuditDraft, 'at'> }> {
    const { state, header, seq, now } = ctx;
    const draft = requestDraft(state, { id: walletId, name: walletName }, facts, outputKeyAt, { seq, requestId, initiatorId: initiator.id, createdAt: now });
    this.vault.preflightTransfer(state, draft);
    const signature = await this.vault.signOnDevice(deviceId, header.identityPath, transferStatement(state, walletName, 'transfer-request', seq, draft), initiator.identityAddress);
    return {
      record: { ...draft, signature },
      audit: {
        actor: initiator.id,
        action: 'transfer.request',
        subject: requestId,
        payload: { recordSeq: seq, actorName: initiator.name, walletId, destination: facts.destination, amount: facts.amount, fee: draft.fee, policyVersion: draft.policyVersion },
        deviceSignature: signature,
      },
    };
  }

  approve(input: { requestId: string; deviceId: string }): Promise<TransferView> {
    return this.decide('transfer-approval', input);
  }

  reject(input: { requestId: string; deviceId: string }): Promise<TransferView> {
    return this.decide('transfer-rejection', input);
  }

  /** Withdraws a request before it is signed: its initiator or an administrator, on their device. */
  async cancel(input: { requestId: string; deviceId: string }): Promise<TransferView> {
    const next = await this.vault.appendTransfer(async ({ state, header, seq, now }) => {
      const transfer = requireTransfer(state, input.requestId);
      const user = await this.vault.member(input.deviceId, state, header);
      const refusal = cancelRefusal(transfer, user);
      if (refusal !== null) throw refusal;
      const wallet = state.wallets.find((w) => w.id === transfer.request.walletId);
      const draft = { type: 'transfer-cancel', seq, vaultId: state.vaultId, requestId: transfer.id, userId: user.id, at: now, signature: PLACEHOLDER_SIGNATURE } as const;
      this.vault.preflightTransfer(state, draft);
      const signature = await this.vault.signOnDevice(input.deviceId, header.identityPath, transferStatement(state, wallet?.name ?? '?', 'transfer-cancel', seq, transfer.request), user.identityAddress);
      return {
        record: { ...draft, signature },
        audit: { actor: user.id, action: 'transfer.cancel', subject: transfer.id, payload: { recordSeq: seq, actorName: user.name }, deviceSignature: signature },
      };
    });
    return this.view(next, requireTransfer(next, input.requestId));
  }

  private async decide(type: 'transfer-approval' | 'transfer-rejection', input: { requestId: string; deviceId: string }): Promise<TransferView> {
    // An approval or rejection signs nothing, so the signed history it is decided on is also the one after it.
    let history: SignedTransfer[] | undefined;
    const next = await this.vault.appendTransfer(async ({ state, header, seq, now }) => {
      const transfer = requireTransfer(state, input.requestId);
      const user = await this.vault.member(input.deviceId, state, header);
      history = recentHistory(state, transfer.request.walletId, this.now());
      const decision = this.decision(state, transfer, history);
      const refusal = transferDecisionRefusal(state, transfer, decision, user);
      if (refusal !== null) throw refusal;
      const wallet = state.wallets.find((w) => w.id === transfer.request.walletId);
      const draft = { type, seq, vaultId: state.vaultId, requestId: transfer.id, userId: user.id, at: now, signature: PLACEHOLDER_SIGNATURE } as const;
      this.vault.preflightTransfer(state, draft);
      const signature = await this.vault.signOnDevice(input.deviceId, header.identityPath, transferStatement(state, wallet?.name ?? '?', type, seq, transfer.request), user.identityAddress);
      return {
        record: { ...draft, signature },
        audit: {
          actor: user.id,
          action: type === 'transfer-approval' ? 'transfer.approve' : 'transfer.reject',
          subject: transfer.id,
          payload: { recordSeq: seq, actorName: user.name },
          deviceSignature: signature,
        },
      };
    });
    return this.view(next, requireTransfer(next, input.requestId), history);
  }

  // ---------------------------------------------------------------------------------------------
  // Signing

  /**
   * Signs an allowed request, one way per mode. On a single desk: t custodians' devices open their shares, then the MPC
   * host signs; main checks the decision first only to say early and clearly why not, the host checks everything again
   * from the signed log, whatever main says. In a team: t custodians' signer nodes sign (each checks the evidence from
   * its own replica, with its custodian's device) and the console's MPC host takes no part; without a node to
   * coordinate with, nothing is signed.
   */
  async sign(requestId: string, report: (message: string) => void = () => {}): Promise<TransferView> {
    if (this.vault.inTeam()) {
      if (this.nodes === null) throw new CustosError('RULE_VIOLATION', "This console is in a team: its requests are signed by the custodians' signer nodes, and this console was started without a way to reach them. Nothing was signed.");
      return this.nodes.sign(requestId, this, ({ message, node }) => {
        report(message);
        this.emit('progress', { requestId, message, ...(node === null ? {} : { node }) });
      });
    }
    const onProgress = (message: string): void => {
      report(message);
      this.emit('progress', { requestId, message });
    };
    const walletId = requireTransfer(this.vault.readState(), requestId).request.walletId;
    const { state, header } = this.vault.walletForChange(walletId);
    const transfer = requireTransfer(state, requestId);
    const refusal = signRefusal(state, transfer, this.decision(state, transfer), this.clock().getTime());
    if (refusal !== null) throw refusal;
    const wallet = state.wallets.find((w) => w.id === transfer.request.walletId);
    if (wallet?.key === undefined || wallet.key === null) throw new CustosError('RULE_VIOLATION', 'The wallet has no key.');
    const custodians = await signingCustodians({ devices: this.devices, state, identityPath: header.identityPath, wallet });
    await ensureAnchored({ host: this.host, vault: this.vault, store: this.store, state, identityPath: header.identityPath, members: custodians, progress: onProgress });
    const signers = await signingShares({ vault: this.vault, devices: this.devices, state, identityPath: header.identityPath, wallet, transfer, custodians, progress: onProgress });
    try {
      onProgress('MPC host: checking the evidence and every custodian\'s statement, then signing');
      const records = storeLog(this.store, this.vault.verifiedHead);
      const result = await this.host.signTransfer({ ceremonyId: this.ids('ceremony'), requestId, records, signers }, { onProgress: (p) => onProgress(`MPC host: ${p.step}`) });
      return await this.recordSigned(requestId, result);
    } finally {
      for (const s of signers) s.unsealSecret.fill(0);
    }
  }

  /**
   * Records a request as signed with the signatures its signers made (the MPC host's, or signer nodes' through the
   * relay): they go into the request's own PSBT, which must then be complete, and the record is appended through the
   * one writer. The request's spent coins and its change are written with it.
   */
  async recordSigned(requestId: string, result: { ruleId: string; signatures: { index: number; signature: Uint8Array }[] }, actor: 'mpc-host' | 'signer-nodes' = 'mpc-host'): Promise<TransferView> {
    const state = this.vault.readState();
    const transfer = requireTransfer(state, requestId);
    const wallet = state.wallets.find((w) => w.id === transfer.request.walletId);
    if (wallet?.key === undefined || wallet.key === null) throw new CustosError('RULE_VIOLATION', 'The wallet has no key.');
    const key = wallet.key;
    const root = groupKeyOf(key);
    const keys = transfer.request.inputPaths.map((p) => walletOutputKeyAt(root, p));
    const out = insertTaprootSignatures(base64.decode(transfer.request.psbt), result.signatures, keys);
    if (out.tx === null || out.txid === null) throw new CustosError('MPC_PROTOCOL', 'The signers did not sign every input of the request.');
    const tx = bytesToHex(out.tx);
    const txid = out.txid;
    const next = await this.vault.appendTransfer(async ({ seq, state: now, header: _h, now: at }) => ({
      record: { type: 'transfer-signed', seq, vaultId: now.vaultId, requestId, ruleId: result.ruleId, txid, tx, at },
      audit: { actor, action: 'transfer.signed', subject: requestId, payload: { recordSeq: seq, txid, ruleId: result.ruleId } },
      alsoWrite: () => {
        this.store.transfers.markSpent(outpointsOf(transfer.request.psbt), requestId);
        // The change comes back to the wallet: a coin the next request can spend.
        const changePath = transfer.request.changePath;
        if (changePath !== null) {
          const changeKey = walletOutputKeyAt(root, changePath);
          const signedTx = Transaction.fromRaw(out.tx as Uint8Array, { allowUnknownOutputs: true });
          for (let vout = 0; vout < signedTx.outputsLength; vout++) {
            const o = signedTx.getOutput(vout);
            if (o.script !== undefined && o.amount !== undefined && bytesToHex(o.script) === '5120' + bytesToHex(changeKey)) {
              this.store.transfers.addUtxo({ walletId: wallet.id, txid, vout, amount: o.amount.toString(), path: changePath, label: `change of ${requestId}`, recordedAt: at });
            }
          }
        }
      },
    }));
    return this.view(next, requireTransfer(next, requestId));
  }

  private view(state: GovernanceState, t: TransferState, history?: readonly SignedTransfer[], withPsbt = true): TransferView {
    return transferView(state, t, this.decision(state, t, history), t.signed === null || !withPsbt ? null : this.finalPsbt(t));
  }

  /** A signed request's final PSBT never changes: made once (parsing a PSBT is the dearest part of a list row). */
  private finalPsbt(t: TransferState): string {
    let psbt = this.finals.get(t.id);
    if (psbt === undefined) {
      psbt = finalPsbt(t);
      if (this.finals.size >= FINALS_KEPT) this.finals.delete(this.finals.keys().next().value as string);
      this.finals.set(t.id, psbt);
    }
    return psbt;
  }
}

const FINALS_KEPT = 5_000;

/**
 * The wallet's signed transfers that any velocity window of its policy can still see at `now` (and later: a window
 * ends at the decision's own now, never earlier). Older ones count in no window, so leaving them out changes no
 * decision, and a page of requests then costs the same after years of history.
 */
function recentHistory(state: GovernanceState, walletId: string, now: number): SignedTransfer[] {
  const all = signedHistory(state, walletId);
  const adopted = state.policies.find((p) => p.walletId === walletId);
  if (adopted === undefined) return all;
  let policy;
  try {
    policy = validatePolicy(adopted.document);
  } catch {
    return all;
  }
  const windows = [...policy.velocity, ...policy.rules.flatMap((r) => r.velocity)].map((v) => v.windowSeconds);
  if (windows.length === 0) return [];
  const after = now - Math.max(...windows) * 1000;
  return all.filter((t) => t.signedAt > after);
}

/** The request's PSBT with the signed transaction's key-path signatures in it, finalised: the export. */
function finalPsbt(t: TransferState): string {
  const signed = Transaction.fromRaw(hexToBytes((t.signed as { tx: string }).tx), { allowUnknownOutputs: true });
  const psbt = Transaction.fromPSBT(base64.decode(t.request.psbt));
  for (let i = 0; i < psbt.inputsLength; i++) {
    const sig = signed.getInput(i).finalScriptWitness?.[0];
    if (sig !== undefined) psbt.updateInput(i, { finalScriptWitness: [sig] });
  }
  return base64.encode(psbt.toPSBT());
}

function requireTransfer(state: GovernanceState, id: string): TransferState {
  // Replay keeps transfers sorted by id (a binary search); a list read some other way is searched in full.
  const t = findSorted(state.transfers, id) ?? state.transfers.find((x) => x.id === id);
  if (t === undefined) throw new CustosError('NOT_FOUND', `There is no transfer request ${id}. List the transfers to find its id.`);
  return t;
}

/** Whether the user could fill a seat of the matched rule (the initiator only where the rule lets them). */

/** "Only 0.02 BTC is free: 0.25 BTC is held by request R-1": why a request cannot be made, in what a person can act on. */
function notEnoughFree(walletName: string, amount: bigint, freeTotal: bigint, known: readonly UtxoRow[], held: ReadonlyMap<string, string>): string {
  const byRequest = new Map<string, bigint>();
  for (const c of known) {
    const id = c.spentBy === null ? held.get(`${c.txid}:${c.vout}`) : undefined;
    if (id !== undefined) byRequest.set(id, (byRequest.get(id) ?? 0n) + BigInt(c.amount));
  }
  const holders = [...byRequest].map(([id, sats]) => `${formatBtc(sats)} is held by request ${id}`);
  const until = holders.length === 1 ? 'until it is signed, rejected or cancelled' : 'until they are signed, rejected or cancelled';
  const why = holders.length ? `: ${holders.join(', ')} ${until}` : known.length === 0 ? ': record the coins it received first' : '';
  return `${walletName} cannot pay ${formatBtc(amount)}: only ${formatBtc(freeTotal)} is free${why}.`;
}

/** The smallest payment Bitcoin nodes relay to a Taproot output (the builder's own limit). */
const DUST_SATS = 330n;

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** A transaction the builder refused, in words about what the person entered; never the builder's own message. */
function buildProblem(err: unknown, walletName: string, amount: bigint, feeRate: bigint, freeTotal: bigint): CustosError {
  const text = err instanceof Error ? err.message : '';
  if (/insufficient funds/.test(text))
    return fieldError('amount', 'RULE_VIOLATION', `${walletName} cannot pay ${formatBtc(amount)} and its fee at ${feeRate} sat/vB: only ${formatBtc(freeTotal)} is free. Lower the amount or the fee rate.`);
  if (/dust/.test(text)) return fieldError('amount', 'BAD_INPUT', `${formatBtc(amount)} is below the dust limit: Bitcoin nodes do not relay a payment under ${formatBtc(DUST_SATS)}.`);
  return new CustosError('BAD_INPUT', `The transfer cannot be built from ${walletName}'s coins: check the destination and the amount, then try again.`);
}

/**
 * The request record an exact transaction makes, before its initiator's device signs it: the policy in force named by
 * version and hash, and each input's BIP-341 sighash in input order. Requesting and previewing the request's statement
 * both build it here; only the ids and the time differ (a preview's are stand-ins).
 */
export function requestDraft(
  state: GovernanceState,
  wallet: { id: string; name: string },
  facts: RequestTransaction,
  outputKeyAt: (path: string) => Uint8Array,
  ids: { seq: number; requestId: string; initiatorId: string; createdAt: string },
): TransferRequestRecord {
  const policy = state.policies.find((p) => p.walletId === wallet.id);
  if (policy === undefined) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no policy: administrators adopt one before anything can be requested.`);
  let sighashes;
  try {
    sighashes = taprootSighashes(facts.psbt, facts.inputPaths.map(outputKeyAt)).sort((a, b) => a.index - b.index);
  } catch (err) {
    throw new CustosError('BAD_INPUT', `The transaction cannot be signed by ${wallet.name}: ${(err as Error).message}.`);
  }
  return {
    type: 'transfer-request',
    seq: ids.seq,
    vaultId: state.vaultId,
    requestId: ids.requestId,
    walletId: wallet.id,
    initiatorId: ids.initiatorId,
    destination: facts.destination,
    amount: facts.amount,
    fee: facts.fee.toString(),
    psbt: base64.encode(facts.psbt),
    inputPaths: [...facts.inputPaths],
    changePath: facts.changePath,
    sighashes: sighashes.map((s) => bytesToHex(s.sighash)),
    policyVersion: policy.version,
    policyHash: policy.hash,
    createdAt: ids.createdAt,
    signature: PLACEHOLDER_SIGNATURE,
  };
}
