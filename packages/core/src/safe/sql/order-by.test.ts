import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { expectRefused } from './attack.fixtures.js';
import { sql, sqliteAll } from './index.js';

const SORTABLE = { name: 'name', created: 'users.created_at', lower: sql`lower(name)` } as const;

describe('sql.orderBy', () => {
  it('maps the public key to its column and the direction to the builder’s own keyword', () => {
    expect(sql.orderBy('created', SORTABLE, 'DESC').compile('postgres').text).toBe('ORDER BY "users"."created_at" DESC');
    expect(sql.orderBy('name', SORTABLE, 'Asc').compile('mysql').text).toBe('ORDER BY `name` ASC');
    expect(sql.orderBy('name', SORTABLE).compile('sqlite').text).toBe('ORDER BY "name" ASC');
    expect(sql.orderBy('lower', SORTABLE, 'desc').compile('sqlite').text).toBe('ORDER BY lower(name) DESC');
  });

  it('composes into a query and accepts a tie-breaker after it', () => {
    const query = sql`select id from users where age > ${18} ${sql.orderBy('name', SORTABLE, 'desc')}, id`;
    expect(query.compile('postgres')).toEqual({ text: 'select id from users where age > $1 ORDER BY "name" DESC, id', values: [18] });
  });

  it('refuses columns outside the map, prototype keys and non-strings (attack: sort-key injection)', () => {
    const attempts: unknown[] = [
      'name; DROP TABLE users',
      'name DESC',
      '(CASE WHEN (SELECT 1) = 1 THEN name ELSE id END)',
      'NAME',
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      ['name'],
      undefined,
      1,
    ];
    for (const column of attempts) expectRefused(() => sql.orderBy(column, SORTABLE), 'SQL_SORT_NOT_ALLOWED');
  });

  it('refuses directions other than asc/desc (attack: a direction carrying SQL)', () => {
    for (const direction of ['', ' desc', 'desc ', 'descending', 'desc;', 'desc, (select 1)', 'DESC NULLS FIRST', 'ａｓｃ', 1, ['asc'], null]) {
      expectRefused(() => sql.orderBy('name', SORTABLE, direction), 'SQL_SORT_NOT_ALLOWED');
    }
  });

  it('orders NULLs as asked on every dialect (MySQL emulated with IS NULL)', () => {
    expect(sql.orderBy('name', SORTABLE, 'asc', { nulls: 'last' }).compile('postgres').text).toBe('ORDER BY "name" ASC NULLS LAST');
    expect(sql.orderBy('name', SORTABLE, 'desc', { nulls: 'first' }).compile('sqlite').text).toBe('ORDER BY "name" DESC NULLS FIRST');
    expect(sql.orderBy('name', SORTABLE, 'asc', { nulls: 'last' }).compile('mysql').text).toBe('ORDER BY `name` IS NULL, `name` ASC');
    expect(sql.orderBy('name', SORTABLE, 'desc', { nulls: 'first' }).compile('mysql').text).toBe('ORDER BY `name` IS NULL DESC, `name` DESC');
    expect(() => sql.orderBy('name', SORTABLE, 'asc', { nulls: 'middle' as 'first' })).toThrow(ConfigurationError);
  });

  it('on real SQLite: sorts as asked, NULLs placed explicitly', () => {
    const db = new Database(':memory:');
    db.exec("create table users (id integer, name text, created_at text); insert into users values (1, 'b', null), (2, null, null), (3, 'a', null)");
    const ids = (direction: string, nulls?: 'first' | 'last') =>
      sqliteAll(db, sql`select id from users ${sql.orderBy('name', SORTABLE, direction, nulls === undefined ? {} : { nulls })}`).map((r) => r.id);
    expect(ids('asc', 'last')).toEqual([3, 1, 2]);
    expect(ids('asc', 'first')).toEqual([2, 3, 1]);
    expect(ids('DESC', 'last')).toEqual([1, 3, 2]);
    db.close();
  });

  it('refuses a sort map entry that is neither a column name nor a fragment', () => {
    expect(() => sql.orderBy('bad', { bad: 42 as unknown as string })).toThrow(ConfigurationError);
    expect(() => sql.orderBy('bad', { bad: '' })).toThrow(ConfigurationError);
  });
});
