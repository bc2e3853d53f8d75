import { certificateThumbprints, type ClientAuthMethod, type ClientGrantType, type ClientPublicJwk, type OAuthClient } from './clients.js';

/**
 * A registered client as administrators see it — over the admin API and in `rampart clients … --json` alike: every
 * setting, times as ISO 8601, the thumbprints of the certificates it authenticates with, and its version. Never a
 * secret: `hasSecret` says whether one exists, and only creation and rotation ever return one.
 */
export interface OAuthClientView {
  readonly clientId: string;
  readonly type: 'confidential' | 'public';
  readonly name: string | null;
  readonly applicationType: 'web' | 'native';
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly ClientGrantType[];
  readonly scopes: readonly string[];
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  readonly tlsClientAuthSubjectDn: string | null;
  readonly jwks: { readonly keys: readonly ClientPublicJwk[] } | null;
  /** `x5t#S256` of each certificate in `jwks` (RFC 8705 §3.1): compare with `openssl x509 -fingerprint -sha256`. */
  readonly certificateThumbprints: readonly string[];
  readonly certificateBoundAccessTokens: boolean;
  readonly dpopBoundAccessTokens: boolean;
  readonly firstParty: boolean;
  readonly hasSecret: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly secretRotatedAt: string | null;
  /** The client's version: the admin API's `ETag` (quoted there), `--if-version` for the CLI. */
  readonly version: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The administrators' view of a client (see {@link OAuthClientView}); built from the store's client, which has no secret. */
export function oauthClientView(client: OAuthClient): OAuthClientView {
  return {
    clientId: client.clientId,
    type: client.type,
    name: client.name ?? null,
    applicationType: client.applicationType,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    grantTypes: client.grantTypes,
    scopes: client.scopes,
    tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
    tlsClientAuthSubjectDn: client.tlsClientAuthSubjectDn ?? null,
    jwks: client.jwks ?? null,
    certificateThumbprints: certificateThumbprints(client),
    certificateBoundAccessTokens: client.certificateBoundAccessTokens,
    dpopBoundAccessTokens: client.dpopBoundAccessTokens,
    firstParty: client.firstParty,
    hasSecret: client.hasSecret,
    createdAt: iso(client.createdAt),
    updatedAt: iso(client.updatedAt),
    secretRotatedAt: client.secretRotatedAt === undefined ? null : iso(client.secretRotatedAt),
    version: client.version,
  };
}

/**
 * What a security event says about a client: its settings as flat values (lists space-separated), never a secret nor
 * a key — certificates by thumbprint, JWKs by count. Enough to answer "who allowed this redirect URI, and when".
 */
export function oauthClientEventFacts(client: OAuthClient): Readonly<Record<string, string | number | boolean>> {
  return {
    clientId: client.clientId,
    clientType: client.type,
    applicationType: client.applicationType,
    authMethod: client.tokenEndpointAuthMethod,
    grantTypes: client.grantTypes.join(' '),
    scopes: client.scopes.join(' '),
    redirectUris: client.redirectUris.join(' '),
    postLogoutRedirectUris: client.postLogoutRedirectUris.join(' '),
    firstParty: client.firstParty,
    dpopBoundAccessTokens: client.dpopBoundAccessTokens,
    certificateBoundAccessTokens: client.certificateBoundAccessTokens,
    ...(client.tlsClientAuthSubjectDn === undefined ? {} : { tlsClientAuthSubjectDn: client.tlsClientAuthSubjectDn }),
    publicKeys: client.jwks?.keys.length ?? 0,
    certificateThumbprints: certificateThumbprints(client).join(' '),
    version: client.version,
  };
}
