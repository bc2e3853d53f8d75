import { randomUUID } from 'node:crypto';
import type { Clock } from '@rampart/core';
import { problem } from '@rampart/core/http';
import { PasswordHasherBusyError, type PasswordHasher, type PasswordPolicy, type PolicyViolation } from '@rampart/core/password';
import { ProblemError } from '@rampart/fastify';
import type { Kysely, Transaction } from 'kysely';
import type { RampartDatabase } from '../db/schema.js';
import { normalizeEmail } from './email.js';
import type { AccountEventType } from './events.js';
import type { AccountLimitCounter } from './limits.js';
import type { MailOutbox } from './mail.js';
import { issueToken, tokenHash, type TokenPurpose } from './tokens.js';

/** What the account service is built from (resolved by `registerAccountRoutes`). */
export interface AccountServiceDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly outbox: MailOutbox;
  readonly clock: Clock;
  readonly limit: AccountLimitCounter;
  readonly emit: (type: AccountEventType, subject: string | undefined, attributes?: Readonly<Record<string, string | number | boolean>>) => void;
  /** `https://id.example.com`, no trailing slash: the base of the mailed links. */
  readonly baseUrl: string;
  readonly verifyTtlMs: number;
  readonly resetTtlMs: number;
  readonly onPasswordReset?: (userId: string) => void | Promise<void>;
}

/** Too many account requests from this client or for this address; nothing was done. */
export interface RateLimited {
  readonly kind: 'rate_limited';
  readonly retryAfterSeconds: number;
}

/** The password policy refused the new password (violation codes only, never the password). */
export interface WeakPassword {
  readonly kind: 'weak_password';
  readonly violations: readonly PolicyViolation[];
}

/** The link is unknown, expired, used, for another purpose, or its account is locked: one outcome for all. */
export interface TokenInvalid {
  readonly kind: 'token_invalid';
}

export type RegistrationOutcome = { readonly kind: 'accepted' } | RateLimited | WeakPassword;
export type VerificationOutcome = { readonly kind: 'verified'; readonly userId: string } | RateLimited | TokenInvalid;
export type ResetRequestOutcome = { readonly kind: 'accepted' } | RateLimited;
export type ResetOutcome = { readonly kind: 'password_changed'; readonly userId: string } | RateLimited | TokenInvalid | WeakPassword;

/**
 * The account operations, shared by the JSON routes (`/v1/accounts…`, `/v1/password/reset…`) and the pages
 * (`/register`, `/verify-email`, `/forgot-password`, `/reset-password`): one implementation, so a page cannot be
 * weaker than its route. Each takes the caller's address (resolved by the chain) for the rate limits.
 */
export interface AccountService {
  /** Registers `email`, or mails its owner a reset link when it is taken; the outcome is the same for both. */
  register(clientIp: string, email: string, password: string): Promise<RegistrationOutcome>;
  /** Spends a verification link and marks the address verified. */
  verifyEmail(clientIp: string, token: string): Promise<VerificationOutcome>;
  /** Mails a reset link when `email` has an account; the outcome is the same when it has none. */
  requestPasswordReset(clientIp: string, email: string): Promise<ResetRequestOutcome>;
  /** Sets a new password with a reset link; every other open link of the account dies, `onPasswordReset` runs. */
  resetPassword(clientIp: string, token: string, password: string): Promise<ResetOutcome>;
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
 * Builds the account service.
 *
 * Protects against: account enumeration (a taken address and an unknown one take the same Argon2id and database work
 * and get the same outcome; mail leaves through the outbox after the answer); weak passwords (NIST SP 800-63B policy,
 * checked before the address is looked up); stolen or replayed links (256-bit tokens stored as SHA-256, bound to a
 * purpose and an account, short-lived, spent by one conditional UPDATE so two concurrent uses cannot both win);
 * pre-registration takeover (a registration for a taken address mails the owner a reset link instead of touching the
 * account); sessions surviving a reset (`onPasswordReset`); mail bombing and scripted sign-up (the limits).
 */
export function createAccountService(deps: AccountServiceDeps): AccountService {
  const { db, hasher, policy, outbox, clock, emit } = deps;
  const now = (): string => new Date(clock.now()).toISOString();
  const link = (page: string, token: string): string => `${deps.baseUrl}/${page}#token=${token}`;
  const limited = async (clientIp: string, address?: string): Promise<RateLimited | undefined> => {
    const decision = await deps.limit(clientIp, address);
    return decision.allowed ? undefined : { kind: 'rate_limited', retryAfterSeconds: decision.retryAfterSeconds };
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

  /** Why a token was refused, for the event only (the client always gets the same answer). */
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

  async function refuseToken(purpose: TokenPurpose, token: string): Promise<TokenInvalid> {
    emit('account.token_refused', undefined, { purpose, reason: await refusal(purpose, token) });
    return { kind: 'token_invalid' };
  }

  return {
    async register(clientIp, address, password) {
      const over = await limited(clientIp, normalizeEmail(address));
      if (over !== undefined) return over;
      // The policy runs before the address is looked up, so its answer cannot depend on whether the account exists.
      const verdict = policy.check(password, { email: address });
      if (!verdict.ok) return { kind: 'weak_password', violations: verdict.violations };
      const email = normalizeEmail(address);
      // Hashed in both cases: a taken address costs the same Argon2id run as a new one.
      const passwordHash = await hashPassword(hasher, password);
      const at = now();
      const userId = randomUUID();
      const outcome = await db.transaction().execute(async (trx) => {
        // The unique index decides, not a prior SELECT: two concurrent registrations cannot both create the account.
        const created = await trx
          .insertInto('rampart_users')
          .values({ id: userId, email: address, email_normalized: email, password_hash: passwordHash, email_verified_at: null, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
          .onConflict((conflict) => conflict.column('email_normalized').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (created !== undefined) {
          const token = await storeToken(trx, userId, 'verify_email', deps.verifyTtlMs);
          await outbox.enqueue(trx, {
            kind: 'verify_email',
            to: address,
            subject: 'Confirm your e-mail address',
            text: `Open this link to confirm your address:\n${link('verify-email', token)}\n\nIt expires in ${Math.round(deps.verifyTtlMs / 60_000)} minutes. If you did not create an account, ignore this message.`,
          });
          return { type: 'account.registered' as const, subject: userId };
        }
        const existing = await trx.selectFrom('rampart_users').select(['id', 'email', 'locked_at']).where('email_normalized', '=', email).executeTakeFirstOrThrow();
        if (existing.locked_at !== null) {
          await outbox.enqueueSuppressed(trx, 'account_exists');
        } else {
          // The owner hears of it and gets a way in that proves the mailbox; the stored password is not touched, so a
          // registration cannot overwrite (or pre-seed) someone else's credentials.
          const token = await storeToken(trx, existing.id, 'password_reset', deps.resetTtlMs);
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
      return { kind: 'accepted' };
    },

    async verifyEmail(clientIp, token) {
      const over = await limited(clientIp);
      if (over !== undefined) return over;
      const userId = await db.transaction().execute(async (trx) => {
        const owner = await spendToken(trx, 'verify_email', token);
        if (owner === undefined) return undefined;
        const at = now();
        await trx.updateTable('rampart_users').set({ email_verified_at: at, updated_at: at }).where('id', '=', owner).where('email_verified_at', 'is', null).execute();
        return owner;
      });
      if (userId === undefined) return refuseToken('verify_email', token);
      emit('account.email_verified', userId);
      return { kind: 'verified', userId };
    },

    async requestPasswordReset(clientIp, address) {
      const email = normalizeEmail(address);
      const over = await limited(clientIp, email);
      if (over !== undefined) return over;
      const outcome = await db.transaction().execute(async (trx) => {
        const user = await trx.selectFrom('rampart_users').select(['id', 'email', 'locked_at']).where('email_normalized', '=', email).executeTakeFirst();
        if (user === undefined || user.locked_at !== null) {
          // The same work as a known address: a token drawn and hashed, one outbox row written (never delivered).
          issueToken('password_reset');
          await outbox.enqueueSuppressed(trx, 'password_reset');
          return { type: 'account.password_reset_unknown' as const, subject: user?.id };
        }
        const token = await storeToken(trx, user.id, 'password_reset', deps.resetTtlMs);
        await outbox.enqueue(trx, {
          kind: 'password_reset',
          to: user.email,
          subject: 'Reset your password',
          text: `Open this link to choose a new password:\n${link('reset-password', token)}\n\nIt expires in ${Math.round(deps.resetTtlMs / 60_000)} minutes. If you did not ask for it, ignore this message; your password has not changed.`,
        });
        return { type: 'account.password_reset_requested' as const, subject: user.id };
      });
      outbox.kick();
      emit(outcome.type, outcome.subject);
      return { kind: 'accepted' };
    },

    async resetPassword(clientIp, token, password) {
      const over = await limited(clientIp);
      if (over !== undefined) return over;
      // Read first (not spent) so that a password the policy refuses does not burn the link; spent below.
      const holder = await db
        .selectFrom('rampart_account_tokens as t')
        .innerJoin('rampart_users as u', 'u.id', 't.user_id')
        .select(['u.id', 'u.email'])
        .where('t.token_hash', '=', tokenHash('password_reset', token))
        .where('t.purpose', '=', 'password_reset')
        .where('t.used_at', 'is', null)
        .where('t.expires_at', '>', now())
        .where('u.locked_at', 'is', null)
        .executeTakeFirst();
      if (holder === undefined) return refuseToken('password_reset', token);
      const verdict = policy.check(password, { email: holder.email });
      if (!verdict.ok) return { kind: 'weak_password', violations: verdict.violations };
      const passwordHash = await hashPassword(hasher, password);
      const userId = await db.transaction().execute(async (trx) => {
        const owner = await spendToken(trx, 'password_reset', token);
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
      if (userId === undefined) return refuseToken('password_reset', token);
      outbox.kick();
      emit('account.password_reset', userId);
      // Sessions and refresh tokens made with the old password must not outlive it.
      await deps.onPasswordReset?.(userId);
      return { kind: 'password_changed', userId };
    },
  };
}
