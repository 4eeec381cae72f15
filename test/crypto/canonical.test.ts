// Canonical JSON: one encoding per value, refusals for what JSON can't carry faithfully, and the digest.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalize, digest } from '../../crypto/canonical.js';

describe('canonicalize', () => {
  it('sorts keys, drops whitespace, writes bigint as decimal strings and bytes as 0x-hex', () => {
    expect(canonicalize({ b: 1, a: [true, null, 'x'], c: { z: 10n ** 30n, y: Uint8Array.of(0, 255) } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":"0x00ff","z":"1000000000000000000000000000000"}}',
    );
  });

  it('writes -0 as 0 and escapes strings as JSON does', () => {
    expect(canonicalize([-0, 1.5, 'a"b\\c\n', 'é'])).toBe('[0,1.5,"a\\"b\\\\c\\n","é"]');
  });

  it.each([
    ['undefined', { a: undefined }],
    ['NaN', { a: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['a function', { f: () => 1 }],
    ['a symbol', [Symbol('s')]],
    ['a Date', { d: new Date(0) }],
    ['a Map', new Map()],
    ['a lone surrogate', '\ud800'],
  ])('refuses %s', (_what, value) => {
    expect(() => canonicalize(value)).toThrow(/canonical JSON/);
  });

  it('refuses a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalize(a)).toThrow(/cycle/);
  });

  it('does not depend on key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean())), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(obj));
      }),
    );
  });

  it('agrees with JSON.parse: parsing the canonical text and canonicalising again is stable', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
    );
  });
});

describe('digest', () => {
  it('is the 0x-hex sha256 of the canonical UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const expected = createHash('sha256').update(canonicalize(value), 'utf8').digest('hex');
        expect(digest(value)).toBe('0x' + expected);
      }),
    );
    expect(digest({})).toBe('0x44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});
