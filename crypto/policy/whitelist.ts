// Whitelists as documents: every address checked for the list's network, one canonical form, and the hash.
import { Address } from '@scure/btc-signer';
import { BITCOIN_NETWORKS, addressProblem, networkParams } from '../bitcoin/address.js';
import type { BitcoinNetwork } from '../bitcoin/address.js';
import { canonicalize, digest } from '../canonical.js';
import { fail, id, list, name, object } from './fields.js';
import { POLICY_LIMITS, WHITELIST_FORMAT } from './types.js';
import type { Whitelist, WhitelistEntry } from './types.js';

export interface WhitelistDocument {
  readonly format: typeof WHITELIST_FORMAT;
  readonly id: string;
  readonly name: string;
  readonly network: BitcoinNetwork;
  readonly entries: readonly WhitelistEntry[];
}

/**
 * The one written form of `address` on `network` (bech32 in lowercase; base58 as is), or null when it is
 * not an address of that network. Comparing canonical forms is comparing destinations.
 */
export function canonicalAddress(address: string, network: BitcoinNetwork): string | null {
  if (typeof address !== 'string' || address.length === 0 || address.length > 128) return null;
  try {
    const codec = Address(networkParams(network));
    return codec.encode(codec.decode(address));
  } catch {
    return null;
  }
}

/**
 * The whitelist in `value`, entries sorted by address (a whitelist is a set: its order carries no meaning
 * and must not change its hash), or a PolicyError naming the first problem. Each address must decode on
 * the list's network and be written canonically; an address or a label may appear only once.
 */
export function validateWhitelist(value: unknown): Whitelist {
  const w = object(value, 'whitelist', ['id', 'name', 'network', 'entries'], ['format']);
  if (w.format !== undefined && w.format !== WHITELIST_FORMAT) fail('whitelist.format', `must be "${WHITELIST_FORMAT}"`);
  const listId = id(w.id, 'whitelist.id');
  const listName = name(w.name, 'whitelist.name');
  const network = w.network as BitcoinNetwork;
  if (!BITCOIN_NETWORKS.includes(network)) fail('whitelist.network', `must be one of ${BITCOIN_NETWORKS.join(', ')}`);
  const addresses = new Map<string, number>();
  const labels = new Map<string, number>();
  const entries = list(w.entries, 'whitelist.entries', POLICY_LIMITS.whitelistEntries).map((item, i): WhitelistEntry => {
    const path = `whitelist.entries[${i}]`;
    const e = object(item, path, ['address', 'label']);
    const label = name(e.label, `${path}.label`);
    if (typeof e.address !== 'string') fail(`${path}.address`, 'must be a string');
    const address = canonicalAddress(e.address, network);
    if (address === null) fail(`${path}.address`, addressProblem(e.address, network, 'the list') ?? `not a ${network} address`);
    // Refused rather than rewritten: the stored list must be the list the administrators approved.
    if (address !== e.address) fail(`${path}.address`, `write it as ${address}`);
    const twin = addresses.get(address);
    if (twin !== undefined) fail(`${path}.address`, `already listed at whitelist.entries[${twin}]`);
    const namesake = labels.get(label);
    if (namesake !== undefined) fail(`${path}.label`, `"${label}" already labels whitelist.entries[${namesake}]`);
    addresses.set(address, i);
    labels.set(label, i);
    return { address, label };
  });
  entries.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { id: listId, name: listName, network, entries };
}

export function whitelistDocument(whitelist: Whitelist): WhitelistDocument {
  const w = validateWhitelist(whitelist);
  return { format: WHITELIST_FORMAT, id: w.id, name: w.name, network: w.network, entries: w.entries };
}

export function canonicalWhitelist(whitelist: Whitelist): string {
  return canonicalize(whitelistDocument(whitelist));
}

/** 0x + sha256 of the canonical whitelist. */
export function whitelistHash(whitelist: Whitelist): string {
  return digest(whitelistDocument(whitelist));
}
