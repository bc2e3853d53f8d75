import type { SecurityEventSink } from '@rampart/core';
import type { KeyRing } from '@rampart/core/crypto';
import { ProblemError } from '@rampart/fastify';
import { loginThrottle, type LoginAccountLimits, type LoginThrottle, type RateLimitStore, type RatePolicy } from '@rampart/core/ratelimit';
import { throttleEventSink } from './events.js';
import { throttled, throttleUnavailable } from './problems.js';

/** Limits of the login module. Every default is the safe one; each can be tightened or (by name) loosened. */
export interface LoginLimits {
  /**
   * The counters' store. Default: the server's shared store (`ServerContext.rateLimits`: Redis when configured, so every
   * instance counts the same attempts; else this process's memory).
   */
  readonly store?: RateLimitStore;
  /** Password attempts per account. Default core's: 5 free, then 1–30 s delays, locked 15 minutes after 10. */
  readonly password?: LoginAccountLimits;
  /** Attempts per client address, each throttle. Default core's: 100 per 15 minutes. */
  readonly perIp?: RatePolicy;
  /**
   * Second-factor attempts per account, across all of its pending logins. Default: 5 free, then 1–16 s delays,
   * locked 15 minutes after 10 (a 6-digit code with a ±1 window is guessed at 3 in 10^6 per try: this bounds a
   * password holder to a few dozen guesses a day).
   */
  readonly secondFactor?: LoginAccountLimits;
  /** Password (and code) re-entries per account at step-up and password change. Default: as `secondFactor`. */
  readonly reauthentication?: LoginAccountLimits;
}

const SECOND_FACTOR_DEFAULTS: LoginAccountLimits = { freeAttempts: 5, delaysSeconds: [1, 2, 4, 8, 16], lockAfter: 10, lockSeconds: 900, forgetSeconds: 900 };

/** The three throttles of the module: the password at login, the second factor, and re-authentication. */
export interface LoginThrottles {
  readonly password: LoginThrottle;
  readonly secondFactor: LoginThrottle;
  readonly reauthentication: LoginThrottle;
}

/**
 * Builds the module's throttles on core's `loginThrottle` (per-account back-off and lock, per-address rate, fail
 * closed). Account keys in the store are HMACs under a key-ring subkey, so a dump of the store names no account.
 *
 * Protects against password guessing and spraying at login, TOTP/backup-code guessing spread over many pending logins
 * of one account, and password guessing through a stolen session's step-up or password-change route.
 */
export function loginThrottles(options: { readonly limits?: LoginLimits; readonly store: RateLimitStore; readonly ring: KeyRing; readonly events: SecurityEventSink }): LoginThrottles {
  const limits = options.limits ?? {};
  const store = limits.store ?? options.store;
  const accountKey = options.ring.subkey('ratelimit.login').export();
  const events = throttleEventSink(options.events);
  const build = (name: string, perAccount: LoginAccountLimits | undefined): LoginThrottle =>
    loginThrottle({ store, name, accountKey, events, ...(perAccount === undefined ? {} : { perAccount }), ...(limits.perIp === undefined ? {} : { perIp: limits.perIp }) });
  return {
    password: build('login', limits.password),
    secondFactor: build('login-mfa', limits.secondFactor ?? SECOND_FACTOR_DEFAULTS),
    reauthentication: build('reauth', limits.reauthentication ?? SECOND_FACTOR_DEFAULTS),
  };
}

/**
 * Counts one attempt for `account` from `ip`; throws the 429 (or, when the store is down, the 503) problem when the
 * throttle refuses it. Called before any account lookup or hash, so a refused attempt costs the server nothing and its
 * answer is the same whether the account exists or not.
 */
export async function admitAttempt(throttle: LoginThrottle, account: string, ip: string): Promise<void> {
  const verdict = await throttle.check(account, ip);
  if (verdict.allowed) return;
  throw new ProblemError(verdict.reason === 'unavailable' ? throttleUnavailable(verdict.retryAfterSeconds) : throttled(verdict.retryAfterSeconds));
}
