import type { JwtAlgorithm } from './algorithms.js';
import type { JwtFailure } from './reasons.js';

/*
 * Headers that make the token name its own verification key or where to fetch it (RFC 7515 §4.1.2-4.1.6). Honouring
 * them lets an attacker sign with a key of their own; ignoring them silently hides a token built for that attack.
 * Rampart refuses them outright (RFC 8725 §3.10): keys come from the local set or a configured JWKS URL only.
 */
const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

/** RFC 7515 §4.1.9 / RFC 8725 §3.11: `typ` media types compare case-insensitively, the `application/` prefix optional. */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

/** What the header policy needs from the verifier's configuration. */
export interface HeaderPolicy {
  readonly algorithms: ReadonlySet<JwtAlgorithm>;
  /** Normalized expected `typ`, or `undefined` to accept any. */
  readonly typ: string | undefined;
}

/**
 * Checks a protected header before any key is touched. Returns the algorithm and kid to use, or why the token is
 * refused. `none` is refused whatever its capitalisation, even though it is never in an allowlist, so that the
 * reason is explicit.
 */
export function checkHeader(
  header: Readonly<Record<string, unknown>>,
  policy: HeaderPolicy,
): { readonly alg: JwtAlgorithm; readonly kid: string | undefined } | JwtFailure {
  const { alg, kid, typ } = header;
  if (typeof alg !== 'string' || alg === '') return 'malformed';
  if (alg.toLowerCase() === 'none' || !policy.algorithms.has(alg as JwtAlgorithm)) return 'alg_not_allowed';
  for (const name of FORBIDDEN_HEADERS) if (Object.hasOwn(header, name)) return 'forbidden_header';
  if (Object.hasOwn(header, 'crit')) return 'unsupported_crit';
  if (kid !== undefined && typeof kid !== 'string') return 'malformed';
  if (policy.typ !== undefined && (typeof typ !== 'string' || normalizeTyp(typ) !== policy.typ)) return 'typ_mismatch';
  return { alg: alg as JwtAlgorithm, kid };
}
