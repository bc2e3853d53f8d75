import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { users } from '../db';

export async function register(req: Request, res: Response) {
  const password = String(req.body.password);
  const passwordHash = createHash('md5').update(password).digest('hex');
  await users.insert({ email: String(req.body.email), passwordHash });
  res.status(201).end();
}
