import type { Request, Response } from 'express';
import { authenticate } from './auth';

export async function login(req: Request, res: Response) {
  await authenticate(req);
  const next = String(req.query.next ?? '/');
  res.redirect(next);
}
