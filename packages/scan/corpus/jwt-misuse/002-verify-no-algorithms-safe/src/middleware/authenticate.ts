import type { NextFunction, Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { readFileSync } from 'node:fs';

const PUBLIC_KEY = readFileSync(process.env.JWT_PUBLIC_KEY_PATH ?? 'keys/jwt.pub');

export function authenticate(req: Request, res: Response, next: NextFunction) {
  const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
  try {
    req.user = jwt.verify(token, PUBLIC_KEY, { algorithms: ['RS256'], issuer: 'https://id.example.com', audience: 'api' }) as Express.User;
    next();
  } catch {
    res.status(401).json({ error: 'invalid token' });
  }
}
