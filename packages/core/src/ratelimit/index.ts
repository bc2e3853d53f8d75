// Rate limiting: GCRA and sliding-window limiters as chain guards, memory and Redis stores behind one atomic port,
// a circuit breaker for store outages, and login brute-force protection.
export { backoff, checkPolicy, gcra, slidingWindow, type BackoffPolicy, type GcraPolicy, type RateDecision, type RatePolicy, type SlidingWindowPolicy } from './policy.js';
export type { RateLimitStore } from './store.js';
export { MemoryRateLimitStore, type MemoryRateLimitStoreOptions } from './memory-store.js';
export { RateLimitStoreError, RedisRateLimitStore, type RedisRateLimitStoreOptions } from './redis-store.js';
export { CircuitBreaker, type BreakerState, type CircuitBreakerOptions } from './breaker.js';
export { addressKey, RATE_LIMIT_API_KEY_ID, RATE_LIMIT_PRINCIPAL, type RateLimitKey, type RateLimitKeyFunction } from './keys.js';
export { rateLimitHeader, rateLimitPolicyHeader } from './headers.js';
export { rateLimit, type RateLimitOptions, type StoreErrorPolicy } from './guard.js';
export {
  loginThrottle,
  normalizeAccount,
  type LoginAccountLimits,
  type LoginCheck,
  type LoginRefusal,
  type LoginThrottle,
  type LoginThrottleOptions,
} from './login.js';
