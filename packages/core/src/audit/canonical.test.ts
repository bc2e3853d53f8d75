import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../events.js';
import { canonicalEntry, canonicalJson, eventToJson, parseCanonicalEntry } from './canonical.js';
import { AuditError } from './errors.js';

const event: SecurityEvent = { type: 'auth.login.failed', at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), subject: 'u1', attributes: { reason: 'bad_password', count: 3, mfa: false } };

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AuditError ? error.code : 'untyped';
  }
  return undefined;
}

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and writes numbers as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 0.1, -0, 1e-7], é: 'x', Z: true, '\u20ac': null })).toBe('{"Z":true,"a":[1e+21,0.1,0,1e-7],"b":1,"é":"x","€":null}');
  });
  it('matches the RFC 8785 §3.2.2 sample', () => {
    const sample = { numbers: [Number('333333333.33333329'), 1e30, 4.5, 2e-3, 0.000000000000000000000000001], string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/', literals: [null, true, false] };
    expect(canonicalJson(sample)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });
  it.each([
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['-Infinity', [Number.NEGATIVE_INFINITY]],
    ['a lone high surrogate', { s: 'a\ud800' }],
    ['a lone low surrogate', { s: '\udc00b' }],
    ['a lone surrogate in a key', { ['k\ud83d']: 1 }],
    ['a bigint', { n: 1n }],
    ['undefined', { u: undefined }],
    ['a function', { f: () => 1 }],
    ['a symbol', { s: Symbol('x') }],
    ['a Date (toJSON would change it)', { d: new Date(0) }],
    ['a Map', { m: new Map() }],
    ['an array hole', Object.assign([1], { 2: 2 })],
  ])('refuses %s with AUDIT_UNREPRESENTABLE', (_name, value) => {
    expect(code(() => canonicalJson(value))).toBe('AUDIT_UNREPRESENTABLE');
  });
  it('refuses cycles and excessive nesting', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(code(() => canonicalJson(cycle))).toBe('AUDIT_UNREPRESENTABLE');
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(code(() => canonicalJson(deep))).toBe('AUDIT_UNREPRESENTABLE');
  });
  it('keeps a well-formed surrogate pair', () => {
    expect(canonicalJson({ s: '\ud83d\ude00' })).toBe('{"s":"😀"}');
  });
});

describe('audit entries', () => {
  it('serialise an event to plain JSON and round-trip through the canonical text', () => {
    const json = eventToJson(event);
    expect(json).toEqual({ type: 'auth.login.failed', at: '2026-01-02T03:04:05.006Z', subject: 'u1', attributes: { reason: 'bad_password', count: 3, mfa: false } });
    const text = canonicalEntry({ seq: 7, at: '2026-01-02T03:04:06.000Z', event: json });
    expect(text).toBe('{"at":"2026-01-02T03:04:06.000Z","event":{"at":"2026-01-02T03:04:05.006Z","attributes":{"count":3,"mfa":false,"reason":"bad_password"},"subject":"u1","type":"auth.login.failed"},"seq":7}');
    expect(parseCanonicalEntry(text)).toEqual({ seq: 7, at: '2026-01-02T03:04:06.000Z', event: json });
  });
  it('refuse events that cannot be represented exactly', () => {
    expect(code(() => eventToJson({ ...event, at: new Date(Number.NaN) }))).toBe('AUDIT_UNREPRESENTABLE');
    expect(code(() => eventToJson({ ...event, attributes: { n: Number.NaN } }))).toBe('AUDIT_UNREPRESENTABLE');
    expect(code(() => eventToJson({ ...event, subject: 'x\udfff' }))).toBe('AUDIT_UNREPRESENTABLE');
    expect(code(() => eventToJson({ ...event, attributes: { ['k\ud800']: 1 } }))).toBe('AUDIT_UNREPRESENTABLE');
    expect(code(() => eventToJson({ ...event, attributes: { n: {} as unknown as string } }))).toBe('AUDIT_UNREPRESENTABLE');
    expect(code(() => canonicalEntry({ seq: -1, at: 'x', event: eventToJson(event) }))).toBe('AUDIT_UNREPRESENTABLE');
  });
  it.each([
    ['whitespace', (t: string) => t.replace(',', ', ')],
    ['reordered keys', (t: string) => `{"seq":7,${t.slice(1, t.lastIndexOf(',"seq"'))}}`],
    ['a duplicate key', (t: string) => t.replace('{', '{"seq":8,')],
    ['an extra field', (t: string) => t.replace('"seq":7', '"seq":7,"x":1')],
    ['an escaped letter', (t: string) => t.replace('"u1"', '"\\u00751"')],
    ['a number as 3.0', (t: string) => t.replace('"count":3', '"count":3.0')],
    ['not JSON', (t: string) => t.slice(1)],
  ])('parsing refuses text edited to add %s', (_name, edit) => {
    const text = canonicalEntry({ seq: 7, at: '2026-01-02T03:04:06.000Z', event: eventToJson(event) });
    expect(() => parseCanonicalEntry(text)).not.toThrow();
    expect(code(() => parseCanonicalEntry(edit(text)))).toBe('AUDIT_MALFORMED_ENTRY');
  });
});

describe('canonicalEntry, the direct writer', () => {
  // The writer is specialised to the entry shape for speed; the registry package stays the reference.
  const text = fc.string({ unit: 'grapheme-composite', maxLength: 12 });
  const anyText = fc.oneof(text, fc.string({ unit: 'binary', maxLength: 8 }).filter((s) => (s as string & { isWellFormed(): boolean }).isWellFormed()));
  const number = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.constantFrom(-0, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, 0.1 + 0.2),
  );
  const event = fc.record(
    {
      type: anyText.filter((t) => t !== ''),
      at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      subject: anyText,
      attributes: fc.dictionary(anyText, fc.oneof(anyText, number, fc.boolean()), { maxKeys: 8 }),
    },
    { requiredKeys: ['type', 'at'] },
  );

  it('writes exactly what canonicalize (RFC 8785) writes, for any event', () => {
    fc.assert(
      fc.property(fc.nat(), event, (seq, e) => {
        const entry = { seq, at: '2026-01-01T00:00:00.000Z', event: e };
        expect(canonicalEntry(entry)).toBe(canonicalize(entry));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders attribute names by UTF-16 code units, not code points or locale', () => {
    const entry = { seq: 0, at: 'a', event: { type: 't', at: 'b', attributes: { '\u{1F600}': 1, '\uFB01': 2, a: 3, B: 4, é: 5 } } };
    expect(canonicalEntry(entry)).toBe(canonicalize(entry));
    expect(canonicalEntry(entry)).toContain('"B":4,"a":3,"é":5,"\u{1F600}":1,"\uFB01":2');
  });
});
