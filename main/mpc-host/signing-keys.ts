// What signing needs of a wallet's key that no request changes, worked out once per key version and kept: the group key
// parsed from the log's hex, and the child key of each path signed under. Only public material is kept here.
import { deriveChildKey, type ChildKey } from '../../crypto/frost/hd';
import type { GroupKey } from '../../crypto/frost/types';
import type { WalletKey } from '../../crypto/governance';
import { groupKeyOf } from '../../crypto/governance/wallet-key';

/** Paths kept per key version: a wallet signs under a few receive and change paths at a time, not thousands. */
const MAX_PATHS = 256;

interface KeyEntry {
  root: GroupKey;
  children: Map<string, ChildKey>;
}

export class SigningKeys {
  private readonly byKey = new Map<string, KeyEntry>();

  /**
   * The key's parsed group key. Keyed by everything that makes it this key (wallet, version, output key and the
   * commitments' digest through the whole record's text), so a refresh or a log that names another key never meets a
   * stale entry.
   */
  root(walletId: string, key: WalletKey): GroupKey {
    return this.entry(walletId, key).root;
  }

  /** The child key at `path` below the wallet key (the root itself for []). */
  child(walletId: string, key: WalletKey, path: readonly number[]): ChildKey {
    const entry = this.entry(walletId, key);
    const at = path.join('/');
    let child = entry.children.get(at);
    if (child === undefined) {
      child = deriveChildKey(entry.root, path);
      // Oldest first out: a long-lived host that signed under many paths keeps the recent ones.
      if (entry.children.size >= MAX_PATHS) entry.children.delete(entry.children.keys().next().value as string);
      entry.children.set(at, child);
    }
    return child;
  }

  private entry(walletId: string, key: WalletKey): KeyEntry {
    const id = `${walletId}\n${key.keyVersion}\n${JSON.stringify(key)}`;
    let entry = this.byKey.get(id);
    if (entry === undefined) {
      // One key version at a time per wallet: a refresh or reshare makes the old entry useless.
      for (const k of this.byKey.keys()) if (k.startsWith(`${walletId}\n`)) this.byKey.delete(k);
      entry = { root: groupKeyOf(key), children: new Map() };
      this.byKey.set(id, entry);
    }
    return entry;
  }
}
