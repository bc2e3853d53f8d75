/**
 * Tokens: JWT issue/verify with JWKS, refresh-token families, API keys, and a replay cache for one-time values.
 */
export * from './jwt/index.js';
export * from './refresh/index.js';
export * from './apikey/index.js';
export * from './resource-server/index.js';
