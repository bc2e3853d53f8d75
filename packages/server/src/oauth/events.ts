import type { EventEmitter } from 'node:events';
import type { Clock, SecurityEventSink, SecurityEventType } from '@rampart/core';
import { addressKey, gcra, type RateLimitStore, type RatePolicy } from '@rampart/core/ratelimit';
import type { FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { eventEmitter, type EmitEvent, type EventAttributes } from '../http/events.js';
import type { ConsumeRace } from './adapter.js';
import type { EarlyAnswer } from './mount.js';
import { fastifyRequestOf } from './requests.js';

/*
 * The provider's events, into the server's hub, as core's `oauth.*` types (principle 7: every decision is a typed
 * event for the audit trail, the SIEM's OCSF view and the detectors):
 *
 *   grant.success                                  → oauth.token.issued    (grantType, clientId, resource, scope, binding, grantId)
 *   a reused authorization code                    → oauth.code.reused     (clientId, grantId) — the refresh-reuse detector alerts
 *   a reused refresh token                         → oauth.refresh.reused  (clientId, grantId; subject: the account)
 *   grant.revoked (a reuse, a refresh token
 *   revoked by its client)                         → oauth.grant.revoked   (grantId, reason: reuse | revocation)
 *   a logout ending a grant's tokens               → oauth.grant.revoked   (grantId, reason: logout, consentKept)
 *   a token revoked at the revocation endpoint     → oauth.token.revoked   (artifact, clientId, grantId)
 *   invalid_client at any endpoint                 → oauth.client.authentication_failed (clientId, endpoint, method, reason, clientIp)
 *   any other refusal (token, PAR, introspection,
 *   revocation, userinfo, authorization, logout)   → oauth.request.refused (endpoint, error, clientId)
 *
 * Introspection answers are not events: resource servers call it on every request, as they verify JWTs, and an
 * inactive token is an answer, not a refusal; a refused introspection call is `oauth.request.refused`.
 *
 * Events carry ids, scopes and error codes only: never a token, code, secret, assertion, DPoP proof or certificate.
 */

/** The `oauth.*` event types the provider's events become. */
type ProviderEventType = Extract<
  SecurityEventType,
  'oauth.token.issued' | 'oauth.token.revoked' | 'oauth.request.refused' | 'oauth.code.reused' | 'oauth.refresh.reused' | 'oauth.grant.revoked' | 'oauth.client.authentication_failed'
>;

/** The provider's own words for a second use of a single-use artifact (`error_detail` of its `invalid_grant`). */
const REUSE: Readonly<Record<string, 'oauth.code.reused' | 'oauth.refresh.reused'>> = {
  'authorization code already consumed': 'oauth.code.reused',
  'refresh token already used': 'oauth.refresh.reused',
  'refresh token already consumed': 'oauth.refresh.reused',
};

/** The provider's words for a failed client authentication, as a reason an operator can sort by (never the input). */
const CLIENT_AUTH_FAILURES: Readonly<Record<string, string>> = {
  'client not found': 'unknown_client',
  'invalid secret provided': 'wrong_secret',
  'the provided authentication mechanism does not match the registered client authentication method': 'wrong_method',
  'client assertion tokens must only be used once': 'assertion_replayed',
};

/** Why a client authentication failed, from the provider's detail and the client's registered method. */
function clientAuthFailure(detail: string | undefined, method: string | undefined): string {
  const known = detail === undefined ? undefined : CLIENT_AUTH_FAILURES[detail];
  if (known !== undefined) return known;
  if (method === 'private_key_jwt' || method === 'client_secret_jwt') return 'invalid_assertion';
  if (method === 'tls_client_auth' || method === 'self_signed_tls_client_auth') return 'invalid_certificate';
  return 'invalid_client';
}

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

/** What the events read of the provider's token models (the fields of its payloads; never the token value). */
interface TokenFacts {
  readonly jti?: string;
  readonly accountId?: string;
  readonly clientId?: string;
  readonly grantId?: string;
  readonly scope?: string;
  readonly aud?: string;
  readonly jkt?: string;
  readonly 'x5t#S256'?: string;
}

type Entities = Readonly<Record<string, TokenFacts | undefined>>;

const entitiesOf = (ctx: KoaContextWithOIDC): Entities => ctx.oidc.entities as Entities;

function text(value: unknown, max = 256): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/** Scopes are space-separated lists the server knows (a client asks only its registered ones): longer than an id. */
const scopeText = (value: unknown): string | undefined => text(value, 2048);

/** Adds `name: value` when the value is defined: events carry no empty attributes. */
function present(name: string, value: string | undefined): EventAttributes {
  return value === undefined ? {} : { [name]: value };
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
  /**
   * Failures still being counted, per address. A failure is counted after its answer is on its way (the provider
   * reports it through an event); the next request from that address waits for the count, so a guesser sending one
   * request after another cannot slip in while the store (Redis) is still answering.
   */
  readonly #counting = new Map<string, Promise<boolean>>();

  constructor(options: ClientAuthThrottleOptions) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#policy = options.policy ?? gcra(10, 60);
  }

  /** The refusal for `clientIp`, when it is over the limit (once the failures already reported are counted). */
  async admit(clientIp: string): Promise<EarlyAnswer | undefined> {
    const address = addressKey(clientIp);
    const counting = this.#counting.get(address);
    if (counting !== undefined) {
      try {
        await counting;
      } catch {
        // A count the store could not take was logged where it failed; the decision below uses what is known.
      }
    }
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
  fail(clientIp: string): Promise<boolean> {
    const address = addressKey(clientIp);
    const previous = this.#counting.get(address) ?? Promise.resolve(false);
    // Chained per address: the next admit() waits for every failure reported before it, in order.
    const counted = previous.catch(() => false).then(() => this.#count(address));
    this.#counting.set(address, counted);
    const settle = (): void => {
      if (this.#counting.get(address) === counted) this.#counting.delete(address);
    };
    counted.then(settle, settle);
    return counted;
  }

  async #count(address: string): Promise<boolean> {
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
  /** Grants revoked during a request, shared with {@link revocationReporter}: a reuse event names its grant. */
  readonly revokedGrants: RevokedGrants;
}

/**
 * The grant a request revoked, by request: a reuse revokes the grant first (`grant.revoked`, or the store's lost
 * conditional consume), then fails (`grant.error`), and the reuse event names the grant it ended.
 */
export class RevokedGrants {
  readonly #byRequest = new WeakMap<object, string>();

  /** `grantId` was revoked while serving the request `ctx`. */
  record(ctx: object, grantId: string): void {
    this.#byRequest.set(ctx, grantId);
  }

  /** The grant the request `ctx` revoked, if any (kept no longer than the request: a weak map). */
  of(ctx: object): string | undefined {
    return this.#byRequest.get(ctx);
  }
}

/** Where a grant revoked by the provider itself was revoked, as the event's reason. */
function revocationReason(route: string | undefined): string {
  if (route === 'token') return 'reuse';
  if (route === 'revocation') return 'revocation';
  if (route?.startsWith('end_session') === true) return 'logout';
  return 'other';
}

/**
 * Subscribes to one provider instance's events and reports them into the hub (see the table above), counting failed
 * client authentications into the throttle. Emitting never throws into the provider.
 */
export function reportProviderEvents(provider: Provider, deps: ProviderEventDeps): void {
  const emit: EmitEvent<ProviderEventType> = eventEmitter<ProviderEventType>(deps.events, deps.clock);
  const common = (ctx: KoaContextWithOIDC, extra: EventAttributes): EventAttributes => ({
    ...present('clientId', clientIdOf(ctx)),
    ...present('correlationId', requestOf(ctx)?.rampart?.correlationId),
    ...extra,
  });

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const entities = entitiesOf(ctx);
    const token = entities.AccessToken ?? entities.ClientCredentials;
    const binding = token?.jkt !== undefined ? 'dpop' : token?.['x5t#S256'] !== undefined ? 'mtls' : 'none';
    emit(
      'oauth.token.issued',
      text(entities.Account?.accountId),
      common(ctx, {
        grantType: text(ctx.oidc.params?.grant_type) ?? 'unknown',
        binding,
        ...present('resource', text(token?.aud, 2048)),
        ...present('scope', scopeText(token?.scope)),
        ...present('grantId', text(entities.Grant?.jti)),
      }),
    );
  });

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    deps.revokedGrants.record(ctx, grantId);
    const route = text(ctx.oidc.route);
    const reason = revocationReason(route);
    emit('oauth.grant.revoked', undefined, common(ctx, { grantId, reason, ...(reason === 'other' ? present('route', route) : {}) }));
  });

  // The error events of every endpoint share one listener shape, which the provider's typings list one by one.
  const emitter = provider as unknown as EventEmitter;
  for (const [name, endpoint] of ERROR_EVENTS) {
    emitter.on(name, (ctx: KoaContextWithOIDC, error: ProviderError) => {
      const code = text(error.error) ?? 'server_error';
      const request = requestOf(ctx);
      if (code === 'invalid_client') {
        const clientIp = request?.rampart?.clientIp;
        const method = text(ctx.oidc.client?.clientAuthMethod);
        const reason = clientAuthFailure(text(error.error_detail, 1024), method);
        emit('oauth.client.authentication_failed', undefined, common(ctx, { endpoint, reason, ...present('method', method), ...present('clientIp', clientIp) }));
        if (clientIp !== undefined) {
          deps.throttle.fail(clientIp).catch((failure: unknown) => {
            deps.logError(failure, 'oauth: counting a failed client authentication failed');
          });
        }
        return;
      }
      const reuse = code === 'invalid_grant' ? REUSE[text(error.error_detail) ?? ''] : undefined;
      if (reuse !== undefined) {
        // The reused artifact is not an entity of the request when the provider finds it spent before reading it.
        const reused = reuse === 'oauth.refresh.reused' ? entitiesOf(ctx).RefreshToken : entitiesOf(ctx).AuthorizationCode;
        const grantId = deps.revokedGrants.of(ctx) ?? text(reused?.grantId);
        emit(reuse, text(reused?.accountId), common(ctx, { ...present('grantId', grantId), ...present('clientIp', request?.rampart?.clientIp) }));
        return;
      }
      emit('oauth.request.refused', undefined, common(ctx, { endpoint, error: code }));
    });
  }

  provider.on('server_error', (_ctx: KoaContextWithOIDC, error: unknown) => {
    deps.logError(error, 'oauth: the provider failed a request');
  });
}

/**
 * Reports what the provider emits no event of its own for, with the request's context: a token revoked at the
 * revocation endpoint (RFC 7009), the tokens of a grant ended by a logout, and a reuse that lost the store's
 * conditional consume (two requests at once: the store revoked the grant itself).
 */
export function revocationReporter(deps: Pick<ProviderEventDeps, 'events' | 'clock' | 'revokedGrants'>) {
  const emit: EmitEvent<ProviderEventType> = eventEmitter<ProviderEventType>(deps.events, deps.clock);
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
      emit('oauth.grant.revoked', text(session?.accountId), { reason: 'logout', consentKept: true, grantId, ...present('clientId', clientId) });
    },
    /** A token the client revoked at the revocation endpoint. */
    revoked(ctx: KoaContextWithOIDC): void {
      const entities = entitiesOf(ctx);
      const artifact = entities.RefreshToken !== undefined ? 'refresh_token' : entities.AccessToken !== undefined ? 'access_token' : entities.ClientCredentials !== undefined ? 'client_credentials' : undefined;
      if (artifact === undefined) return;
      const token = entities.RefreshToken ?? entities.AccessToken ?? entities.ClientCredentials;
      emit('oauth.token.revoked', text(token?.accountId), {
        artifact,
        ...present('grantId', text(token?.grantId)),
        ...present('clientId', text(token?.clientId)),
        ...present('correlationId', requestOf(ctx)?.rampart?.correlationId),
      });
    },
    /** Two requests spent one code or refresh token at once: the loser's store call revoked the grant. */
    raced(race: ConsumeRace, ctx: KoaContextWithOIDC | undefined): void {
      if (ctx !== undefined && race.grantId !== undefined) deps.revokedGrants.record(ctx, race.grantId);
      emit('oauth.grant.revoked', undefined, {
        reason: 'reuse',
        race: true,
        artifact: race.kind,
        ...present('grantId', race.grantId),
        ...present('clientId', race.clientId),
      });
    },
  };
}
