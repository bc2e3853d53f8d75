import { createPasswordPolicy, type PasswordPolicy } from '@rampart/core/password';
import { problem, problemBody } from '@rampart/core/http';
import type { SessionManager } from '@rampart/core/session';
import { compile, Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance } from 'fastify';
import type { TokenIssuer } from '../auth/contracts.js';
import { requireStepUp } from '../auth/guards.js';
import { sessionIdOf, setSessionCookie } from '../auth/session-cookie.js';
import type { Transaction } from 'kysely';
import type { QueuedMail } from '../accounts/index.js';
import type { RampartDatabase } from '../db/schema.js';
import { secondsUntil } from './flow.js';
import { bodyOf, correlationId, sendJson } from './http.js';
import { PASSWORD } from './login-routes.js';
import { hashPassword } from './password.js';
import type { PendingLogins } from './pending-logins.js';
import { PASSWORD_CHANGED_CONCURRENTLY, SESSION_GONE } from './problems.js';
import { reauthenticate, type ReauthenticationDeps } from './reauthenticate.js';
import { documented, responses } from '../openapi/schemas.js';

/** What the password-change route is built from. */
export interface PasswordRouteDeps extends ReauthenticationDeps {
  readonly sessions: SessionManager;
  readonly tokens: TokenIssuer;
  readonly pending: PendingLogins;
  /** Queues the "your password was changed" mail inside the change's transaction (the accounts' outbox table). */
  readonly queueMail: (trx: Transaction<RampartDatabase>, mail: QueuedMail) => Promise<void>;
  /** Told after the change committed, to start delivering the queued mail. */
  readonly mailQueued: () => void;
  /** Default: `createPasswordPolicy({ serviceName: 'Rampart' })`, as at registration and reset. */
  readonly policy?: PasswordPolicy;
}

const changeBody = compile(Type.Object({ currentPassword: PASSWORD, newPassword: PASSWORD }));

/**
 * `POST /v1/password/change` `{ currentPassword, newPassword }`.
 *
 * Protects against: a stolen session or access token changing the password to lock the owner out (it needs a recent
 * step-up — `requireStepUp` — *and* the current password, throttled per account); weak passwords (core's NIST SP
 * 800-63B policy); sessions and tokens made with the old password living on (every other session, every refresh-token
 * family and every pending login of the account end; the caller's own session gets a new id); a concurrent change or
 * reset being overwritten (the new hash is written only over the hash just verified); the owner not learning of it (a
 * notification mail queued with the change).
 */
export function registerPasswordRoutes(app: FastifyInstance, deps: PasswordRouteDeps): void {
  const { db, sessions, tokens, pending, clock, events } = deps;
  const policy = deps.policy ?? createPasswordPolicy({ serviceName: 'Rampart' });

  app.post('/v1/password/change', documented({ tags: ['account'], summary: 'Change the password (current password and a recent full authentication); other sessions and refresh tokens end', security: ['session', 'bearer'], body: changeBody, responses: responses({}, 400, 401, 403, 409, 503) }), async (request, reply) => {
    const identity = requireStepUp(request, { clock });
    const body = bodyOf(changeBody, request, reply);
    if (body === undefined) return reply;
    const { account } = await reauthenticate(deps, request, identity.userId, { password: body.currentPassword }, { stage: 'password_change', withSecondFactor: false });
    const verdict = policy.check(body.newPassword, { email: account.email });
    if (!verdict.ok) {
      const refused = problem(400, 'password-policy', 'Bad Request', { code: 'password.policy', detail: 'The password does not meet the password policy: see violations.' });
      return reply
        .code(400)
        .type('application/problem+json')
        .header('cache-control', 'no-store')
        .send(JSON.stringify({ ...problemBody(refused, correlationId(request)), violations: verdict.violations }));
    }
    const passwordHash = await hashPassword(deps.hasher, body.newPassword);
    const at = new Date(clock.now()).toISOString();
    const changed = await db.transaction().execute(async (trx) => {
      // Written only over the hash just verified: a reset or another change that landed meanwhile wins.
      const updated = await trx
        .updateTable('rampart_users')
        .set({ password_hash: passwordHash, password_changed_at: at, updated_at: at })
        .where('id', '=', account.id)
        .where('password_hash', '=', account.passwordHash)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return false;
      // Reset links mailed before the change die with the old password (a mailbox read by someone else keeps no way in).
      await trx.updateTable('rampart_account_tokens').set({ used_at: at }).where('user_id', '=', account.id).where('purpose', '=', 'password_reset').where('used_at', 'is', null).execute();
      await deps.queueMail(trx, {
        kind: 'password_changed',
        to: account.email,
        subject: 'Your password was changed',
        text: 'The password of your account was just changed while you were signed in. If this was not you, reset your password at once and contact support.',
      });
      return true;
    });
    if (!changed) throw new ProblemError(PASSWORD_CHANGED_CONCURRENTLY);
    deps.mailQueued();
    await pending.endAll(account.id);
    // The caller's session carries on under a new id; every other session of the account ends.
    const currentId = identity.source === 'session' ? sessionIdOf(request) : undefined;
    let keep: string | undefined;
    if (currentId !== undefined) {
      const rotated = await sessions.rotate(currentId, { privilegeChanged: true });
      if (rotated.ok) {
        keep = rotated.value.id;
        setSessionCookie(request, reply, keep, { maxAgeSeconds: secondsUntil(rotated.value.session.absoluteExpiresAt, clock.now()) });
      }
    }
    const revokedSessions = await sessions.revokeAll(account.id, keep === undefined ? {} : { except: keep });
    const revokedTokenFamilies = await tokens.revokeUser(account.id, 'password_changed');
    events('account.password_changed', account.id, { credential: identity.source, revokedSessions, revokedTokenFamilies });
    // The caller's session was revoked concurrently: the password is changed and everything else ended, but it has no
    // session to carry on with.
    if (currentId !== undefined && keep === undefined) throw new ProblemError(SESSION_GONE);
    return sendJson(reply, 200, { status: 'password_changed', revokedSessions });
  });
}
