// Shared harness for the injection attack tests: the corpus, the seeded tables, the queries an application runs with
// user input (built with `sql`, and their string-built twins), and a checksum of every table.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { describeReceived } from './errors.js';
import { SqlError, sql, type SqlDialect, type SqlErrorCode, type SqlFragment, type SqlRow } from './index.js';

export interface Payload {
  readonly text: string;
  /** The comment line naming the source or idea of the payload's group. */
  readonly source: string;
  readonly line: number;
  /** A printable test name: line number and an escaped, truncated form of the payload. */
  readonly label: string;
}

/** Reads `corpus/injection.txt`: every non-comment line is one payload; `json:` lines are JSON string literals. */
export function loadCorpus(): readonly Payload[] {
  const lines = readFileSync(new URL('./corpus/injection.txt', import.meta.url), 'utf8').split('\n');
  const payloads: Payload[] = [];
  let source = '';
  lines.forEach((content, index) => {
    if (content.startsWith('#')) {
      source = content.slice(1).trim();
      return;
    }
    if (content === '') return;
    const text = content.startsWith('json:') ? (JSON.parse(content.slice(5)) as unknown) : content;
    if (typeof text !== 'string') throw new Error(`corpus line ${index + 1}: a json: line must hold a JSON string`);
    payloads.push({ text, source, line: index + 1, label: `line ${index + 1}: ${describeReceived(text)}` });
  });
  return payloads;
}

export interface User {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly role: string;
  readonly bio: string;
}

/** Names with the characters LIKE and quoting care about, so that some searches have an intended, non-empty answer. */
export const USERS: readonly User[] = [
  { id: 1, name: 'alice', email: 'alice@example.test', role: 'user', bio: 'first' },
  { id: 2, name: 'bob', email: 'bob@example.test', role: 'user', bio: 'second' },
  { id: 3, name: 'admin', email: 'root@example.test', role: 'admin', bio: 'the boss' },
  { id: 4, name: 'carol', email: 'carol@example.test', role: 'user', bio: 'fourth' },
  { id: 5, name: "o'hara", email: 'ohara@example.test', role: 'user', bio: 'quote' },
  { id: 6, name: '50%_off', email: 'sale@example.test', role: 'user', bio: 'wildcards' },
  { id: 7, name: 'wow!', email: 'wow@example.test', role: 'user', bio: 'escape char' },
  { id: 8, name: 'back\\slash', email: 'bs@example.test', role: 'user', bio: 'backslash' },
];

/** Bob (id 2) is where second-order tests store a payload; this is the bio they restore. */
const BOB_BIO = 'second';

export const SECRETS = [
  { id: 1, ownerId: 1, secret: 'sk_alice_4f9c' },
  { id: 2, ownerId: 3, secret: 'root-hunter2' },
  { id: 3, ownerId: 2, secret: 'pin-0000' },
] as const;

/** The tables of each dialect; MySQL columns are binary-collated so that `=` and LIKE compare code points. */
const DDL: Readonly<Record<SqlDialect, readonly SqlFragment[]>> = {
  sqlite: [
    sql`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL, bio TEXT NOT NULL)`,
    sql`CREATE TABLE secrets (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, secret TEXT NOT NULL)`,
  ],
  postgres: [
    sql`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, role TEXT NOT NULL, bio TEXT NOT NULL)`,
    sql`CREATE TABLE secrets (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, secret TEXT NOT NULL)`,
  ],
  mysql: [
    sql`CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL, email VARCHAR(255) NOT NULL, role VARCHAR(32) NOT NULL,
      bio TEXT NOT NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    sql`CREATE TABLE secrets (id INT PRIMARY KEY, owner_id INT NOT NULL, secret VARCHAR(255) NOT NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
  ],
};

/** One database, isolated for this run (an in-memory SQLite, a fresh PostgreSQL schema, a fresh MariaDB database). */
export interface Target {
  readonly dialect: SqlDialect;
  /** MySQL's PAD SPACE collations compare `'a '` equal to `'a'`. */
  readonly equalsIgnoresTrailingSpaces: boolean;
  /** SQLite's LIKE folds ASCII case. */
  readonly likeIgnoresAsciiCase: boolean;
  rows(query: SqlFragment): Promise<SqlRow[]>;
  /** Runs a write; resolves to the number of rows it changed. */
  run(query: SqlFragment): Promise<number>;
  /** The string-built way a vulnerable application runs a query (stacked statements allowed where the driver allows). */
  unsafeRows(text: string): Promise<SqlRow[]>;
  unsafeRun(text: string): Promise<void>;
  /** The tables in this run's namespace. */
  tables(): Promise<string[]>;
}

/** Drops every table of the namespace (including any an attack created) and seeds `users` and `secrets` again. */
export async function reset(target: Target): Promise<void> {
  const tables = await target.tables();
  for (const table of tables) await target.run(sql`DROP TABLE ${sql.identifier(table, tables)}`);
  for (const statement of DDL[target.dialect]) await target.run(statement);
  await target.run(
    sql`INSERT INTO users (id, name, email, role, bio) VALUES ${sql.join(USERS.map((u) => sql`(${u.id}, ${u.name}, ${u.email}, ${u.role}, ${u.bio})`))}`,
  );
  await target.run(sql`INSERT INTO secrets (id, owner_id, secret) VALUES ${sql.join(SECRETS.map((s) => sql`(${s.id}, ${s.ownerId}, ${s.secret})`))}`);
}

function stable(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (Buffer.isBuffer(value)) return `0x${value.toString('hex')}`;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** SHA-256 over the list of tables and every row of every table: any change an attack makes shows up here. */
export async function snapshot(target: Target): Promise<string> {
  const tables = (await target.tables()).sort();
  const hash = createHash('sha256').update(JSON.stringify(tables));
  for (const table of tables) {
    for (const row of await target.rows(sql`SELECT * FROM ${sql.identifier(table, tables)} ORDER BY 1`)) {
      const fields = Object.keys(row)
        .sort()
        .map((key) => `${key}=${stable(row[key])}`);
      hash.update(`${table}:${fields.join(',')}\n`);
    }
  }
  return hash.digest('hex');
}

interface IdName {
  readonly id: number;
  readonly name: string;
}

function idNames(rows: readonly SqlRow[]): IdName[] {
  return rows.map((row) => ({ id: Number(row.id), name: String(row.name) }));
}

/** The rows a lookup `name = input` is meant to return under the target's comparison rules. */
export function intendedEquals(target: Target, input: string): IdName[] {
  const fold = (value: string): string => (target.equalsIgnoresTrailingSpaces ? value.replace(/ +$/, '') : value);
  return USERS.filter((user) => fold(user.name) === fold(input)).map(({ id, name }) => ({ id, name }));
}

/** The rows a LIKE search for `input` is meant to return: `input` taken literally, wildcards included. */
export function intendedLike(target: Target, input: string, mode: 'contains' | 'prefix' | 'suffix'): IdName[] {
  const fold = (value: string): string => (target.likeIgnoresAsciiCase ? value.replace(/[A-Z]/g, (c) => c.toLowerCase()) : value);
  const needle = fold(input);
  const matches = (name: string): boolean =>
    mode === 'contains' ? fold(name).includes(needle) : mode === 'prefix' ? fold(name).startsWith(needle) : fold(name).endsWith(needle);
  return USERS.filter((user) => matches(user.name)).map(({ id, name }) => ({ id, name }));
}

export function isStorableString(value: string): boolean {
  return !value.includes('\0') && !/\p{Cs}/u.test(value);
}

/** Asserts that `action` throws an {@link SqlError} with `code` whose message does not echo `input`. */
export function expectRefused(action: () => unknown, code: SqlErrorCode, input?: string): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SqlError);
  expect((thrown as SqlError).code).toBe(code);
  if (input !== undefined && input.length >= 4) expect((thrown as SqlError).message).not.toContain(input);
}

const SORT_COLUMNS = { name: 'name', id: 'id' } as const;
const IDENTIFIERS = ['id', 'name', 'email'] as const;

/**
 * Runs every query the application builds from user input with `payload` and asserts that each returns exactly its
 * intended rows (usually none), changes nothing it should not, and that the checksum of all tables is `baseline`
 * afterwards.
 */
export async function assertInert(target: Target, payload: Payload, baseline: string): Promise<void> {
  const input = payload.text;
  expectRefused(() => sql.orderBy(input, SORT_COLUMNS), 'SQL_SORT_NOT_ALLOWED', input);
  expectRefused(() => sql.orderBy('name', SORT_COLUMNS, input), 'SQL_SORT_NOT_ALLOWED', input);
  expectRefused(() => sql.identifier(input, IDENTIFIERS), 'SQL_IDENTIFIER_NOT_ALLOWED', input);

  if (!isStorableString(input)) {
    expectRefused(() => sql`SELECT id, name FROM users WHERE name = ${input}`, 'SQL_VALUE_INVALID_STRING', input);
    expectRefused(() => sql.like(input), 'SQL_VALUE_INVALID_STRING', input);
  } else {
    const lookup = await target.rows(sql`SELECT id, name FROM users WHERE name = ${input} ORDER BY id`);
    expect(idNames(lookup)).toEqual(intendedEquals(target, input));

    const changed = await target.run(sql`UPDATE users SET role = ${'admin'} WHERE name = ${input}`);
    expect(changed).toBe(intendedEquals(target, input).length);

    for (const mode of ['contains', 'prefix', 'suffix'] as const) {
      const found = await target.rows(sql`SELECT id, name FROM users WHERE name ${sql.like(input, { mode })} ORDER BY id`);
      expect(idNames(found)).toEqual(intendedLike(target, input, mode));
    }

    // Second order: the payload is stored (as bob's bio), read back, and reused as input to another query.
    expect(await target.run(sql`UPDATE users SET bio = ${input} WHERE id = ${2}`)).toBe(1);
    const [stored] = await target.rows(sql`SELECT bio FROM users WHERE id = ${2}`);
    expect(stored?.bio).toBe(input);
    const reused = String(stored?.bio);
    const secondOrder = await target.rows(sql`SELECT id, name FROM users WHERE name = ${reused} ORDER BY id`);
    expect(idNames(secondOrder)).toEqual(intendedEquals(target, reused));
    await target.run(sql`UPDATE users SET bio = ${BOB_BIO} WHERE id = ${2}`);
  }

  expect(await snapshot(target)).toBe(baseline);
}

/** Payloads that only wait or burn CPU: never run through the string-built queries, which would really sleep. */
export const TIME_BASED = /sleep|benchmark|waitfor|randomblob/i;

export type Outcome = 'exploited' | 'inert' | 'failed';

/** How a string-built twin of the app's queries fares against one payload. */
export interface VulnerableQueries {
  readonly name: string;
  /** `quote(input)` is what the vulnerable code puts between the single quotes. */
  readonly quote: (input: string) => string;
}

export const CONCATENATION: VulnerableQueries = { name: 'string concatenation', quote: (input) => input };
/** "Escaping" by doubling quotes: correct for PostgreSQL and SQLite, broken by MySQL's backslash escapes. */
export const QUOTE_DOUBLING: VulnerableQueries = { name: 'quote doubling', quote: (input) => input.replaceAll("'", "''") };

/**
 * Runs the vulnerable lookup and update with `input`. `exploited`: rows other than the intended ones came back, or a
 * table changed. Restores the tables afterwards when they changed.
 */
export async function attackVulnerable(target: Target, input: string, baseline: string, queries: VulnerableQueries = CONCATENATION): Promise<Outcome> {
  const quoted = queries.quote(input);
  let outcome: Outcome = 'inert';
  try {
    const rows = await target.unsafeRows(`SELECT id, name FROM users WHERE name = '${quoted}' ORDER BY id`);
    if (JSON.stringify(idNames(rows)) !== JSON.stringify(intendedEquals(target, input))) outcome = 'exploited';
  } catch {
    outcome = 'failed';
  }
  if ((await snapshot(target)) !== baseline) {
    outcome = 'exploited';
    await reset(target);
  }
  try {
    await target.unsafeRun(`UPDATE users SET role = 'admin' WHERE name = '${quoted}'`);
  } catch {
    if (outcome === 'inert') outcome = 'failed';
  }
  if ((await snapshot(target)) !== baseline) {
    outcome = 'exploited';
    await reset(target);
  }
  return outcome;
}

/** Runs every non-time-based payload through the vulnerable queries; returns the payload texts each outcome got. */
export async function attackAllVulnerable(
  target: Target,
  corpus: readonly Payload[],
  baseline: string,
  queries: VulnerableQueries = CONCATENATION,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  for (const payload of corpus) {
    if (TIME_BASED.test(payload.text) || !isStorableString(payload.text)) continue;
    outcomes.set(payload.text, await attackVulnerable(target, payload.text, baseline, queries));
  }
  return outcomes;
}

/** Second-order payloads: stored safely, they attack the code that later concatenates the stored value. */
export const SECOND_ORDER = ["x' OR name='admin", "' UNION SELECT id, secret FROM secrets WHERE ''='"] as const;

/**
 * The second-order attack on the string-built twin: `input` is stored with a bound UPDATE (as bob's bio), read back,
 * and concatenated into a lookup. Resolves to the rows that lookup returned; restores bob's bio.
 */
export async function secondOrderVulnerable(target: Target, input: string): Promise<SqlRow[]> {
  await target.run(sql`UPDATE users SET bio = ${input} WHERE id = ${2}`);
  const [stored] = await target.rows(sql`SELECT bio FROM users WHERE id = ${2}`);
  try {
    return await target.unsafeRows(`SELECT id, name FROM users WHERE name = '${String(stored?.bio)}' ORDER BY id`);
  } finally {
    await target.run(sql`UPDATE users SET bio = ${BOB_BIO} WHERE id = ${2}`);
  }
}

/** A boolean-blind ORDER BY payload: the row order reveals whether secret #1 starts with `guess`. */
export function blindSortPayload(guess: string): string {
  return `(CASE WHEN (SELECT substr(secret, 1, 1) FROM secrets WHERE id = 1) = '${guess}' THEN id ELSE -id END)`;
}

/** Payloads that must defeat the string-built lookup on every dialect: a sample of the corpus's families. */
export const EXPLOITS_EVERYWHERE = [
  "' OR '1'='1",
  "' OR 'a'='a",
  "alice' AND '1'='1",
  "' UNION SELECT owner_id, secret FROM secrets WHERE '1'='1",
  "x' OR name='admin",
  "' UNION SELECT id, secret FROM secrets WHERE ''='",
] as const;
