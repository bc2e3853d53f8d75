/**
 * The resource-server side of OAuth 2.1: access tokens from Rampart or any OpenID Connect issuer, found through
 * discovery and JWKS, with DPoP (RFC 9449) and certificate-bound tokens (RFC 8705), scopes, RFC 6750 / RFC 9449
 * challenges, and the glue to core's authorizer. See README.md for the threat model and defaults.
 */
export {
  DEFAULT_ACCESS_TOKEN_ALGORITHMS,
  createResourceServer,
  type AuthenticationResult,
  type DpopOptions,
  type ResourceServer,
  type ResourceServerOptions,
  type ResourceServerStatus,
} from './resource-server.js';
export type { AccessTokenPrincipal, TokenConfirmation } from './principal.js';
export {
  meaningOf,
  type AccessTokenRefusal,
  type AccessTokenRefusalReason,
  type DpopProofFailure,
  type RefusalMeaning,
  type ResourceErrorCode,
  type TokenScheme,
} from './reasons.js';
export { challengeFor, problemFor, renderChallenge, type ChallengeConfig, type ChallengeParameters } from './challenge.js';
export { credentialsOf, headerOf, type Credentials, type HeaderSource, type ResourceRequest } from './request.js';
export { DEFAULT_DPOP_ALGORITHMS, type DpopAlgorithm } from './dpop.js';
export { normalizeHttpUri } from './htu.js';
export { certificateMatches, certificateThumbprint } from './mtls.js';
export { MAX_TOKEN_SCOPES, scopesOf } from './scopes.js';
export { confirmationOf, type Confirmation } from './confirmation.js';
export { metadataUrls, type IssuerKeysStatus, type JwksCacheOptions } from './discovery.js';
export {
  RedisReplayCache,
  ReplayCacheUnavailableError,
  type RedisReplayCacheOptions,
  type RedisSetNxClient,
} from './redis-replay-cache.js';
export {
  authorizeAccessToken,
  subjectAsPrincipal,
  tokenCheckContext,
  type AuthzPrincipalMapper,
  type TokenAuthorizationOptions,
} from './authz.js';
export {
  ACCESS_TOKEN,
  accessTokenGate,
  checkOrigin,
  peerCertificateOf,
  requestUrlOf,
  type AccessTokenGate,
  type AccessTokenOutcome,
  type AccessTokenRouteOptions,
} from './gate.js';
