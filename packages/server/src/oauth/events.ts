import type { EventEmitter } from 'node:events';
import type { Clock, SecurityEventSink } from '@rampart/core';
import { addressKey, gcra, type RateLimitStore, type RatePolicy } from '@rampart/core/ratelimit';
import type { FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { eventEmitter, type EmitEvent, type EventAttributes } from '../http/events.js';
import type { ConsumeRace } from './adapter.js';
import type { EarlyAnswer } from './mount.js';
import { fastifyRequestOf } from './requests.js';

/*
 * The provider's events, into the server's hub. Core's event vocabulary has no OAuth-specific types yet, so each
 * provider event is reported as the nearest existing one, with `protocol: 'oauth'` and the artifact named:
 *
 *   grant.success                                  → token.issued                 (grantType, clientId, grantId)
 *   a reused authorization code or refresh token   → token.refresh.reuse_detected (artifact, clientId, familyId = grant)
 *   grant.revoked                                  → token.refresh.family_revoked (familyId = grant, reason)
 *   a logout ending a grant's tokens               → token.refresh.family_revoked (familyId = grant, reason: logout)
 *   a token revoked at the revocation endpoint     → token.refresh.family_revoked (artifact, reason: revoked)
 *   invalid_client at any endpoint                 → auth.login.failed            (principal: client, clientId, clientIp)
 *   any other refusal (token, PAR, introspection,
 *   revocation, userinfo, authorization)           → token.access.refused         (endpoint, error, clientId)
 *
 * Events carry ids and error codes only: never a token, code, secret, assertion, DPoP proof or certificate.
 */

type OAuthEventType = 'token.issued' | 'token.access.refused' | 'token.refresh.reuse_detected' | 'token.refresh.family_revoked' | 'auth.login.failed';

/** The provider's own words for a second use of a single-use artifact (`error_detail` of its `invalid_grant`). */
const REUSE: Readonly<Record<string, 'authorization_code' | 'refresh_token'>> = {
  'authorization code already consumed': 'authorization_code',
  'refresh token already used': 'refresh_token',
  'refresh token already consumed': 'refresh_token',
};

/** The endpoint an error handler event belongs to. */
const ERROR_EVENTS: readonly (readonly [string, string])[] = [
  ['grant.error', 'token'],
  ['pushed_authorization_request.error', 'par'],
  ['introspection.error', 'introspection'],
  ['revocation.error', 'revocation'],
  ['userinfo.error', 'userinfo'],
  ['authorization.error', 'authorization'],
  ['end_session.error', 'end_session'],
];

interface ProviderError {
  readonly error?: unknown;
  readonly error_detail?: unknown;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined;
}

function clientIdOf(ctx: KoaContextWithOIDC): string | undefined {
  // The authenticated (or named) client; a client_id the request merely claimed is not echoed unless it was found.
  return text(ctx.oidc.client?.clientId);
}

function requestOf(ctx: KoaContextWithOIDC): FastifyRequest | undefined {
  return fastifyRequestOf(ctx.req);
}

/** Options of {@link ClientAuthThrottle}. */
export interface ClientAuthThrottleOptions {
  readonly store: RateLimitStore;
  readonly clock: Clock;
  /** Failed client authentications admitted per address. Default 10 a minute. */
  readonly policy?: RatePolicy;
}

/**
 * Counts failed client authentications per client address (IPv6 per /64) and, past the limit, turns the address away
 * from the back-channel endpoints before the provider looks anything up — `429` with `Retry-After`.
 *
 * Protects against online guessing of client secrets and signing keys, and against a stream of bad assertions
 * costing a database read and a signature check each. The counters live in the server's shared store (Redis when
 * configured), so every instance sees the same count.
 */
export class ClientAuthThrottle {
  readonly #store: RateLimitStore;
  readonly #clock: Clock;
  readonly #policy: RatePolicy;
  readonly #blocked = new Map<string, number>();

  constructor(options: ClientAuthThrottleOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#policy = options.policy ?? gcra(10, 60);
  }

  /** The refusal for `clientIp`, when it is over the limit. */
  admit(clientIp: string): EarlyAnswer | undefined {
    const address = addressKey(clientIp);
    const until = this.#blocked.get(address);
    if (until === undefined) return undefined;
    const left = until - this.#clock.now();
    if (left <= 0) {
      this.#blocked.delete(address);
      return undefined;
    }
    const retryAfter = String(Math.max(1, Math.ceil(left / 1000)));
    return {
      status: 429,
      headers: { 'retry-after': retryAfter, 'cache-control': 'no-store' },
      body: { error: 'invalid_client', error_description: 'too many failed client authentications from this address; retry later' },
    };
  }

  /** Counts one failure; returns whether the address is now turned away (the first refusal is reported). */
  async fail(clientIp: string): Promise<boolean> {
    const address = addressKey(clientIp);
    const decision = await this.#store.consume(`oauth-client-failures:${address}`, 1, this.#policy);
    if (decision.allowed && decision.remaining > 0) return false;
    const waitSeconds = Math.max(1, decision.allowed ? decision.resetSeconds : (decision.retryAfterSeconds ?? decision.resetSeconds));
    const first = !this.#blocked.has(address);
    if (first && this.#blocked.size >= 10_000) this.#blocked.delete(this.#blocked.keys().next().value ?? '');
    this.#blocked.set(address, this.#clock.now() + waitSeconds * 1000);
    return first;
  }
}

/** What {@link reportProviderEvents} needs. */
export interface ProviderEventDeps {
  readonly events: SecurityEventSink;
  readonly clock: Clock;
  readonly throttle: ClientAuthThrottle;
  /** For the provider's own failures (a bug or a store outage): logged with the error, never sent to clients. */
  readonly logError: (error: unknown, message: string) => void;
}

/**
 * Subscribes to one provider instance's events and reports them into the hub (see the table above), counting failed
 * client authentications into the throttle. Emitting never throws into the provider.
 */
export function reportProviderEvents(provider: Provider, deps: ProviderEventDeps): void {
  const emit: EmitEvent<OAuthEventType> = eventEmitter<OAuthEventType>(deps.events, deps.clock);
  // A reuse revokes the grant first (grant.revoked), then fails (grant.error): the grant id travels between the two.
  const revokedIn = new WeakMap<object, string>();
  const common = (ctx: KoaContextWithOIDC, extra: EventAttributes): EventAttributes => {
    const clientId = clientIdOf(ctx);
    const correlationId = requestOf(ctx)?.rampart?.correlationId;
    return { protocol: 'oauth', ...(clientId === undefined ? {} : { clientId }), ...(correlationId === undefined ? {} : { correlationId }), ...extra };
  };

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = text(ctx.oidc.params?.grant_type) ?? 'unknown';
    const entities = ctx.oidc.entities as Readonly<Record<string, { readonly jti?: string; readonly accountId?: string; readonly jkt?: string; readonly 'x5t#S256'?: string } | undefined>>;
    const token = entities.AccessToken ?? entities.ClientCredentials;
    const grantId = text(entities.Grant?.jti);
    const accountId = text(entities.Account?.accountId);
    const binding = token?.jkt !== undefined ? 'dpop' : token?.['x5t#S256'] !== undefined ? 'mtls' : 'bearer';
    emit('token.issued', accountId, common(ctx, { grantType, binding, ...(grantId === undefined ? {} : { grantId }) }));
  });

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    revokedIn.set(ctx, grantId);
    const route = text(ctx.oidc.route);
    const reason = route === 'token' ? 'reuse' : route === 'revocation' ? 'revoked' : route?.startsWith('end_session') === true ? 'logout' : 'revoked';
    emit('token.refresh.family_revoked', undefined, common(ctx, { familyId: grantId, reason }));
  });

  // The error events of every endpoint share one listener shape, which the provider's typings list one by one.
  const emitter = provider as unknown as EventEmitter;
  for (const [name, endpoint] of ERROR_EVENTS) {
    emitter.on(name, (ctx: KoaContextWithOIDC, error: ProviderError) => {
      const code = text(error.error) ?? 'server_error';
      const request = requestOf(ctx);
      if (code === 'invalid_client') {
        const clientIp = request?.rampart?.clientIp;
        emit('auth.login.failed', undefined, common(ctx, { principal: 'oauth_client', endpoint, reason: 'invalid_client', ...(clientIp === undefined ? {} : { clientIp }) }));
        if (clientIp !== undefined) {
          deps.throttle.fail(clientIp).catch((failure: unknown) => {
            deps.logError(failure, 'oauth: counting a failed client authentication failed');
          });
        }
        return;
      }
      const artifact = code === 'invalid_grant' ? REUSE[text(error.error_detail) ?? ''] : undefined;
      if (artifact !== undefined) {
        const familyId = revokedIn.get(ctx);
        const accountId = text((ctx.oidc.entities as Readonly<Record<string, { readonly accountId?: string } | undefined>>).RefreshToken?.accountId);
        emit('token.refresh.reuse_detected', accountId, common(ctx, { artifact, ...(familyId === undefined ? {} : { familyId }) }));
        return;
      }
      emit('token.access.refused', undefined, common(ctx, { endpoint, error: code }));
    });
  }

  provider.on('server_error', (_ctx: KoaContextWithOIDC, error: unknown) => {
    deps.logError(error, 'oauth: the provider failed a request');
  });
}

/**
 * Reports a token revoked at the revocation endpoint (RFC 7009) — the provider emits no event of its own with the
 * request's context — and a reuse that lost the store's conditional consume (two requests at once).
 */
export function revocationReporter(deps: Pick<ProviderEventDeps, 'events' | 'clock'>) {
  const emit: EmitEvent<OAuthEventType> = eventEmitter<OAuthEventType>(deps.events, deps.clock);
  // The provider revokes a grant's tokens model by model (codes, access tokens, refresh tokens): one event per grant.
  const loggedOut = new WeakMap<object, Set<string>>();
  return {
    /** A logout ended the tokens of `grantId` (the grant itself, the consent, is kept). */
    loggedOut(ctx: KoaContextWithOIDC, grantId: string): void {
      const seen = loggedOut.get(ctx) ?? new Set<string>();
      loggedOut.set(ctx, seen);
      if (seen.has(grantId)) return;
      seen.add(grantId);
      const session = ctx.oidc.session as { readonly accountId?: string; readonly authorizations?: Readonly<Record<string, { readonly grantId?: string } | undefined>> } | undefined;
      const clientId = Object.entries(session?.authorizations ?? {}).find(([, authorization]) => authorization?.grantId === grantId)?.[0] ?? clientIdOf(ctx);
      emit('token.refresh.family_revoked', text(session?.accountId), { protocol: 'oauth', reason: 'logout', familyId: grantId, ...(clientId === undefined ? {} : { clientId }) });
    },
    revoked(ctx: KoaContextWithOIDC): void {
      const entities = ctx.oidc.entities as Readonly<Record<string, { readonly grantId?: string; readonly clientId?: string } | undefined>>;
      const kind = entities.RefreshToken !== undefined ? 'refresh_token' : entities.AccessToken !== undefined ? 'access_token' : entities.ClientCredentials !== undefined ? 'client_credentials' : undefined;
      if (kind === undefined) return;
      const token = entities.RefreshToken ?? entities.AccessToken ?? entities.ClientCredentials;
      const grantId = text(token?.grantId);
      const clientId = text(token?.clientId);
      emit('token.refresh.family_revoked', undefined, { protocol: 'oauth', artifact: kind, reason: 'revoked', ...(grantId === undefined ? {} : { familyId: grantId }), ...(clientId === undefined ? {} : { clientId }) });
    },
    raced(race: ConsumeRace): void {
      emit('token.refresh.family_revoked', undefined, {
        protocol: 'oauth',
        reason: 'reuse',
        artifact: race.kind,
        ...(race.grantId === undefined ? {} : { familyId: race.grantId }),
        ...(race.clientId === undefined ? {} : { clientId: race.clientId }),
      });
    },
  };
}
