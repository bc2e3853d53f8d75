/**
 * Login, device login, logout and password reset, built with Rampart: Argon2id verification that costs the same for
 * unknown users, a session id rotated at login in a `__Host-` cookie (Secure, HttpOnly, SameSite=Lax), a CSRF token
 * rebound to the new session, log lines that cannot be forged, redirects that stay on this origin, and 256-bit reset
 * tokens.
 */
import { appendFile } from 'node:fs/promises';
import { Router, type Response } from 'express';
import { rampartJson } from '@rampart/express';
import { serializeCookie, serializeCookieDeletion } from '@rampart/core/http';
import { safeRedirect } from '@rampart/core/safe/redirect';
import { presentedSession, type ShopContext } from '../context.js';
import { writeLog } from '../lib/audit-log.js';
import { findUserById, findUserByUsername, updatePasswordHash } from '../lib/db.js';
import { devicesOf } from '../lib/devices.js';
import { BAD_REQUEST, INVALID_CREDENTIALS, refuse, validated } from '../lib/problems.js';
import { DeviceLogin, Login, RedirectQuery, ResetConfirm, ResetRequest } from '../lib/schemas.js';

const RESET_TOKEN_TTL_MS = 15 * 60_000;

export function authRoutes(ctx: ShopContext): Router {
  const router = Router();
  const json = rampartJson({ maxBytes: 16 * 1024 });

  /** Starts a session for `userId` with a new id, and binds the CSRF token to it. */
  async function startSession(res: Response, userId: number): Promise<string | undefined> {
    const issued = await ctx.sessions.login(presentedSession(res), String(userId));
    if (!issued.ok) return refuse(BAD_REQUEST);
    res.append('set-cookie', serializeCookie('sid', issued.value.id));
    return res.locals.rampart?.rotateCsrfToken(issued.value.id);
  }

  router.post('/login', json, async (req, res) => {
    const body = validated(Login, req.body);
    const user = findUserByUsername(ctx.db, body.username);
    // The same Argon2id cost whether or not the user exists: the answer time does not reveal accounts.
    const verified = await ctx.passwords.verify(user?.password_hash ?? null, body.password);
    if (user === undefined || !verified.ok) {
      await writeLog(ctx.logFile, 'WARN login failed', { user: body.username });
      refuse(INVALID_CREDENTIALS);
    }
    if (verified.value.rehash !== undefined) updatePasswordHash(ctx.db, user.id, verified.value.rehash);
    await writeLog(ctx.logFile, 'INFO login ok', { user: user.username });
    const csrfToken = await startSession(res, user.id);
    res.json({ ok: true, user: { id: user.id, username: user.username, role: user.role }, csrfToken });
  });

  router.post('/devices/login', json, async (req, res) => {
    const body = validated(DeviceLogin, req.body);
    const user = findUserByUsername(ctx.db, body.username);
    for (const device of devicesOf(ctx.devices, body.username)) {
      if (user !== undefined && (await ctx.passwords.verify(device.pinHash, body.pin)).ok) {
        res.json({ device: device.name, token: ctx.tokens.issuer.issueAccessToken({ sub: String(user.id) }).token });
        return;
      }
    }
    await ctx.passwords.verifyUnknownUser(body.pin);
    refuse(INVALID_CREDENTIALS);
  });

  // POST, not GET: logging out changes state, so it goes through the CSRF check like every other change.
  router.post('/logout', async (req, res) => {
    const { next } = validated(RedirectQuery, req.query);
    await ctx.sessions.revoke(presentedSession(res));
    res.append('set-cookie', serializeCookieDeletion('sid'));
    res.locals.rampart?.rotateCsrfToken(undefined);
    res.redirect(303, safeRedirect(next));
  });

  router.post('/password-reset', json, async (req, res) => {
    const { username } = validated(ResetRequest, req.body);
    const user = findUserByUsername(ctx.db, username);
    if (user !== undefined) {
      const token = ctx.tokens.newResetToken();
      ctx.resetTokens.set(token, { userId: user.id, expiresAt: Date.now() + RESET_TOKEN_TTL_MS });
      await appendFile(ctx.outboxFile, `${JSON.stringify({ to: user.email, resetToken: token })}\n`);
    }
    res.json({ sent: true });
  });

  router.post('/password-reset/confirm', json, async (req, res) => {
    const body = validated(ResetConfirm, req.body);
    const pending = ctx.resetTokens.get(body.token);
    ctx.resetTokens.delete(body.token);
    const user = pending !== undefined && pending.expiresAt > Date.now() ? findUserById(ctx.db, pending.userId) : undefined;
    if (user === undefined) refuse(BAD_REQUEST);
    updatePasswordHash(ctx.db, user.id, await ctx.passwords.hash(body.password));
    await ctx.sessions.revokeAll(String(user.id));
    res.json({ ok: true });
  });

  return router;
}
