// Output descriptors of a wallet (`tr(KEY)`, `tr(xpub/branch/*)`) with their BIP-380 checksum.
import { bytesToHex } from '@noble/hashes/utils.js';

// BIP-380: the checksum is a BCH code over the descriptor's characters, grouped by INPUT_CHARSET position.
const INPUT_CHARSET = '0123456789()[],\'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];

function polymod(c: bigint, val: number): bigint {
  const c0 = c >> 35n;
  c = ((c & 0x7ffffffffn) << 5n) ^ BigInt(val);
  for (let i = 0; i < 5; i++) if ((c0 >> BigInt(i)) & 1n) c ^= GENERATOR[i] as bigint;
  return c;
}

/** The 8-character checksum of a descriptor (without any '#...'). */
export function descriptorChecksum(desc: string): string {
  if (typeof desc !== 'string') throw new Error('descriptor must be a string');
  let c = 1n;
  let cls = 0;
  let clscount = 0;
  for (const ch of desc) {
    const pos = INPUT_CHARSET.indexOf(ch);
    if (pos === -1) throw new Error(`descriptor has a character outside the BIP-380 set: ${JSON.stringify(ch)}`);
    c = polymod(c, pos & 31);
    cls = cls * 3 + (pos >> 5);
    if (++clscount === 3) {
      c = polymod(c, cls);
      cls = 0;
      clscount = 0;
    }
  }
  if (clscount > 0) c = polymod(c, cls);
  for (let i = 0; i < 8; i++) c = polymod(c, 0);
  c ^= 1n;
  let out = '';
  for (let j = 0; j < 8; j++) out += CHECKSUM_CHARSET[Number((c >> BigInt(5 * (7 - j))) & 31n)];
  return out;
}

export function withChecksum(desc: string): string {
  return `${desc}#${descriptorChecksum(desc)}`;
}

/** True when `full` is `<descriptor>#<its checksum>`. */
export function hasValidChecksum(full: string): boolean {
  const i = full.lastIndexOf('#');
  if (i < 0) return false;
  try {
    return descriptorChecksum(full.slice(0, i)) === full.slice(i + 1);
  } catch {
    return false;
  }
}

/** `tr(<x-only internal key>)#checksum`: the wallet's single key-path address, importable watch-only. */
export function taprootDescriptor(internalKey: Uint8Array): string {
  if (!(internalKey instanceof Uint8Array) || internalKey.length !== 32) throw new Error('internalKey must be 32 bytes');
  return withChecksum(`tr(${bytesToHex(internalKey)})`);
}

/** `tr(<xpub>/<branch>/*)#checksum`: receive (branch 0) or change (branch 1) addresses of an HD wallet. */
export function taprootHdDescriptor(extendedPublicKey: string, branch: 0 | 1, originFingerprint?: Uint8Array): string {
  if (!/^[1-9A-HJ-NP-Za-km-z]{100,120}$/.test(extendedPublicKey)) throw new Error('not an extended public key');
  if (branch !== 0 && branch !== 1) throw new Error('branch must be 0 (receive) or 1 (change)');
  const origin = originFingerprint ? `[${bytesToHex(originFingerprint)}]` : '';
  return withChecksum(`tr(${origin}${extendedPublicKey}/${branch}/*)`);
}
