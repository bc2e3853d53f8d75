import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sql } from '../../safe/sql/sql.js';
import { sqliteAll } from '../../safe/sql/drivers.js';
import { compilePolicies } from '../policy/compile.js';
import { AuthzPlanError } from './errors.js';
import { COLUMNS, PLAN_POLICY } from './plan.fixtures.js';
import { planResources } from './planner.js';
import { planToSql } from './sql.js';

const payloads = readFileSync(new URL('./corpus/injection-values.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'));
const time = new Date('2026-01-01T00:00:00Z');

function seededTable(): { db: Database.Database; table: ReturnType<typeof sql.identifier> } {
  const db = new Database(':memory:');
  const name = `docs_${randomUUID().replaceAll('-', '')}`;
  db.exec(`CREATE TABLE ${name} (id TEXT PRIMARY KEY, owner_id TEXT, tenant_id TEXT, status TEXT, dept TEXT, level REAL, locked INTEGER)`);
  const insert = db.prepare(`INSERT INTO ${name} VALUES (?, ?, ?, ?, ?, ?, ?)`);
  insert.run('a1', 'alice', 'acme', 'published', 'eng', 1, 0);
  insert.run('a2', 'bob', 'acme', 'draft', 'ops', 5, 1);
  insert.run('g1', 'alice', 'globex', 'published', 'eng', 1, 0);
  insert.run('g2', 'mallory', 'globex', 'draft', 'eng', 1, 0);
  insert.run('n1', 'alice', null, 'published', null, null, null);
  return { db, table: sql.identifier(name, [name]) };
}

describe('attack: cross-tenant listing', () => {
  it("an admin of acme selects no row of another tenant, for every action and however the ids match", () => {
    const { db, table } = seededTable();
    let selected = 0;
    for (const action of ['read', 'update', 'delete']) {
      const plan = planResources(PLAN_POLICY, { id: 'alice', tenant: 'acme', roles: ['admin', 'viewer', 'guest'] }, action, 'doc', { time });
      const rows = sqliteAll(db, sql`SELECT id, tenant_id FROM ${table} WHERE ${planToSql(plan, COLUMNS)}`);
      selected += rows.length;
      expect(rows.every((row) => row.tenant_id === 'acme')).toBe(true);
    }
    expect(selected).toBeGreaterThan(0);
    db.close();
  });

  it('a tenant named in the request but not bound to the principal grants nothing there', () => {
    const { db, table } = seededTable();
    // Roles for "__proto__" or an inherited key are not roles in any tenant.
    const principal = { id: 'alice', tenant: 'acme', roles: [], tenantRoles: JSON.parse('{"__proto__": ["admin"]}') as Record<string, string[]> };
    const plan = planResources(PLAN_POLICY, principal, 'read', 'doc', { time });
    const rows = sqliteAll(db, sql`SELECT id FROM ${table} WHERE ${planToSql(plan, COLUMNS)}`);
    expect(rows).toEqual([]);
    db.close();
  });
});

describe('attack: injection through principal and attribute values', () => {
  it.each(payloads)('%s stays a bound parameter and matches only itself', (payload) => {
    const { db, table } = seededTable();
    const plan = planResources(PLAN_POLICY, { id: payload, tenant: 'acme', roles: ['guest'] }, 'update', 'doc', { time, fields: ['title'] });
    const where = planToSql(plan, COLUMNS);
    for (const dialect of ['sqlite', 'postgres', 'mysql'] as const) {
      const compiled = where.compile(dialect);
      expect(compiled.text.includes(payload)).toBe(false);
    }
    expect(where.compile('sqlite').values).toContain(payload);
    // The guest may edit titles of own rows or drafts: a payload id owns nothing, so only the acme draft.
    expect(sqliteAll(db, sql`SELECT id FROM ${table} WHERE ${where}`).map((row) => row.id)).toEqual([]);
    db.prepare(`INSERT INTO ${table.compile('sqlite').text} VALUES ('x1', ?, 'acme', 'archived', null, null, 0)`).run(payload);
    expect(sqliteAll(db, sql`SELECT id FROM ${table} WHERE ${where}`).map((row) => row.id)).toEqual(['x1']);
    db.close();
  });
});

describe('attack: a filter that cannot be mapped never widens', () => {
  it('refuses an unmapped attribute when the SQL is built', () => {
    const plan = planResources(PLAN_POLICY, { id: 'alice', tenant: 'acme', roles: ['viewer'] }, 'read', 'doc', { time });
    expect(plan.kind).toBe('conditional');
    const { level: _level, ...withoutLevel } = COLUMNS.attributes ?? {};
    expect(() => planToSql(plan, { ...COLUMNS, attributes: withoutLevel })).toThrow(expect.objectContaining({ code: 'AUTHZ_PLAN_UNMAPPED_FIELD', field: 'attributes.level' }));
    expect(() => planToSql(plan, { ...COLUMNS, tenant: undefined })).toThrow(AuthzPlanError);
    // Inherited properties are not mappings.
    expect(() => planToSql(plan, { ...COLUMNS, attributes: Object.create({ level: 'level' }) as Record<string, string> })).toThrow(AuthzPlanError);
  });

  it('refuses a look-alike plan object', () => {
    expect(() => planToSql({ kind: 'conditional', filter: { op: 'raw', sql: '1=1' } } as never, COLUMNS)).toThrow(expect.objectContaining({ code: 'AUTHZ_PLAN_INVALID' }));
    expect(() => planToSql({ kind: 'everything' } as never, COLUMNS)).toThrow(expect.objectContaining({ code: 'AUTHZ_PLAN_INVALID' }));
  });

  it('quotes column names as identifiers, never pasting them', () => {
    const { db, table } = seededTable();
    const plan = planResources(PLAN_POLICY, { id: 'alice', tenant: 'acme', roles: ['viewer'] }, 'read', 'doc', { time });
    const hostile = planToSql(plan, { ...COLUMNS, tenant: 'tenant_id IS NOT NULL OR 1=1 --' });
    expect(hostile.compile('sqlite').text).toContain('"tenant_id IS NOT NULL OR 1=1 --"');
    expect(() => sqliteAll(db, sql`SELECT id FROM ${table} WHERE ${hostile}`)).toThrow(/no such column/);
    db.close();
    expect(planToSql(plan, { ...COLUMNS, tenant: 'd.tenant_id' }).compile('postgres').text).toContain('"d"."tenant_id"');
  });
});

const UNTRANSLATABLE = compilePolicies([
  {
    source: 'u.yaml',
    text: `
apiVersion: rampart.authz/v1
name: u
version: "1"
roles:
  user: { permissions: ["doc:read"] }
  boss: {}
resources:
  doc:
    actions: [read, list]
    rules:
      - name: tagged
        effect: allow
        roles: [user, boss]
        actions: [list]
        condition: resource.attributes.tags.exists(t, t == "public")
      - name: mine
        effect: allow
        roles: [user, boss]
        actions: [list]
        condition: resource.owner == principal.id
      - name: embargo
        effect: deny
        roles: [user]
        actions: [read]
        condition: request.time < timestamp(resource.attributes.until) && !("boss" in principal.roles)
`,
  },
]);

describe('fail closed: conditions the planner cannot translate', () => {
  it('an untranslatable allow is dropped and stops later allows (as a failing condition does in check)', () => {
    const plan = planResources(UNTRANSLATABLE, { id: 'alice', roles: ['user'] }, 'list', 'doc', { time });
    expect(plan).toEqual({ kind: 'always_denied', reason: 'condition_not_translatable', untranslated: ['resources/doc/tagged'] });
  });

  it('an untranslatable deny makes the affected tenant case always denied', () => {
    const plan = planResources(UNTRANSLATABLE, { id: 'alice', tenant: 'acme', roles: ['user'], tenantRoles: { globex: ['user', 'boss'] } }, 'read', 'doc', { time });
    // In acme the embargo cannot be decided: nothing there. In globex, a boss, the deny is known false.
    expect(plan).toEqual({
      kind: 'conditional',
      filter: { op: 'eq', field: { kind: 'tenant' }, value: 'globex' },
      untranslated: ['resources/doc/embargo'],
    });
  });
});
