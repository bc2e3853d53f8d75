// Header fields of draft-ietf-httpapi-ratelimit-headers-11 (the syntax has been stable since -08): both are
// Structured Field Lists (RFC 9651) whose items are the policy name as an sf-string, with parameters
//   RateLimit-Policy: "<name>";q=<quota>;w=<window seconds>
//   RateLimit:        "<name>";r=<remaining>;t=<seconds until the quota is fully available>
// Names are restricted at build time to characters that need no escaping in an sf-string.
import type { RateDecision } from './policy.js';

export const RATE_LIMIT_NAME = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

/** The `RateLimit-Policy` value of a limiter: the same on every response, so built once. */
export function rateLimitPolicyHeader(name: string, limit: number, windowSeconds: number): string {
  return `"${name}";q=${limit};w=${windowSeconds}`;
}

/** The `RateLimit` value for one decision. */
export function rateLimitHeader(name: string, decision: RateDecision): string {
  return `"${name}";r=${decision.remaining};t=${decision.resetSeconds}`;
}
