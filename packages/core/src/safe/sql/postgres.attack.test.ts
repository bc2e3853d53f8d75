import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertInert,
  attackAllVulnerable,
  blindSortPayload,
  EXPLOITS_EVERYWHERE,
  loadCorpus,
  reset,
  SECOND_ORDER,
  secondOrderVulnerable,
  snapshot,
  USERS,
  type Target,
} from './attack.fixtures.js';
import { pgQuery, sql, type SqlRow } from './index.js';

const url = process.env.RAMPART_TEST_PG_URL;
const corpus = loadCorpus();

function pgTarget(client: pg.Client): Target {
  return {
    dialect: 'postgres',
    equalsIgnoresTrailingSpaces: false,
    likeIgnoresAsciiCase: false,
    rows: async (query) => (await pgQuery(client, query)).rows,
    run: async (query) => (await pgQuery(client, query)).rowCount,
    // The usual vulnerable code: client.query(string) uses the simple protocol, which runs stacked statements.
    unsafeRows: async (text) => {
      const result: unknown = await client.query(text);
      const results = (Array.isArray(result) ? result : [result]) as pg.QueryResult[];
      return results.flatMap((r) => r.rows as SqlRow[]);
    },
    unsafeRun: async (text) => {
      await client.query(text);
    },
    tables: async () =>
      (await pgQuery(client, sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`)).rows.map((row) =>
        String(row.name),
      ),
  };
}

describe.skipIf(url === undefined)('sql on PostgreSQL (pg): the injection corpus (needs RAMPART_TEST_PG_URL)', () => {
  const schema = `rampart_sql_${randomUUID().replaceAll('-', '')}`;
  const schemaName = sql.identifier(schema, [schema]);
  const client = new pg.Client({ connectionString: url });
  const target = pgTarget(client);
  let baseline = '';

  beforeAll(async () => {
    await client.connect();
    await pgQuery(client, sql`CREATE SCHEMA ${schemaName}`);
    // Only this run's schema is visible unqualified: every payload's "users" and "secrets" resolve there.
    await pgQuery(client, sql`SET search_path TO ${schemaName}`);
    await pgQuery(client, sql`SET statement_timeout = 10000`);
    await reset(target);
    baseline = await snapshot(target);
  });
  afterAll(async () => {
    await pgQuery(client, sql`DROP SCHEMA IF EXISTS ${schemaName} CASCADE`);
    await client.end();
  });

  it.for(corpus)('$label is inert in lookup, update, LIKE, second-order, ORDER BY and identifiers', async (payload) => {
    await assertInert(target, payload, baseline);
  });

  it('the string-built twin of the same queries is exploited by the corpus, stacked statements included', async () => {
    const outcomes = await attackAllVulnerable(target, corpus, baseline);
    const samples = [
      ...EXPLOITS_EVERYWHERE,
      "admin'--",
      "' UNION SELECT id, secret FROM secrets--",
      "'; DELETE FROM secrets--",
      "'; UPDATE users SET role='admin'--",
      "'; CREATE TABLE pwned (x TEXT)--",
      "'; DROP TABLE secrets--",
      "' UNION SELECT 1, string_agg(secret, ',') FROM secrets--",
    ];
    for (const payload of samples) expect.soft(outcomes.get(payload), payload).toBe('exploited');
    const exploited = [...outcomes.values()].filter((outcome) => outcome === 'exploited').length;
    expect(exploited).toBeGreaterThanOrEqual(50);
    expect(await snapshot(target)).toBe(baseline);
  });

  it('a stored payload attacks the string-built query that reuses it (second order); the bound reuse returns nothing', async () => {
    for (const payload of SECOND_ORDER) {
      const leaked = await secondOrderVulnerable(target, payload);
      expect(leaked.length, payload).toBeGreaterThan(0);
      await assertInert(target, { text: payload, source: 'second order', line: 0, label: payload }, baseline);
    }
  });

  it('a string-built ORDER BY leaks a secret one bit at a time; sql.orderBy refuses the same payload', async () => {
    const order = async (payload: string): Promise<number[]> =>
      ((await client.query(`SELECT id FROM users ORDER BY ${payload}`)).rows as SqlRow[]).map((row) => Number(row.id));
    expect(await order(blindSortPayload('s'))).not.toEqual(await order(blindSortPayload('x')));
    expect(() => sql.orderBy(blindSortPayload('s'), { id: 'id' })).toThrow(expect.objectContaining({ code: 'SQL_SORT_NOT_ALLOWED' }));
  });

  it('an unescaped but bound LIKE pattern lists every row for "%"; sql.like finds only the literal match', async () => {
    const unescaped = await pgQuery(client, sql`SELECT id FROM users WHERE name LIKE ${'%%%'} ORDER BY id`);
    expect(unescaped.rows).toHaveLength(USERS.length);
    const escaped = await pgQuery(client, sql`SELECT id FROM users WHERE name ${sql.like('%')} ORDER BY id`);
    expect(escaped.rows).toEqual([{ id: 6 }]);
  });
});
