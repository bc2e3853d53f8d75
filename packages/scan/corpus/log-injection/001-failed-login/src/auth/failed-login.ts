import type { Request, Response } from 'express';
import pino from 'pino';

const logger = pino();

export function onFailedLogin(req: Request, res: Response) {
  const username = String(req.body.username ?? '');
  console.warn('Failed login for user ' + username + ' from ' + req.ip);
  res.status(401).json({ error: 'invalid credentials' });
}
