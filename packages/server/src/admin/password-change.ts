import type { FastifyInstance } from 'fastify';
import { ProblemError } from '@rampart/fastify';
import type { Kysely } from 'kysely';
import type { RampartDatabase } from '../db/schema.js';
import type { WriteTransaction } from '../stores/sql.js';
import { PASSWORD_CHANGE_REQUIRED } from './problems.js';

/** Prefix of the `rampart_meta` rows that mark an account as signed in with a one-time password. */
export const PASSWORD_CHANGE_PREFIX = 'admin.password-change-required:';

/**
 * What an account holding a one-time password may still do: change it (with the step-up it may need first), learn who
 * it is, fetch its CSRF token, read its profile, and sign out.
 */
const ALLOWED_ROUTES: ReadonlySet<string> = new Set([
  'POST /v1/password/change',
  'POST /v1/session/step-up',
  'POST /v1/logout',
  'GET /v1/identity',
  'GET /v1/csrf',
  'GET /v1/account',
]);

/**
 * Marks `userId` as holding a password someone else chose (`rampart admin create`, the first start): until its
 * `password_changed_at` moves past `passwordChangedAt` — a password change or reset does that — every authenticated
 * request but the ones that lead to a change is refused. The mark is a `rampart_meta` row keyed by the account, so no
 * migration of the accounts table is needed, and it goes stale by itself when the password changes.
 */
export async function requirePasswordChange(trx: WriteTransaction, userId: string, passwordChangedAt: string): Promise<void> {
  const key = PASSWORD_CHANGE_PREFIX + userId;
  await trx.insertInto('rampart_meta').values({ key, value: passwordChangedAt }).onConflict((c) => c.column('key').doUpdateSet({ value: passwordChangedAt })).execute();
}

/**
 * Whether `userId` still holds the one-time password it was given: the mark exists and the password has not changed
 * since. A stale mark is deleted (conditionally on its value, so a newer mark written meanwhile stays).
 */
export async function passwordChangeRequired(db: Kysely<RampartDatabase>, userId: string): Promise<boolean> {
  const key = PASSWORD_CHANGE_PREFIX + userId;
  const mark = await db.selectFrom('rampart_meta').select('value').where('key', '=', key).executeTakeFirst();
  if (mark === undefined) return false;
  const user = await db.selectFrom('rampart_users').select('password_changed_at').where('id', '=', userId).executeTakeFirst();
  if (user !== undefined && user.password_changed_at === mark.value) return true;
  await db.deleteFrom('rampart_meta').where('key', '=', key).where('value', '=', mark.value).execute();
  return false;
}

/**
 * Adds the hook that holds an account with a one-time password to the routes that change it: `403
 * auth.password_change_required` on every other route, for a session and for an access token alike. Register after
 * the authenticators (the hook reads `request.identity`).
 *
 * Protects against a one-time password printed on a terminal (or in a deployment log an operator copied) staying a
 * working administrator credential: whoever signs in with it must replace it before doing anything, and the operator
 * who set it no longer knows the password in use.
 */
export function enforcePasswordChange(app: FastifyInstance, db: Kysely<RampartDatabase>): void {
  app.addHook('preHandler', async (request) => {
    const identity = request.identity;
    // API keys reach only the decision API (a hot path) and never a route that acts for the person: not checked.
    if (identity === undefined || identity.source === 'api_key') return;
    if (ALLOWED_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) return;
    // One primary-key lookup per authenticated request; the accounts table is read only for marked accounts.
    if (await passwordChangeRequired(db, identity.userId)) throw new ProblemError(PASSWORD_CHANGE_REQUIRED);
  });
}
