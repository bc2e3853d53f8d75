import { createHmac } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink } from '../events.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './breaker.js';
import { checkStoreErrorPolicy, type StoreErrorPolicy } from './guard.js';
import { addressKey, digestKey } from './keys.js';
import { backoff, checkPolicy, gcra, type BackoffPolicy, type RateDecision, type RatePolicy } from './policy.js';
import type { RateLimitStore } from './store.js';

export interface LoginAccountLimits {
  /** Attempts before delays start. Default 5. */
  readonly freeAttempts?: number;
  /** Waits before each further attempt, in seconds; the last repeats. Default 1, 2, 4, 8, 16, 30. */
  readonly delaysSeconds?: readonly number[];
  /** Attempts after which the account is locked. Default 10. */
  readonly lockAfter?: number;
  /** Length of a lock. Default 900 (15 minutes). */
  readonly lockSeconds?: number;
  /** Quiet time after which the attempts are forgotten. Default 86 400 (a day). */
  readonly forgetSeconds?: number;
}

export interface LoginThrottleOptions {
  /** The counters' store (memory in one process, Redis across processes). */
  readonly store: RateLimitStore;
  /** Per-account back-off. */
  readonly perAccount?: LoginAccountLimits;
  /** Per-address rate of attempts (successful ones included). Default GCRA: 100 per 15 minutes. */
  readonly perIp?: RatePolicy;
  /**
   * HMAC key (≥ 32 bytes, e.g. `keyRing.subkey('ratelimit.login')`) for account keys in the store; the same in every
   * process. Without it account names are SHA-256-hashed: kept out of the store, but guessable from a dump.
   */
  readonly accountKey?: Uint8Array;
  /** Failure policy of the store: `closed` (default) refuses every attempt; `open` must be named. */
  readonly onStoreError?: StoreErrorPolicy;
  readonly breaker?: CircuitBreaker | CircuitBreakerOptions;
  /** Key prefix in the store. Default `login`. */
  readonly name?: string;
  readonly ipv6PrefixLength?: number;
  readonly events?: SecurityEventSink;
}

/** Why an attempt was refused. The same for existing and unknown accounts. */
export type LoginRefusal = 'throttled' | 'locked' | 'unavailable';

export type LoginCheck = { readonly allowed: true } | { readonly allowed: false; readonly reason: LoginRefusal; readonly retryAfterSeconds: number };

/** Login brute-force protection; see {@link loginThrottle}. */
export interface LoginThrottle {
  /**
   * Call once per login attempt, before looking up the account or verifying the password. Counts the attempt (so
   * parallel attempts cannot all slip through one check) and says whether it may proceed.
   */
  check(account: string, ip: string): Promise<LoginCheck>;
  /** Reports a failed attempt (already counted by `check`): emits `auth.login.failed`. */
  recordFailure(account: string, ip: string): Promise<void>;
  /** Reports a successful attempt: clears the account's counter (not the address's) and emits `auth.login.succeeded`. */
  recordSuccess(account: string, ip: string): Promise<void>;
  /** The opaque id under which an account is counted and reported in events (never the account name itself). */
  accountId(account: string): string;
}

/**
 * Normalizes an account name so that case, width and surrounding-space variants of one name share one counter: an
 * attacker must not get a fresh quota by trying `Alice@Example.com`, `alice@example.com ` and `ａｌｉｃｅ@…`.
 */
export function normalizeAccount(account: string): string {
  return account.normalize('NFKC').trim().toLowerCase();
}

/**
 * Login brute-force and credential-stuffing protection: per-account progressive delays then a temporary lock, and a
 * per-address attempt rate.
 *
 * Protects against password guessing on one account (delays then a lock, reset by a successful login), against
 * spraying from one address across many accounts (the address rate, which a success does not reset, so a working
 * account cannot be used to launder it), and against account enumeration: the throttle never looks at whether an
 * account exists, so counters, delays and answers are the same for every name.
 */
export function loginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { store } = options;
  const events = options.events ?? discardEvents;
  const name = options.name ?? 'login';
  if (!/^[a-z0-9][a-z0-9_.-]{0,31}$/.test(name)) throw new ConfigurationError('name must match /^[a-z0-9][a-z0-9_.-]{0,31}$/');
  const account = options.perAccount ?? {};
  const accountPolicy: BackoffPolicy = backoff({
    freeAttempts: account.freeAttempts ?? 5,
    delaysSeconds: account.delaysSeconds ?? [1, 2, 4, 8, 16, 30],
    limit: account.lockAfter ?? 10,
    lockSeconds: account.lockSeconds ?? 900,
    forgetSeconds: account.forgetSeconds ?? 86_400,
  });
  const ipPolicy = checkPolicy(options.perIp ?? gcra(100, 900));
  const prefixLength = options.ipv6PrefixLength ?? 64;
  if (!Number.isSafeInteger(prefixLength) || prefixLength < 1 || prefixLength > 128) throw new ConfigurationError('ipv6PrefixLength must be 1–128');
  const secret = options.accountKey;
  if (secret !== undefined && secret.byteLength < 32) throw new ConfigurationError('accountKey must be at least 32 bytes');
  const onStoreError = checkStoreErrorPolicy(options.onStoreError);
  if (onStoreError === 'open') events(securityEvent('config.loosened', undefined, { control: 'ratelimit.login', option: 'onStoreError', value: 'open' }));
  const breaker = options.breaker instanceof CircuitBreaker ? options.breaker : new CircuitBreaker(options.breaker);

  const accountId = (value: string): string => {
    const normalized = normalizeAccount(value);
    return secret === undefined ? digestKey(normalized) : createHmac('sha256', secret).update(normalized).digest('base64url').slice(0, 27);
  };
  const accountKeyOf = (value: string): string => `${name}:a:${accountId(value)}`;
  const ipKeyOf = (ip: string): string => `${name}:ip:${addressKey(ip, prefixLength)}`;

  /** Runs one store call behind the breaker; `undefined` when the store is unavailable. */
  async function guarded<T>(call: () => T | Promise<T>): Promise<T | undefined> {
    if (!breaker.tryCall()) return undefined;
    try {
      const value = await call();
      if (breaker.succeeded()) events(securityEvent('ratelimit.store_unavailable', undefined, { limiter: name, breaker: 'closed' }));
      return value;
    } catch {
      if (breaker.failed()) events(securityEvent('ratelimit.store_unavailable', undefined, { limiter: name, breaker: 'open' }));
      return undefined;
    }
  }

  const unavailable = (): LoginCheck =>
    onStoreError === 'open' ? { allowed: true } : { allowed: false, reason: 'unavailable', retryAfterSeconds: Math.max(1, Math.ceil(breaker.openSeconds)) };

  function refusal(decision: RateDecision, reason: LoginRefusal, subject: string | undefined, ip: string): LoginCheck {
    const retryAfterSeconds = decision.retryAfterSeconds ?? 1;
    events(securityEvent('auth.login.throttled', subject, { reason, scope: subject === undefined ? 'ip' : 'account', clientIp: ip, retryAfterSeconds }));
    return { allowed: false, reason, retryAfterSeconds };
  }

  return {
    accountId,

    async check(accountName, ip) {
      // The address first: an address that is over its rate must not be able to spend an account's attempts.
      const byIp = await guarded(() => store.consume(ipKeyOf(ip), 1, ipPolicy));
      if (byIp === undefined) return unavailable();
      if (!byIp.allowed) return refusal(byIp, 'throttled', undefined, ip);
      const id = accountId(accountName);
      const byAccount = await guarded(() => store.consume(`${name}:a:${id}`, 1, accountPolicy));
      if (byAccount === undefined) return unavailable();
      const locked = byAccount.remaining === 0;
      if (!byAccount.allowed) return refusal(byAccount, locked ? 'locked' : 'throttled', id, ip);
      // This attempt used the last one before the lock: the lock starts now (reported once, not per refusal).
      if (locked) events(securityEvent('auth.login.locked', id, { clientIp: ip, lockSeconds: accountPolicy.lockSeconds }));
      return { allowed: true };
    },

    recordFailure(accountName, ip) {
      events(securityEvent('auth.login.failed', accountId(accountName), { clientIp: ip }));
      return Promise.resolve();
    },

    async recordSuccess(accountName, ip) {
      events(securityEvent('auth.login.succeeded', accountId(accountName), { clientIp: ip }));
      // Left unchanged on a store failure: a stale counter only delays its owner, while a fail-open reset would be
      // wrong in the other direction.
      await guarded(() => store.reset(accountKeyOf(accountName)));
    },
  };
}
