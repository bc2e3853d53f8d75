import { describe, expect, it } from 'vitest';
import { decodePlain, digestPlain, encodePlain, MalformedPlainDataError, UnencodableValueError } from './plain-data.js';

describe('plain data encoding (summaries and rule sets in the cache)', () => {
  it('round-trips what structuredClone carries and JSON does not', () => {
    const value = {
      map: new Map<unknown, unknown>([['a', 1], [2, new Set(['x'])]]),
      missing: undefined,
      nan: Number.NaN,
      inf: Number.NEGATIVE_INFINITY,
      re: /a+b/gi,
      when: new Date(86_400_000),
      $dollar: { $map: 'not a tag' },
      list: [1, 'two', null, [true]],
    };
    const decoded = decodePlain(JSON.parse(JSON.stringify(encodePlain(value))));
    expect(decoded).toEqual(value);
  });

  it('digests equal data equally whatever the key order', () => {
    expect(digestPlain({ a: 1, b: [2] })).toBe(digestPlain({ b: [2], a: 1 }));
    expect(digestPlain({ a: 1 })).not.toBe(digestPlain({ a: 2 }));
  });

  it('refuses functions and class instances rather than lose them', () => {
    expect(() => encodePlain({ f: () => 1 })).toThrow(UnencodableValueError);
    expect(() => encodePlain(new (class Thing { readonly value = 1; })())).toThrow(UnencodableValueError);
  });

  it('decodes a __proto__ key as a key, never as a prototype', () => {
    const decoded = decodePlain(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(decoded)).toContain('__proto__');
  });

  it('refuses data it would not have written', () => {
    for (const bad of [{ $unknown: 1 }, { $map: 'x' }, { $n: 'one' }, { $re: ['(', ''] }, { a: 1, $b: 2 }]) {
      expect(() => decodePlain(bad)).toThrow(MalformedPlainDataError);
    }
  });
});
