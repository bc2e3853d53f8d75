import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { expectRefused } from './attack.fixtures.js';
import { sql, sqliteAll } from './index.js';

const COLUMNS = ['id', 'name', 'email', 'users', 'order'] as const;

describe('sql.identifier', () => {
  it('quotes an allowlisted name per dialect (reserved words stay usable)', () => {
    const column = sql.identifier('order', COLUMNS);
    expect(sql`select ${column} from t`.compile('postgres').text).toBe('select "order" from t');
    expect(sql`select ${column} from t`.compile('sqlite').text).toBe('select "order" from t');
    expect(sql`select ${column} from t`.compile('mysql').text).toBe('select `order` from t');
  });

  it('accepts a Set as the allowlist', () => {
    expect(sql`${sql.identifier('email', new Set(['email']))}`.compile('postgres').text).toBe('"email"');
  });

  it('accepts a dotted name only when every part is allowlisted', () => {
    expect(sql`${sql.identifier('users.email', COLUMNS)}`.compile('postgres').text).toBe('"users"."email"');
    expect(sql`${sql.identifier('users.email', COLUMNS)}`.compile('mysql').text).toBe('`users`.`email`');
    expectRefused(() => sql.identifier('secrets.email', COLUMNS), 'SQL_IDENTIFIER_NOT_ALLOWED', 'secrets.email');
    expectRefused(() => sql.identifier('users.', COLUMNS), 'SQL_IDENTIFIER_NOT_ALLOWED');
    expectRefused(() => sql.identifier('users..email', COLUMNS), 'SQL_IDENTIFIER_NOT_ALLOWED', 'users..email');
    expectRefused(() => sql.identifier('users.users.users.email', COLUMNS), 'SQL_IDENTIFIER_NOT_ALLOWED');
  });

  it('refuses injection through identifiers, case and look-alike variants, and non-strings', () => {
    const attempts: unknown[] = [
      'email; DROP TABLE users',
      'email" --',
      'email` --',
      '"email"',
      'EMAIL',
      'email ',
      ' email',
      'ｅｍａｉｌ',
      'е' + 'mail', // Cyrillic е
      'email\0',
      '*',
      '',
      ['email'],
      { toString: () => 'email' },
      null,
      undefined,
      1,
    ];
    for (const name of attempts) expectRefused(() => sql.identifier(name, COLUMNS), 'SQL_IDENTIFIER_NOT_ALLOWED');
  });

  it('on real SQLite: an allowlisted column is selected, an injected one never reaches the database', () => {
    const db = new Database(':memory:');
    db.exec(`create table users (id integer, name text, "order" integer); insert into users values (1, 'a', 5);
             create table secrets (s text); insert into secrets values ('top');`);
    const pick = (column: unknown) => sqliteAll(db, sql`select ${sql.identifier(column, COLUMNS)} as v from users`);
    expect(pick('order')).toEqual([{ v: 5 }]);
    expectRefused(() => pick('(select s from secrets)'), 'SQL_IDENTIFIER_NOT_ALLOWED', '(select s from secrets)');
    db.close();
  });

  it('doubles the quote character inside an allowlisted name instead of ending the identifier', () => {
    const odd = sql.identifier('we"ird`name', ['we"ird`name']);
    expect(sql`${odd}`.compile('postgres').text).toBe('"we""ird`name"');
    expect(sql`${odd}`.compile('mysql').text).toBe('`we"ird``name`');
  });

  it('refuses unusable allowlist entries as configuration errors', () => {
    expect(() => sql.identifier('', [''])).toThrow(ConfigurationError);
    expect(() => sql.identifier('a'.repeat(64), ['a'.repeat(64)])).toThrow(ConfigurationError);
    expect(() => sql.identifier('a', { a: true } as unknown as string[])).toThrow(ConfigurationError);
    expect(sql`${sql.identifier('a'.repeat(63), ['a'.repeat(63)])}`.compile('postgres').text).toBe(`"${'a'.repeat(63)}"`);
  });

  it('keeps the refused name out of the message and escapes it in `received`', () => {
    const payload = 'x\u001b[31m; DROP TABLE users';
    try {
      sql.identifier(payload, COLUMNS);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain('DROP');
      expect((error as { received: string }).received).toBe('string(24) "x\\u001b[31m; DROP TABLE users"');
    }
  });
});
