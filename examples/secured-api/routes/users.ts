/**
 * Sign-up, user search, profile, preferences and the staff directory, built with Rampart: closed, bounded schemas
 * (no `role` in a profile update, no `__proto__` anywhere, a linear e-mail check), Argon2id storage with a NIST
 * SP 800-63B policy, parameterised SQL and escaped LDAP filters.
 */
import { Router } from 'express';
import { rampartJson } from '@rampart/express';
import { problem } from '@rampart/core/http';
import { createPasswordPolicy } from '@rampart/core/password';
import { sessionUser, type ShopContext } from '../context.js';
import { findUsersByName, findUserByUsername, insertUser, updateProfile } from '../lib/db.js';
import { searchDirectory } from '../lib/directory.js';
import { refuse, validated } from '../lib/problems.js';
import { DirectorySearch, PreferencesUpdate, ProfileUpdate, SignUp, UserSearch } from '../lib/schemas.js';

export function userRoutes(ctx: ShopContext): Router {
  const router = Router();
  const json = rampartJson({ maxBytes: 16 * 1024 });
  const policy = createPasswordPolicy({ serviceName: 'shop' });

  router.post('/signup', json, async (req, res) => {
    const body = validated(SignUp, req.body);
    const verdict = policy.check(body.password, { userName: body.username, email: body.email });
    if (!verdict.ok) {
      refuse(
        problem(400, 'weak-password', 'Bad Request', {
          code: 'password.policy',
          extensions: { violations: verdict.violations.map((violation) => violation.code) },
        }),
      );
    }
    if (findUserByUsername(ctx.db, body.username) !== undefined) {
      refuse(problem(409, 'username-taken', 'Conflict', { code: 'signup.username_taken' }));
    }
    insertUser(ctx.db, {
      username: body.username,
      email: body.email,
      display_name: body.username,
      role: 'customer',
      password_hash: await ctx.passwords.hash(body.password),
    });
    res.status(201).json({ ok: true });
  });

  router.get('/users/search', (req, res) => {
    const { name } = validated(UserSearch, req.query);
    res.json({ users: findUsersByName(ctx.db, name) });
  });

  router.get('/users/me', async (req, res) => {
    const user = await sessionUser(ctx, req, res);
    res.json({ id: user.id, username: user.username, email: user.email, displayName: user.display_name, role: user.role });
  });

  router.patch('/users/me', json, async (req, res) => {
    const user = await sessionUser(ctx, req, res);
    const changes = validated(ProfileUpdate, req.body);
    updateProfile(ctx.db, user.id, { email: changes.email ?? user.email, displayName: changes.display_name ?? user.display_name });
    res.json({ id: user.id, username: user.username, role: user.role });
  });

  router.put('/users/me/preferences', json, async (req, res) => {
    const user = await sessionUser(ctx, req, res);
    const changes = validated(PreferencesUpdate, req.body);
    const current = ctx.preferences.get(user.id) ?? {};
    // Field by field: only what the schema names is ever copied.
    const next = {
      theme: changes.theme ?? current.theme,
      language: changes.language ?? current.language,
      notifications: {
        email: changes.notifications?.email ?? current.notifications?.email,
        sms: changes.notifications?.sms ?? current.notifications?.sms,
      },
    };
    ctx.preferences.set(user.id, next);
    res.json({ preferences: next });
  });

  router.get('/directory', (req, res) => {
    const { uid } = validated(DirectorySearch, req.query);
    res.json({ entries: searchDirectory(uid) });
  });

  return router;
}
