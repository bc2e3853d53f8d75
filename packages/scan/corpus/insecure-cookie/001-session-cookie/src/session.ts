import type { Response } from 'express';

export function setSessionCookie(res: Response, sessionId: string) {
  res.cookie('session', sessionId, { httpOnly: false, maxAge: 86_400_000 });
}
