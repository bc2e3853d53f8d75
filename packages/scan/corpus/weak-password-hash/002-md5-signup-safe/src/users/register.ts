import { hash } from '@node-rs/argon2';
import type { Request, Response } from 'express';
import { users } from '../db';

export async function register(req: Request, res: Response) {
  const password = String(req.body.password);
  const passwordHash = await hash(password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  await users.insert({ email: String(req.body.email), passwordHash });
  res.status(201).end();
}
