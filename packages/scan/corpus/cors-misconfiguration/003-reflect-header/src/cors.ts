import type { NextFunction, Request, Response } from 'express';

const ALLOWED = new Set(['https://app.example.com']);

export function corsHeaders(req: Request, res: Response, next: NextFunction) {
  const origin = req.headers.origin;
  res.setHeader('Access-Control-Allow-Origin', origin ?? '*');
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  next();
}
