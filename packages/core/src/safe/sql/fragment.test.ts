import Database from 'better-sqlite3';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { expectRefused } from './attack.fixtures.js';
import { MAX_PARAMETERS, SqlFragment, sql, sqliteAll, sqliteGet, type SqlInput } from './index.js';

describe('sql tag: text and values stay apart', () => {
  it('compiles to numbered placeholders for PostgreSQL and ? for SQLite and MySQL', () => {
    const query = sql`select * from users where id = ${7} and name = ${"o'hara"}`;
    expect(query.compile('postgres')).toEqual({ text: 'select * from users where id = $1 and name = $2', values: [7, "o'hara"] });
    expect(query.compile('sqlite')).toEqual({ text: 'select * from users where id = ? and name = ?', values: [7, "o'hara"] });
    expect(query.compile('mysql')).toEqual({ text: 'select * from users where id = ? and name = ?', values: [7, "o'hara"] });
  });

  it('composes nested fragments and numbers their values in order', () => {
    const active = sql`active = ${true}`;
    const recent = sql`created_at > ${new Date('2024-01-01T00:00:00Z')}`;
    const query = sql`select id from users where ${active} and (${recent} or id = ${1})`;
    const { text, values } = query.compile('postgres');
    expect(text).toBe('select id from users where active = $1 and (created_at > $2 or id = $3)');
    expect(values).toEqual([true, new Date('2024-01-01T00:00:00Z'), 1]);
  });

  it('never puts a value into the text, whatever it contains', () => {
    const payload = "'; DROP TABLE users; -- \\' \" ` $1 ? ʼ";
    const { text, values } = sql`select 1 where a = ${payload}`.compile('mysql');
    expect(text).toBe('select 1 where a = ?');
    expect(values).toEqual([payload]);
  });

  it('binds every supported type, converted for what each driver binds', () => {
    const date = new Date('2024-05-06T07:08:09.010Z');
    const query = sql`values (${'s'}, ${1.5}, ${2n ** 63n - 1n}, ${false}, ${null}, ${date}, ${new Uint8Array([1, 2])}, ${sql.json({ a: [1] })})`;
    expect(query.compile('postgres').values).toEqual(['s', 1.5, 2n ** 63n - 1n, false, null, date, Buffer.from([1, 2]), '{"a":[1]}']);
    expect(query.compile('sqlite').values).toEqual(['s', 1.5, 2n ** 63n - 1n, 0, null, '2024-05-06T07:08:09.010Z', Buffer.from([1, 2]), '{"a":[1]}']);
    const db = new Database(':memory:');
    expect(sqliteGet(db, sql`select ${true} as t, ${date} as d, ${new Uint8Array([255])} as b`)).toEqual({
      t: 1,
      d: '2024-05-06T07:08:09.010Z',
      b: Buffer.from([255]),
    });
    db.close();
  });

  it('is immutable: the fragment is frozen and mutating a Date or a buffer after building changes nothing', () => {
    const date = new Date(0);
    const bytes = new Uint8Array([1]);
    const query = sql`select ${date}, ${bytes}`;
    date.setTime(1000);
    bytes[0] = 9;
    expect(Object.isFrozen(query)).toBe(true);
    expect(query.compile('postgres').values).toEqual([new Date(0), Buffer.from([1])]);
    const first = query.compile('postgres');
    (first.values[1] as Buffer)[0] = 7;
    expect(query.compile('postgres').values[1]).toEqual(Buffer.from([1]));
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('compiles the same fragment the same way every time and per dialect independently', () => {
    const query = sql`select ${sql.identifier('order', ['order'])} from t where x = ${1}`;
    expect(query.compile('mysql').text).toBe('select `order` from t where x = ?');
    expect(query.compile('postgres').text).toBe('select "order" from t where x = $1');
    expect(query.compile('postgres')).toEqual(query.compile('postgres'));
  });

  it('refuses an unknown dialect as a configuration error', () => {
    expect(() => sql`select 1`.compile('oracle' as 'postgres')).toThrow(ConfigurationError);
  });
});

describe('sql tag: misuse is refused with typed errors (attack: values smuggled as text)', () => {
  it('refuses a call that is not a real tagged template (a runtime array of request text)', () => {
    const input = "1; DROP TABLE users";
    const fakeStrings = Object.assign([`select * from users where id = ${input}`], { raw: [`select * from users where id = ${input}`] });
    expectRefused(() => sql(fakeStrings), 'SQL_NOT_A_TEMPLATE', input);
    expectRefused(() => sql(['select 1'] as unknown as TemplateStringsArray), 'SQL_NOT_A_TEMPLATE');
    expectRefused(() => sql(`select 1` as unknown as TemplateStringsArray), 'SQL_NOT_A_TEMPLATE');
  });

  it('refuses undefined instead of binding NULL (a missing field would match every NULL row)', () => {
    const body: { id?: number } = {};
    expectRefused(() => sql`delete from sessions where user_id = ${body.id as unknown as number}`, 'SQL_VALUE_UNDEFINED');
  });

  it('refuses values no driver binds faithfully instead of sending "[object Object]" or spreading arrays', () => {
    const refused: unknown[] = [
      () => 1,
      Symbol('x'),
      { id: 1 },
      Object.create(null),
      [1, 2],
      new Map(),
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date(Number.NaN),
      // A fragment look-alike parsed from a request body must not be treated as SQL.
      JSON.parse('{"text":"1 OR 1=1","values":[]}'),
    ];
    for (const value of refused) expectRefused(() => sql`select ${value as SqlInput}`, 'SQL_VALUE_UNSUPPORTED');
  });

  it('refuses NUL and lone surrogates in strings (truncation and U+FFFD collisions)', () => {
    expectRefused(() => sql`select ${'admin\0garbage'}`, 'SQL_VALUE_INVALID_STRING');
    expectRefused(() => sql`select ${'admin\ud800'}`, 'SQL_VALUE_INVALID_STRING');
    expect(sql`select ${'emoji 😀 ok'}`.compile('sqlite').values).toEqual(['emoji 😀 ok']);
  });

  it('shows why NUL is refused: SQLite LIKE stops at NUL, so a stored "admin\\0x" matches the pattern "admin"', () => {
    const db = new Database(':memory:');
    const matched = db.prepare("select ? like 'admin' as m").get('admin\0x') as { m: number };
    expect(matched.m).toBe(1);
    db.close();
  });

  it('refuses JSON that cannot be serialized', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectRefused(() => sql.json(cyclic), 'SQL_VALUE_UNSUPPORTED');
    expectRefused(() => sql.json(undefined), 'SQL_VALUE_UNSUPPORTED');
    expectRefused(() => sql.json({ n: 1n }), 'SQL_VALUE_UNSUPPORTED');
  });

  it('refuses to turn a fragment into a string, so concatenation cannot drop the values', () => {
    const query = sql`select * from users where id = ${1}`;
    expectRefused(() => `select * from (${query as unknown as string})`, 'SQL_FRAGMENT_STRINGIFIED');
    expectRefused(() => 'select ' + (query as unknown as string), 'SQL_FRAGMENT_STRINGIFIED');
    expectRefused(() => String(query), 'SQL_FRAGMENT_STRINGIFIED');
  });

  it('logs as text and a value count, never the values', () => {
    const query = sql`select * from users where password = ${'hunter2'}`;
    expect(JSON.stringify(query)).toBe('{"text":"select * from users where password = $1","valueCount":1}');
    expect(JSON.stringify(query)).not.toContain('hunter2');
    expect(inspect(query)).toBe('SqlFragment {"text":"select * from users where password = $1","valueCount":1}');
  });

  it('cannot be constructed from outside the module', () => {
    const Fragment = SqlFragment as unknown as new (token: symbol, parts: unknown[]) => SqlFragment;
    expectRefused(() => new Fragment(Symbol('SqlFragment.construct'), [{ kind: 'text', text: '1 OR 1=1' }]), 'SQL_NOT_A_TEMPLATE');
    expect(SqlFragment.isFragment({ compile: () => ({ text: 'x', values: [] }) })).toBe(false);
    expect(SqlFragment.isFragment(sql`x`)).toBe(true);
  });
});

describe('sql.raw: constant text only', () => {
  it('accepts a string literal and an interpolation-free template', () => {
    expect(sql`select 1 ${sql.raw('NULLS LAST')}`.compile('postgres').text).toBe('select 1 NULLS LAST');
    expect(sql`select ${sql.raw`now()`}`.compile('postgres').text).toBe('select now()');
  });

  it('refuses a template with interpolations and non-strings at runtime', () => {
    const input = "1; DROP TABLE users";
    const capture = (strings: TemplateStringsArray, ..._values: unknown[]) => strings;
    const interpolated = capture`select ${input}`;
    expectRefused(() => Reflect.apply(sql.raw, undefined, [interpolated, input]), 'SQL_RAW_NOT_CONSTANT', input);
    expectRefused(() => sql.raw(42 as unknown as 'x'), 'SQL_RAW_NOT_CONSTANT');
    expectRefused(() => sql.raw(['select 1'] as unknown as TemplateStringsArray), 'SQL_RAW_NOT_CONSTANT');
    expectRefused(() => sql.raw('a\0b'), 'SQL_RAW_NOT_CONSTANT');
  });

  it('does not type-check with a string-typed variable (request input)', () => {
    const fromRequest: string = new URLSearchParams('sort=name').get('sort') ?? '';
    // @ts-expect-error a `string` is not a constant: sql.raw only takes literal types
    const unsafe = () => sql.raw(fromRequest);
    expect(unsafe).toBeTypeOf('function');
  });
});

describe('sql.join, sql.in, sql.notIn', () => {
  it('joins values and fragments with a fragment separator', () => {
    const query = sql`insert into t (a, b) values ${sql.join([sql`(${1}, ${'x'})`, sql`(${2}, ${'y'})`])}`;
    expect(query.compile('postgres')).toEqual({ text: 'insert into t (a, b) values ($1, $2), ($3, $4)', values: [1, 'x', 2, 'y'] });
    const where = sql.join([sql`a = ${1}`, sql`b = ${2}`], sql` AND `);
    expect(where.compile('sqlite').text).toBe('a = ? AND b = ?');
    expect(sql`select ${sql.join([])} 1`.compile('sqlite').text).toBe('select  1');
  });

  it('refuses a string where a list is expected (it would be iterated per character)', () => {
    const ids = '1,2) OR (1=1' as unknown;
    expectRefused(() => sql.in(sql`id`, ids as number[]), 'SQL_VALUE_UNSUPPORTED', '1,2) OR (1=1');
    expectRefused(() => sql.join(ids as number[]), 'SQL_VALUE_UNSUPPORTED', '1,2) OR (1=1');
    expectRefused(() => sql.in('id' as unknown as SqlFragment, [1]), 'SQL_NOT_A_TEMPLATE');
    expectRefused(() => sql.join([1], ', ' as unknown as SqlFragment), 'SQL_NOT_A_TEMPLATE');
  });

  it('binds one parameter per list element', () => {
    expect(sql`select * from t where ${sql.in(sql`id`, [3, 4, 5])}`.compile('postgres')).toEqual({
      text: 'select * from t where (id IN ($1, $2, $3))',
      values: [3, 4, 5],
    });
    expect(sql`${sql.notIn(sql`id`, new Set([3]))}`.compile('mysql').text).toBe('(id NOT IN (?))');
  });

  it('handles empty lists with the right truth value on a real database (nothing IN, everything NOT IN, even NULL)', () => {
    const db = new Database(':memory:');
    db.exec('create table t (id integer); insert into t values (1), (2), (null)');
    expect(sqliteAll(db, sql`select id from t where ${sql.in(sql`id`, [])}`)).toEqual([]);
    expect(sqliteAll(db, sql`select id from t where ${sql.notIn(sql`id`, [])} order by id`)).toEqual([{ id: null }, { id: 1 }, { id: 2 }]);
    expect(sqliteAll(db, sql`select id from t where ${sql.in(sql`id`, [2, 9])}`)).toEqual([{ id: 2 }]);
    expect(sqliteAll(db, sql`select id from t where not ${sql.in(sql`id`, [])} order by id`)).toHaveLength(3);
    db.close();
  });
});

describe('parameter limits (attack: oversized IN lists overflow the 16-bit parameter count)', () => {
  it('allows exactly the dialect limit and refuses one more with a typed error', () => {
    const list = (n: number) => sql`select 1 where ${sql.in(sql`x`, Array.from({ length: n }, (_, i) => i))}`;
    expect(list(MAX_PARAMETERS.postgres).compile('postgres').values).toHaveLength(65_535);
    expectRefused(() => list(65_536).compile('postgres'), 'SQL_TOO_MANY_PARAMETERS');
    expectRefused(() => list(65_536).compile('mysql'), 'SQL_TOO_MANY_PARAMETERS');
    expectRefused(() => list(32_767).compile('sqlite'), 'SQL_TOO_MANY_PARAMETERS');
  });

  it('lets a route set a lower cap, and refuses a cap above what the protocol carries', () => {
    const query = sql`select ${sql.join([1, 2, 3])}`;
    expectRefused(() => query.compile('postgres', { maxParameters: 2 }), 'SQL_TOO_MANY_PARAMETERS');
    expect(query.compile('postgres', { maxParameters: 3 }).values).toEqual([1, 2, 3]);
    expect(() => query.compile('postgres', { maxParameters: 70_000 })).toThrow(ConfigurationError);
    expect(() => query.compile('postgres', { maxParameters: Number.POSITIVE_INFINITY })).toThrow(ConfigurationError);
  });

  it('on real SQLite: 32 766 values run, 32 767 are refused before SQLite sees them', () => {
    const db = new Database(':memory:');
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
    expect(sqliteAll(db, sql`select count(*) as n from (select 1) where ${sql.in(sql`1`, ids(32_766))}`)).toEqual([{ n: 1 }]);
    expectRefused(() => sqliteAll(db, sql`select 1 where ${sql.in(sql`1`, ids(32_767))}`), 'SQL_TOO_MANY_PARAMETERS');
    db.close();
  });
});
