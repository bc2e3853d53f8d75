import type { Request, Response } from 'express';
import { pool } from './db';

export async function feed(req: Request, res: Response) {
  const limit = req.query.limit as string;
  const { rows } = await pool.query(`SELECT id, body, created_at FROM posts ORDER BY created_at DESC LIMIT ${limit}`);
  res.json(rows);
}
