import { describe, expect, it } from 'vitest';
import { assertNoOperators, eqFilter, guardPipeline, guardQuery, NoSqlInjectionError, type NoSqlRefusal } from './index.js';
import {
  isLiveAttack,
  matchIds,
  normalizingLayer,
  parseJsonPayload,
  peerWouldStrip,
  qs,
  readCorpus,
  runUnguarded,
  users,
  vulnerableMerge,
  withPrototypeRestored,
} from './nosql.fixtures.js';

/** The code of the refusal `action` throws; fails the test if it returns or throws anything else. */
function refusalOf(action: () => unknown): NoSqlRefusal {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(NoSqlInjectionError);
    return (error as NoSqlInjectionError).code;
  }
  throw new Error('expected a NoSqlInjectionError, but the guard accepted the input');
}

/** What the guarded application matches: nothing when the guard refuses, otherwise the query's documents. */
function guardedIds(buildFilter: () => Record<string, unknown>): number[] {
  let filter: Record<string, unknown>;
  try {
    filter = buildFilter();
  } catch (error) {
    expect(error).toBeInstanceOf(NoSqlInjectionError);
    return [];
  }
  return matchIds(filter);
}

describe('corpus: operator objects as a login value', () => {
  const login = (password: unknown) => ({ username: 'admin', password });

  it('the honest login still matches exactly the account', () => {
    expect(guardedIds(() => eqFilter(login('s3cret'), { password: 'string' }))).toEqual([2]);
  });

  for (const { source, line, payload } of readCorpus('operator-values.txt')) {
    it(`line ${line} (${source}): ${payload}`, () => {
      const value = parseJsonPayload(payload);
      expect(runUnguarded(login(value))).toEqual({ kind: 'matched', ids: [2] });
      expect(guardedIds(() => eqFilter(login(value), { password: 'string' }))).toEqual([]);
      expect(refusalOf(() => eqFilter(login(value), { password: 'string' }))).toBe('NOSQL_TYPE_MISMATCH');
      expect(refusalOf(() => assertNoOperators(value))).toBe('NOSQL_OPERATOR_KEY');
    });
  }
});

describe('corpus: whole JSON bodies used as a filter', () => {
  const search = (body: Record<string, unknown>) => ({ ...body, tenant: 'b' });

  it('an ordinary search body passes and matches exactly its document', () => {
    expect(guardedIds(() => search(assertNoOperators({ username: 'bob' })))).toEqual([3]);
  });

  for (const { source, line, payload } of readCorpus('filter-bodies.txt')) {
    it(`line ${line} (${source}): ${payload}`, () => {
      const body = parseJsonPayload(payload);
      expect(isLiveAttack(runUnguarded(search(body)))).toBe(true);
      expect(guardedIds(() => search(assertNoOperators(body)))).toEqual([]);
      expect(['NOSQL_OPERATOR_KEY', 'NOSQL_DOTTED_KEY']).toContain(refusalOf(() => assertNoOperators(body)));
    });
  }
});

describe('corpus: disguised keys behind a normalizing layer', () => {
  const search = (body: unknown) => ({ ...(normalizingLayer(body) as Record<string, unknown>), tenant: 'b' });

  it('ordinary non-ASCII keys are not disguised keys', () => {
    expect(assertNoOperators({ 名前: 'x', café: 'y', 'first name': 'z' })).toEqual({ 名前: 'x', café: 'y', 'first name': 'z' });
  });

  for (const { source, line, payload } of readCorpus('lookalike-keys.txt')) {
    it(`line ${line} (${source}): ${payload}`, () => {
      const body = parseJsonPayload(payload);
      expect(peerWouldStrip(body)).toBe(false);
      expect(isLiveAttack(runUnguarded(search(body)))).toBe(true);
      expect(refusalOf(() => assertNoOperators(body))).toBe('NOSQL_DISGUISED_KEY');
      expect(guardedIds(() => search(assertNoOperators(body)))).toEqual([]);
    });
  }
});

describe('corpus: JSON strings that decode to operators', () => {
  for (const { source, line, payload } of readCorpus('json-strings.txt')) {
    it(`line ${line} (${source}): ${payload}`, () => {
      expect(runUnguarded({ username: 'admin', password: JSON.parse(payload) as unknown })).toEqual({ kind: 'matched', ids: [2] });
      // Kept as the string it is, it is compared as text and matches nothing.
      expect(guardedIds(() => eqFilter({ username: 'admin', password: payload }, { password: 'string' }))).toEqual([]);
      expect(refusalOf(() => assertNoOperators(JSON.parse(payload)))).toBe('NOSQL_OPERATOR_KEY');
    });
  }
});

describe('corpus: query strings parsed by qs into operator objects', () => {
  const guarded = (q: Record<string, unknown>) => eqFilter({ username: q.username, password: q.password }, { username: 'string', password: 'string' });

  it('an honest form still logs in', () => {
    expect(guardedIds(() => guarded(qs.parse('username=admin&password=s3cret')))).toEqual([2]);
  });

  for (const { source, line, payload } of readCorpus('querystrings.txt')) {
    it(`line ${line} (${source}): ${payload}`, () => {
      const q = qs.parse(payload);
      const outcome = runUnguarded({ username: q.username, password: q.password });
      expect(outcome.kind === 'matched' && outcome.ids.length > 0).toBe(true);
      expect(guardedIds(() => guarded(q))).toEqual([]);
      expect(refusalOf(() => guarded(q))).toBe('NOSQL_TYPE_MISMATCH');
      expect(refusalOf(() => assertNoOperators(q))).toBe('NOSQL_OPERATOR_KEY');
    });
  }
});

describe('corpus: prototype pollution through a merge of the input', () => {
  const adminCheck = () => matchIds({ username: 'carol', role: 'admin' });

  for (const { source, line, payload } of readCorpus('prototype-payloads.txt')) {
    it(`line ${line} (${source}): ${payload}`, () => {
      const body = parseJsonPayload(payload);
      expect(adminCheck()).toEqual([]);
      // Unguarded: the merge pollutes Object.prototype, and carol, who has no role, inherits 'admin' in every query.
      expect(withPrototypeRestored(() => (vulnerableMerge({}, body), adminCheck()))).toEqual([4]);
      // Guarded: refused before the merge runs.
      expect(refusalOf(() => assertNoOperators(body))).toBe('NOSQL_PROTOTYPE_KEY');
      expect(withPrototypeRestored(() => guardedIds(() => (vulnerableMerge({}, assertNoOperators(body)), { username: 'carol', role: 'admin' })))).toEqual([]);
      expect(adminCheck()).toEqual([]);
    });
  }
});

describe('corpus: server-side JavaScript in assembled queries and pipelines', () => {
  for (const { source, line, payload } of readCorpus('server-javascript.txt')) {
    it(`line ${line} (${source}): ${payload}`, () => {
      const query = JSON.parse(payload) as unknown;
      if (Array.isArray(query)) {
        const pipeline: readonly unknown[] = query;
        expect(runUnguarded(pipeline).kind).toBe('javascript');
        expect(refusalOf(() => guardPipeline(pipeline))).toBe('NOSQL_SERVER_JAVASCRIPT');
      } else {
        const filter = query as Record<string, unknown>;
        // mingo runs filters, not commands: a mapReduce command document can only be shown refused.
        const isCommand = Object.keys(filter).some((key) => key.toLowerCase() === 'mapreduce');
        if (!isCommand) expect(runUnguarded(filter).kind).toBe('javascript');
        expect(refusalOf(() => guardQuery(filter))).toBe('NOSQL_SERVER_JAVASCRIPT');
      }
    });
  }

  it('the same assembled queries without JavaScript pass', () => {
    const pipeline = [{ $match: { tenant: 'b' } }, { $group: { _id: '$role', n: { $sum: 1 } } }];
    expect(guardPipeline(pipeline)).toBe(pipeline);
    const filter = { username: 'bob', $or: [{ tenant: 'b' }, { role: { $in: ['admin'] } }] };
    expect(guardQuery(filter)).toBe(filter);
    expect(users().length).toBe(4);
  });
});
