/** What every route module of the vulnerable shop shares: the database, the files and the in-memory state. */
import type { Request } from 'express';
import type { ShopConfig } from './config.js';
import { findUserById, type Db, type UserRow } from './lib/db.js';

export interface ShopContext {
  readonly config: ShopConfig;
  readonly db: Db;
  readonly uploadsDir: string;
  readonly logFile: string;
  readonly outboxFile: string;
  /** Session id → user id. */
  readonly sessions: Map<string, number>;
  /** Reset token → user id. */
  readonly resetTokens: Map<string, number>;
  /** User id → preferences. */
  readonly preferences: Map<number, Record<string, unknown>>;
}

/** The user of the request's `sid` cookie, if it names a live session. */
export function sessionUser(ctx: ShopContext, req: Request): UserRow | undefined {
  const cookies = req.headers.cookie ?? '';
  const sid = /(?:^|;\s*)sid=([^;]+)/.exec(cookies)?.[1];
  const userId = sid === undefined ? undefined : ctx.sessions.get(sid);
  return userId === undefined ? undefined : findUserById(ctx.db, userId);
}
