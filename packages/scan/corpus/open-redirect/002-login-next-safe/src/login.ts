import type { Request, Response } from 'express';
import { authenticate } from './auth';

export async function login(req: Request, res: Response) {
  await authenticate(req);
  const next = String(req.query.next ?? '/');
  const isLocalPath = next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\');
  res.redirect(isLocalPath ? next : '/');
}
