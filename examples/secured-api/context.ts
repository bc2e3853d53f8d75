/** What every route module of the secured shop shares, and how a request finds its user. */
import type { Request, Response } from 'express';
import { cookieName } from '@rampart/core/http';
import type { PasswordHasher } from '@rampart/core/password';
import type { SessionManager } from '@rampart/core/session';
import type { SecuredShopConfig } from './config.js';
import { findUserById, type Db, type UserRow } from './lib/db.js';
import type { Device } from './lib/devices.js';
import { UNAUTHENTICATED, refuse } from './lib/problems.js';
import type { Uploads } from './lib/storage.js';
import type { ShopTokens } from './lib/tokens.js';

export interface ShopContext {
  readonly config: SecuredShopConfig;
  readonly db: Db;
  readonly passwords: PasswordHasher;
  readonly sessions: SessionManager;
  readonly tokens: ShopTokens;
  readonly uploads: Uploads;
  readonly devices: Device[];
  readonly logFile: string;
  readonly outboxFile: string;
  /** Reset token → user id. Single use, short lived. */
  readonly resetTokens: Map<string, { readonly userId: number; readonly expiresAt: number }>;
  /** User id → preferences (only the fields the schema names). */
  readonly preferences: Map<number, Preferences>;
}

export interface Preferences {
  theme?: 'light' | 'dark';
  language?: string;
  notifications?: { email?: boolean; sms?: boolean };
}

/** The name of the session cookie: `__Host-sid` (Secure, no Domain, Path=/). */
export const SESSION_COOKIE = cookieName('sid');

/** The session id the request presents, if any. */
export function presentedSession(res: Response): string | undefined {
  return res.locals.rampart?.request.cookies.get(SESSION_COOKIE);
}

/** The user of the request's session, or a 401 problem. */
export async function sessionUser(ctx: ShopContext, _req: Request, res: Response): Promise<UserRow> {
  const checked = await ctx.sessions.validate(presentedSession(res));
  const userId = checked.ok ? checked.value.userId : undefined;
  const user = userId === undefined ? undefined : findUserById(ctx.db, Number(userId));
  return user ?? refuse(UNAUTHENTICATED);
}

/** The user of the request's bearer token (an EdDSA access token), or a 401 problem. */
export function bearerUser(ctx: ShopContext, req: Request): UserRow {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  const verified = ctx.tokens.verifier.verify(token);
  const user = verified.ok && verified.value.claims.sub !== undefined ? findUserById(ctx.db, Number(verified.value.claims.sub)) : undefined;
  return user ?? refuse(UNAUTHENTICATED);
}
