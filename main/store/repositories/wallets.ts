// Wallets (a projection of the signed log) and their sealed shares (ciphertexts only a custodian's device opens).
import type Database from 'better-sqlite3';
import type { PendingCeremony, WalletKey, WalletState, WalletStatus } from '../../../crypto/governance';
import { fromJson, toJson } from './json';

export interface SealedShareRow {
  readonly walletId: string;
  readonly keyVersion: number;
  readonly partyId: string;
  readonly userId: string;
  /** crypto/sealing encodeSealed, hex. */
  readonly sealed: string;
}

export interface WalletRepository {
  list(): WalletState[];
  save(wallet: WalletState): void;
  /** The sealed shares of one key version, sorted by party id. */
  shares(walletId: string, keyVersion: number): SealedShareRow[];
  /** Stores a key version's shares and drops older versions' (useless once the new key is recorded). */
  replaceShares(walletId: string, keyVersion: number, shares: readonly SealedShareRow[]): void;
}

interface Row {
  id: string;
  name: string;
  network: string;
  created_at_seq: number;
  status: string;
  key: string | null;
  key_since: string | null;
  pending: string | null;
}

export function walletRepository(db: Database.Database): WalletRepository {
  const selectAll = db.prepare('SELECT * FROM wallets ORDER BY id');
  const upsert = db.prepare(`
    INSERT INTO wallets (id, name, network, created_at_seq, status, key, key_since, pending)
    VALUES (@id, @name, @network, @createdAtSeq, @status, @key, @keySince, @pending)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, network = excluded.network, created_at_seq = excluded.created_at_seq,
      status = excluded.status, key = excluded.key, key_since = excluded.key_since, pending = excluded.pending`);
  const selectShares = db.prepare('SELECT wallet_id, key_version, party_id, user_id, sealed FROM wallet_shares WHERE wallet_id = ? AND key_version = ? ORDER BY party_id');
  const dropShares = db.prepare('DELETE FROM wallet_shares WHERE wallet_id = ?');
  const addShare = db.prepare('INSERT INTO wallet_shares (wallet_id, key_version, party_id, user_id, sealed) VALUES (?, ?, ?, ?, ?)');
  return {
    list: () =>
      (selectAll.all() as Row[]).map(
        (r): WalletState => ({
          id: r.id,
          name: r.name,
          network: r.network as WalletState['network'],
          createdAtSeq: r.created_at_seq,
          status: r.status as WalletStatus,
          key: r.key === null ? null : fromJson<WalletKey>(r.key, `key of wallet ${r.id}`),
          keySince: r.key_since === null ? null : fromJson<{ seq: number; at: string }>(r.key_since, `key record of wallet ${r.id}`),
          pending: r.pending === null ? null : fromJson<PendingCeremony>(r.pending, `pending ceremony of wallet ${r.id}`),
        }),
      ),
    save(w) {
      upsert.run({
        id: w.id,
        name: w.name,
        network: w.network,
        createdAtSeq: w.createdAtSeq,
        status: w.status,
        key: w.key === null ? null : toJson(w.key),
        keySince: w.keySince === null ? null : toJson(w.keySince),
        pending: w.pending === null ? null : toJson(w.pending),
      });
    },
    shares: (walletId, keyVersion) =>
      (selectShares.all(walletId, keyVersion) as { wallet_id: string; key_version: number; party_id: string; user_id: string; sealed: string }[]).map((r) => ({
        walletId: r.wallet_id,
        keyVersion: r.key_version,
        partyId: r.party_id,
        userId: r.user_id,
        sealed: r.sealed,
      })),
    replaceShares(walletId, keyVersion, shares) {
      dropShares.run(walletId);
      for (const s of shares) addShare.run(walletId, keyVersion, s.partyId, s.userId, s.sealed);
    },
  };
}
