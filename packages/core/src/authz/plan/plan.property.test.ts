import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../safe/sql/sql.js';
import { pgQuery, sqliteAll } from '../../safe/sql/drivers.js';
import { Authorizer } from '../engine/authorizer.js';
import { planResources } from './planner.js';
import { planToSql } from './sql.js';
import { actionArb, COLUMNS, contextArb, PLAN_POLICY, principalArb, resourceOf, rowsArb, type DocRow } from './plan.fixtures.js';

const authorizer = new Authorizer(PLAN_POLICY);
const COLUMN_NAMES = ['id', 'owner_id', 'tenant_id', 'status', 'dept', 'level', 'locked'];
const property = fc.record({ rows: rowsArb, principal: principalArb, action: actionArb, context: contextArb });

function expectedIds(rows: readonly DocRow[], value: { principal: Parameters<Authorizer["filter"]>[0]; action: string; context: Parameters<Authorizer["filter"]>[3] }): string[] {
  return authorizer
    .filter(value.principal, value.action, rows.map(resourceOf), value.context)
    .map((resource) => resource.id ?? '')
    .sort();
}

describe('planResources + planToSql on SQLite: the rows selected are exactly authorizer.filter()', () => {
  const db = new Database(':memory:');
  const table = `docs_${randomUUID().replaceAll('-', '')}`;
  const tableId = sql.identifier(table, [table]);
  beforeAll(() => {
    db.exec(`CREATE TABLE ${table} (id TEXT PRIMARY KEY, owner_id TEXT, tenant_id TEXT, status TEXT, dept TEXT, level REAL, locked INTEGER)`);
  });
  afterAll(() => db.close());

  it('agrees with check() on random principals, contexts and rows', () => {
    let conditional = 0;
    fc.assert(
      fc.property(property, (value) => {
        db.exec(`DELETE FROM ${table}`);
        for (const row of value.rows) {
          db.prepare(`INSERT INTO ${table} (${COLUMN_NAMES.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
            row.id, row.owner_id, row.tenant_id, row.status, row.dept, row.level, row.locked === null ? null : Number(row.locked),
          );
        }
        const plan = planResources(PLAN_POLICY, value.principal, value.action, 'doc', value.context);
        if (plan.kind === 'conditional') conditional += 1;
        expect(plan.untranslated).toEqual([]);
        const selected = sqliteAll(db, sql`SELECT id FROM ${tableId} WHERE ${planToSql(plan, COLUMNS)}`).map((row) => String(row.id)).sort();
        expect(selected).toEqual(expectedIds(value.rows, value));
      }),
      { numRuns: 600, seed: 20260115 },
    );
    // The property is about filters, not only the trivial plans.
    expect(conditional).toBeGreaterThan(100);
  });
});

const pgUrl = process.env.RAMPART_TEST_PG_URL;

describe.skipIf(pgUrl === undefined)('planResources + planToSql on PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  const client = new pg.Client({ connectionString: pgUrl });
  const table = `docs_${randomUUID().replaceAll('-', '')}`;
  const tableId = sql.identifier(table, [table]);
  beforeAll(async () => {
    await client.connect();
    await client.query(
      `CREATE TABLE ${table} (id TEXT PRIMARY KEY, owner_id TEXT, tenant_id TEXT, status TEXT, dept TEXT, level DOUBLE PRECISION, locked BOOLEAN)`,
    );
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  it('agrees with check() on random principals, contexts and rows', async () => {
    await fc.assert(
      fc.asyncProperty(property, async (value) => {
        await client.query(`DELETE FROM ${table}`);
        for (const row of value.rows) {
          await pgQuery(client, sql`INSERT INTO ${tableId} (id, owner_id, tenant_id, status, dept, level, locked)
            VALUES (${row.id}, ${row.owner_id}, ${row.tenant_id}, ${row.status}, ${row.dept}, ${row.level}, ${row.locked})`);
        }
        const plan = planResources(PLAN_POLICY, value.principal, value.action, 'doc', value.context);
        const { rows } = await pgQuery(client, sql`SELECT id FROM ${tableId} WHERE ${planToSql(plan, COLUMNS)}`);
        expect(rows.map((row) => String(row.id)).sort()).toEqual(expectedIds(value.rows, value));
      }),
      { numRuns: 150, seed: 20260116 },
    );
  });
});
