import { mediaTypeAllowlist, PROBLEM_CONTENT_TYPE, type BodyRoute } from '@rampart/core/http';
import { compile, Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { TokenResponse } from '../auth/contracts.js';
import type { ReloadingKeySet } from './key-source.js';
import { SCOPE_MAX_LENGTH, scopeTokens } from './scope.js';
import type { ServerTokenIssuer } from './service.js';
import { documented } from '../openapi/schemas.js';

/** RFC 6749 §5.2 and RFC 7009 §2.2.1 error codes this server answers with. */
export type OAuthError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'invalid_scope' | 'unsupported_grant_type' | 'unsupported_token_type';

const DESCRIPTIONS: Readonly<Record<OAuthError, string>> = {
  invalid_request: 'The request is missing a parameter, repeats one, or its body is not a form (or JSON object).',
  invalid_client: 'Unknown client.',
  invalid_grant: 'The refresh token is invalid, expired or revoked.',
  invalid_scope: 'The requested scope exceeds the scope granted.',
  unsupported_grant_type: 'Only grant_type=refresh_token is supported here.',
  unsupported_token_type: 'Only refresh tokens can be revoked; access tokens expire on their own.',
};

/*
 * Parameters per grant, validated as closed objects after picking the names each endpoint knows: RFC 6749 §3.2 makes
 * the server ignore unrecognized parameters (so they are never read, let alone stored), and refuses repeated ones (a
 * repeated field parses as a list, which the string schemas refuse). Core refuses a refresh token that is not in its
 * format (43 base64url characters) before any lookup.
 */
const REFRESH_TOKEN = Type.String({ minLength: 1, maxLength: 512 });
const CLIENT_ID = Type.String({ minLength: 1, maxLength: 256 });
const GRANT_TYPE = Type.String({ minLength: 1, maxLength: 128 });
const tokenParams = compile(
  Type.Object({
    grant_type: GRANT_TYPE,
    refresh_token: Type.Optional(REFRESH_TOKEN),
    // Its syntax is checked on its own: a malformed scope is `invalid_scope` (RFC 6749 §5.2), not `invalid_request`.
    scope: Type.Optional(Type.String({ minLength: 1, maxLength: SCOPE_MAX_LENGTH })),
    client_id: Type.Optional(CLIENT_ID),
  }),
);
const revokeParams = compile(
  Type.Object({
    token: Type.String({ minLength: 1, maxLength: 16_384 }),
    token_type_hint: Type.Optional(Type.String({ maxLength: 64 })),
    client_id: Type.Optional(CLIENT_ID),
  }),
);

/** The grant types served here; every other (`password`, `authorization_code`, `client_credentials`, …) is `unsupported_grant_type`. */
const KNOWN_GRANT_TYPES = new Set(['refresh_token']);

/**
 * The body types the endpoints read: the RFC's form, and JSON with the same parameter names (what many first-party
 * clients send; same validation, same answers). The server's body guard admits both for these two paths.
 */
export const TOKEN_ENDPOINT_MEDIA_TYPES = ['application/x-www-form-urlencoded', 'application/json'] as const;
const readable = mediaTypeAllowlist(TOKEN_ENDPOINT_MEDIA_TYPES);

/**
 * The rules the server's body guard (`bodyLimits({ routes })` in app.ts) needs for the two endpoints: the guard's
 * default admits JSON only, and RFC 6749 §6 and RFC 7009 §2.1 clients send forms.
 */
export const TOKEN_BODY_ROUTES: readonly BodyRoute[] = ['/v1/token', '/v1/token/revoke'].map((path) => ({ method: 'POST', path, contentTypes: TOKEN_ENDPOINT_MEDIA_TYPES }));

function isRecord(body: unknown): body is Readonly<Record<string, unknown>> {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

/**
 * The endpoint's parameters, or `undefined` when the body is neither a form nor a JSON object. Only `names` are
 * picked; parameters sent without a value are treated as omitted (RFC 6749 §3.2).
 */
function requestParams(request: FastifyRequest, names: readonly string[]): Record<string, unknown> | undefined {
  if (!readable(request.headers['content-type']) || !isRecord(request.body)) return undefined;
  const fields = request.body;
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    const value = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (value !== undefined && value !== null && value !== '') picked[name] = value;
  }
  return picked;
}

/** Headers every answer of the token endpoints carries (RFC 6749 §5.1: tokens must not be cached). */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}

/**
 * An RFC 6749 §5.2 error. Deliberately not problem+json: OAuth clients parse `{ "error": … }`; the server's other
 * routes answer problems.
 */
function oauthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return noStore(reply).code(400).type('application/json; charset=utf-8').send(JSON.stringify({ error, error_description: DESCRIPTIONS[error] }));
}

function tokens(reply: FastifyReply, body: TokenResponse): FastifyReply {
  return noStore(reply).code(200).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** Refusals of a request's body before the handler (media type, size, encoding), answered by the guards as problems. */
const BODY_REFUSALS: ReadonlySet<number> = new Set([400, 413, 415]);

/**
 * Answers a refused body on the token endpoints in RFC 6749 form: the body guard (media type, size) and the body
 * parsers (not UTF-8, too many fields, bad JSON) refuse with problems before any handler runs, and an OAuth client
 * must still read `invalid_request`. Other problems (rate limits, 5xx) pass unchanged.
 */
const oauthBodyRefusals: onSendHookHandler = (_request, reply, payload, done) => {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && type.startsWith(PROBLEM_CONTENT_TYPE) && BODY_REFUSALS.has(reply.statusCode)) {
    void noStore(reply).code(400).header('content-type', 'application/json; charset=utf-8');
    done(null, JSON.stringify({ error: 'invalid_request', error_description: DESCRIPTIONS.invalid_request }));
    return;
  }
  done(null, payload);
};

/** What {@link registerTokenRoutes} needs. */
export interface TokenRouteDeps {
  readonly issuer: ServerTokenIssuer;
  readonly keys: ReloadingKeySet;
  /** The `client_id` first-party clients may name; any other is `invalid_client`. */
  readonly clientId: string;
  /** `max-age` of the JWKS: shorter than a key's *next* period, so every cache sees a new key before it signs. */
  readonly jwksMaxAgeSeconds: number;
}

/**
 * Adds `POST /v1/token` (RFC 6749 §6 refresh grant), `POST /v1/token/revoke` (RFC 7009) and
 * `GET /.well-known/jwks.json`.
 *
 * Protects against: refresh-token theft (rotation and reuse detection in core: a replayed token ends the family, the
 * newest token included); tokens cached by intermediaries (`no-store`); parameter smuggling (repeated parameters
 * refused, unknown ones never read); revocation as an oracle (RFC 7009 §2.2: 200 for unknown tokens alike); grant
 * types this server does not implement silently misread (`unsupported_grant_type`); private keys in the JWKS (core
 * rebuilds each entry from public members).
 */
export function registerTokenRoutes(app: FastifyInstance, deps: TokenRouteDeps): void {
  const clientKnown = (clientId: string | undefined): boolean => clientId === undefined || clientId === deps.clientId;

  app.post('/v1/token', { onSend: oauthBodyRefusals, ...documented({ tags: ['tokens'], summary: 'Refresh grant (RFC 6749 §6): a new access token and a rotated refresh token', description: 'Errors follow RFC 6749 §5.2 ({ error, error_description }), not problem details. A rotated refresh token used again after the grace window revokes its whole family.', body: tokenParams, bodyMediaTypes: ['application/x-www-form-urlencoded', 'application/json'] }) }, async (request, reply) => {
    const params = requestParams(request, ['grant_type', 'refresh_token', 'scope', 'client_id']);
    if (params === undefined) return oauthError(reply, 'invalid_request');
    // The grant type decides the error before the other parameters: a `password` grant is unsupported, not malformed.
    const grantType = params.grant_type;
    if (typeof grantType === 'string' && !KNOWN_GRANT_TYPES.has(grantType)) return oauthError(reply, 'unsupported_grant_type');
    const checked = tokenParams.check(params);
    if (!checked.ok || checked.value.refresh_token === undefined) return oauthError(reply, 'invalid_request');
    if (!clientKnown(checked.value.client_id)) return oauthError(reply, 'invalid_client');
    const scope = checked.value.scope === undefined ? undefined : scopeTokens(checked.value.scope);
    if (checked.value.scope !== undefined && scope === undefined) return oauthError(reply, 'invalid_scope');
    const refreshed = await deps.issuer.refresh(checked.value.refresh_token, scope);
    if (!refreshed.ok) return oauthError(reply, refreshed.reason);
    return tokens(reply, refreshed.value);
  });

  app.post('/v1/token/revoke', { onSend: oauthBodyRefusals, ...documented({ tags: ['tokens'], summary: 'Revoke a refresh token and its family (RFC 7009); 200 for unknown tokens too', body: revokeParams, bodyMediaTypes: ['application/x-www-form-urlencoded', 'application/json'] }) }, async (request, reply) => {
    const params = requestParams(request, ['token', 'token_type_hint', 'client_id']);
    if (params === undefined) return oauthError(reply, 'invalid_request');
    const checked = revokeParams.check(params);
    if (!checked.ok) return oauthError(reply, 'invalid_request');
    if (!clientKnown(checked.value.client_id)) return oauthError(reply, 'invalid_client');
    // A JWT access token cannot be revoked (it is self-contained and short-lived): say so (RFC 7009 §2.2.1) rather than
    // answer 200 and let the client believe it is dead.
    if (checked.value.token.split('.').length === 3) return oauthError(reply, 'unsupported_token_type');
    await deps.issuer.revoke(checked.value.token);
    return noStore(reply).code(200).send();
  });

  app.get('/.well-known/jwks.json', documented({ tags: ['tokens'], summary: 'Public keys that verify access tokens (current, next and retiring)' }), (_request, reply) => {
    return reply
      .header('cache-control', `public, max-age=${deps.jwksMaxAgeSeconds}`)
      .type('application/jwk-set+json')
      .send(JSON.stringify(deps.keys.jwks()));
  });
}
