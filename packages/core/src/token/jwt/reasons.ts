/**
 * Why a token was refused. Stable codes, part of the public API, safe to log: none contains attacker-supplied text.
 *
 * - `malformed`: not a compact JWS / JWT (bad segments, bad base64url, non-JSON, non-canonical signature encoding)
 * - `oversized`: longer than `maxTokenLength`, refused before any parsing
 * - `alg_not_allowed`: `none`, an algorithm outside the allowlist, or one that is not the key's own algorithm
 * - `forbidden_header`: `jku`, `x5u`, `jwk` or `x5c`, headers that let a token name its own key (RFC 8725 §3.10)
 * - `unsupported_crit`: a `crit` header; Rampart understands no extension, so it must refuse (RFC 7515 §4.1.11)
 * - `typ_mismatch`: the `typ` header is not the expected one (RFC 9068 §4, RFC 8725 §3.11)
 * - `unknown_kid`: no key with that kid (or, without a kid, not exactly one key for the algorithm)
 * - `signature_invalid`: the signature does not verify
 * - `missing_claim` / `invalid_claim`: a required claim is absent / has the wrong type
 * - `issuer_mismatch`, `audience_mismatch`: `iss` / `aud` are not the expected ones
 * - `expired`, `not_yet_valid` (`nbf` or `iat` in the future beyond the leeway), `too_old` (`iat` older than maxAge)
 */
export type JwtFailure =
  | 'malformed'
  | 'oversized'
  | 'alg_not_allowed'
  | 'forbidden_header'
  | 'unsupported_crit'
  | 'typ_mismatch'
  | 'unknown_kid'
  | 'signature_invalid'
  | 'missing_claim'
  | 'invalid_claim'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'expired'
  | 'not_yet_valid'
  | 'too_old';
