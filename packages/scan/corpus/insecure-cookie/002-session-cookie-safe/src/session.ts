import type { Response } from 'express';

export function setSessionCookie(res: Response, sessionId: string) {
  res.cookie('session', sessionId, { httpOnly: true, secure: true, sameSite: 'lax', maxAge: 86_400_000 });
}
