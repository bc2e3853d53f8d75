import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type SecurityEventSink } from '@rampart/core';
import { correlationIdFrom, problem, PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';
import { createPasswordPolicy, PasswordHasherBusyError, type PasswordHasher, type PasswordPolicy, type PolicyViolation } from '@rampart/core/password';
import { Type, type Static, type TSchema } from '@rampart/core/validate';
import { responses } from '../openapi/schemas.js';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { RampartDatabase } from '../db/schema.js';
import { normalizeEmail } from './email.js';
import { emitAccountEvent, type AccountEventType } from './events.js';
import { logMailSender, MailOutbox, type MailSender } from './mail.js';
import { accountLimiter, type AccountLimits } from './limits.js';
import { issueToken, TOKEN_PATTERN, tokenHash, type TokenPurpose } from './tokens.js';

/** What the account routes need from the server. */
export interface AccountDeps {
  /** The server's database, migrated past `0003_accounts`. */
  readonly db: Kysely<RampartDatabase>;
  /** Hashes new passwords; its cost is paid on every registration, new address or not. */
  readonly hasher: PasswordHasher;
  /** Default: `createPasswordPolicy({ serviceName: 'Rampart' })`. */
  readonly policy?: PasswordPolicy;
  /** The security event hub. */
  readonly events: SecurityEventSink;
  /** Stamps tokens, rows and events. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * `true` when the server runs with `env: production`. The default log transport then withholds mail contents
   * (which hold one-time links) from the log.
   */
  readonly production: boolean;
  /** The transport. Default: {@link logMailSender} writing to `log`. */
  readonly mail?: MailSender;
  /** Where the default transport writes. Default: nowhere. */
  readonly log?: (line: string) => void;
  /** Told when delivering a mail fails (the mail stays queued and is tried again). */
  readonly onMailError?: (error: unknown) => void;
  /**
   * Base URL of the pages that read the links (`https://id.example.com`); a link is `<publicUrl>/verify-email#token=…`
   * or `<publicUrl>/reset-password#token=…`. The token travels in the fragment, which browsers never send to a server
   * nor put in a `Referer`, so it stays out of access logs and third-party requests.
   */
  readonly publicUrl: string;
  /**
   * Called after a password reset commits, with the account's id: revoke every session and refresh token of the
   * account here. Awaited; if it throws the client gets a 500 (the password is changed, the sessions may not be gone).
   */
  readonly onPasswordReset?: (userId: string) => void | Promise<void>;
  /** Lifetime of a verification link. Default 24 hours. */
  readonly verifyEmailTtlMs?: number;
  /** Lifetime of a reset link. Default 30 minutes (OWASP Forgot Password Cheat Sheet: short-lived). */
  readonly passwordResetTtlMs?: number;
  /** Rate limits per client and per address (defaults in {@link AccountLimits}). */
  readonly limits?: AccountLimits;
}

/** What {@link registerAccountRoutes} gives back to the server. */
export interface AccountsModule {
  /** The mail outbox (deliver, wait for background deliveries). */
  readonly outbox: MailOutbox;
}

const HOUR_MS = 3_600_000;
const EMAIL = Type.String({ format: 'email', maxLength: 254 });
// The hasher's own bound is 1024 UTF-8 bytes; 1024 UTF-16 units bounds the string before anything is computed.
const PASSWORD = Type.String({ minLength: 1, maxLength: 1024 });
const TOKEN = Type.String({ pattern: TOKEN_PATTERN });

// Closed objects (compile adds `additionalProperties: false`): `role`, `emailVerified`, `tenant` and any other
// undeclared member is refused with a 400, never silently stored (mass assignment).
// The route schemas validate the body (core's validator, see openapi/index.ts) and document it in /openapi.json.
const RegisterBody = Type.Object({ email: EMAIL, password: PASSWORD });
const VerifyBody = Type.Object({ token: TOKEN });
const ResetRequestBody = Type.Object({ email: EMAIL });
const ResetConfirmBody = Type.Object({ token: TOKEN, password: PASSWORD });
const Accepted = Type.Object({ status: Type.Literal('accepted'), detail: Type.String() }, { description: 'The same answer whatever the address' });
const TAGS = ['accounts'];

/** The one answer to a registration, whether the address was new or not: nothing in it may differ. */
const REGISTRATION_ACCEPTED = JSON.stringify({ status: 'accepted', detail: 'If the address can be used, a message has been sent to it.' });
/** The one answer to a reset request, whether the address has an account or not. */
const RESET_REQUESTED = JSON.stringify({ status: 'accepted', detail: 'If the address has an account, a message has been sent to it.' });

const TOKEN_INVALID: Problem = problem(400, 'account-token-invalid', 'Bad Request', {
  code: 'account.token_invalid',
  detail: 'The link is invalid, expired or already used. Ask for a new one.',
});

function correlationId(request: FastifyRequest): string {
  return request.rampart?.correlationId ?? correlationIdFrom(undefined);
}

function sendJson(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(body);
}

function sendProblemBody(reply: FastifyReply, status: number, body: object): FastifyReply {
  return reply.code(status).header('content-type', PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(JSON.stringify(body));
}

/** The body the route schema already validated (the validator compiler hands over core's checked value). */
function bodyOf<S extends TSchema>(_schema: S, request: FastifyRequest): Static<S> {
  return request.body as Static<S>;
}

/** The 400 for a password the policy refuses: violation codes and limits only, never the password. */
function weakPassword(reply: FastifyReply, request: FastifyRequest, violations: readonly PolicyViolation[]): FastifyReply {
  const base = problem(400, 'password-policy', 'Bad Request', {
    code: 'password.policy',
    detail: 'The password does not meet the password policy: see violations.',
  });
  return sendProblemBody(reply, 400, { ...problemBody(base, correlationId(request)), violations });
}

/** `hasher.hash`, with a busy hasher answered 503 + `Retry-After` (a full bulkhead, not a failed request). */
async function hashPassword(hasher: PasswordHasher, password: string): Promise<string> {
  try {
    return await hasher.hash(password);
  } catch (error) {
    if (error instanceof PasswordHasherBusyError) {
      throw new ProblemError(
        problem(503, 'busy', 'Service Unavailable', {
          code: 'password.hasher_busy',
          detail: 'Too many requests are being processed. Try again later.',
          headers: { 'retry-after': String(error.retryAfterSeconds) },
        }),
      );
    }
    throw error;
  }
}

/**
 * Adds the account routes under `/v1`: `POST /v1/accounts` (registration), `POST /v1/accounts/verify-email`,
 * `POST /v1/password/reset` and `POST /v1/password/reset/confirm`. Register it in a scope where the `@rampart/fastify`
 * plugin runs (its body parsers bound and sanitise the JSON, its error handler answers thrown errors as problems).
 *
 * Protects against: account enumeration (a taken address and an unknown one get byte-identical answers after the same
 * Argon2id and database work, mail leaves through an outbox after the response); mass assignment (closed schemas);
 * weak passwords (NIST SP 800-63B policy); stolen or replayed links (256-bit tokens stored as SHA-256, bound to a
 * purpose and an account, short-lived, spent by one conditional UPDATE so two concurrent uses cannot both win);
 * pre-registration takeover (a registration for a taken address mails the owner a reset link instead of touching
 * the account); a session surviving a password reset (`onPasswordReset`).
 */
export function registerAccountRoutes(app: FastifyInstance, deps: AccountDeps): AccountsModule {
  const { db, hasher, events } = deps;
  const clock = deps.clock ?? systemClock;
  const policy = deps.policy ?? createPasswordPolicy({ serviceName: 'Rampart' });
  const sender = deps.mail ?? logMailSender(deps.log ?? (() => undefined), { production: deps.production });
  const outbox = new MailOutbox(db, sender, clock, deps.onMailError ?? (() => undefined));
  const verifyTtl = deps.verifyEmailTtlMs ?? 24 * HOUR_MS;
  const resetTtl = deps.passwordResetTtlMs ?? HOUR_MS / 2;
  const base = deps.publicUrl.replace(/\/+$/, '');
  const limit = accountLimiter(deps.limits);
  const now = (): string => new Date(clock.now()).toISOString();
  const emit = (type: AccountEventType, subject: string | undefined, attributes?: Readonly<Record<string, string | number | boolean>>): void => {
    emitAccountEvent(events, clock, type, subject, attributes);
  };

  /** Stores a new token for `userId` inside `trx`; returns the token to mail. */
  async function storeToken(trx: Transaction<RampartDatabase>, userId: string, purpose: TokenPurpose, ttlMs: number): Promise<string> {
    const issued = issueToken(purpose);
    const at = clock.now();
    await trx
      .insertInto('rampart_account_tokens')
      .values({
        token_hash: issued.hash,
        user_id: userId,
        purpose,
        created_at: new Date(at).toISOString(),
        expires_at: new Date(at + ttlMs).toISOString(),
        used_at: null,
      })
      .execute();
    return issued.token;
  }

  /**
   * Spends a token: one conditional UPDATE (unused, unexpired, this purpose), so of two concurrent uses exactly one
   * gets the account id. Returns `undefined` when nothing was spent.
   */
  async function spendToken(trx: Transaction<RampartDatabase>, purpose: TokenPurpose, token: string): Promise<string | undefined> {
    const at = now();
    const row = await trx
      .updateTable('rampart_account_tokens')
      .set({ used_at: at })
      .where('token_hash', '=', tokenHash(purpose, token))
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', at)
      .returning('user_id')
      .executeTakeFirst();
    return row?.user_id;
  }

  /** Why a token was refused, for the event only (the client always gets the same problem). */
  async function refusal(purpose: TokenPurpose, token: string): Promise<string> {
    const row = await db
      .selectFrom('rampart_account_tokens')
      .select(['used_at', 'expires_at', 'user_id'])
      .where('token_hash', '=', tokenHash(purpose, token))
      .executeTakeFirst();
    if (row === undefined) return 'unknown';
    if (row.used_at !== null) return 'used';
    if (row.expires_at <= now()) return 'expired';
    return 'account_locked';
  }

  async function refuseToken(request: FastifyRequest, reply: FastifyReply, purpose: TokenPurpose, token: string): Promise<FastifyReply> {
    emit('account.token_refused', undefined, { purpose, reason: await refusal(purpose, token) });
    return sendProblemBody(reply, 400, problemBody(TOKEN_INVALID, correlationId(request)));
  }

  const link = (page: string, token: string): string => `${base}/${page}#token=${token}`;

  app.post('/v1/accounts', { schema: { tags: TAGS, summary: 'Register an account; a verification link is mailed', body: RegisterBody, response: responses({ 202: Accepted }, 400, 403, 429, 503) } }, async (request, reply) => {
    const body = bodyOf(RegisterBody, request);
    if (await limit(request, reply, correlationId(request), normalizeEmail(body.email))) return reply;
    // The policy runs before the address is looked up, so its answer cannot depend on whether the account exists.
    const verdict = policy.check(body.password, { email: body.email });
    if (!verdict.ok) return weakPassword(reply, request, verdict.violations);
    const email = normalizeEmail(body.email);
    // Hashed in both cases: a taken address costs the same Argon2id run as a new one.
    const passwordHash = await hashPassword(hasher, body.password);
    const at = now();
    const userId = randomUUID();
    const outcome = await db.transaction().execute(async (trx) => {
      // The unique index decides, not a prior SELECT: two concurrent registrations cannot both create the account.
      const created = await trx
        .insertInto('rampart_users')
        .values({ id: userId, email: body.email, email_normalized: email, password_hash: passwordHash, email_verified_at: null, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
        .onConflict((conflict) => conflict.column('email_normalized').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (created !== undefined) {
        const token = await storeToken(trx, userId, 'verify_email', verifyTtl);
        await outbox.enqueue(trx, {
          kind: 'verify_email',
          to: body.email,
          subject: 'Confirm your e-mail address',
          text: `Open this link to confirm your address:\n${link('verify-email', token)}\n\nIt expires in ${Math.round(verifyTtl / 60_000)} minutes. If you did not create an account, ignore this message.`,
        });
        return { type: 'account.registered' as const, subject: userId };
      }
      const existing = await trx.selectFrom('rampart_users').select(['id', 'email', 'locked_at']).where('email_normalized', '=', email).executeTakeFirstOrThrow();
      if (existing.locked_at !== null) {
        await outbox.enqueueSuppressed(trx, 'account_exists');
      } else {
        // The owner hears of it and gets a way in that proves the mailbox; the stored password is not touched, so a
        // registration cannot overwrite (or pre-seed) someone else's credentials.
        const token = await storeToken(trx, existing.id, 'password_reset', resetTtl);
        await outbox.enqueue(trx, {
          kind: 'account_exists',
          to: existing.email,
          subject: 'Someone tried to create an account with your address',
          text: `An account with this address already exists. If this was you, set a new password here:\n${link('reset-password', token)}\n\nIf it was not you, ignore this message; nothing has changed.`,
        });
      }
      return { type: 'account.registration_existing' as const, subject: existing.id };
    });
    outbox.kick();
    emit(outcome.type, outcome.subject);
    return sendJson(reply, 202, REGISTRATION_ACCEPTED);
  });

  app.post('/v1/accounts/verify-email', { schema: { tags: TAGS, summary: 'Confirm an e-mail address with the mailed token', body: VerifyBody, response: responses({ 200: Type.Object({ status: Type.Literal('verified') }) }, 400, 403, 429) } }, async (request, reply) => {
    const body = bodyOf(VerifyBody, request);
    if (await limit(request, reply, correlationId(request))) return reply;
    const userId = await db.transaction().execute(async (trx) => {
      const owner = await spendToken(trx, 'verify_email', body.token);
      if (owner === undefined) return undefined;
      const at = now();
      await trx.updateTable('rampart_users').set({ email_verified_at: at, updated_at: at }).where('id', '=', owner).where('email_verified_at', 'is', null).execute();
      return owner;
    });
    if (userId === undefined) return refuseToken(request, reply, 'verify_email', body.token);
    emit('account.email_verified', userId);
    return sendJson(reply, 200, JSON.stringify({ status: 'verified' }));
  });

  app.post('/v1/password/reset', { schema: { tags: TAGS, summary: 'Ask for a password-reset link', body: ResetRequestBody, response: responses({ 202: Accepted }, 400, 403, 429) } }, async (request, reply) => {
    const body = bodyOf(ResetRequestBody, request);
    const email = normalizeEmail(body.email);
    if (await limit(request, reply, correlationId(request), email)) return reply;
    const outcome = await db.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('rampart_users').select(['id', 'email', 'locked_at']).where('email_normalized', '=', email).executeTakeFirst();
      if (user === undefined || user.locked_at !== null) {
        // The same work as a known address: a token drawn and hashed, one outbox row written (never delivered).
        issueToken('password_reset');
        await outbox.enqueueSuppressed(trx, 'password_reset');
        return { type: 'account.password_reset_unknown' as const, subject: user?.id };
      }
      const token = await storeToken(trx, user.id, 'password_reset', resetTtl);
      await outbox.enqueue(trx, {
        kind: 'password_reset',
        to: user.email,
        subject: 'Reset your password',
        text: `Open this link to choose a new password:\n${link('reset-password', token)}\n\nIt expires in ${Math.round(resetTtl / 60_000)} minutes. If you did not ask for it, ignore this message; your password has not changed.`,
      });
      return { type: 'account.password_reset_requested' as const, subject: user.id };
    });
    outbox.kick();
    emit(outcome.type, outcome.subject);
    return sendJson(reply, 202, RESET_REQUESTED);
  });

  app.post('/v1/password/reset/confirm', { schema: { tags: TAGS, summary: 'Set a new password with the mailed token (ends every session)', body: ResetConfirmBody, response: responses({ 200: Type.Object({ status: Type.Literal('password_changed') }) }, 400, 403, 429, 503) } }, async (request, reply) => {
    const body = bodyOf(ResetConfirmBody, request);
    if (await limit(request, reply, correlationId(request))) return reply;
    // Read first (not spent) so that a password the policy refuses does not burn the link; spent below.
    const holder = await db
      .selectFrom('rampart_account_tokens as t')
      .innerJoin('rampart_users as u', 'u.id', 't.user_id')
      .select(['u.id', 'u.email'])
      .where('t.token_hash', '=', tokenHash('password_reset', body.token))
      .where('t.purpose', '=', 'password_reset')
      .where('t.used_at', 'is', null)
      .where('t.expires_at', '>', now())
      .where('u.locked_at', 'is', null)
      .executeTakeFirst();
    if (holder === undefined) return refuseToken(request, reply, 'password_reset', body.token);
    const verdict = policy.check(body.password, { email: holder.email });
    if (!verdict.ok) return weakPassword(reply, request, verdict.violations);
    const passwordHash = await hashPassword(hasher, body.password);
    const userId = await db.transaction().execute(async (trx) => {
      const owner = await spendToken(trx, 'password_reset', body.token);
      if (owner !== holder.id) return undefined;
      const at = now();
      await trx
        .updateTable('rampart_users')
        .set((eb) => ({
          password_hash: passwordHash,
          password_changed_at: at,
          updated_at: at,
          // The link reached the mailbox: that proves the address as a verification link would.
          email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(at)),
        }))
        .where('id', '=', owner)
        .execute();
      // Every other open link of the account dies with the old password (a second reset mail, a stale verification).
      await trx.updateTable('rampart_account_tokens').set({ used_at: at }).where('user_id', '=', owner).where('used_at', 'is', null).execute();
      await outbox.enqueue(trx, {
        kind: 'password_changed',
        to: holder.email,
        subject: 'Your password was changed',
        text: 'The password of your account was just changed with a reset link. If this was not you, reset it again at once and contact support.',
      });
      return owner;
    });
    if (userId === undefined) return refuseToken(request, reply, 'password_reset', body.token);
    outbox.kick();
    emit('account.password_reset', userId);
    // Sessions and refresh tokens made with the old password must not outlive it.
    await deps.onPasswordReset?.(userId);
    return sendJson(reply, 200, JSON.stringify({ status: 'password_changed' }));
  });

  app.addHook('onClose', async () => {
    await outbox.idle();
  });

  return { outbox };
}
