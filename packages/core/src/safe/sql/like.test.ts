import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { expectRefused } from './attack.fixtures.js';
import { mysqlRows, mysqlRun, pgQuery, sql, sqliteAll, type SqlFragment, type SqlRow } from './index.js';

const pgUrl = process.env.RAMPART_TEST_PG_URL;
const mysqlUrl = process.env.RAMPART_TEST_MYSQL_URL;

/** Haystacks with every character the escaping cares about, and one of each that must not match by accident. */
const HAYSTACKS = ['50%', '50x', 'a_b', 'axb', 'wow!', 'wow', 'c:\\tmp', 'c:tmp', '!%', 'plain'] as const;

/** Each search term and the haystacks it must find with `contains`: the term taken literally. */
const CASES: readonly [string, readonly string[]][] = [
  ['%', ['50%', '!%']],
  ['_', ['a_b']],
  ['!', ['wow!', '!%']],
  ['\\', ['c:\\tmp']],
  ['!%', ['!%']],
  ['0%', ['50%']],
  ["'", []],
  ['', [...HAYSTACKS]],
];

type Search = (condition: SqlFragment) => Promise<string[]>;

async function checkLiteralMatching(search: Search): Promise<void> {
  for (const [term, expected] of CASES) {
    expect(await search(sql`value ${sql.like(term)}`), `contains ${JSON.stringify(term)}`).toEqual([...expected].sort());
  }
  expect(await search(sql`value ${sql.like('50', { mode: 'prefix' })}`)).toEqual(['50%', '50x']);
  expect(await search(sql`value ${sql.like('%', { mode: 'suffix' })}`)).toEqual(['!%', '50%']);
  expect(await search(sql`value ${sql.like('wow', { mode: 'exact' })}`)).toEqual(['wow']);
  expect(await search(sql`value ${sql.like('%', { negate: true })}`)).toEqual(HAYSTACKS.filter((h) => !h.includes('%')).sort());
}

const values = (rows: readonly SqlRow[]): string[] => rows.map((row) => String(row.value)).sort();

describe('sql.like', () => {
  it('escapes %, _ and the escape character and emits a portable ESCAPE clause', () => {
    expect(sql`name ${sql.like('50%_!x')}`.compile('postgres')).toEqual({ text: "name LIKE $1 ESCAPE '!'", values: ['%50!%!_!!x%'] });
    expect(sql`${sql.like('a', { mode: 'prefix' })}`.compile('mysql').values).toEqual(['a%']);
    expect(sql`${sql.like('a', { mode: 'suffix', negate: true })}`.compile('sqlite')).toEqual({ text: "NOT LIKE ? ESCAPE '!'", values: ['%a'] });
  });

  it('refuses non-strings, NUL and unknown modes', () => {
    expectRefused(() => sql.like(['%']), 'SQL_VALUE_UNSUPPORTED');
    expectRefused(() => sql.like(undefined), 'SQL_VALUE_UNSUPPORTED');
    expectRefused(() => sql.like('ab\0%'), 'SQL_VALUE_INVALID_STRING');
    expect(() => sql.like('a', { mode: 'regex' as 'exact' })).toThrow(ConfigurationError);
  });

  it('on real SQLite: every character matches itself only (attack: wildcard injection)', async () => {
    const db = new Database(':memory:');
    db.exec('create table t (value text)');
    for (const value of HAYSTACKS) db.prepare('insert into t values (?)').run(value);
    await checkLiteralMatching((condition) => Promise.resolve(values(sqliteAll(db, sql`select value from t where ${condition}`))));
    db.close();
  });

  it('neutralizes the backtracking pattern %_%_%_… (attack: LIKE denial of service) by matching it literally', () => {
    const db = new Database(':memory:');
    db.exec("create table t (value text); insert into t values ('" + 'a'.repeat(2000) + "')");
    const pattern = '%_'.repeat(500);
    expect(sqliteAll(db, sql`select length(value) as n from t where value ${sql.like(pattern)}`)).toEqual([]);
    db.close();
  });
});

describe.skipIf(pgUrl === undefined)('sql.like on PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  it('every character matches itself only, backslash included (standard_conforming_strings)', async () => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      await client.query('begin');
      await pgQuery(client, sql`create temporary table like_probe (value text) on commit drop`);
      await pgQuery(client, sql`insert into like_probe (value) values ${sql.join(HAYSTACKS.map((h) => sql`(${h})`))}`);
      await checkLiteralMatching(async (condition) => values((await pgQuery(client, sql`select value from like_probe where ${condition}`)).rows));
    } finally {
      await client.query('rollback');
      await client.end();
    }
  });
});

describe.skipIf(mysqlUrl === undefined)('sql.like on MariaDB/MySQL (needs RAMPART_TEST_MYSQL_URL)', () => {
  it('every character matches itself only, with and without NO_BACKSLASH_ESCAPES', async () => {
    const connection = await mysql.createConnection({ uri: mysqlUrl });
    try {
      await mysqlRun(connection, sql`create temporary table like_probe (value varchar(64)) character set utf8mb4 collate utf8mb4_bin`);
      await mysqlRun(connection, sql`insert into like_probe (value) values ${sql.join(HAYSTACKS.map((h) => sql`(${h})`))}`);
      const search: Search = async (condition) => values(await mysqlRows(connection, sql`select value from like_probe where ${condition}`));
      await checkLiteralMatching(search);
      await connection.query("set session sql_mode = concat(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
      await checkLiteralMatching(search);
    } finally {
      await connection.end();
    }
  });
});
