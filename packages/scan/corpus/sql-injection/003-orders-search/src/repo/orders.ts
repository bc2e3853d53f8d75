import { pool } from '../db.js';

const NOT_DELETED = 'deleted_at IS NULL';

export async function searchOrders(orgId: string, term: string) {
  const sql = `SELECT * FROM orders WHERE org_id = $1 AND ${NOT_DELETED} AND note ILIKE '%${term}%'`;
  const { rows } = await pool.query(sql, [orgId]);
  return rows;
}
