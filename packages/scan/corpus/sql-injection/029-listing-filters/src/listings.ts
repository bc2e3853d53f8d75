import { Hono } from 'hono';
import { db } from './db';

const FILTERABLE = new Set(['city', 'bedrooms', 'kind']);
export const listings = new Hono();

listings.get('/listings', async (c) => {
  const filters = { active: '1', ...c.req.query() };
  const where = Object.entries(filters).map(([k, v]) => `${k} = '${v}'`).join(' AND ');
  const [rows] = await db.query(`SELECT * FROM listings WHERE ${where}`);
  return c.json(rows);
});
