import { Hono } from 'hono';
import { db } from './db';

const FILTERABLE = new Set(['city', 'bedrooms', 'kind']);
export const listings = new Hono();

listings.get('/listings', async (c) => {
  const filters = { active: '1', ...c.req.query() };
  const entries = Object.entries(filters).filter(([k]) => k === 'active' || FILTERABLE.has(k));
  const where = entries.map(([k]) => `${k} = ?`).join(' AND ');
  const [rows] = await db.execute(`SELECT * FROM listings WHERE ${where}`, entries.map(([, v]) => v));
  return c.json(rows);
});
