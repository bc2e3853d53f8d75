import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isToken, MAX_REQUEST_HEADER_NAMES, parseHeaderNameList } from './tokens.js';

describe('isToken', () => {
  it('accepts RFC 9110 tokens and refuses separators, spaces and non-ASCII', () => {
    for (const token of ['GET', 'x-csrf-token', "!#$%&'*+-.^_`|~09azAZ"]) expect(isToken(token)).toBe(true);
    for (const bad of ['', 'a b', 'a,b', 'a:b', 'a\tb', 'a\r\nb', 'á', 'a"b', 'a(b', 'a/b']) expect(isToken(bad)).toBe(false);
  });
});

describe('parseHeaderNameList', () => {
  it('reads the comma-joined list browsers send, lower-cased, OWS trimmed, empty members skipped', () => {
    expect(parseHeaderNameList('content-type,x-csrf-token')).toEqual(['content-type', 'x-csrf-token']);
    expect(parseHeaderNameList(' Content-Type ,\tAuthorization, ,')).toEqual(['content-type', 'authorization']);
    expect(parseHeaderNameList('')).toEqual([]);
  });

  it('attack: refuses malformed lists instead of guessing a name', () => {
    for (const bad of ['x-a x-b', 'x-a;x-b', 'x-a:1', '\u00a0authorization', 'authorization\u0000', 'a\r\nb', 'x-ä']) {
      expect(parseHeaderNameList(bad)).toBeUndefined();
    }
  });

  it('attack: refuses oversized lists (no unbounded work per preflight)', () => {
    const names = Array.from({ length: MAX_REQUEST_HEADER_NAMES + 1 }, (_, index) => `x-${index}`);
    expect(parseHeaderNameList(names.join(','))).toBeUndefined();
    expect(parseHeaderNameList(names.slice(1).join(','))).toHaveLength(MAX_REQUEST_HEADER_NAMES);
    expect(parseHeaderNameList(`x-a,${','.repeat(5000)}`)).toBeUndefined();
  });

  it('never throws, and whatever it returns is a list of lower-case tokens', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (value) => {
        const names = parseHeaderNameList(value);
        if (names !== undefined) for (const name of names) expect(isToken(name) && name === name.toLowerCase()).toBe(true);
      }),
    );
  });
});
