import Database from 'better-sqlite3';
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
import { sql, sqliteAll, sqliteRun, type SqlRow } from './index.js';

const corpus = loadCorpus();

function sqliteTarget(db: Database.Database): Target {
  return {
    dialect: 'sqlite',
    equalsIgnoresTrailingSpaces: false,
    likeIgnoresAsciiCase: true,
    rows: (query) => Promise.resolve(sqliteAll(db, query)),
    run: (query) => Promise.resolve(sqliteRun(db, query).changes),
    // The usual vulnerable code: a template string handed to prepare(); better-sqlite3 refuses a second statement.
    unsafeRows: (text) => Promise.resolve(db.prepare(text).all() as SqlRow[]),
    unsafeRun: (text) => Promise.resolve(void db.prepare(text).run()),
    tables: () =>
      Promise.resolve(
        sqliteAll(db, sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'`).map((row) => String(row.name)),
      ),
  };
}

describe('sql on SQLite (better-sqlite3): the injection corpus', () => {
  const db = new Database(':memory:');
  const target = sqliteTarget(db);
  let baseline = '';

  beforeAll(async () => {
    await reset(target);
    baseline = await snapshot(target);
  });
  afterAll(() => db.close());

  it('has at least 100 payloads, none of them a seeded name (so the intended answer is known)', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(100);
    for (const payload of corpus) expect(USERS.map((u) => u.name)).not.toContain(payload.text);
  });

  it.for(corpus)('$label is inert in lookup, update, LIKE, second-order, ORDER BY and identifiers', async (payload) => {
    await assertInert(target, payload, baseline);
  });

  it('the string-built twin of the same queries is exploited by the corpus (the corpus attacks something)', async () => {
    const outcomes = await attackAllVulnerable(target, corpus, baseline);
    for (const payload of [...EXPLOITS_EVERYWHERE, "admin'--", "' UNION SELECT id, secret FROM secrets--", "' OR 0x31=0x31--", "' OR 1=1--"]) {
      expect.soft(outcomes.get(payload), payload).toBe('exploited');
    }
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

  it('a string-built ORDER BY leaks a secret one bit at a time; sql.orderBy refuses the same payload', () => {
    const order = (payload: string): number[] =>
      (db.prepare(`SELECT id FROM users ORDER BY ${payload}`).all() as SqlRow[]).map((row) => Number(row.id));
    expect(order(blindSortPayload('s'))).not.toEqual(order(blindSortPayload('x')));
    expect(() => sql`SELECT id FROM users ${sql.orderBy(blindSortPayload('s'), { id: 'id' })}`).toThrow(
      expect.objectContaining({ code: 'SQL_SORT_NOT_ALLOWED' }),
    );
  });

  it('an unescaped but bound LIKE pattern lists every row for "%"; sql.like finds only the literal match', () => {
    const unescaped = sqliteAll(db, sql`SELECT id FROM users WHERE name LIKE ${'%' + '%' + '%'} ORDER BY id`);
    expect(unescaped).toHaveLength(USERS.length);
    const escaped = sqliteAll(db, sql`SELECT id FROM users WHERE name ${sql.like('%')} ORDER BY id`);
    expect(escaped).toEqual([{ id: 6 }]);
  });
});
