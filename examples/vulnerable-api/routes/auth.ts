/**
 * Login, device login, logout and password reset. DELIBERATELY INSECURE: log forging through the user name, a session
 * cookie without HttpOnly/Secure/SameSite, a NoSQL operator login bypass, an open redirect after logout and guessable
 * reset tokens.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { Router, type Response } from 'express';
import type { ShopContext } from '../context.js';
import { writeLog } from '../lib/audit-log.js';
import { findUserById, findUserByUsername, saveUser } from '../lib/db.js';
import { findDevice } from '../lib/devices.js';
import { checkPassword, hashPassword } from '../lib/passwords.js';
import { newResetToken, signToken } from '../lib/tokens.js';

export function authRoutes(ctx: ShopContext): Router {
  const router = Router();

  function startSession(res: Response, userId: number): void {
    const sid = randomBytes(16).toString('hex');
    ctx.sessions.set(sid, userId);
    res.cookie('sid', sid);
  }

  router.post('/login', (req, res) => {
    const { username, password } = req.body as { username: string; password: string };
    const user = findUserByUsername(ctx.db, String(username));
    if (user === undefined || !checkPassword(String(password), user.password_hash)) {
      writeLog(ctx.logFile, `WARN login failed user=${username}`);
      res.status(401).json({ error: 'invalid credentials' });
      return;
    }
    writeLog(ctx.logFile, `INFO login ok user=${user.username}`);
    startSession(res, user.id);
    res.json({ ok: true, user: { id: user.id, username: user.username, role: user.role } });
  });

  // The mobile app pairs a device once, then logs in with the user name and a 4-digit PIN.
  router.post('/devices/login', (req, res) => {
    const body = req.body as { username: unknown; pin: unknown };
    const device = findDevice(body.username, body.pin);
    if (device === undefined) {
      res.status(401).json({ error: 'invalid PIN' });
      return;
    }
    const user = findUserByUsername(ctx.db, device.username);
    if (user === undefined) {
      res.status(401).json({ error: 'invalid PIN' });
      return;
    }
    res.json({ device: device.name, token: signToken({ sub: String(user.id), role: user.role }) });
  });

  router.get('/logout', (req, res) => {
    const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (sid !== undefined) ctx.sessions.delete(sid);
    res.clearCookie('sid');
    const next = typeof req.query.next === 'string' ? req.query.next : '/';
    res.redirect(next);
  });

  router.post('/password-reset', (req, res) => {
    const { username } = req.body as { username: string };
    const user = findUserByUsername(ctx.db, String(username));
    if (user !== undefined) {
      const token = newResetToken();
      ctx.resetTokens.set(token, user.id);
      appendFileSync(ctx.outboxFile, `${JSON.stringify({ to: user.email, resetToken: token })}\n`);
    }
    res.json({ sent: true });
  });

  router.post('/password-reset/confirm', (req, res) => {
    const { token, password } = req.body as { token: string; password: string };
    const userId = ctx.resetTokens.get(String(token));
    const user = userId === undefined ? undefined : findUserById(ctx.db, userId);
    if (user === undefined) {
      res.status(400).json({ error: 'invalid token' });
      return;
    }
    ctx.resetTokens.delete(String(token));
    saveUser(ctx.db, { ...user, password_hash: hashPassword(String(password)) });
    res.json({ ok: true });
  });

  return router;
}
