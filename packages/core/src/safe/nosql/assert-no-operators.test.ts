import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { assertNoOperators, NoSqlInjectionError } from './index.js';
import { matchIds, qs } from './nosql.fixtures.js';

function refusal(action: () => unknown): NoSqlInjectionError {
  try {
    action();
  } catch (error) {
    if (error instanceof NoSqlInjectionError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('assertNoOperators', () => {
  it('returns plain data unchanged, the same object', () => {
    const body = { username: 'bob', tags: ['a', 'b'], nested: { n: 1, ok: true, none: null }, big: 10n };
    expect(assertNoOperators(body)).toBe(body);
    expect(assertNoOperators('text')).toBe('text');
    expect(assertNoOperators(null)).toBe(null);
    expect(assertNoOperators(Object.assign(Object.create(null) as object, { a: 1 }))).toEqual({ a: 1 });
  });

  it('names the path of the refusal, escaped, without echoing the input in the message', () => {
    const error = refusal(() => assertNoOperators({ filters: [{ name: 'x' }, { password: { $ne: null } }] }));
    expect(error.code).toBe('NOSQL_OPERATOR_KEY');
    expect(error.path).toBe('input.filters[1].password["$ne"]');
    expect(error.message).not.toContain('$ne');

    const disguised = refusal(() => assertNoOperators({ user: { '\u001b[31m＄ne\n': 1 } }));
    expect(disguised.code).toBe('NOSQL_DISGUISED_KEY');
    expect(disguised.path).toBe('input.user["\\u001b[31m\\uff04ne\\u000a"]');
    for (const raw of ['＄', '\u001b', '\n']) expect(disguised.message).not.toContain(raw);
  });

  it('truncates long keys and deep paths in the developer path', () => {
    const error = refusal(() => assertNoOperators({ ['$' + 'a'.repeat(10_000)]: 1 }));
    expect(error.path.length).toBeLessThan(80);
  });

  it('attack: a RegExp value matches every password; it is refused (even when it comes from another realm)', () => {
    const pattern = new RegExp('.*');
    expect(matchIds({ username: 'admin', password: pattern })).toEqual([2]);
    expect(refusal(() => assertNoOperators({ username: 'admin', password: pattern })).code).toBe('NOSQL_UNEXPECTED_TYPE');
  });

  it('attack: a getter that answers the check with data and the driver with an operator is refused', () => {
    let reads = 0;
    const body = {
      get password(): unknown {
        reads += 1;
        return reads === 1 ? 'harmless' : { $ne: null };
      },
    };
    expect(refusal(() => assertNoOperators(body)).code).toBe('NOSQL_UNEXPECTED_TYPE');
    expect(reads).toBe(0);
  });

  it('refuses functions, symbols, symbol keys and class instances', () => {
    expect(refusal(() => assertNoOperators({ $where: 1 })).code).toBe('NOSQL_OPERATOR_KEY');
    expect(refusal(() => assertNoOperators({ check: () => true })).code).toBe('NOSQL_UNEXPECTED_TYPE');
    expect(refusal(() => assertNoOperators({ s: Symbol('x') })).code).toBe('NOSQL_UNEXPECTED_TYPE');
    expect(refusal(() => assertNoOperators({ [Symbol('k')]: 1 })).code).toBe('NOSQL_DISGUISED_KEY');
    expect(refusal(() => assertNoOperators({ when: new Date(0) })).code).toBe('NOSQL_UNEXPECTED_TYPE');
    expect(refusal(() => assertNoOperators({ m: new Map([['$ne', null]]) })).code).toBe('NOSQL_UNEXPECTED_TYPE');
  });

  it('refuses non-enumerable operator keys too: a driver may serialize what Object.keys hides', () => {
    const body = Object.defineProperty({}, '$where', { value: 'sleep(1000)', enumerable: false });
    expect(refusal(() => assertNoOperators(body)).code).toBe('NOSQL_OPERATOR_KEY');
  });

  it('refuses empty keys and keys with inner control characters', () => {
    expect(refusal(() => assertNoOperators({ '': 1 })).code).toBe('NOSQL_DISGUISED_KEY');
    expect(refusal(() => assertNoOperators({ 'pass\u0000word': 1 })).code).toBe('NOSQL_DISGUISED_KEY');
    expect(refusal(() => assertNoOperators({ 'name ': 1 })).code).toBe('NOSQL_DISGUISED_KEY');
    expect(refusal(() => assertNoOperators({ 'a\ud800': 1 })).code).toBe('NOSQL_DISGUISED_KEY');
    expect(refusal(() => assertNoOperators({ 'ｃonstructor': 1 })).code).toBe('NOSQL_DISGUISED_KEY');
  });

  it('refuses what qs builds from bracket syntax, including prototype keys qs would have dropped', () => {
    expect(refusal(() => assertNoOperators(qs.parse('user[$ne]=x'))).path).toBe('input.user["$ne"]');
    expect(refusal(() => assertNoOperators(JSON.parse('{"a":{"__proto__":{"x":1}}}'))).code).toBe('NOSQL_PROTOTYPE_KEY');
  });

  it('attack: a nesting bomb is refused after bounded work, without a stack overflow', () => {
    let bomb: unknown = 'x';
    for (let i = 0; i < 100_000; i += 1) bomb = [bomb];
    expect(refusal(() => assertNoOperators(bomb)).code).toBe('NOSQL_TOO_DEEP');
    expect(refusal(() => assertNoOperators(JSON.parse('{"a":'.repeat(33) + '1' + '}'.repeat(33)))).code).toBe('NOSQL_TOO_DEEP');
    expect(assertNoOperators(JSON.parse('{"a":'.repeat(31) + '1' + '}'.repeat(31)))).toBeTypeOf('object');
  });

  it('a cyclic structure is refused, not looped over', () => {
    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(refusal(() => assertNoOperators(cyclic)).code).toBe('NOSQL_TOO_DEEP');
  });

  it('attack: a huge array or object is refused by member count before it is walked', () => {
    expect(refusal(() => assertNoOperators(new Array<number>(1_000_000).fill(1))).code).toBe('NOSQL_TOO_MANY_NODES');
    expect(refusal(() => assertNoOperators({ list: [1, 2, 3, 4] }, { maxNodes: 4 })).code).toBe('NOSQL_TOO_MANY_NODES');
    expect(assertNoOperators({ list: [1, 2, 3] }, { maxNodes: 5 })).toEqual({ list: [1, 2, 3] });
  });

  it('refuses dotted keys unless allowDottedKeys is set, and even then checks every segment', () => {
    expect(refusal(() => assertNoOperators({ 'profile.plan': 'pro' })).code).toBe('NOSQL_DOTTED_KEY');
    const dotted = { 'profile.plan': 'pro' };
    expect(assertNoOperators(dotted, { allowDottedKeys: true })).toBe(dotted);
    expect(refusal(() => assertNoOperators({ 'a.$ne': 1 }, { allowDottedKeys: true })).code).toBe('NOSQL_OPERATOR_KEY');
    expect(refusal(() => assertNoOperators({ 'grades.$': 1 }, { allowDottedKeys: true })).code).toBe('NOSQL_OPERATOR_KEY');
    expect(refusal(() => assertNoOperators({ 'a..b': 1 }, { allowDottedKeys: true })).code).toBe('NOSQL_DISGUISED_KEY');
    expect(refusal(() => assertNoOperators({ 'a.__proto__': 1 }, { allowDottedKeys: true })).code).toBe('NOSQL_PROTOTYPE_KEY');
  });

  it('accepts instances of allowed classes as opaque values, and never RegExp, Function or BSON Code', () => {
    const when = { at: new Date(0) };
    expect(assertNoOperators(when, { allowInstancesOf: [Date] })).toBe(when);
    expect(refusal(() => assertNoOperators({ p: /x/ }, { allowInstancesOf: [Date] })).code).toBe('NOSQL_UNEXPECTED_TYPE');
    class Code {
      get _bsontype(): string {
        return 'Code';
      }
    }
    for (const allowed of [RegExp, Function, Object, Array, Map, Code]) {
      expect(() => assertNoOperators({}, { allowInstancesOf: [allowed] })).toThrow(ConfigurationError);
    }
  });

  it('refuses unsafe limits at configuration', () => {
    expect(() => assertNoOperators({}, { maxDepth: 0 })).toThrow(ConfigurationError);
    expect(() => assertNoOperators({}, { maxNodes: Number.NaN })).toThrow(ConfigurationError);
  });
});
