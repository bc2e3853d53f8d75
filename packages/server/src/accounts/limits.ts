import { createHash } from 'node:crypto';
import { problem, problemBody } from '@rampart/core/http';
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

/** What a handler asks before doing work: `false` to go on, `true` when the 429 was sent. */
export type LimitCheck = (request: FastifyRequest, reply: FastifyReply, correlationId: string, address?: string) => Promise<boolean>;

/**
 * The account routes' limiter. Protects against mail bombing (reset or registration requests that make the server
 * mail one address again and again), scripted sign-up, and token guessing from one client — answering 429 with
 * `Retry-After` as an RFC 9457 problem that names no address.
 */
export function accountLimiter(options: AccountLimits = {}): LimitCheck {
  const store = options.store ?? new MemoryRateLimitStore();
  const perClient = options.perClient ?? gcra(30, 600);
  const perAddress = options.perAddress ?? gcra(3, 3600);
  const refuse = (reply: FastifyReply, correlationId: string, retryAfter: number | undefined): true => {
    const body = problemBody(problem(429, 'rate-limited', 'Too Many Requests', { code: 'account.rate_limited', detail: 'Too many account requests: try again later.' }), correlationId);
    void reply
      .code(429)
      .header('retry-after', String(Math.max(1, retryAfter ?? 1)))
      .type('application/problem+json')
      .send(JSON.stringify(body));
    return true;
  };
  return async (request, reply, correlationId, address) => {
    const client = request.rampart?.clientIp ?? request.ip;
    const byClient = await store.consume(`accounts:client:${client}`, 1, perClient);
    if (!byClient.allowed) return refuse(reply, correlationId, byClient.retryAfterSeconds);
    if (address === undefined) return false;
    // The address is hashed: the store never holds an e-mail address.
    const key = createHash('sha256').update(address).digest('base64url');
    const byAddress = await store.consume(`accounts:address:${key}`, 1, perAddress);
    return byAddress.allowed ? false : refuse(reply, correlationId, byAddress.retryAfterSeconds);
  };
}
