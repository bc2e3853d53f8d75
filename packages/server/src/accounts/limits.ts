import { createHash } from 'node:crypto';
import { problem, problemBody, type Problem } from '@rampart/core/http';
import { gcra, MemoryRateLimitStore, type RateLimitStore, type RatePolicy } from '@rampart/core/ratelimit';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Limits on the account routes. */
export interface AccountLimits {
  /** Default: a bounded in-memory store (one process); pass the Redis store when several servers share the limits. */
  readonly store?: RateLimitStore;
  /** Account requests per client address. Default 30 per 10 minutes. */
  readonly perClient?: RatePolicy;
  /**
   * Mails caused per address (registrations and reset requests for one address, whoever sends them). Default 3 per
   * hour. Counted the same for addresses with and without an account, so the limit says nothing about existence.
   */
  readonly perAddress?: RatePolicy;
}

/** What the limiter decided for one request. */
export type LimitDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Counts one account request from `clientIp` (and, for requests that mail `address`, one against the address).
 * Shared by the JSON routes and the pages, so both count in the same buckets.
 */
export type AccountLimitCounter = (clientIp: string, address?: string) => Promise<LimitDecision>;

/** What a handler asks before doing work: `false` to go on, `true` when the 429 was sent. */
export type LimitCheck = (request: FastifyRequest, reply: FastifyReply, correlationId: string, address?: string) => Promise<boolean>;

/**
 * The account requests' counters. Protects against mail bombing (reset or registration requests that make the server
 * mail one address again and again), scripted sign-up, and token guessing from one client. The address is counted as
 * a SHA-256, so the store never holds an e-mail address.
 */
export function accountLimitCounter(options: AccountLimits = {}): AccountLimitCounter {
  const store = options.store ?? new MemoryRateLimitStore();
  const perClient = options.perClient ?? gcra(30, 600);
  const perAddress = options.perAddress ?? gcra(3, 3600);
  return async (clientIp, address) => {
    const byClient = await store.consume(`accounts:client:${clientIp}`, 1, perClient);
    if (!byClient.allowed) return { allowed: false, retryAfterSeconds: Math.max(1, byClient.retryAfterSeconds ?? 1) };
    if (address === undefined) return { allowed: true };
    const key = createHash('sha256').update(address).digest('base64url');
    const byAddress = await store.consume(`accounts:address:${key}`, 1, perAddress);
    return byAddress.allowed ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, byAddress.retryAfterSeconds ?? 1) };
  };
}

/** The 429 problem of the account limits: names no address. */
export function accountRateLimited(retryAfterSeconds: number): Problem {
  return problem(429, 'rate-limited', 'Too Many Requests', {
    code: 'account.rate_limited',
    detail: 'Too many account requests: try again later.',
    headers: { 'retry-after': String(Math.max(1, retryAfterSeconds)) },
  });
}

/**
 * The account routes' limiter: {@link accountLimitCounter}, answering 429 with `Retry-After` as an RFC 9457 problem
 * that names no address. Protects against mail bombing, scripted sign-up and token guessing from one client.
 */
export function accountLimiter(options: AccountLimits = {}): LimitCheck {
  return fromCounter(accountLimitCounter(options));
}

/** A {@link LimitCheck} over an existing counter (the server's one, shared with the pages). */
export function fromCounter(count: AccountLimitCounter): LimitCheck {
  return async (request, reply, correlationId, address) => {
    const decision = await count(request.rampart?.clientIp ?? request.ip, address);
    if (decision.allowed) return false;
    const body = problemBody(accountRateLimited(decision.retryAfterSeconds), correlationId);
    void reply
      .code(429)
      .header('retry-after', String(decision.retryAfterSeconds))
      .type('application/problem+json')
      .send(JSON.stringify(body));
    return true;
  };
}
