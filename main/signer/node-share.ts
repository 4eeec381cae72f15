// A signer node's own sealed share: found in its replica's store, or kept in its folder (made by its own DKG, or copied
// in from the console that ran the DKG, since adopted key records carry no shares), and used only if its digest is the one the log recorded.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { partyIdFor } from '../../crypto/frost/party-id';
import type { GovernanceState, WalletState } from '../../crypto/governance';
import { CustosError } from '../errors';
import type { Store } from '../store';

export const SHARES_FOLDER = 'shares';

const fileOf = (nodeDir: string, walletId: string, keyVersion: number, partyId: string) => path.join(nodeDir, SHARES_FOLDER, `${walletId}.v${keyVersion}.${partyId}.json`);

/** The custodian whose node this is (their device registered its id in the log), or a refusal in words. */
export function nodeOwner(state: GovernanceState, nodeId: string): { userId: string; name: string; partyId: string } {
  const user = state.users.find((u) => u.node?.nodeId === nodeId && u.status === 'active');
  if (user === undefined) throw new CustosError('RULE_VIOLATION', `Signer node ${nodeId} is registered to no active user in this vault's log: register it first (custos signer register, on its custodian's device).`);
  return { userId: user.id, name: user.name, partyId: partyIdFor(user.id) };
}

/**
 * The node's sealed share of the wallet's key in force: from its replica's store if there, else from its folder. Either
 * must hash to the digest the key record holds for this node's party; anything else is refused, never used.
 */
export function nodeSealedShare(o: { nodeDir: string; nodeId: string; state: GovernanceState; walletId: string; replica: Store }): Uint8Array {
  const wallet = requireKey(o.state, o.walletId);
  const key = wallet.key as NonNullable<WalletState['key']>;
  const { partyId, name } = nodeOwner(o.state, o.nodeId);
  const expected = key.shareDigests.find((d) => d.partyId === partyId)?.digest;
  if (expected === undefined) throw new CustosError('RULE_VIOLATION', `${name} holds no share of ${wallet.name} (key version ${key.keyVersion}).`);
  const fromStore = o.replica.wallets.shares(o.walletId, key.keyVersion).find((r) => r.partyId === partyId)?.sealed;
  const file = fileOf(o.nodeDir, o.walletId, key.keyVersion, partyId);
  const hex = fromStore ?? readShareFile(file, { walletId: o.walletId, keyVersion: key.keyVersion, partyId });
  if (hex === null) {
    throw new CustosError('NOT_FOUND', `This node has no sealed share of ${wallet.name} (key version ${key.keyVersion}) for ${name}: copy it in with custos signer import-share --node-dir ${o.nodeDir} --data-dir <the console that ran the key ceremony>.`);
  }
  if (bytesToHex(sha256(hexToBytes(hex))) !== expected) {
    throw new CustosError('TAMPERING_DETECTED', `The sealed share of ${name} for ${wallet.name} held by this node is not the one the signed log recorded: it is not used. Import it again from the console that ran the key ceremony.`);
  }
  return hexToBytes(hex);
}

/**
 * Copies this node's custodian's sealed shares (each wallet's key in force) from a console's store into the node's
 * folder, each checked against the digest the log recorded. Returns what was copied. Sealed shares open only with
 * their custodian's device, so the copy carries nothing usable without it.
 */
export function importNodeShares(o: { nodeDir: string; nodeId: string; state: GovernanceState; from: Store }): { walletId: string; keyVersion: number; partyId: string }[] {
  const { partyId, name } = nodeOwner(o.state, o.nodeId);
  const out: { walletId: string; keyVersion: number; partyId: string }[] = [];
  for (const w of o.state.wallets) {
    const key = w.key;
    const expected = key?.shareDigests.find((d) => d.partyId === partyId)?.digest;
    if (key == null || expected === undefined) continue;
    const row = o.from.wallets.shares(w.id, key.keyVersion).find((r) => r.partyId === partyId);
    if (row === undefined) continue;
    if (bytesToHex(sha256(hexToBytes(row.sealed))) !== expected) {
      throw new CustosError('TAMPERING_DETECTED', `The console's sealed share of ${name} for ${w.name} is not the one the signed log recorded; nothing was copied for it.`);
    }
    keepNodeShare({ nodeDir: o.nodeDir, walletId: w.id, keyVersion: key.keyVersion, partyId, sealed: row.sealed });
    out.push({ walletId: w.id, keyVersion: key.keyVersion, partyId });
  }
  if (out.length === 0) throw new CustosError('NOT_FOUND', `The console's store holds no sealed share of ${name} for a key in force: give the data folder of the console that ran the key ceremony.`);
  return out;
}

/**
 * Keeps a sealed share in the node's folder (mode 0600, written whole or not at all): one imported from a console, or
 * the one this node's own DKG just made. It is used only once the log's key record holds its digest.
 */
export function keepNodeShare(o: { nodeDir: string; walletId: string; keyVersion: number; partyId: string; sealed: string }): void {
  const file = fileOf(o.nodeDir, o.walletId, o.keyVersion, o.partyId);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, JSON.stringify({ v: 1, walletId: o.walletId, keyVersion: o.keyVersion, partyId: o.partyId, sealed: o.sealed }) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The digest of the sealed share kept in the node's folder for this wallet, key version and party, or null if none. */
export function keptShareDigest(o: { nodeDir: string; walletId: string; keyVersion: number; partyId: string }): string | null {
  const hex = readShareFile(fileOf(o.nodeDir, o.walletId, o.keyVersion, o.partyId), o);
  return hex === null ? null : bytesToHex(sha256(hexToBytes(hex)));
}

/** The wallets this node holds a share file for (status). */
export function heldShareFiles(nodeDir: string): string[] {
  const dir = path.join(nodeDir, SHARES_FOLDER);
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
}

function readShareFile(file: string, want: { walletId: string; keyVersion: number; partyId: string }): string | null {
  if (!existsSync(file)) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new CustosError('TAMPERING_DETECTED', `${file} is not a sealed share file (it does not parse): import the share again.`);
  }
  if (parsed.v !== 1 || parsed.walletId !== want.walletId || parsed.keyVersion !== want.keyVersion || parsed.partyId !== want.partyId || typeof parsed.sealed !== 'string' || !/^([0-9a-f]{2})+$/.test(parsed.sealed)) {
    throw new CustosError('TAMPERING_DETECTED', `${file} is not this node's sealed share of wallet ${want.walletId}, key version ${want.keyVersion}: import the share again.`);
  }
  return parsed.sealed;
}

function requireKey(state: GovernanceState, walletId: string): WalletState {
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) throw new CustosError('NOT_FOUND', `There is no wallet ${walletId} in this node's log.`);
  if (wallet.key === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key yet.`);
  return wallet;
}
