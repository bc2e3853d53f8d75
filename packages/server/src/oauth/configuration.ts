import type { IncomingMessage } from 'node:http';
import { errors, type Configuration, type FindAccount, type Grant, type interactionPolicy, type KoaContextWithOIDC, type ResourceServer } from 'oidc-provider';
import { ACR_COMPLETE } from '../tokens/index.js';
import { ACCOUNT_CLAIMS, OIDC_SCOPES, RESOURCE_SCOPES_METADATA } from './accounts.js';
import { subjectMatches, type ClientCertificateSource } from './certificates.js';
import type { ProviderAdapter } from './adapter.js';
import { interactionPath } from './interactions.js';
import type { ProviderKeys } from './keys.js';
import { PROVIDER_ROUTES } from './mount.js';
import { logoutSource, postLogoutSuccessSource, renderError } from './pages.js';

/** A protected resource (API) that may receive access tokens: RFC 8707 resource indicator and what it accepts. */
export interface ResourceServerSettings {
  /** The resource indicator (an absolute URI, no fragment): the `aud` of its access tokens. */
  readonly indicator: string;
  /** The scopes it understands; a token for it carries at most these (and at most what the client may ask). */
  readonly scopes: readonly string[];
  /**
   * Lifetime of its access tokens, at most 600 (10 minutes, the default): a replaced signing key leaves the JWKS once
   * every token it signed has expired, on a schedule timed for that lifetime (`tokens/signing-keys.ts`).
   */
  readonly accessTokenTtlSeconds?: number;
}

/** The lifetimes of the profile, in seconds. */
export const OAUTH_LIFETIMES = {
  /** Access tokens (RFC 9068 JWTs for a resource, opaque for userinfo). */
  accessToken: 600,
  /** Authorization codes: RFC 6749 §4.1.2 recommends at most 10 minutes; one minute is plenty for a redirect. */
  authorizationCode: 60,
  idToken: 600,
  /** A refresh token unused for this long expires (each rotation starts a new idle period). */
  refreshTokenIdle: 7 * 24 * 3600,
  /** No refresh token of a login lives past this, however often it is rotated (RFC 9700 §4.14.2). */
  refreshTokenAbsolute: 30 * 24 * 3600,
  /** The provider's own session (a browser-lifetime cookie; the Rampart session is what keeps a user signed in). */
  session: 12 * 3600,
  /** A sign-in or consent interaction in progress. */
  interaction: 10 * 60,
} as const;

/** Everything the provider's configuration is built from. */
export interface ProviderSetup {
  readonly keys: ProviderKeys;
  readonly adapter: (model: string) => ProviderAdapter;
  readonly findAccount: FindAccount;
  readonly resources: ReadonlyMap<string, ResourceServerSettings>;
  /** Keys the provider signs its cookies with (keygrip): from the key ring, shared by every instance. */
  readonly cookieKeys: readonly string[];
  /** 32 bytes from the key ring: DPoP nonces (RFC 9449 §8) verify on every instance. */
  readonly dpopNonceSecret: Buffer;
  readonly policy: interactionPolicy.DefaultPolicy;
  readonly certificates: ClientCertificateSource;
  /** The grant an authorization request resumes: remembered consent (`grants.ts`). */
  readonly loadExistingGrant: (ctx: KoaContextWithOIDC) => Promise<Grant | undefined>;
}

/**
 * Whether revoking a grant's tokens also deletes the grant (what the user consented to). A logout ends the tokens of
 * the session's grants but keeps the consent — signing out of an application is not withdrawing it (that is the
 * "Connected apps" page); everywhere else (revocation of a refresh token, a reused code or refresh token) the grant
 * goes too, as oidc-provider does by default, except an access token revoked alone.
 */
function revokeGrantPolicy(ctx: KoaContextWithOIDC): boolean {
  const route = ctx.oidc.route;
  if (route === 'end_session_confirm') return false;
  return !(route === 'revocation' && ctx.oidc.entities.AccessToken !== undefined);
}

/** The grant types of the profile. Implicit and password do not exist in OAuth 2.1, nor here. */
export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;

function certificateOf(setup: ProviderSetup, ctx: { readonly req: IncomingMessage }) {
  return setup.certificates(ctx.req);
}

/** Whether the (possibly undefined) model carries a `scopes` set with `scope`. */
function hasScope(source: { readonly scopes?: ReadonlySet<string> }, scope: string): boolean {
  return source.scopes?.has(scope) === true;
}

/**
 * The refresh token's lifetime: the idle period, but never past the absolute end of the login it descends from
 * (`iiat`, the first token's issue time, is carried along every rotation).
 */
function refreshTokenTtl(ctx: KoaContextWithOIDC | undefined, token: { readonly iiat?: number }): number {
  const now = Math.floor(Date.now() / 1000);
  const rotated = ctx?.oidc.entities.RotatedRefreshToken as { readonly iiat?: number } | undefined;
  const start = rotated?.iiat ?? token.iiat ?? now;
  const left = start + OAUTH_LIFETIMES.refreshTokenAbsolute - now;
  return Math.max(1, Math.min(OAUTH_LIFETIMES.refreshTokenIdle, left));
}

/**
 * The authorization server's profile as oidc-provider configuration (each line is in the README's table with the RFC
 * it enforces):
 *
 * - OAuth 2.1: response type `code` only, PKCE required for every client (`S256`, the only method oidc-provider 9
 *   implements), no implicit or password grant, exact redirect-URI matching (no omitted `redirect_uri` either),
 *   answers in the query only (client metadata `response_modes`);
 * - refresh tokens rotated on every use; a rotated one presented again revokes its grant (the provider's reuse
 *   detection, made race-free by the store's conditional consume);
 * - RFC 8707 resource indicators → RFC 9068 JWT access tokens with `aud` = the resource, signed by the server's
 *   active key; tokens without a resource (for userinfo) are opaque and introspectable;
 * - RFC 7662 introspection, RFC 7009 revocation, RFC 9126 PAR, RFC 9449 DPoP (proof replay detected through the
 *   store, nonces from the key ring), RFC 8705 mTLS (client authentication and certificate-bound tokens),
 *   RP-initiated logout, client credentials, userinfo; no development interactions, no dynamic registration.
 */
export function providerConfiguration(setup: ProviderSetup): Configuration {
  const { keys } = setup;
  return {
    acrValues: [ACR_COMPLETE],
    adapter: setup.adapter,
    allowOmittingSingleRegisteredRedirectUri: false,
    // The provider's own claims, then the account's, by scope. How the user signed in (acr, amr, auth_time: RFC 8176
    // methods, `urn:rampart:acr:complete` when every factor was proved) is in every ID token (the `openid` scope), so
    // a client can tell a password-only sign-in from one with a second factor; sid when asked for.
    claims: { acr: null, amr: null, auth_time: null, sid: null, openid: [...ACCOUNT_CLAIMS.openid, 'acr', 'amr', 'auth_time'], email: [...ACCOUNT_CLAIMS.email] },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
    // A browser application may call the token endpoint cross-origin only from the origin of one of its own redirect
    // URIs, and only a public client lives in a browser.
    clientBasedCORS: (_ctx, origin, client) => client.clientAuthMethod === 'none' && client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) === true,
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: keys.algorithm as 'EdDSA',
    },
    conformIdTokenClaims: true,
    cookies: {
      names: { session: 'rampart_oauth_session', interaction: 'rampart_oauth_interaction', resume: 'rampart_oauth_resume' },
      keys: [...setup.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    enableHttpPostMethods: false,
    extraClientMetadata: { properties: [RESOURCE_SCOPES_METADATA] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // RFC 7662 §4: who may learn about a token. A public client, only about its own; a refresh token, only its
        // own client; nobody about a token whose account is locked, deleted, or changed its password since.
        allowedPolicy: async (ctx, client, token) => {
          if (token.clientId !== client.clientId && (client.clientAuthMethod === 'none' || token.kind === 'RefreshToken')) return false;
          const accountId = (token as { readonly accountId?: string }).accountId;
          if (accountId === undefined) return true;
          return (await setup.findAccount(ctx, accountId, token as never)) !== undefined;
        },
      },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client revokes only its own tokens.
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      dPoP: { enabled: true, nonceSecret: setup.dpopNonceSecret, requireNonce: () => false, allowReplay: false },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        tlsClientAuth: true,
        selfSignedTlsClientAuth: true,
        getCertificate: (ctx) => certificateOf(setup, ctx)?.certificate,
        certificateAuthorized: (ctx) => certificateOf(setup, ctx)?.authorized === true,
        certificateSubjectMatches: (ctx, property, expected) => {
          const presented = certificateOf(setup, ctx);
          return presented !== undefined && property === 'tls_client_auth_subject_dn' && subjectMatches(presented.certificate, expected);
        },
      },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      resourceIndicators: {
        enabled: true,
        // No resource asked for: none is assumed (the token is for userinfo). Several: the token request must name one.
        defaultResource: (_ctx, _client, oneOf) => oneOf,
        // A token request without `resource` for an OpenID grant gets a token for userinfo (opaque); one for an API
        // names it (RFC 8707 §2.2), and may only name a resource the grant holds.
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, indicator, client): ResourceServer => {
          const resource = setup.resources.get(indicator);
          if (resource === undefined) throw new errors.InvalidTarget();
          // The scopes a token for this resource may carry: the resource's, narrowed to what this client may receive.
          const granted = (client as unknown as Readonly<Record<string, unknown>>)[RESOURCE_SCOPES_METADATA];
          const allowed = new Set(typeof granted === 'string' ? granted.split(' ') : []);
          return {
            scope: resource.scopes.filter((scope) => allowed.has(scope)).join(' '),
            audience: resource.indicator,
            accessTokenTTL: resource.accessTokenTtlSeconds ?? OAUTH_LIFETIMES.accessToken,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: keys.algorithm as 'EdDSA', kid: keys.activeKid } },
          };
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx) => logoutSource(ctx, ctx.oidc.urlFor('end_session_confirm')),
        postLogoutSuccessSource: (ctx) => postLogoutSuccessSource(ctx),
      },
      userinfo: { enabled: true },
      registration: { enabled: false },
    },
    findAccount: setup.findAccount,
    interactions: { policy: setup.policy, url: (_ctx, interaction) => interactionPath(interaction.uid) },
    // Refresh tokens for clients allowed the grant: an OpenID request asks for them with `offline_access` (OIDC Core
    // §11), a plain OAuth request gets one.
    issueRefreshToken: (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && (hasScope(code, 'offline_access') || !hasScope(code, 'openid')),
    jwks: keys.jwks,
    loadExistingGrant: (ctx) => setup.loadExistingGrant(ctx),
    pkce: { required: () => true },
    renderError: (ctx, out) => renderError(ctx, out),
    responseTypes: ['code'],
    revokeGrantPolicy,
    rotateRefreshToken: true,
    routes: { ...PROVIDER_ROUTES },
    scopes: [...OIDC_SCOPES],
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? OAUTH_LIFETIMES.accessToken,
      AuthorizationCode: OAUTH_LIFETIMES.authorizationCode,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? OAUTH_LIFETIMES.accessToken,
      Grant: OAUTH_LIFETIMES.refreshTokenAbsolute,
      IdToken: OAUTH_LIFETIMES.idToken,
      Interaction: OAUTH_LIFETIMES.interaction,
      RefreshToken: (ctx, token) => refreshTokenTtl(ctx, token),
      Session: OAUTH_LIFETIMES.session,
    },
  };
}
