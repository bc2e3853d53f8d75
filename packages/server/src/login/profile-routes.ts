import type { Clock } from '@rampart/core';
import { compile, Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { requireIdentity } from '../auth/guards.js';
import type { RampartDatabase } from '../db/schema.js';
import type { LoginEvents } from './events.js';
import { bodyOf, sendJson } from './http.js';
import { ACCOUNT_GONE } from './problems.js';
import { documented, responses } from '../openapi/schemas.js';

/** What the profile routes are built from. */
export interface ProfileRouteDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly clock: Clock;
  readonly events: LoginEvents;
}

/**
 * A display name: 1–64 characters, no control, format (bidi overrides, zero-width), surrogate, private-use or
 * unassigned code points anywhere, no leading or trailing whitespace, no line or paragraph separators. Spaces inside
 * are fine ("Ada Lovelace").
 */
const DISPLAY_NAME = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\p{C}\\p{Z}](?:[^\\p{C}\\p{Zl}\\p{Zp}]*[^\\p{C}\\p{Z}])?$' });

// The only member a user may change. Closed: `role`, `tenant`, `emailVerified`, `id`, `email` or anything else is a
// 400 and nothing is written (mass assignment); the address changes only through a verified flow, never here.
const patchBody = compile(Type.Object({ displayName: Type.Union([DISPLAY_NAME, Type.Null()]) }));

/** The account as its owner sees it (`GET /v1/account`, the account page). */
export interface AccountProfile {
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly displayName: string | null;
  readonly createdAt: string;
}

/**
 * The profile of the account `userId` — the caller's own, taken from its identity, never from the request (IDOR) —
 * or `undefined` when the account is gone. One read for the JSON route and the account page.
 */
export async function accountProfile(db: Kysely<RampartDatabase>, userId: string): Promise<AccountProfile | undefined> {
  const row = await db
    .selectFrom('rampart_users')
    .select(['id', 'email', 'email_verified_at', 'display_name', 'created_at'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return { id: row.id, email: row.email, emailVerified: row.email_verified_at !== null, displayName: row.display_name, createdAt: row.created_at };
}

/**
 * `GET /v1/account` and `PATCH /v1/account`: the caller's own profile, by session or access token (never an API key:
 * a machine credential does not manage the person's account).
 *
 * Protects against: mass assignment (a closed schema with one member, `displayName`); display names that spoof other
 * text (bidi overrides, invisible characters, NFC-normalized before storing); IDOR (the account is always the
 * caller's own, from the identity, never from the request); personal data in caches (`no-store`).
 */
export function registerProfileRoutes(app: FastifyInstance, deps: ProfileRouteDeps): void {
  const { db, clock, events } = deps;

  const profileOf = async (userId: string): Promise<AccountProfile> => {
    const profile = await accountProfile(db, userId);
    if (profile === undefined) throw new ProblemError(ACCOUNT_GONE);
    return profile;
  };

  app.get('/v1/account', documented({ tags: ['account'], summary: 'The caller\'s profile', security: ['session', 'bearer'], responses: responses({}, 401) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session', 'access_token']);
    return sendJson(reply, 200, await profileOf(identity.userId));
  });

  app.patch('/v1/account', documented({ tags: ['account'], summary: 'Update what a user may change (displayName); any other member is refused', security: ['session', 'bearer'], body: patchBody, responses: responses({}, 400, 401) }), async (request, reply) => {
    const identity = requireIdentity(request, ['session', 'access_token']);
    const body = bodyOf(patchBody, request, reply);
    if (body === undefined) return reply;
    const displayName = body.displayName === null ? null : body.displayName.normalize('NFC');
    const updated = await db
      .updateTable('rampart_users')
      .set({ display_name: displayName, updated_at: new Date(clock.now()).toISOString() })
      .where('id', '=', identity.userId)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw new ProblemError(ACCOUNT_GONE);
    events('account.profile_updated', identity.userId, { fields: 'displayName', credential: identity.source });
    return sendJson(reply, 200, await profileOf(identity.userId));
  });
}
