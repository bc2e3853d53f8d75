import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertInert,
  attackAllVulnerable,
  attackVulnerable,
  blindSortPayload,
  EXPLOITS_EVERYWHERE,
  loadCorpus,
  QUOTE_DOUBLING,
  reset,
  SECOND_ORDER,
  secondOrderVulnerable,
  snapshot,
  USERS,
  type Target,
} from './attack.fixtures.js';
import { mysqlRows, mysqlRun, sql, type SqlRow } from './index.js';

const url = process.env.RAMPART_TEST_MYSQL_URL;
const corpus = loadCorpus();

function mysqlTarget(connection: mysql.Connection): Target {
  return {
    dialect: 'mysql',
    equalsIgnoresTrailingSpaces: true,
    likeIgnoresAsciiCase: false,
    rows: (query) => mysqlRows(connection, query),
    run: async (query) => (await mysqlRun(connection, query)).affectedRows,
    // The usual vulnerable code: connection.query(string), the text protocol (one statement per call by default).
    unsafeRows: async (text) => (await connection.query(text))[0] as SqlRow[],
    unsafeRun: async (text) => {
      await connection.query(text);
    },
    tables: async () =>
      (await mysqlRows(connection, sql`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()`)).map((row) =>
        String(row.name),
      ),
  };
}

describe.skipIf(url === undefined)('sql on MariaDB/MySQL (mysql2): the injection corpus (needs RAMPART_TEST_MYSQL_URL)', () => {
  const database = `rampart_sql_${randomUUID().replaceAll('-', '')}`;
  const databaseName = sql.identifier(database, [database]);
  let connection: mysql.Connection;
  let target: Target;
  let baseline = '';

  beforeAll(async () => {
    connection = await mysql.createConnection({ uri: url, charset: 'utf8mb4_bin' });
    await mysqlRun(connection, sql`CREATE DATABASE ${databaseName} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await connection.changeUser({ database });
    target = mysqlTarget(connection);
    await reset(target);
    baseline = await snapshot(target);
  });
  afterAll(async () => {
    await mysqlRun(connection, sql`DROP DATABASE IF EXISTS ${databaseName}`);
    await connection.end();
  });

  it.for(corpus)('$label is inert in lookup, update, LIKE, second-order, ORDER BY and identifiers', async (payload) => {
    await assertInert(target, payload, baseline);
  });

  it('the string-built twin of the same queries is exploited by the corpus', async () => {
    const outcomes = await attackAllVulnerable(target, corpus, baseline);
    for (const payload of [...EXPLOITS_EVERYWHERE, "admin'#", "' UNION SELECT id, secret FROM secrets#", "' OR 1=1#", "' OR 1=1 -- "]) {
      expect.soft(outcomes.get(payload), payload).toBe('exploited');
    }
    const exploited = [...outcomes.values()].filter((outcome) => outcome === 'exploited').length;
    // Fewer than on SQLite or PostgreSQL: MySQL needs a space after "--", and the text protocol runs one statement.
    expect(exploited).toBeGreaterThanOrEqual(20);
    expect(await snapshot(target)).toBe(baseline);
  });

  it('"escaping" by doubling quotes is defeated by backslash payloads on MySQL; bound values are not', async () => {
    const outcomes = await attackAllVulnerable(target, corpus, baseline, QUOTE_DOUBLING);
    for (const payload of ["\\' OR 1=1#", "\\' OR 1=1-- ", "\\' UNION SELECT id, secret FROM secrets#", "\\'' OR 1=1#"]) {
      expect.soft(outcomes.get(payload), payload).toBe('exploited');
    }
    // The same escaping holds against the plain quote payloads: only the backslash family gets through.
    expect(await attackVulnerable(target, "' OR '1'='1", baseline, QUOTE_DOUBLING)).toBe('inert');
    for (const payload of corpus.filter((p) => p.text.includes('\\'))) await assertInert(target, payload, baseline);
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
      ((await connection.query(`SELECT id FROM users ORDER BY ${payload}`))[0] as SqlRow[]).map((row) => Number(row.id));
    expect(await order(blindSortPayload('s'))).not.toEqual(await order(blindSortPayload('x')));
    expect(() => sql.orderBy(blindSortPayload('s'), { id: 'id' })).toThrow(expect.objectContaining({ code: 'SQL_SORT_NOT_ALLOWED' }));
  });

  it('an unescaped but bound LIKE pattern lists every row for "%"; sql.like finds only the literal match, also with a backslash', async () => {
    expect(await mysqlRows(connection, sql`SELECT id FROM users WHERE name LIKE ${'%%%'} ORDER BY id`)).toHaveLength(USERS.length);
    expect(await mysqlRows(connection, sql`SELECT id FROM users WHERE name ${sql.like('%')} ORDER BY id`)).toEqual([{ id: 6 }]);
    expect(await mysqlRows(connection, sql`SELECT id FROM users WHERE name ${sql.like('\\')} ORDER BY id`)).toEqual([{ id: 8 }]);
  });
});
