import { Router } from 'express';
import { pool } from '../db.mjs';
import { whereEquals } from '../helpers/where.mjs';

export const vendors = Router();

vendors.get('/vendors/by-code', async (req, res) => {
  const clause = whereEquals('code', req.query.code);
  const [rows] = await pool.execute(`SELECT id, name FROM vendors ${clause.text}`, clause.values);
  res.json(rows);
});
