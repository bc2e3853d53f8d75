import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCsrfPending, PROBLEM_CONTENT_TYPE, type BodyRoute, type CsrfExemptRoute } from '@rampart/core/http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, onSendHookHandler } from 'fastify';
import { pageCsrfToken } from '../pages/layout.js';
import { rememberRequest } from './requests.js';

/** The provider's endpoints on this server (its `routes` configuration), all under `/oauth` except discovery and keys. */
export const OAUTH_PATHS = {
  authorization: '/oauth/auth',
  token: '/oauth/token',
  introspection: '/oauth/token/introspection',
  revocation: '/oauth/token/revocation',
  pushedAuthorizationRequest: '/oauth/par',
  userinfo: '/oauth/userinfo',
  endSession: '/oauth/session/end',
  /** Served by the token module: the provider's keys are the server's keys. */
  jwks: '/.well-known/jwks.json',
} as const;

/** oidc-provider's `routes` option: every endpoint at the path above, so no mount-path rewriting is needed. */
export const PROVIDER_ROUTES = {
  authorization: OAUTH_PATHS.authorization,
  token: OAUTH_PATHS.token,
  introspection: OAUTH_PATHS.introspection,
  revocation: OAUTH_PATHS.revocation,
  pushed_authorization_request: OAUTH_PATHS.pushedAuthorizationRequest,
  userinfo: OAUTH_PATHS.userinfo,
  end_session: OAUTH_PATHS.endSession,
  jwks: OAUTH_PATHS.jwks,
} as const;

/** Discovery documents (RFC 8414 §3, OpenID Connect Discovery 1.0 §4), on the origin: the issuer has no path. */
export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

/** Endpoints programs call with a client credential (RFC 6749 §2.3) and a form body; they never read cookies. */
const BACK_CHANNEL = [OAUTH_PATHS.token, OAUTH_PATHS.pushedAuthorizationRequest, OAUTH_PATHS.introspection, OAUTH_PATHS.revocation] as const;
const END_SESSION_CONFIRM = `${OAUTH_PATHS.endSession}/confirm`;
/** Largest body oidc-provider reads (its own parser's limit). */
const PROVIDER_BODY_BYTES = 56 * 1024;

/**
 * The form posts of the provider, for the server's body guard: urlencoded (RFC 6749 §4.1.3, RFC 7009 §2.1, RFC 7662
 * §2.1, RFC 9126 §2.1, RFC 6750 §2.2), at most the provider's own 56 KiB, on exactly these paths.
 */
export const OAUTH_BODY_ROUTES: readonly BodyRoute[] = [
  ...[...BACK_CHANNEL, OAUTH_PATHS.userinfo, END_SESSION_CONFIRM].map((path) => ({
    method: 'POST',
    path,
    maxBytes: PROVIDER_BODY_BYTES,
    contentTypes: ['application/x-www-form-urlencoded'],
  })),
  // The consent form (`POST /oauth/interaction/<uid>/consent`, the server's own route): a decision and a CSRF token.
  { method: 'POST', path: '/oauth/interaction/*', maxBytes: 8 * 1024, contentTypes: ['application/x-www-form-urlencoded'] },
];

/**
 * The provider's POST endpoints the server's CSRF guard does not check, each with the reason the protocol gives. No
 * other path is exempt: the authorization and logout endpoints take GET only, and the interaction routes are the
 * server's own, under the guard.
 */
export const OAUTH_CSRF_EXEMPT: readonly CsrfExemptRoute[] = [
  ...BACK_CHANNEL.map((path) => ({ method: 'POST', path, reason: 'OAuth back-channel endpoint: the client authenticates itself (RFC 6749 §2.3); cookies are never read, so a forged request carries no ambient authority' })),
  { method: 'POST', path: OAUTH_PATHS.userinfo, reason: 'OIDC UserInfo: authenticated by the access token sent with it (RFC 6750), never by cookies' },
  { method: 'POST', path: END_SESSION_CONFIRM, reason: 'RP-initiated logout confirmation: protected by the provider\'s own xsrf token, bound to its session' },
];

/**
 * Browser-facing endpoints: they may render a page (an error, the logout confirmation, the page that continues to the
 * client after a form), which needs a CSRF token.
 */
const BROWSER_PATHS: ReadonlySet<string> = new Set([OAUTH_PATHS.authorization, `${OAUTH_PATHS.authorization}/:uid`, OAUTH_PATHS.endSession, `${OAUTH_PATHS.endSession}/success`]);

/** The endpoints handed to the provider, by method. */
const ROUTES: readonly { readonly url: string; readonly methods: readonly HTTPMethods[] }[] = [
  ...DISCOVERY_PATHS.map((url) => ({ url, methods: ['GET', 'OPTIONS'] as HTTPMethods[] })),
  { url: OAUTH_PATHS.authorization, methods: ['GET'] },
  { url: `${OAUTH_PATHS.authorization}/:uid`, methods: ['GET'] },
  ...BACK_CHANNEL.map((url) => ({ url, methods: ['POST', 'OPTIONS'] as HTTPMethods[] })),
  { url: OAUTH_PATHS.userinfo, methods: ['GET', 'POST', 'OPTIONS'] },
  { url: OAUTH_PATHS.endSession, methods: ['GET'] },
  { url: END_SESSION_CONFIRM, methods: ['POST'] },
  { url: `${OAUTH_PATHS.endSession}/success`, methods: ['GET'] },
];

/** A refusal answered before the provider runs (a throttled client address). */
export interface EarlyAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Readonly<Record<string, string>>;
}

/** What {@link mountProvider} needs. */
export interface MountDeps {
  /** The provider's Node request handler (the current provider's: it is rebuilt when the signing keys rotate). */
  readonly handler: () => (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  /** The server's public URL: the only host and scheme the provider builds URLs from. */
  readonly publicUrl: string;
  /** Checked before a back-channel request reaches the provider; an answer stops it there. */
  readonly admit?: (request: FastifyRequest) => Promise<EarlyAnswer | undefined>;
}

/** Refusals of the guards (media type, size, encoding, validation) before the provider runs, on a back-channel path. */
const BODY_REFUSALS: ReadonlySet<number> = new Set([400, 413, 415]);

/**
 * Back-channel endpoints answer OAuth errors (RFC 6749 §5.2), which client libraries parse: a body the server's guards
 * refused before the provider ran is `invalid_request` there too, not a problem document.
 */
const oauthBodyRefusals: onSendHookHandler = (_request, reply, payload, done) => {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && type.startsWith(PROBLEM_CONTENT_TYPE) && BODY_REFUSALS.has(reply.statusCode)) {
    void reply.code(400).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store');
    done(null, JSON.stringify({ error: 'invalid_request', error_description: 'the request body is not an accepted form' }));
    return;
  }
  done(null, payload);
};

/**
 * Mounts oidc-provider on the server's Fastify app: each endpoint is a Fastify route whose `onRequest` hook hands the
 * raw request to the provider, after the server's guard chain (security headers, body limits, CSRF, client address)
 * ran on it and before Fastify reads the body — the provider parses its own protocol bodies (within the body guard's
 * media type and size), and the server's authenticators never see its requests (a stale Rampart session cookie on an
 * authorization request is the provider's business, through its interaction policy, not a 401).
 *
 * The guards' headers (CSP with its nonce, HSTS, framing, cookies the CSRF guard set) are copied onto the response the
 * provider writes. The provider builds every URL from the public URL only (`X-Forwarded-Host`/`-Proto` are set here
 * from it, overwriting whatever the client sent), and sees the client address the trusted-proxy rules resolved.
 *
 * Protects against: the provider's endpoints escaping the guard chain (they are routes of the same app); Host-header
 * injection into issued URLs, discovery documents and DPoP `htu` checks; a CSRF check left unfinished (a pending form
 * token check is refused, never skipped).
 */
export async function mountProvider(app: FastifyInstance, deps: MountDeps): Promise<void> {
  const publicUrl = new URL(deps.publicUrl);
  const forwardedProto = publicUrl.protocol.slice(0, -1);
  const forwardedHost = publicUrl.host;
  const backChannel: ReadonlySet<string> = new Set(BACK_CHANNEL);

  const handOff = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const state = request.rampart;
    if (state === null || state === undefined) throw new Error('the OAuth endpoints need the guard chain in front of them');
    const path = request.routeOptions.url ?? '';
    if (isCsrfPending(state.context)) {
      // Every POST handed over is exempt by name or not from a browser: a pending form-token check here is a request
      // this mount does not expect. Refused rather than handed over unchecked.
      return reply.code(403).type('application/json; charset=utf-8').header('cache-control', 'no-store').send(JSON.stringify({ error: 'invalid_request', error_description: 'cross-site request refused' }));
    }
    if (backChannel.has(path) && deps.admit !== undefined) {
      const answer = await deps.admit(request);
      if (answer !== undefined) {
        for (const [name, value] of Object.entries(answer.headers)) void reply.header(name, value);
        return reply.code(answer.status).type('application/json; charset=utf-8').send(JSON.stringify(answer.body));
      }
    }
    // A page the provider renders (an error, the logout form) carries the server's layout and its CSRF meta token:
    // minted now, while its cookie can still join the headers copied below.
    if (BROWSER_PATHS.has(path)) pageCsrfToken(request);
    const raw = reply.raw;
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) raw.setHeader(name, typeof value === 'number' ? String(value) : value);
    }
    const headers = request.raw.headers;
    headers['x-forwarded-proto'] = forwardedProto;
    headers['x-forwarded-host'] = forwardedHost;
    headers['x-forwarded-for'] = state.clientIp;
    rememberRequest(request);
    reply.hijack();
    await deps.handler()(request.raw, raw);
    return reply;
  };

  await app.register((scope, _options, done) => {
    // The provider reads bodies itself: the stream is left unread here (the body guard already refused what is too
    // large or of another media type, and the provider enforces its own limit while reading).
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, parsed) => {
      parsed(null);
    });
    for (const { url, methods } of ROUTES) {
      scope.route({
        method: [...methods],
        url,
        schema: { hide: true },
        onRequest: handOff,
        ...(backChannel.has(url) ? { onSend: oauthBodyRefusals } : {}),
        // Never reached: the onRequest hook hands every request to the provider.
        handler: (_request, reply) => reply.code(500).send(),
      });
    }
    done();
  });
}
