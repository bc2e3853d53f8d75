import type { Clock, SecurityEventSink } from '@rampart/core';
import { problem } from '@rampart/core/http';
import type { RateLimitStore, RatePolicy } from '@rampart/core/ratelimit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendRefusal } from './http.js';

/** What a handler asks before doing work: `false` to go on, `true` when the 429 was sent. */
export type ClientLimit = (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;

/**
 * A per-client-address limiter for a group of routes (`name` keys the counters apart). Protects the unauthenticated
 * passkey routes against scripted use — ceremonies started by the thousand (each one a stored challenge), assertions
 * replayed in bulk — and answers `429 mfa.rate_limited` with `Retry-After`, plus a `ratelimit.exceeded` event. The
 * address is the guard chain's (trusted-proxy rules applied), never a raw `X-Forwarded-For`.
 */
export function clientLimit(store: RateLimitStore, policy: RatePolicy, name: string, sink: SecurityEventSink, clock: Clock): ClientLimit {
  return async (request, reply) => {
    const client = request.rampart?.clientIp ?? request.ip;
    const decision = await store.consume(`mfa:${name}:client:${client}`, 1, policy);
    if (decision.allowed) return false;
    try {
      sink({ type: 'ratelimit.exceeded', at: new Date(clock.now()), attributes: { limiter: `mfa.${name}`, clientIp: client } });
    } catch {
      // A sink must not throw; the refusal stands either way.
    }
    sendRefusal(
      request,
      reply,
      problem(429, 'rate-limited', 'Too Many Requests', {
        code: 'mfa.rate_limited',
        detail: 'Too many requests: try again later.',
        headers: { 'retry-after': String(Math.max(1, decision.retryAfterSeconds ?? 1)) },
      }),
    );
    return true;
  };
}
