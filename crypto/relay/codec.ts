// A strict binary encoding of relay payloads (ceremony messages, acks, echoes): bytes stay bytes, so secret fields can be wiped.
import { utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * What a payload may hold. Byte strings are carried as raw bytes rather than hex text (as canonical JSON would), so a
 * decoded secret (a DKG share) is a Uint8Array its owner can wipe, never an immutable JS string.
 */
export type PayloadValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly PayloadValue[]
  | { readonly [key: string]: PayloadValue };

const NULL = 0, FALSE = 1, TRUE = 2, INT = 3, STR = 4, BYTES = 5, LIST = 6, MAP = 7;
const MAX_DEPTH = 16;
/** Larger than any ceremony message of up to 255 parties; refuses a length that would make the decoder allocate wildly. */
export const MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

export class PayloadCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadCodecError';
  }
}

/** Encodes one value: tag byte, then u32 lengths / counts; object keys sorted, so equal values encode to equal bytes. */
export function encodePayload(value: unknown): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array): void => {
    parts.push(b);
    size += b.length;
    if (size > MAX_PAYLOAD_BYTES) throw new PayloadCodecError(`payload larger than ${MAX_PAYLOAD_BYTES} bytes`);
  };
  const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth > MAX_DEPTH) throw new PayloadCodecError(`${path} is nested deeper than ${MAX_DEPTH}`);
    if (v === null) return push(Uint8Array.of(NULL));
    if (v === false) return push(Uint8Array.of(FALSE));
    if (v === true) return push(Uint8Array.of(TRUE));
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new PayloadCodecError(`${path} is ${v}, not a safe integer`);
      const b = new Uint8Array(9);
      b[0] = INT;
      new DataView(b.buffer).setBigInt64(1, BigInt(v));
      return push(b);
    }
    if (typeof v === 'string') {
      const s = utf8ToBytes(v);
      push(Uint8Array.of(STR));
      push(u32(s.length));
      return push(s);
    }
    if (v instanceof Uint8Array) {
      push(Uint8Array.of(BYTES));
      push(u32(v.length));
      // A copy (new Uint8Array copies; a Node Buffer's slice() would be a view): the caller may wipe its message once
      // encoded, and these parts are wiped once joined.
      return push(new Uint8Array(v));
    }
    if (Array.isArray(v)) {
      push(Uint8Array.of(LIST));
      push(u32(v.length));
      v.forEach((item, i) => walk(item, depth + 1, `${path}[${i}]`));
      return;
    }
    if (typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
      const keys = Object.keys(v as object).sort();
      push(Uint8Array.of(MAP));
      push(u32(keys.length));
      for (const k of keys) {
        const item = (v as Record<string, unknown>)[k];
        if (item === undefined) throw new PayloadCodecError(`${path}.${k} is undefined (omit the key instead)`);
        // The decoder refuses it (it would set a prototype): nothing is sent that no party can read.
        if (k === '__proto__') throw new PayloadCodecError(`${path} has the key __proto__, which a relay payload cannot carry`);
        const kb = utf8ToBytes(k);
        push(u32(kb.length));
        push(kb);
        walk(item, depth + 1, `${path}.${k}`);
      }
      return;
    }
    throw new PayloadCodecError(`${path} is a ${typeof v}, which a relay payload cannot carry`);
  };
  walk(value, 0, '$');
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  // Parts that were copies of byte fields are wiped: only `out` holds them now.
  for (const p of parts) p.fill(0);
  return out;
}

/**
 * Decodes exactly one value and refuses anything else: unknown tags, lengths past the end, trailing bytes, unsorted
 * or repeated keys, invalid UTF-8. Byte fields are fresh copies, so the caller can wipe `bytes` at once.
 */
export function decodePayload(bytes: Uint8Array): PayloadValue {
  if (!(bytes instanceof Uint8Array)) throw new PayloadCodecError('payload is not bytes');
  if (bytes.length > MAX_PAYLOAD_BYTES) throw new PayloadCodecError(`payload larger than ${MAX_PAYLOAD_BYTES} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let off = 0;
  const need = (n: number, what: string): void => {
    if (off + n > bytes.length) throw new PayloadCodecError(`payload ends inside ${what}`);
  };
  const u32 = (what: string): number => {
    need(4, what);
    const n = view.getUint32(off);
    off += 4;
    return n;
  };
  const text = (what: string): string => {
    const n = u32(what);
    need(n, what);
    let s: string;
    try {
      s = utf8.decode(bytes.subarray(off, off + n));
    } catch {
      throw new PayloadCodecError(`${what} is not valid UTF-8`);
    }
    off += n;
    return s;
  };
  const walk = (depth: number): PayloadValue => {
    if (depth > MAX_DEPTH) throw new PayloadCodecError(`payload is nested deeper than ${MAX_DEPTH}`);
    need(1, 'a tag');
    const tag = bytes[off++];
    switch (tag) {
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT: {
        need(8, 'an integer');
        const n = view.getBigInt64(off);
        off += 8;
        if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
          throw new PayloadCodecError('an integer is outside the safe range');
        return Number(n);
      }
      case STR:
        return text('a string');
      case BYTES: {
        const n = u32('a byte string');
        need(n, 'a byte string');
        const b = new Uint8Array(bytes.subarray(off, off + n));
        off += n;
        return b;
      }
      case LIST: {
        const n = u32('a list');
        // Each item takes at least one byte: a count past the end is refused before anything is allocated.
        need(n, 'a list');
        const out: PayloadValue[] = [];
        for (let i = 0; i < n; i++) out.push(walk(depth + 1));
        return out;
      }
      case MAP: {
        const n = u32('a map');
        need(n, 'a map');
        const out: Record<string, PayloadValue> = {};
        let prev: string | null = null;
        for (let i = 0; i < n; i++) {
          const k = text('a key');
          if (prev !== null && !(prev < k)) throw new PayloadCodecError('map keys are not sorted or repeat');
          if (k === '__proto__') throw new PayloadCodecError('a map key is __proto__');
          prev = k;
          out[k] = walk(depth + 1);
        }
        return out;
      }
      default:
        throw new PayloadCodecError(`unknown tag ${String(tag)}`);
    }
  };
  const value = walk(0);
  if (off !== bytes.length) throw new PayloadCodecError(`${bytes.length - off} bytes after the payload`);
  return value;
}
