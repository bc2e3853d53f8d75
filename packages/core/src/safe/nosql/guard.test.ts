import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { assertNoOperators, guardPipeline, guardQuery, NoSqlInjectionError, SERVER_JAVASCRIPT_OPERATORS } from './index.js';
import { runUnguarded } from './nosql.fixtures.js';

function code(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof NoSqlInjectionError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('guardQuery', () => {
  it('accepts developer operators, dotted paths and BSON scalar values', () => {
    const binary = new Uint8Array([1, 2]);
    class ObjectId {
      get _bsontype(): string {
        return 'ObjectId';
      }
    }
    const query = {
      'profile.plan': { $in: ['free', 'pro'] },
      createdAt: { $gte: new Date(0) },
      username: /^b/,
      blob: binary,
      owner: new ObjectId(),
      $expr: { $gt: ['$score', 10] },
      ...assertNoOperators({ tenant: 'b' }),
    };
    expect(guardQuery(query)).toBe(query);
  });

  it('attack: a function value is sent as Code by drivers that serialize functions; it is refused', () => {
    const query = { $where: function check() { return true; } };
    expect(code(() => guardQuery(query))).toBe('NOSQL_SERVER_JAVASCRIPT');
    expect(code(() => guardQuery({ filter: { check: () => true } }))).toBe('NOSQL_SERVER_JAVASCRIPT');
  });

  it('attack: a BSON Code value anywhere is refused', () => {
    class Code {
      readonly code = 'sleep(1000)';
      get _bsontype(): string {
        return 'Code';
      }
    }
    expect(code(() => guardQuery({ $expr: { $eq: [new Code(), true] } }))).toBe('NOSQL_SERVER_JAVASCRIPT');
  });

  it('refuses every listed operator, in any letter case, at any depth', () => {
    expect(SERVER_JAVASCRIPT_OPERATORS).toEqual(['$where', '$function', '$accumulator', 'mapReduce']);
    for (const operator of SERVER_JAVASCRIPT_OPERATORS) {
      expect(code(() => guardQuery({ a: [{ b: { [operator]: 'x' } }] }))).toBe('NOSQL_SERVER_JAVASCRIPT');
      expect(code(() => guardQuery({ [operator.toUpperCase()]: 'x' }))).toBe('NOSQL_SERVER_JAVASCRIPT');
    }
  });

  it('refuses prototype keys and values a driver would serialize field by field', () => {
    expect(code(() => guardQuery(JSON.parse('{"$and":[{"__proto__":{"role":"admin"}}]}')))).toBe('NOSQL_PROTOTYPE_KEY');
    expect(code(() => guardQuery({ m: new Map() }))).toBe('NOSQL_UNEXPECTED_TYPE');
    expect(code(() => guardQuery({ s: Symbol('x') }))).toBe('NOSQL_UNEXPECTED_TYPE');
  });

  it('alsoBan refuses more operators, case-insensitively', () => {
    const query = { $lookup: { from: 'secrets', localField: 'a', foreignField: 'b', as: 'c' } };
    expect(guardQuery(query)).toBe(query);
    expect(code(() => guardQuery(query, { alsoBan: ['$LOOKUP'] }))).toBe('NOSQL_BANNED_OPERATOR');
    expect(() => guardQuery(query, { alsoBan: [''] })).toThrow(ConfigurationError);
  });

  it('bounds the work', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i += 1) deep = { $and: [deep] };
    expect(code(() => guardQuery(deep))).toBe('NOSQL_TOO_DEEP');
    expect(code(() => guardQuery({ $in: new Array<number>(20_000).fill(0) }))).toBe('NOSQL_TOO_MANY_NODES');
  });
});

describe('guardPipeline', () => {
  it('accepts a well-formed pipeline and returns it', () => {
    const pipeline = [{ $match: { tenant: 'b' } }, { $group: { _id: '$role', n: { $sum: 1 } } }, { $sort: { n: -1 } }];
    expect(guardPipeline(pipeline)).toBe(pipeline);
  });

  it('attack: a client-supplied accumulator reaches $accumulator unguarded; guarded it is refused', () => {
    const clientAccumulator: unknown = JSON.parse('{"$accumulator":{"init":"function(){return 0}","accumulate":"function(s){return s}","accumulateArgs":[],"merge":"function(a){return a}","lang":"js"}}');
    const pipeline = [{ $group: { _id: '$role', n: clientAccumulator } }];
    expect(runUnguarded(pipeline)).toEqual({ kind: 'javascript', operator: '$accumulator' });
    expect(code(() => guardPipeline(pipeline))).toBe('NOSQL_SERVER_JAVASCRIPT');
  });

  it('refuses stages that are not one-operator objects', () => {
    expect(code(() => guardPipeline([{ $match: {}, $sort: { a: 1 } }]))).toBe('NOSQL_MALFORMED_PIPELINE');
    expect(code(() => guardPipeline([{ match: {} }]))).toBe('NOSQL_MALFORMED_PIPELINE');
    expect(code(() => guardPipeline([{}]))).toBe('NOSQL_MALFORMED_PIPELINE');
    expect(code(() => guardPipeline(['$match']))).toBe('NOSQL_MALFORMED_PIPELINE');
    expect(code(() => guardPipeline([[{ $match: {} }]]))).toBe('NOSQL_MALFORMED_PIPELINE');
    expect(code(() => guardPipeline({ $match: {} } as unknown as unknown[]))).toBe('NOSQL_MALFORMED_PIPELINE');
  });

  it('alsoBan refuses write stages in a client-assembled pipeline', () => {
    expect(code(() => guardPipeline([{ $match: {} }, { $out: 'users' }], { alsoBan: ['$out', '$merge'] }))).toBe('NOSQL_BANNED_OPERATOR');
  });
});
