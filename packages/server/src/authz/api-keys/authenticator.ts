import type { Clock } from '@rampart/core';
import { problem, type Problem } from '@rampart/core/http';
import { addressKey, gcra, MemoryRateLimitStore, type RateLimitStore, type RatePolicy } from '@rampart/core/ratelimit';
import { DEFAULT_API_KEY_PREFIX, parseApiKey, type ApiKeys } from '@rampart/core/token';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../../auth/authenticate.js';
import type { Identity } from '../../auth/identity.js';
import type { StoreDatabase } from '../../stores/sql.js';
import type { EmitEvent } from '../events.js';
import { clientIp, correlationId } from '../http.js';

/** Options of {@link apiKeyAuthenticator}. */
export interface ApiKeyAuthenticatorOptions {
  readonly keys: ApiKeys;
  readonly database: StoreDatabase;
  readonly emit: EmitEvent;
  readonly clock: Clock;
  /**
   * Where failed attempts are counted: the server's shared store (Redis when configured, so every instance sees the
   * same count). Default: a bounded in-memory store (one process).
   */
  readonly store?: RateLimitStore;
  /** Failed key attempts per client address (IPv6 per /64). Default 10 per minute. */
  readonly failures?: RatePolicy;
  /** Most addresses remembered as blocked at once (oldest forgotten first). Default 10 000. */
  readonly maxBlocked?: number;
}

const KEY_PREFIX = `${DEFAULT_API_KEY_PREFIX}_`;
const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/** One answer for every refused key, whatever the reason: the reason goes to the event only. */
const INVALID_KEY: Problem = problem(401, 'invalid-api-key', 'Unauthorized', {
  code: 'auth.api_key_invalid',
  detail: 'The API key is invalid, expired or revoked.',
  headers: { 'www-authenticate': 'Bearer realm="rampart", error="invalid_token"' },
});

function throttled(retryAfterSeconds: number): Problem {
  return problem(429, 'rate-limited', 'Too Many Requests', {
    code: 'auth.api_key_throttled',
    detail: 'Too many invalid API keys from this address: try again later.',
    headers: { 'retry-after': String(Math.max(1, retryAfterSeconds)) },
  });
}

/** The credential of `Authorization: Bearer rpk_…`, or `undefined` when the header carries something else. */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = BEARER.exec(header);
  const value = match?.[1];
  return value !== undefined && value.startsWith(KEY_PREFIX) ? value : undefined;
}

/**
 * Authenticates `Authorization: Bearer rpk_<id>_<secret><checksum>` (core's API key format, RFC 6750 syntax). A
 * bearer value that does not start with `rpk_` is `absent` (a JWT: the token module's), one that does is this
 * authenticator's and is either an identity or a `401 auth.api_key_invalid` — malformed, bad checksum, unknown,
 * wrong secret, expired, revoked, or owned by a locked or deleted account all look the same to the client.
 *
 * Protects against: forged, tampered (checksum), revoked and expired keys (core's `ApiKeys.verify`: the checksum
 * before any lookup, the keyed hash compared in constant time); keys outliving the lock of their account; online
 * guessing and garbage hammering the database — failed attempts are counted per client address (IPv6 per /64) and,
 * once over the limit, every key from that address is answered `429` with `Retry-After` *before* any lookup.
 */
export function apiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): Authenticator {
  const { keys, database, emit, clock } = options;
  const store = options.store ?? new MemoryRateLimitStore({ clock });
  const failures = options.failures ?? gcra(10, 60);
  const maxBlocked = options.maxBlocked ?? 10_000;
  // Address → end of its block (epoch ms). The limiter counts; this remembers its last refusal so a blocked address
  // is turned away before the key is looked up. Map order is insertion order: the oldest block is forgotten first.
  const blocked = new Map<string, number>();

  const blockedFor = (address: string): number => {
    const until = blocked.get(address);
    if (until === undefined) return 0;
    const left = until - clock.now();
    if (left > 0) return left;
    blocked.delete(address);
    return 0;
  };

  const countFailure = async (address: string): Promise<void> => {
    const decision = await store.consume(`apikey-failures:${address}`, 1, failures);
    // The failure that empties the quota starts the block: the next attempt from the address is not looked up. The
    // block lasts until the quota is whole again (or, past the limit, until one more attempt would be admitted).
    if (decision.allowed && decision.remaining > 0) return;
    const waitSeconds = Math.max(1, decision.allowed ? decision.resetSeconds : (decision.retryAfterSeconds ?? decision.resetSeconds));
    if (!blocked.has(address)) {
      if (blocked.size >= maxBlocked) blocked.delete(blocked.keys().next().value ?? '');
      emit('ratelimit.exceeded', undefined, { limiter: 'apikey-failures', retryAfterSeconds: waitSeconds });
    }
    blocked.set(address, clock.now() + waitSeconds * 1000);
  };

  return {
    name: 'api-key',
    async authenticate(request) {
      const presented = presentedKey(request);
      if (presented === undefined) return { kind: 'absent' };
      const ip = clientIp(request);
      const address = addressKey(ip);
      const wait = blockedFor(address);
      if (wait > 0) return { kind: 'refused', problem: throttled(Math.ceil(wait / 1000)) };

      const verified = await keys.verify(presented);
      if (!verified.ok) {
        await countFailure(address);
        // The id is not secret, but for a key whose secret did not match it is the attacker's choice: named only
        // when the key was genuine (expired, revoked), so an operator can tell a stale client from a guesser.
        const parsed = verified.reason === 'expired' || verified.reason === 'revoked' ? parseApiKey(presented) : undefined;
        emit('token.apikey.refused', undefined, {
          reason: verified.reason,
          ...(parsed?.ok === true ? { keyId: parsed.value.id } : {}),
          clientIp: ip,
          correlationId: correlationId(request),
        });
        return { kind: 'refused', problem: INVALID_KEY };
      }
      const key = verified.value;
      const owner = await database.db.selectFrom('rampart_users').select('locked_at').where('id', '=', key.subject).executeTakeFirst();
      if (owner === undefined || owner.locked_at !== null) {
        emit('token.apikey.refused', key.subject, { reason: owner === undefined ? 'unknown_account' : 'account_locked', keyId: key.id, clientIp: ip, correlationId: correlationId(request) });
        return { kind: 'refused', problem: INVALID_KEY };
      }
      const identity: Identity = {
        userId: key.subject,
        source: 'api_key',
        amr: [],
        authTime: key.createdAt,
        scopes: [...key.scopes],
        apiKeyId: key.id,
      };
      return { kind: 'authenticated', identity };
    },
  };
}
