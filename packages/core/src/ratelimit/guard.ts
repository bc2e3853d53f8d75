import { ConfigurationError } from '../errors.js';
import { securityEvent, type SecurityEventSink } from '../events.js';
import { CONTINUE, deny, type Guard, type GuardContext, type RequestView, type Verdict } from '../http/chain/types.js';
import { problem, type Problem } from '../http/problem/problem.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './breaker.js';
import { RATE_LIMIT_NAME, rateLimitHeader, rateLimitPolicyHeader } from './headers.js';
import { keyResolver, type RateLimitKey } from './keys.js';
import { checkCost, checkPolicy, policyWindowSeconds, type RateDecision, type RatePolicy } from './policy.js';
import type { RateLimitStore } from './store.js';

/** What a limiter does when its store fails or its breaker is open. */
export type StoreErrorPolicy = 'closed' | 'open';

export interface RateLimitOptions {
  readonly store: RateLimitStore;
  readonly policy: RatePolicy;
  /** Names the limiter in keys, headers and events; distinct per limiter on one store. Default `default`. */
  readonly name?: string;
  /** What to count by. Default `ip` (the trusted-proxy-resolved client address). */
  readonly key?: RateLimitKey;
  /** Units each request consumes. Default 1. */
  readonly cost?: number | ((request: RequestView, context: GuardContext) => number);
  /**
   * When the store cannot answer: `closed` (default) refuses with 503; `open` admits without counting, and must be
   * named — it suits a public read route where availability matters more than the limit, never authentication.
   */
  readonly onStoreError?: StoreErrorPolicy;
  /** The breaker in front of the store; pass one instance to every limiter of a store. Default: one per limiter. */
  readonly breaker?: CircuitBreaker | CircuitBreakerOptions;
  /** IPv6 clients are counted per prefix of this length. Default 64. */
  readonly ipv6PrefixLength?: number;
  /** Receives build-time events (`config.loosened` for `onStoreError: 'open'`). Request events go to the chain. */
  readonly events?: SecurityEventSink;
}

/** Reads the failure policy, `closed` unless `open` is named; anything else is a configuration error. */
export function checkStoreErrorPolicy(value: unknown): StoreErrorPolicy {
  if (value === undefined || value === 'closed') return 'closed';
  if (value === 'open') return 'open';
  throw new ConfigurationError('onStoreError must be "closed" or "open"');
}

function isPromise(value: RateDecision | Promise<RateDecision>): value is Promise<RateDecision> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/**
 * A rate-limit guard for the chain.
 *
 * Protects against request floods, scraping and brute force on one route or a whole API: each client (by address,
 * verified principal, verified API key, or a function) gets `policy.limit` requests per period; the rest get `429`
 * with `Retry-After`, and every answer carries `RateLimit` / `RateLimit-Policy` so well-behaved clients slow down
 * first. The check-and-consume is atomic in the store, so concurrent requests cannot overshoot the limit. When the
 * store fails the limiter fails closed (`503`) unless `onStoreError: 'open'` is named; a circuit breaker stops a
 * dead store from adding its timeout to every request.
 */
export function rateLimit(options: RateLimitOptions): Guard {
  const { store } = options;
  const policy = checkPolicy(options.policy);
  const name = options.name ?? 'default';
  if (!RATE_LIMIT_NAME.test(name)) throw new ConfigurationError('name must match /^[a-z0-9][a-z0-9_.-]{0,31}$/');
  const prefixLength = options.ipv6PrefixLength ?? 64;
  if (!Number.isSafeInteger(prefixLength) || prefixLength < 1 || prefixLength > 128) throw new ConfigurationError('ipv6PrefixLength must be 1–128');
  const onStoreError = checkStoreErrorPolicy(options.onStoreError);
  const costOption = options.cost ?? 1;
  const fixedCost = typeof costOption === 'number' ? checkCost(costOption) : undefined;
  const costOf = typeof costOption === 'function' ? costOption : undefined;
  const breaker = options.breaker instanceof CircuitBreaker ? options.breaker : new CircuitBreaker(options.breaker);
  const keyOf = keyResolver(name, options.key ?? 'ip', prefixLength);
  const policyHeader = rateLimitPolicyHeader(name, policy.limit, policyWindowSeconds(policy));

  if (onStoreError === 'open' && options.events !== undefined) {
    options.events(securityEvent('config.loosened', undefined, { control: 'ratelimit', limiter: name, option: 'onStoreError', value: 'open' }));
  }

  const unavailable: Problem = problem(503, 'rate-limit-unavailable', 'Service Unavailable', {
    detail: 'The request could not be checked against its rate limit. Try again later.',
    headers: { 'retry-after': String(Math.max(1, Math.ceil(breaker.openSeconds))) },
    code: 'ratelimit.store_unavailable',
  });

  function storeFailed(context: GuardContext): Verdict {
    if (breaker.failed()) context.emit(securityEvent('ratelimit.store_unavailable', undefined, { limiter: name, breaker: 'open' }));
    return onStoreError === 'open' ? CONTINUE : deny(unavailable);
  }

  function decided(decision: RateDecision, request: RequestView, context: GuardContext): Verdict {
    if (breaker.succeeded()) context.emit(securityEvent('ratelimit.store_unavailable', undefined, { limiter: name, breaker: 'closed' }));
    const headers = context.response;
    headers.set('ratelimit-policy', policyHeader);
    headers.set('ratelimit', rateLimitHeader(name, decision));
    if (decision.allowed) return CONTINUE;
    const retryAfter = decision.retryAfterSeconds ?? 1;
    context.emit(securityEvent('ratelimit.exceeded', undefined, { limiter: name, clientIp: request.clientIp, retryAfterSeconds: retryAfter }));
    return deny(
      problem(429, 'rate-limit', 'Too Many Requests', {
        detail: 'Too many requests. Retry after the time given in Retry-After.',
        headers: { 'retry-after': String(retryAfter) },
        code: 'ratelimit.exceeded',
      }),
    );
  }

  const guard = (request: RequestView, context: GuardContext): Verdict | Promise<Verdict> => {
    const key = keyOf(request, context);
    const cost = fixedCost ?? checkCost(costOf?.(request, context));
    // Open breaker: the store is not touched, so a dead store costs nothing per request.
    if (!breaker.tryCall()) return onStoreError === 'open' ? CONTINUE : deny(unavailable);
    let result: RateDecision | Promise<RateDecision>;
    try {
      result = store.consume(key, cost, policy);
    } catch {
      return storeFailed(context);
    }
    if (!isPromise(result)) return decided(result, request, context);
    return result.then(
      (decision) => decided(decision, request, context),
      () => storeFailed(context),
    );
  };
  return Object.assign(guard, { guardName: 'ratelimit' });
}
