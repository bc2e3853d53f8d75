import { systemClock, type Clock, type SecurityEventSink } from '@rampart/core';
import { correlationIdFrom, problem, PROBLEM_CONTENT_TYPE, problemBody, type Problem } from '@rampart/core/http';
import { createPasswordPolicy, type PasswordHasher, type PasswordPolicy, type PolicyViolation } from '@rampart/core/password';
import { Type, type Static, type TSchema } from '@rampart/core/validate';
import { responses } from '../openapi/schemas.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { RampartDatabase } from '../db/schema.js';
import { emitAccountEvent } from './events.js';
import { logMailSender, MailOutbox, type MailSender } from './mail.js';
import { accountLimitCounter, accountRateLimited, type AccountLimits } from './limits.js';
import { createAccountService, type AccountService, type RateLimited, type TokenInvalid, type WeakPassword } from './service.js';
import { TOKEN_PATTERN } from './tokens.js';

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
  /** Registration, verification and reset, for the pages (the routes call the same service). */
  readonly service: AccountService;
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
  const service = createAccountService({
    db,
    hasher,
    policy,
    outbox,
    clock,
    limit: accountLimitCounter(deps.limits),
    emit: (type, subject, attributes) => {
      emitAccountEvent(events, clock, type, subject, attributes);
    },
    baseUrl: deps.publicUrl.replace(/\/+$/, ''),
    verifyTtlMs: deps.verifyEmailTtlMs ?? 24 * HOUR_MS,
    resetTtlMs: deps.passwordResetTtlMs ?? HOUR_MS / 2,
    ...(deps.onPasswordReset === undefined ? {} : { onPasswordReset: deps.onPasswordReset }),
  });
  const clientIp = (request: FastifyRequest): string => request.rampart?.clientIp ?? request.ip;

  /** Answers a refusal the service decided, as the problem the route has always answered. */
  function refuse(request: FastifyRequest, reply: FastifyReply, outcome: RateLimited | WeakPassword | TokenInvalid): FastifyReply {
    if (outcome.kind === 'weak_password') return weakPassword(reply, request, outcome.violations);
    if (outcome.kind === 'token_invalid') return sendProblemBody(reply, 400, problemBody(TOKEN_INVALID, correlationId(request)));
    return sendProblemBody(reply.header('retry-after', String(outcome.retryAfterSeconds)), 429, problemBody(accountRateLimited(outcome.retryAfterSeconds), correlationId(request)));
  }

  app.post('/v1/accounts', { schema: { tags: TAGS, summary: 'Register an account; a verification link is mailed', body: RegisterBody, response: responses({ 202: Accepted }, 400, 403, 429, 503) } }, async (request, reply) => {
    const body = bodyOf(RegisterBody, request);
    const outcome = await service.register(clientIp(request), body.email, body.password);
    if (outcome.kind !== 'accepted') return refuse(request, reply, outcome);
    return sendJson(reply, 202, REGISTRATION_ACCEPTED);
  });

  app.post('/v1/accounts/verify-email', { schema: { tags: TAGS, summary: 'Confirm an e-mail address with the mailed token', body: VerifyBody, response: responses({ 200: Type.Object({ status: Type.Literal('verified') }) }, 400, 403, 429) } }, async (request, reply) => {
    const body = bodyOf(VerifyBody, request);
    const outcome = await service.verifyEmail(clientIp(request), body.token);
    if (outcome.kind !== 'verified') return refuse(request, reply, outcome);
    return sendJson(reply, 200, JSON.stringify({ status: 'verified' }));
  });

  app.post('/v1/password/reset', { schema: { tags: TAGS, summary: 'Ask for a password-reset link', body: ResetRequestBody, response: responses({ 202: Accepted }, 400, 403, 429) } }, async (request, reply) => {
    const body = bodyOf(ResetRequestBody, request);
    const outcome = await service.requestPasswordReset(clientIp(request), body.email);
    if (outcome.kind !== 'accepted') return refuse(request, reply, outcome);
    return sendJson(reply, 202, RESET_REQUESTED);
  });

  app.post('/v1/password/reset/confirm', { schema: { tags: TAGS, summary: 'Set a new password with the mailed token (ends every session)', body: ResetConfirmBody, response: responses({ 200: Type.Object({ status: Type.Literal('password_changed') }) }, 400, 403, 429, 503) } }, async (request, reply) => {
    const body = bodyOf(ResetConfirmBody, request);
    const outcome = await service.resetPassword(clientIp(request), body.token, body.password);
    if (outcome.kind !== 'password_changed') return refuse(request, reply, outcome);
    return sendJson(reply, 200, JSON.stringify({ status: 'password_changed' }));
  });

  app.addHook('onClose', async () => {
    await outbox.idle();
  });

  const module: AccountsModule = { outbox, service };
  registered.set(app, module);
  return module;
}

const registered = new WeakMap<FastifyInstance, AccountsModule>();

/**
 * The accounts module registered on `app` (its pages use the same service as its routes). Throws when there is none:
 * a page must not start without the implementation it fronts.
 */
export function accountsModuleOf(app: FastifyInstance): AccountsModule {
  const module = registered.get(app);
  if (module === undefined) throw new Error('the accounts module is not registered on this server');
  return module;
}
