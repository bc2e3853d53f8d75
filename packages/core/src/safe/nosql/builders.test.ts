import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { eqFilter, inFilter, literal, NoSqlInjectionError, sanitizeFilterValue, type FilterValueKind } from './index.js';
import { matchIds, qs } from './nosql.fixtures.js';

function code(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof NoSqlInjectionError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('sanitizeFilterValue', () => {
  const accepted: [unknown, FilterValueKind, unknown][] = [
    ['alice', 'string', 'alice'],
    [42, 'string', '42'],
    [true, 'string', 'true'],
    [12n, 'string', '12'],
    ['{"$ne": null}', 'string', '{"$ne": null}'],
    [3.5, 'number', 3.5],
    ['3.5', 'number', 3.5],
    ['-1e3', 'number', -1000],
    ['0', 'integer', 0],
    ['-17', 'integer', -17],
    [9, 'integer', 9],
    [false, 'boolean', false],
    ['true', 'boolean', true],
    ['false', 'boolean', false],
  ];
  it.each(accepted)('coerces %o to %s', (value, kind, expected) => {
    expect(sanitizeFilterValue(value, kind)).toBe(expected);
  });

  const refused: [unknown, FilterValueKind][] = [
    [{ $ne: null }, 'string'],
    [['a'], 'string'],
    [null, 'string'],
    [undefined, 'string'],
    [Number.NaN, 'string'],
    [/x/, 'string'],
    [{ $gt: 0 }, 'number'],
    ['0x10', 'number'],
    ['1 ', 'number'],
    ['', 'number'],
    ['Infinity', 'number'],
    ['1e400', 'number'],
    [Number.POSITIVE_INFINITY, 'number'],
    ['1.5', 'integer'],
    [1.5, 'integer'],
    ['007', 'integer'],
    ['9007199254740993', 'integer'],
    [2 ** 60, 'integer'],
    ['1', 'boolean'],
    ['TRUE', 'boolean'],
    [0, 'boolean'],
    [{ $exists: true }, 'boolean'],
  ];
  it.each(refused)('refuses %o as %s', (value, kind) => {
    expect(code(() => sanitizeFilterValue(value, kind))).toBe('NOSQL_TYPE_MISMATCH');
  });

  it('bounds string length and refuses lone surrogates', () => {
    expect(code(() => sanitizeFilterValue('x'.repeat(4097), 'string'))).toBe('NOSQL_VALUE_TOO_LONG');
    expect(sanitizeFilterValue('x'.repeat(4096), 'string')).toHaveLength(4096);
    expect(code(() => sanitizeFilterValue('abc', 'string', { maxLength: 2 }))).toBe('NOSQL_VALUE_TOO_LONG');
    expect(code(() => sanitizeFilterValue('admin\ud800', 'string'))).toBe('NOSQL_MALFORMED_STRING');
    expect(sanitizeFilterValue('Lučić 🙂', 'string')).toBe('Lučić 🙂');
  });

  it('refuses an unknown kind and a bad limit at configuration', () => {
    expect(() => sanitizeFilterValue('x', 'object' as FilterValueKind)).toThrow(ConfigurationError);
    expect(() => sanitizeFilterValue('x', 'string', { maxLength: -1 })).toThrow(ConfigurationError);
  });
});

describe('eqFilter', () => {
  it('wraps every value in $eq, keeping dotted developer paths', () => {
    expect(eqFilter({ username: 'bob', 'profile.plan': 'free', age: '31' }, { age: 'integer' })).toEqual({
      username: { $eq: 'bob' },
      'profile.plan': { $eq: 'free' },
      age: { $eq: 31 },
    });
    expect(matchIds(eqFilter({ username: 'bob', 'profile.plan': 'free' }))).toEqual([3]);
  });

  it('attack: null or undefined matches accounts without a reset token; both are refused', () => {
    for (const token of [null, undefined]) {
      expect(matchIds({ username: 'carol', resetToken: token })).toEqual([4]);
      expect(code(() => eqFilter({ username: 'carol', resetToken: token }))).toBe('NOSQL_TYPE_MISMATCH');
      expect(code(() => eqFilter({ username: 'carol', resetToken: token }, { resetToken: 'string' }))).toBe('NOSQL_TYPE_MISMATCH');
    }
    expect(matchIds(eqFilter({ username: 'bob', resetToken: 'rt-7f3a' }))).toEqual([3]);
  });

  it('attack: operator objects, arrays and patterns are refused without a declared kind too', () => {
    for (const value of [{ $ne: null }, ['s3cret'], /.*/, () => true, Number.NaN]) {
      expect(code(() => eqFilter({ username: 'admin', password: value }))).toBe('NOSQL_TYPE_MISMATCH');
    }
  });

  it('refuses field paths that are operators, empty segments or prototype keys', () => {
    expect(code(() => eqFilter({ $where: 'x' }))).toBe('NOSQL_OPERATOR_KEY');
    expect(code(() => eqFilter({ 'password.$ne': 'x' }))).toBe('NOSQL_OPERATOR_KEY');
    expect(code(() => eqFilter({ 'a..b': 'x' }))).toBe('NOSQL_DISGUISED_KEY');
    expect(code(() => eqFilter({ ['__proto__']: 'x' }))).toBe('NOSQL_PROTOTYPE_KEY'); // a computed key is an own property
    expect(code(() => eqFilter(JSON.parse('{"__proto__": "x"}') as Record<string, unknown>))).toBe('NOSQL_PROTOTYPE_KEY');
    expect(code(() => eqFilter({ 'profile.constructor': 'x' }))).toBe('NOSQL_PROTOTYPE_KEY');
    expect(code(() => eqFilter({ '＄where': 'x' }))).toBe('NOSQL_DISGUISED_KEY');
  });

  it('names the field in the path of a refusal', () => {
    try {
      eqFilter({ password: { $ne: null } }, { password: 'string' });
      expect.unreachable();
    } catch (error) {
      expect((error as NoSqlInjectionError).path).toBe('input.password');
    }
  });
});

describe('inFilter', () => {
  it('builds $in from a qs list or a single value', () => {
    expect(inFilter('username', qs.parse('u[]=bob&u[]=carol').u, 'string')).toEqual({ username: { $in: ['bob', 'carol'] } });
    expect(inFilter('username', qs.parse('u=bob').u, 'string')).toEqual({ username: { $in: ['bob'] } });
    expect(matchIds(inFilter('username', ['bob', 'carol'], 'string'))).toEqual([3, 4]);
    expect(inFilter('_id', ['1', 2], 'integer')).toEqual({ _id: { $in: [1, 2] } });
  });

  it('attack: null inside an $in list matches accounts without the field; it is refused', () => {
    expect(matchIds({ username: 'carol', resetToken: { $in: [null, 'guess'] } })).toEqual([4]);
    expect(code(() => inFilter('resetToken', [null, 'guess'], 'string'))).toBe('NOSQL_TYPE_MISMATCH');
  });

  it('attack: operator objects hidden in the list, or a list replaced by an operator object, are refused', () => {
    expect(code(() => inFilter('role', qs.parse('r[][$ne]=x').r, 'string'))).toBe('NOSQL_TYPE_MISMATCH');
    expect(code(() => inFilter('role', qs.parse('r[$ne]=x').r, 'string'))).toBe('NOSQL_TYPE_MISMATCH');
    expect(code(() => inFilter('$where', ['x'], 'string'))).toBe('NOSQL_OPERATOR_KEY');
  });

  it('bounds the list length', () => {
    expect(code(() => inFilter('username', new Array<string>(101).fill('a'), 'string'))).toBe('NOSQL_TOO_MANY_NODES');
    expect(code(() => inFilter('username', ['a', 'b'], 'string', { maxItems: 1 }))).toBe('NOSQL_TOO_MANY_NODES');
    expect(() => inFilter('username', [], 'string', { maxItems: 0 })).toThrow(ConfigurationError);
  });
});

describe('literal', () => {
  it('attack: a "$field" string in an expression is a field reference; as a literal it is text', () => {
    const userValue = '$password';
    expect(matchIds({ $expr: { $eq: ['$password', userValue] } })).toEqual([1, 2, 3, 4]);
    expect(matchIds({ $expr: { $eq: ['$password', literal(userValue, 'string')] } })).toEqual([]);
    expect(matchIds({ $expr: { $eq: ['$password', literal('hunter2', 'string')] } })).toEqual([3]);
  });

  it('coerces like sanitizeFilterValue', () => {
    expect(literal('5', 'integer')).toEqual({ $literal: 5 });
    expect(code(() => literal({ $ne: null }, 'string'))).toBe('NOSQL_TYPE_MISMATCH');
  });
});
