// A signer node's folder: its gate's own folder (journal, checkpoint) and its transport keys, the Ed25519 key that signs
// its relay messages and the X25519 key relay messages to it are sealed to (HPKE), both from one seed kept 0600.
import { randomBytes } from 'node:crypto';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { nodeKeyFingerprint, type NodeKey } from '../../crypto/governance';
import { transportKeysFromSeed, type TransportKeys } from '../../crypto/relay';
import { CustosError } from '../errors';
import { HostJournal } from '../mpc-host/journal';

export const NODE_KEYS_FILE = 'node-keys.json';
/** The public half, for the console that registers the node (it needs nothing secret). */
export const NODE_PUBLIC_FILE = 'node-public.json';
/** The gate's own folder inside the node folder (the same journal and checkpoint as an MPC host's). */
export const GATE_FOLDER = 'signer';

export interface NodeKeys extends NodeKey {
  /** The relay's key pairs (crypto/relay/keys.ts), derived from the node's seed. */
  readonly transport: TransportKeys;
  /** 0x + 64 hex: what the custodian's device shows when it registers the node. */
  readonly fingerprint: string;
}

export const gateFolderOf = (nodeDir: string): string => path.join(nodeDir, GATE_FOLDER);

/**
 * The node's keys, made on first use: the node id is its gate's id (the journal's), so the registration in the log and
 * the node's pinned anchor name the same signer. A file that does not parse, or names another node, is refused.
 */
export function openNodeKeys(nodeDir: string): NodeKeys {
  mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
  const journal = HostJournal.open(gateFolderOf(nodeDir), () => Date.now());
  if (journal.problem !== null) throw new CustosError('TAMPERING_DETECTED', `The signer node's journal in ${gateFolderOf(nodeDir)} does not hold together: ${journal.problem}`);
  const nodeId = journal.hostId;
  const file = path.join(nodeDir, NODE_KEYS_FILE);
  if (existsSync(file)) return readKeys(file, nodeId);
  const seed = new Uint8Array(randomBytes(32));
  writeSecretFile(file, JSON.stringify({ v: 1, nodeId, seed: bytesToHex(seed) }) + '\n');
  const keys = keysOf(nodeId, seed);
  writeSecretFile(path.join(nodeDir, NODE_PUBLIC_FILE), JSON.stringify({ v: 1, ...publicNodeKey(keys) }, null, 2) + '\n');
  return keys;
}

/**
 * A node's keys as a console that coordinates with them reads them: the key file alone, never the node's journal, which
 * the node process may be writing at that moment. What the keys are worth is checked against the log's registration.
 */
export function coordinatorKeys(nodeDir: string): NodeKeys {
  return readKeys(path.join(nodeDir, NODE_KEYS_FILE), null);
}

/** The public half, as a console registers it: nothing secret. */
export function publicNodeKey(keys: NodeKeys): NodeKey & { fingerprint: string } {
  return { nodeId: keys.nodeId, signingKey: keys.signingKey, hpkeKey: keys.hpkeKey, fingerprint: keys.fingerprint };
}

function keysOf(nodeId: string, seed: Uint8Array): NodeKeys {
  const transport = transportKeysFromSeed(seed);
  seed.fill(0);
  const signingKey = '0x' + bytesToHex(transport.signingKey);
  const hpkeKey = '0x' + bytesToHex(transport.hpkeKey);
  return { nodeId, signingKey, hpkeKey, transport, fingerprint: nodeKeyFingerprint({ signingKey, hpkeKey }) };
}

function readKeys(file: string, nodeId: string | null): NodeKeys {
  let parsed: { v?: unknown; nodeId?: unknown; seed?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    throw new CustosError('TAMPERING_DETECTED', `${file} is not the signer node's key file (it does not parse). Move the node folder aside and make a new node.`);
  }
  const hex32 = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  if (parsed.v !== 1 || !hex32(parsed.seed)) throw new CustosError('TAMPERING_DETECTED', `${file} is not a signer node key file of this version.`);
  if (nodeId === null && (typeof parsed.nodeId !== 'string' || !/^[0-9a-f]{16}$/.test(parsed.nodeId))) throw new CustosError('TAMPERING_DETECTED', `${file} names no node id.`);
  if (nodeId !== null && parsed.nodeId !== nodeId) throw new CustosError('TAMPERING_DETECTED', `${file} belongs to node ${String(parsed.nodeId)}, but this folder's journal is node ${nodeId}: the folder was mixed with another. Move it aside and make a new node.`);
  return keysOf(parsed.nodeId as string, hexToBytes(parsed.seed as string));
}

function writeSecretFile(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** A node's public file, as a console reads it to register the node: checked, so a bad copy is refused in words. */
export function readNodePublic(nodeDir: string): NodeKey & { fingerprint: string } {
  const file = path.join(nodeDir, NODE_PUBLIC_FILE);
  let parsed: { v?: unknown; nodeId?: unknown; signingKey?: unknown; hpkeKey?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new CustosError('BAD_INPUT', `${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'not JSON'}): run \`custos signer init\` on the node first, and give its folder.`);
  }
  const key = (v: unknown) => typeof v === 'string' && /^0x[0-9a-f]{64}$/.test(v);
  if (parsed.v !== 1 || typeof parsed.nodeId !== 'string' || !/^[0-9a-f]{16}$/.test(parsed.nodeId) || !key(parsed.signingKey) || !key(parsed.hpkeKey)) {
    throw new CustosError('BAD_INPUT', `${file} is not a signer node's public file (node id, signing key, HPKE key).`);
  }
  const keys = { nodeId: parsed.nodeId, signingKey: parsed.signingKey as string, hpkeKey: parsed.hpkeKey as string };
  return { ...keys, fingerprint: nodeKeyFingerprint(keys) };
}
