/**
 * Sign-up, user search, profile, preferences and the staff directory. DELIBERATELY INSECURE: a super-linear e-mail
 * pattern, MD5 password storage, string-built SQL, mass assignment of `role`, prototype pollution through a deep
 * merge, and LDAP filter injection.
 */
import { Router } from 'express';
import { sessionUser, type ShopContext } from '../context.js';
import { findUsersByName, findUserByUsername, insertUser, saveUser, type UserRow } from '../lib/db.js';
import { searchDirectory } from '../lib/directory.js';
import { deepMerge } from '../lib/merge.js';
import { hashPassword } from '../lib/passwords.js';
import { isEmail } from '../lib/validation.js';

export function userRoutes(ctx: ShopContext): Router {
  const router = Router();

  router.post('/signup', (req, res) => {
    const { username, email, password } = req.body as { username: string; email: string; password: string };
    if (!isEmail(String(email))) {
      res.status(400).json({ error: 'invalid email' });
      return;
    }
    if (findUserByUsername(ctx.db, String(username)) !== undefined) {
      res.status(409).json({ error: 'taken' });
      return;
    }
    insertUser(ctx.db, {
      username: String(username),
      email: String(email),
      display_name: String(username),
      role: 'customer',
      password_hash: hashPassword(String(password)),
    });
    res.status(201).json({ ok: true });
  });

  router.get('/users/search', (req, res) => {
    const name = String(req.query.name ?? '');
    res.json({ users: findUsersByName(ctx.db, name) });
  });

  router.get('/users/me', (req, res) => {
    const user = sessionUser(ctx, req);
    if (user === undefined) {
      res.status(401).json({ error: 'log in first' });
      return;
    }
    res.json({ id: user.id, username: user.username, email: user.email, displayName: user.display_name, role: user.role });
  });

  // The profile form sends the fields it shows (email, display_name); everything in the body is saved.
  router.patch('/users/me', (req, res) => {
    const user = sessionUser(ctx, req);
    if (user === undefined) {
      res.status(401).json({ error: 'log in first' });
      return;
    }
    const updated = { ...user, ...(req.body as Partial<UserRow>) };
    saveUser(ctx.db, updated);
    res.json({ id: updated.id, username: updated.username, role: updated.role });
  });

  router.put('/users/me/preferences', (req, res) => {
    const user = sessionUser(ctx, req);
    if (user === undefined) {
      res.status(401).json({ error: 'log in first' });
      return;
    }
    const current = ctx.preferences.get(user.id) ?? {};
    ctx.preferences.set(user.id, deepMerge(current, req.body as Record<string, unknown>));
    res.json({ preferences: ctx.preferences.get(user.id) });
  });

  router.get('/directory', (req, res) => {
    const uid = String(req.query.uid ?? '');
    res.json({ entries: searchDirectory(uid) });
  });

  return router;
}
