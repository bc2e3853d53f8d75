import type { Failure } from '../../result.js';
import type { JwtFailure } from '../jwt/reasons.js';

/**
 * Why a protected resource refused a request. Stable codes, part of the public API and of the
 * `token.access.refused` event; none carries text from the request, the token or the proof.
 *
 * No credentials:
 * - `missing_token`: no `Authorization` header (RFC 6750 §3.1: the challenge then carries no error code)
 * - `unsupported_scheme`: a scheme this server does not take (`Basic`, or `DPoP` when DPoP is off)
 * - `malformed_authorization`: not `<scheme> <token68>` (RFC 9110 §11.4, RFC 6750 §2.1)
 *
 * The access token (all `invalid_token`):
 * - `token_<JwtFailure>`: the JWT verifier's reason (`token_expired`, `token_audience_mismatch`, `token_typ_mismatch`, …)
 * - `token_unsupported_confirmation`: a `cnf` method other than `jkt` / `x5t#S256`, which cannot be checked here
 * - `sender_constraint_required`: an unbound bearer token where `requireSenderConstrained` is set
 * - `dpop_bound_token_as_bearer`: a token bound to a DPoP key presented with the `Bearer` scheme (RFC 9449 §7.2)
 * - `dpop_token_not_bound`: the `DPoP` scheme with a token that has no `cnf.jkt`
 * - `mtls_certificate_missing` / `mtls_certificate_mismatch`: a certificate-bound token (RFC 8705 §3) without the
 *   client certificate, or with another one
 *
 * The DPoP proof (all `invalid_dpop_proof`, RFC 9449 §4.3):
 * - `dpop_proof_missing`, `dpop_proof_multiple`, `dpop_proof_oversized`, `dpop_proof_malformed`
 * - `dpop_proof_typ` (not `dpop+jwt`), `dpop_proof_alg` (`none`, symmetric, or not allowed)
 * - `dpop_proof_key` (no `jwk`, a private or unusable one, or a `jku`/`x5u`/`x5c` pointer)
 * - `dpop_proof_signature`, `dpop_proof_claims` (`jti`, `htm`, `htu` or `iat` missing or of the wrong type)
 * - `dpop_htm_mismatch`, `dpop_htu_mismatch`, `dpop_proof_too_old`, `dpop_proof_from_future`
 * - `dpop_ath_missing`, `dpop_ath_mismatch` (the proof is not for this access token)
 * - `dpop_key_mismatch` (the proof key is not the one the token is bound to), `dpop_replayed`
 *
 * Authorization: `insufficient_scope` (403). Availability, failing closed (503): `issuer_unavailable` (no keys could be
 * loaded), `dpop_replay_check_unavailable` (the replay cache did not answer).
 */
export type AccessTokenRefusalReason =
  | 'missing_token'
  | 'unsupported_scheme'
  | 'malformed_authorization'
  | `token_${JwtFailure}`
  | 'token_unsupported_confirmation'
  | 'sender_constraint_required'
  | 'dpop_bound_token_as_bearer'
  | 'dpop_token_not_bound'
  | 'mtls_certificate_missing'
  | 'mtls_certificate_mismatch'
  | DpopProofFailure
  | 'insufficient_scope'
  | 'issuer_unavailable';

/** Why a DPoP proof was refused (RFC 9449 §4.3); see {@link AccessTokenRefusalReason}. */
export type DpopProofFailure =
  | 'dpop_proof_missing'
  | 'dpop_proof_multiple'
  | 'dpop_proof_oversized'
  | 'dpop_proof_malformed'
  | 'dpop_proof_typ'
  | 'dpop_proof_alg'
  | 'dpop_proof_key'
  | 'dpop_proof_signature'
  | 'dpop_proof_claims'
  | 'dpop_htm_mismatch'
  | 'dpop_htu_mismatch'
  | 'dpop_proof_too_old'
  | 'dpop_proof_from_future'
  | 'dpop_ath_missing'
  | 'dpop_ath_mismatch'
  | 'dpop_key_mismatch'
  | 'dpop_replayed'
  | 'dpop_replay_check_unavailable';

/** The authentication scheme of a request (RFC 6750 `Bearer`, RFC 9449 `DPoP`), lower-case. */
export type TokenScheme = 'bearer' | 'dpop';

/** The OAuth error codes a protected resource answers with (RFC 6750 §3.1, RFC 9449 §7.1). */
export type ResourceErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof';

/**
 * A refused request: the reason (for events and branching), the scheme the client used (the challenge that carries
 * the error is that scheme's), and for `insufficient_scope` the scopes the route needs.
 */
export interface AccessTokenRefusal extends Failure<AccessTokenRefusalReason> {
  readonly scheme: TokenScheme | undefined;
  readonly requiredScopes?: readonly string[];
}

/** What a refusal means on the wire: the status and the OAuth error code (none for a request without credentials). */
export interface RefusalMeaning {
  readonly status: 400 | 401 | 403 | 503;
  readonly error: ResourceErrorCode | undefined;
}

const NO_CREDENTIALS: RefusalMeaning = Object.freeze({ status: 401, error: undefined });
const INVALID_REQUEST: RefusalMeaning = Object.freeze({ status: 400, error: 'invalid_request' });
const INVALID_TOKEN: RefusalMeaning = Object.freeze({ status: 401, error: 'invalid_token' });
const INVALID_PROOF: RefusalMeaning = Object.freeze({ status: 401, error: 'invalid_dpop_proof' });
const INSUFFICIENT_SCOPE: RefusalMeaning = Object.freeze({ status: 403, error: 'insufficient_scope' });
const UNAVAILABLE: RefusalMeaning = Object.freeze({ status: 503, error: undefined });

/**
 * Maps a reason to its status and error code. A token the server cannot check (its keys, its replay cache are
 * unreachable) is a 503, not a 401: a 401 would send every client to refresh its token for nothing, and the request is
 * still refused (fail closed).
 */
export function meaningOf(reason: AccessTokenRefusalReason): RefusalMeaning {
  switch (reason) {
    case 'missing_token':
    case 'unsupported_scheme':
      return NO_CREDENTIALS;
    case 'malformed_authorization':
      return INVALID_REQUEST;
    case 'insufficient_scope':
      return INSUFFICIENT_SCOPE;
    case 'issuer_unavailable':
    case 'dpop_replay_check_unavailable':
      return UNAVAILABLE;
    default:
      return reason.startsWith('dpop_proof_') || isProofCheck(reason) ? INVALID_PROOF : INVALID_TOKEN;
  }
}

const PROOF_CHECKS: ReadonlySet<string> = new Set([
  'dpop_htm_mismatch',
  'dpop_htu_mismatch',
  'dpop_ath_missing',
  'dpop_ath_mismatch',
  'dpop_key_mismatch',
  'dpop_replayed',
]);

function isProofCheck(reason: string): boolean {
  return PROOF_CHECKS.has(reason);
}
