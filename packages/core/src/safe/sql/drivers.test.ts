import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql as kyselySql } from 'kysely';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRefused } from './attack.fixtures.js';
import { pgQuery, sql, sqliteAll, sqliteGet, sqliteRun, toKysely, type SqlFragment } from './index.js';

interface Tables {
  users: { id: number; name: string; role: string };
  secrets: { id: number; secret: string };
}

const pgUrl = process.env.RAMPART_TEST_PG_URL;
const PAYLOAD = "' OR '1'='1";

describe('better-sqlite3 helpers', () => {
  const db = new Database(':memory:');
  beforeAll(() => db.exec("create table users (id integer primary key, name text, role text); insert into users values (1, 'alice', 'user'), (2, 'bob', 'admin')"));
  afterAll(() => db.close());

  it('run, get and all bind values to ? placeholders', () => {
    expect(sqliteRun(db, sql`update users set role = ${'owner'} where name = ${'alice'}`).changes).toBe(1);
    expect(sqliteGet(db, sql`select role from users where id = ${1}`)).toEqual({ role: 'owner' });
    expect(sqliteAll(db, sql`select id from users where name = ${PAYLOAD}`)).toEqual([]);
  });

  it('refuse a string where a fragment is required (attack: plain JS or `any` passing concatenated SQL)', () => {
    const concatenated = `select id from users where name = '${PAYLOAD}'` as unknown as SqlFragment;
    expectRefused(() => sqliteAll(db, concatenated), 'SQL_NOT_A_TEMPLATE', PAYLOAD);
    expectRefused(() => sqliteRun(db, concatenated), 'SQL_NOT_A_TEMPLATE', PAYLOAD);
  });

  it('cannot stack a second statement (better-sqlite3 prepares exactly one)', () => {
    expect(() => sqliteRun(db, sql`update users set role = 'x'; delete from users`)).toThrow(/more than one statement/);
    expect(sqliteAll(db, sql`select count(*) as n from users`)).toEqual([{ n: 2 }]);
  });
});

describe('Kysely (real Kysely + SQLite dialect)', () => {
  const database = new Database(':memory:');
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });

  beforeAll(() => {
    database.exec(`create table users (id integer primary key, name text, role text);
      insert into users values (1, 'alice', 'user'), (2, 'bob', 'admin');
      create table secrets (id integer primary key, secret text); insert into secrets values (1, 'sk_live');`);
  });
  afterAll(() => db.destroy());

  it('runs a compiled fragment with CompiledQuery.raw and executeQuery', async () => {
    const { text, values } = sql`select id, name from users where name = ${'bob'}`.compile('sqlite');
    const result = await db.executeQuery(CompiledQuery.raw(text, values));
    expect(result.rows).toEqual([{ id: 2, name: 'bob' }]);
    const attack = sql`select id, name from users where name = ${"' UNION SELECT id, secret FROM secrets--"}`.compile('sqlite');
    expect((await db.executeQuery(CompiledQuery.raw(attack.text, attack.values))).rows).toEqual([]);
  });

  it('passes a fragment through Kysely’s sql tag, inside the query builder, with Kysely numbering the parameters', async () => {
    const column = (input: string) => sql.identifier(input, ['name', 'role']);
    const condition = (field: string, value: string) => toKysely(kyselySql<boolean>, sql`${column(field)} = ${value}`, 'sqlite');
    const query = db.selectFrom('users').select(['id', 'name']).where('id', '>', 0).where(condition('role', 'admin'));
    expect(query.compile().sql).toBe('select "id", "name" from "users" where "id" > ? and "role" = ?');
    expect(query.compile().parameters).toEqual([0, 'admin']);
    expect(await query.execute()).toEqual([{ id: 2, name: 'bob' }]);
    expect(await db.selectFrom('users').select('id').where(condition('name', PAYLOAD)).execute()).toEqual([]);
    expectRefused(() => condition('name = name or 1', 'x'), 'SQL_IDENTIFIER_NOT_ALLOWED');
  });

  it('executes a whole fragment through Kysely’s sql tag', async () => {
    const rows = await toKysely(kyselySql<{ n: number }>, sql`select count(*) as n from users where ${sql.in(sql`id`, [1, 2, 3])}`, 'sqlite').execute(db);
    expect(rows.rows).toEqual([{ n: 2 }]);
  });
});

describe.skipIf(pgUrl === undefined)('pg and Kysely on PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  const table = `kysely_${randomUUID().replaceAll('-', '')}`;
  const name = sql.identifier(table, [table]);
  const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
  const db = new Kysely<Record<string, { id: number; name: string }>>({ dialect: new PostgresDialect({ pool }) });

  beforeAll(async () => {
    await pgQuery(pool, sql`create table ${name} (id integer primary key, name text not null)`);
    await pgQuery(pool, sql`insert into ${name} (id, name) values (${1}, ${'alice'}), (${2}, ${'bob'})`);
  });
  afterAll(async () => {
    await pgQuery(pool, sql`drop table if exists ${name}`);
    await db.destroy();
  });

  it('pgQuery works with a Pool and numbers $n; Kysely renumbers after its own parameters', async () => {
    expect((await pgQuery(pool, sql`select id from ${name} where name = ${'bob'} or name = ${PAYLOAD}`)).rows).toEqual([{ id: 2 }]);
    const query = db.selectFrom(table).select('id').where('id', '>', 0).where(toKysely(kyselySql<boolean>, sql`name = ${'alice'}`, 'postgres'));
    expect(query.compile().sql).toBe(`select "id" from "${table}" where "id" > $1 and name = $2`);
    expect(await query.execute()).toEqual([{ id: 1 }]);
  });

  it('pgQuery refuses stacked statements even without values (extended protocol forced)', async () => {
    await expect(pgQuery(pool, sql`select 1; drop table ${name}`)).rejects.toThrow(/multiple commands/);
    expect((await pgQuery(pool, sql`select count(*)::int as n from ${name}`)).rows).toEqual([{ n: 2 }]);
  });
});
