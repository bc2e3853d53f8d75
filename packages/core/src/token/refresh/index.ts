/**
 * Refresh-token families with rotation, reuse detection, idle and absolute lifetimes, and a replay cache for one-time
 * values. See README.md for the threat model, the defaults and the concurrency argument.
 */
export {
  RefreshTokens,
  hashRefreshToken,
  DEFAULT_REFRESH_IDLE_MS,
  DEFAULT_REFRESH_ABSOLUTE_MS,
  DEFAULT_REFRESH_GRACE_MS,
  MAX_REFRESH_GRACE_MS,
  type RefreshTokensOptions,
  type RefreshGrant,
  type RefreshFailure,
} from './refresh-tokens.js';
export type {
  RefreshTokenStore,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenEntry,
  RefreshRevocationReason,
  RotateRequest,
  RotateOutcome,
} from './store.js';
export { MemoryRefreshTokenStore } from './memory-store.js';
export { MemoryReplayCache, type ReplayCache, type MemoryReplayCacheOptions } from './replay-cache.js';
