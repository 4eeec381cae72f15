// The generated vault's years of transfers, written to the store directly in batches: each record built and signed as
// the transfer service builds it (same draft, statement, audit entry, projection row and coins), with the devices' own
// keys and the wallet's shares in this process instead of USB and the MPC host.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { appendEntry, type AuditDraft, type AuditEntry } from '../../../crypto/audit-chain';
import { buildSend, insertTaprootSignatures } from '../../../crypto/bitcoin';
import { canonicalize } from '../../../crypto/canonical';
import type { GovernanceState, TransferRecord, TransferState, UserState, WalletState } from '../../../crypto/governance';
import type { GroupKey } from '../../../crypto/frost/types';
import { groupKeyOf } from '../../../crypto/governance/wallet-key';
import { transferStatement } from '../../../crypto/transfers/statements';
import { deriveChildKey, type ChildKey } from '../../../crypto/frost/hd';
import { parseWalletPath } from '../../../crypto/transfers/transaction';
import type { Store } from '../../../main/store';
import { extendFingerprint, logHeadFile, writeLogHead } from '../../../main/store/log-head';
import { outpointsOf } from '../../../main/transfers/coins';
import { requestDraft } from '../../../main/transfers/service';
import { writeProjection } from '../../../main/vault/projection';
import { signStatement } from './device-keys';
import { SMALL_MAX_SATS } from './prefix';
import type { WalletSigner } from './wallet-signer';

export interface TransferPlan {
  store: Store;
  /** The replayed state after the governance prefix (users, groups, wallet, policy). */
  state: GovernanceState;
  identityPath: string;
  walletId: string;
  /** Identity secret by user id. */
  keys: ReadonlyMap<string, Uint8Array>;
  signer: WalletSigner;
  /** User ids: who requests, who approves small and large transfers, who may cancel besides the initiator. */
  operators: string[];
  approvers: string[];
  treasurers: string[];
  administrators: string[];
  exchanges: string[];
  destinations: string[];
  seed: string;
  /** ms since the epoch of the first transfer record, and between two records (on average). */
  startAt: number;
  stepMs: number;
  progress?: (written: number) => void;
}

/** What a request goes through: its records after the request, in order. */
type Step = { kind: 'approve' | 'reject'; by: 'approver' | 'treasurer' } | { kind: 'cancel'; by: 'initiator' | 'administrator' } | { kind: 'sign' };
const SCRIPTS: { weight: number; large: boolean; steps: Step[] }[] = [
  { weight: 42, large: false, steps: [{ kind: 'approve', by: 'approver' }, { kind: 'sign' }] },
  { weight: 16, large: true, steps: [{ kind: 'approve', by: 'treasurer' }, { kind: 'approve', by: 'treasurer' }, { kind: 'sign' }] },
  { weight: 16, large: false, steps: [{ kind: 'reject', by: 'approver' }] },
  { weight: 14, large: false, steps: [{ kind: 'cancel', by: 'initiator' }] },
  { weight: 6, large: true, steps: [{ kind: 'approve', by: 'treasurer' }, { kind: 'reject', by: 'treasurer' }] },
  { weight: 6, large: false, steps: [{ kind: 'approve', by: 'approver' }, { kind: 'cancel', by: 'administrator' }] },
];
/** Requests in flight at once: their records interleave in the log as a busy desk's do. */
const IN_FLIGHT = 6;
const BATCH = 1000;
const FEE_RATE = 3n;
/** Coins arrive on this many receive addresses (an exchange's deposits to a few known addresses). */
const RECEIVE_PATHS = 32;

type Coin = { txid: string; vout: number; amount: bigint; path: string };
type Open = { id: string; initiator: string; coin: Coin; steps: Step[]; deciders: Set<string> };

/**
 * Writes `count` transfer records after the prefix, then `pending` small requests that wait for one approval (for the
 * benchmarks to approve). Returns the pending requests' ids.
 */
export function writeTransfers(plan: TransferPlan, count: number, pending: number): string[] {
  const { store, state, walletId } = plan;
  const wallet = state.wallets.find((w) => w.id === walletId) as WalletState;
  if (wallet.key === null) throw new Error('bench vault: the wallet has no key');
  const root = groupKeyOf(wallet.key);
  const users = new Map(state.users.map((u) => [u.id, u]));
  const groupsOf = (userId: string) => state.groups.filter((g) => g.members.includes(userId)).map((g) => g.id).sort();
  const random = seededRandom(`${plan.seed} transfers`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

  const transfers = new Map<string, TransferState>(state.transfers.map((t) => [t.id, t]));
  let seq = state.seq;
  let at = plan.startAt;
  const last = store.records.all();
  let fingerprint = last.reduce((fp, r) => extendFingerprint(fp, r.seq, r.body), '0'.repeat(64));
  let auditHead: AuditEntry | null = store.audit.last();
  let funded = 0;
  const freeCoins: Coin[] = [];

  // A batch: what one transaction writes.
  let records: { record: TransferRecord; at: string; body: string }[] = [];
  let entries: AuditEntry[] = [];
  let before = new Map<string, TransferState | undefined>();
  let coinsAdded: { txid: string; vout: number; amount: string; path: string; label: string; recordedAt: string }[] = [];
  let coinsSpent: { psbt: string; requestId: string }[] = [];
  const flush = () => {
    if (records.length === 0) return;
    const touched = [...before.keys()];
    const next = { ...state, seq, transfers: touched.map((id) => transfers.get(id) as TransferState).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
    // Transfer records change their transfers only: the same rows the log writer would write for them.
    const changes = { seq, users: [], groups: [], proposals: [], wallets: [], policies: [], whitelists: [], transfers: touched, settings: false, founding: false };
    store.transaction(() => {
      for (const c of coinsAdded) store.transfers.addUtxo({ walletId, ...c });
      for (const r of records) store.records.append(r.record, r.at);
      writeProjection(store, next, plan.identityPath, changes);
      for (const s of coinsSpent) store.transfers.markSpent(outpointsOf(s.psbt), s.requestId);
      for (const e of entries) store.audit.append(e);
    });
    writeLogHead(logHeadFile(store.file), { count: seq + 1, fingerprint });
    plan.progress?.(records.length);
    records = [];
    entries = [];
    before = new Map();
    coinsAdded = [];
    coinsSpent = [];
  };
  const append = (record: TransferRecord, audit: Omit<AuditDraft, 'at'>, after: TransferState) => {
    const time = new Date(at).toISOString();
    const body = canonicalize(record);
    fingerprint = extendFingerprint(fingerprint, record.seq, body);
    records.push({ record, at: time, body });
    auditHead = appendEntry(auditHead, { at: time, ...audit });
    entries.push(auditHead);
    if (!before.has(after.id)) before.set(after.id, transfers.get(after.id));
    transfers.set(after.id, after);
    if (records.length === BATCH) flush();
  };
  const tick = () => {
    seq += 1;
    at += Math.max(1000, Math.round(plan.stepMs * (0.5 + random())));
    return { seq, now: new Date(at).toISOString() };
  };
  // deriveChildKey costs milliseconds: each path is derived once (receive coins reuse a few paths, a change path is
  // derived when its request is made and again when its coin is spent).
  const children = new Map<string, ChildKey>();
  const childAt = (path: string) => {
    let k = children.get(path);
    if (k === undefined) children.set(path, (k = deriveChildKey(root, parseWalletPath(path) as number[])));
    return k;
  };
  const keyAt = (path: string): GroupKey => childAt(path).groupKey;
  const coinFor = (amount: bigint): Coin => {
    const i = freeCoins.findIndex((c) => c.amount >= amount + 100_000n);
    if (i >= 0) return freeCoins.splice(i, 1)[0] as Coin;
    const coin = { txid: bytesToHex(sha256(utf8ToBytes(`${plan.seed} coin ${funded}`))), vout: funded % 4, amount: 200_000_000n, path: `0/${funded % RECEIVE_PATHS}` };
    funded += 1;
    coinsAdded.push({ txid: coin.txid, vout: coin.vout, amount: coin.amount.toString(), path: coin.path, label: 'made-up regtest prevout', recordedAt: new Date(at).toISOString() });
    return coin;
  };
  const sign = (userId: string, statement: Parameters<typeof signStatement>[1]) => signStatement(plan.keys.get(userId) as Uint8Array, statement);
  const nameOf = (userId: string) => (users.get(userId) as UserState).name;

  const request = (large: boolean): Open => {
    const { seq, now } = tick();
    const initiator = pick(plan.operators);
    const amount = large ? SMALL_MAX_SATS + 1n + BigInt(Math.floor(random() * 40_000_000)) : 1000n + BigInt(Math.floor(random() * Number(SMALL_MAX_SATS - 1000n)));
    const destination = large ? pick(plan.exchanges) : pick(plan.destinations);
    const coin = coinFor(amount);
    // As TransferService.requestTransaction builds it: change to 1/<requests of the wallet so far>.
    const changePath = `1/${transfers.size}`;
    const change = keyAt(changePath);
    const built = buildSend({
      utxos: [{ txid: coin.txid, vout: coin.vout, amount: coin.amount, internalKey: keyAt(coin.path).internalKey, outputKey: keyAt(coin.path).outputKey }],
      payments: [{ address: destination, amount }],
      change: { internalKey: change.internalKey, outputKey: change.outputKey },
      feeRate: FEE_RATE,
      network: wallet.network,
    });
    const facts = { psbt: built.psbt, inputPaths: [coin.path], changePath: built.changeAmount > 0n ? changePath : null, destination, amount: amount.toString(), fee: built.fee };
    const requestId = `R-${transfers.size + 1}`;
    const draft = requestDraft(state, wallet, facts, (p) => keyAt(p).outputKey, { seq, requestId, initiatorId: initiator, createdAt: now });
    const signature = sign(initiator, transferStatement(state, wallet.name, 'transfer-request', seq, draft));
    const record = { ...draft, signature };
    append(
      record,
      {
        actor: initiator,
        action: 'transfer.request',
        subject: requestId,
        payload: { recordSeq: seq, actorName: nameOf(initiator), walletId, destination, amount: facts.amount, fee: draft.fee, policyVersion: draft.policyVersion },
        deviceSignature: signature,
      },
      { id: requestId, seq, request: record, approvals: [], rejections: [], signed: null, cancelled: null },
    );
    return { id: requestId, initiator, coin, steps: [], deciders: new Set() };
  };

  const advance = (o: Open, step: Step) => {
    const t = transfers.get(o.id) as TransferState;
    const { seq, now } = tick();
    if (step.kind === 'sign') return signed(o, t, seq, now);
    const pool = step.kind === 'cancel' ? (step.by === 'initiator' ? [o.initiator] : plan.administrators) : step.by === 'approver' ? plan.approvers : plan.treasurers;
    const userId = pick(pool.filter((u) => !o.deciders.has(u)));
    o.deciders.add(userId);
    const type = step.kind === 'approve' ? 'transfer-approval' : step.kind === 'reject' ? 'transfer-rejection' : 'transfer-cancel';
    const signature = sign(userId, transferStatement(state, wallet.name, type, seq, t.request));
    const record = { type, seq, vaultId: state.vaultId, requestId: o.id, userId, at: now, signature } as const;
    const decision = { userId, seq, at: now, groups: groupsOf(userId) };
    const after: TransferState =
      type === 'transfer-approval' ? { ...t, approvals: [...t.approvals, decision] }
      : type === 'transfer-rejection' ? { ...t, rejections: [...t.rejections, decision] }
      : { ...t, cancelled: { userId, seq, at: now } };
    const action = type === 'transfer-approval' ? 'transfer.approve' : type === 'transfer-rejection' ? 'transfer.reject' : 'transfer.cancel';
    append(record, { actor: userId, action, subject: o.id, payload: { recordSeq: seq, actorName: nameOf(userId) }, deviceSignature: signature }, after);
    // A request that did not go through frees its coin for the next one.
    if (step.kind !== 'approve') freeCoins.push(o.coin);
  };

  const signed = (o: Open, t: TransferState, seq: number, now: string) => {
    const r = t.request;
    const keys = r.inputPaths.map((p) => keyAt(p).outputKey);
    const messages = r.sighashes.map((h) => hexToBytes(h));
    const signatures = r.inputPaths.map((p, index) => ({ index, signature: plan.signer.sign(`c-bench-${seq}`, childAt(p), [messages[index] as Uint8Array])[0] as Uint8Array }));
    const out = insertTaprootSignatures(base64.decode(r.psbt), signatures, keys);
    if (out.tx === null || out.txid === null) throw new Error(`bench vault: request ${o.id} is not fully signed`);
    const tx = bytesToHex(out.tx);
    const ruleId = BigInt(r.amount) > SMALL_MAX_SATS ? 'large' : 'small';
    const record = { type: 'transfer-signed', seq, vaultId: state.vaultId, requestId: o.id, ruleId, txid: out.txid, tx, at: now } as const;
    append(record, { actor: 'mpc-host', action: 'transfer.signed', subject: o.id, payload: { recordSeq: seq, txid: out.txid, ruleId } }, { ...t, signed: { seq, ruleId, txid: out.txid, tx, at: now } });
    coinsSpent.push({ psbt: r.psbt, requestId: o.id });
    if (r.changePath !== null) {
      const script = '5120' + bytesToHex(keyAt(r.changePath).outputKey);
      const signedTx = Transaction.fromRaw(out.tx, { allowUnknownOutputs: true });
      for (let vout = 0; vout < signedTx.outputsLength; vout++) {
        const output = signedTx.getOutput(vout);
        if (output.script === undefined || output.amount === undefined || bytesToHex(output.script) !== script) continue;
        coinsAdded.push({ txid: out.txid, vout, amount: output.amount.toString(), path: r.changePath, label: `change of ${o.id}`, recordedAt: now });
        freeCoins.push({ txid: out.txid, vout, amount: output.amount, path: r.changePath });
      }
    }
  };

  const total = SCRIPTS.reduce((s, x) => s + x.weight, 0);
  const inFlight: Open[] = [];
  let written = 0;
  while (written < count) {
    if (inFlight.length < IN_FLIGHT || random() < 0.15) {
      let w = random() * total;
      const script = SCRIPTS.find((s) => (w -= s.weight) < 0) ?? (SCRIPTS[0] as (typeof SCRIPTS)[0]);
      const o = request(script.large);
      o.steps = [...script.steps];
      inFlight.push(o);
    } else {
      const i = Math.floor(random() * inFlight.length);
      const o = inFlight[i] as Open;
      advance(o, o.steps.shift() as Step);
      if (o.steps.length === 0) inFlight.splice(i, 1);
    }
    written += 1;
  }
  const waiting: string[] = [];
  for (let i = 0; i < pending; i++) waiting.push(request(false).id);
  flush();
  return waiting;
}

/** A small seeded generator (mulberry32 over sha256 of the seed): the same seed, the same vault shape. */
export function seededRandom(seed: string): () => number {
  let a = new DataView(sha256(utf8ToBytes(seed)).buffer).getUint32(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
