// Canonical JSON (one byte string per value) and its SHA-256 digest, so signatures and hash chains bind exact content.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/**
 * What can be canonicalised. bigint becomes a decimal string and Uint8Array a 0x-hex string, so the
 * schema (not the encoding) says which type a field has: 5n and "5" encode the same on purpose.
 */
export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | bigint
  | Uint8Array
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

/**
 * The canonical text of `value`: object keys sorted by UTF-16 code units (as RFC 8785), no whitespace,
 * strings escaped as JSON.stringify does, finite numbers written as ECMAScript writes them (-0 as 0).
 * Throws on undefined, NaN/±Infinity, functions, symbols, cycles and non-plain objects (Date, Map…):
 * silently dropping or coercing them would let two different values sign as one.
 */
export function canonicalize(value: unknown): string {
  return encode(value, [], '$');
}

/** The canonical text as UTF-8 bytes. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8ToBytes(canonicalize(value));
}

/** SHA-256 of the canonical bytes. */
export function digestBytes(value: unknown): Uint8Array {
  return sha256(canonicalBytes(value));
}

/** SHA-256 of the canonical bytes, 0x-hex (66 characters). */
export function digest(value: unknown): string {
  return '0x' + bytesToHex(digestBytes(value));
}

/** A JSON string literal; exported so hot paths (the audit chain) can build canonical text by hand. */
export function quote(text: string): string {
  // Most strings (ids, hex, ISO times) need no escaping; skipping JSON.stringify for them is the hot path.
  if (PLAIN.test(text)) return '"' + text + '"';
  if (!isWellFormed(text)) throw new TypeError('canonical JSON: a string holds a lone surrogate');
  return JSON.stringify(text);
}

const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function encode(value: unknown, stack: object[], path: string): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON: ${path} is ${value}, not a finite number`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'bigint':
      return '"' + value.toString(10) + '"';
    case 'undefined':
      throw new TypeError(`canonical JSON: ${path} is undefined (omit the key instead)`);
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON: ${path} is a ${typeof value}`);
  }
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return '"0x' + bytesToHex(value) + '"';
  if (stack.includes(value)) throw new TypeError(`canonical JSON: ${path} is a cycle`);
  stack.push(value);
  try {
    if (Array.isArray(value)) {
      return '[' + value.map((item, i) => encode(item, stack, `${path}[${i}]`)).join(',') + ']';
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonical JSON: ${path} is not a plain object`);
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return '{' + keys.map((k) => quote(k) + ':' + encode(record[k], stack, `${path}.${k}`)).join(',') + '}';
  } finally {
    stack.pop();
  }
}

// String.prototype.isWellFormed is ES2024; this keeps the check on Node 20's older V8 typings too.
function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
