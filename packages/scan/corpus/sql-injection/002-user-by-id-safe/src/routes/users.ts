import { Router } from 'express';
import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL });
export const users = Router();

users.get('/users/:id', async (req, res) => {
  const result = await pool.query('SELECT id, email, display_name FROM users WHERE id = $1', [req.params.id]);
  if (result.rowCount === 0) return res.status(404).json({ error: 'not found' });
  res.json(result.rows[0]);
});
