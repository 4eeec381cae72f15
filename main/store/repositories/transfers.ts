// Policies, whitelists and transfers (projections of the signed log), and the wallets' known coins (not in the log).
import type Database from 'better-sqlite3';
import type { PolicyState, TransferState, WhitelistState } from '../../../crypto/governance';
import { fromJson, toJson } from './json';

export interface UtxoRow {
  readonly walletId: string;
  readonly txid: string;
  readonly vout: number;
  /** Sats, decimal. */
  readonly amount: string;
  /** The wallet path the coin pays ("" for the wallet key, "0/3" for receive 3). */
  readonly path: string;
  readonly label: string;
  /** The request that spends it, once signed. */
  readonly spentBy: string | null;
  /** When the console learned of it (ISO); null for coins recorded before the console kept the date. */
  readonly recordedAt: string | null;
}

export interface TransferRepository {
  policies(): PolicyState[];
  savePolicy(p: PolicyState): void;
  whitelists(): WhitelistState[];
  saveWhitelist(w: WhitelistState): void;
  all(): TransferState[];
  save(t: TransferState): void;
  /** Newest first, one page; `walletId` narrows it. */
  page(filter: { walletId?: string; offset: number; limit: number }): { total: number; transfers: TransferState[] };
  get(id: string): TransferState | null;
  utxos(walletId: string): UtxoRow[];
  addUtxo(u: Omit<UtxoRow, 'spentBy'>): void;
  markSpent(txids: readonly { txid: string; vout: number }[], requestId: string): void;
}

export function transferRepository(db: Database.Database): TransferRepository {
  const selectPolicies = db.prepare('SELECT * FROM policies ORDER BY wallet_id');
  const upsertPolicy = db.prepare(`INSERT INTO policies (wallet_id, version, hash, document, adopted_at_seq) VALUES (@walletId, @version, @hash, @document, @adoptedAtSeq)
    ON CONFLICT (wallet_id) DO UPDATE SET version = excluded.version, hash = excluded.hash, document = excluded.document, adopted_at_seq = excluded.adopted_at_seq`);
  const selectWhitelists = db.prepare('SELECT * FROM whitelists ORDER BY id');
  const upsertWhitelist = db.prepare(`INSERT INTO whitelists (id, hash, document, changed_at_seq) VALUES (@id, @hash, @document, @changedAtSeq)
    ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, document = excluded.document, changed_at_seq = excluded.changed_at_seq`);
  const selectAll = db.prepare('SELECT body FROM transfers ORDER BY id');
  const selectOne = db.prepare('SELECT body FROM transfers WHERE id = ?');
  const upsert = db.prepare(`INSERT INTO transfers (id, seq, wallet_id, initiator_id, created_at, signed, body) VALUES (@id, @seq, @walletId, @initiatorId, @createdAt, @signed, @body)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, wallet_id = excluded.wallet_id, initiator_id = excluded.initiator_id, created_at = excluded.created_at, signed = excluded.signed, body = excluded.body`);
  const pageAll = db.prepare('SELECT body FROM transfers ORDER BY seq DESC LIMIT ? OFFSET ?');
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM transfers');
  const pageWallet = db.prepare('SELECT body FROM transfers WHERE wallet_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?');
  const countWallet = db.prepare('SELECT COUNT(*) AS n FROM transfers WHERE wallet_id = ?');
  const selectUtxos = db.prepare('SELECT * FROM utxos WHERE wallet_id = ? ORDER BY txid, vout');
  const insertUtxo = db.prepare(
    'INSERT INTO utxos (wallet_id, txid, vout, amount, path, label, recorded_at) VALUES (@walletId, @txid, @vout, @amount, @path, @label, @recordedAt)',
  );
  const spend = db.prepare('UPDATE utxos SET spent_by = ? WHERE txid = ? AND vout = ?');
  const parse = (r: { body: string }) => fromJson<TransferState>(r.body, 'transfer');
  return {
    policies: () =>
      (selectPolicies.all() as { wallet_id: string; version: number; hash: string; document: string; adopted_at_seq: number }[]).map((r) => ({
        walletId: r.wallet_id,
        version: r.version,
        hash: r.hash,
        document: fromJson(r.document, `policy of wallet ${r.wallet_id}`),
        adoptedAtSeq: r.adopted_at_seq,
      })),
    savePolicy: (p) => upsertPolicy.run({ walletId: p.walletId, version: p.version, hash: p.hash, document: toJson(p.document), adoptedAtSeq: p.adoptedAtSeq }),
    whitelists: () =>
      (selectWhitelists.all() as { id: string; hash: string; document: string; changed_at_seq: number }[]).map((r) => ({
        id: r.id,
        hash: r.hash,
        document: fromJson(r.document, `whitelist ${r.id}`),
        changedAtSeq: r.changed_at_seq,
      })),
    saveWhitelist: (w) => upsertWhitelist.run({ id: w.id, hash: w.hash, document: toJson(w.document), changedAtSeq: w.changedAtSeq }),
    all: () => (selectAll.all() as { body: string }[]).map(parse),
    save: (t) =>
      upsert.run({ id: t.id, seq: t.seq, walletId: t.request.walletId, initiatorId: t.request.initiatorId, createdAt: t.request.createdAt, signed: t.signed === null ? 0 : 1, body: toJson(t) }),
    page({ walletId, offset, limit }) {
      const rows = (walletId === undefined ? pageAll.all(limit, offset) : pageWallet.all(walletId, limit, offset)) as { body: string }[];
      const total = ((walletId === undefined ? countAll.get() : countWallet.get(walletId)) as { n: number }).n;
      return { total, transfers: rows.map(parse) };
    },
    get: (id) => {
      const r = selectOne.get(id) as { body: string } | undefined;
      return r === undefined ? null : parse(r);
    },
    utxos: (walletId) =>
      (
        selectUtxos.all(walletId) as { wallet_id: string; txid: string; vout: number; amount: string; path: string; label: string; spent_by: string | null; recorded_at: string | null }[]
      ).map((r) => ({
        walletId: r.wallet_id,
        txid: r.txid,
        vout: r.vout,
        amount: r.amount,
        path: r.path,
        label: r.label,
        spentBy: r.spent_by,
        recordedAt: r.recorded_at,
      })),
    addUtxo: (u) => insertUtxo.run(u),
    markSpent(outpoints, requestId) {
      for (const o of outpoints) spend.run(requestId, o.txid, o.vout);
    },
  };
}
