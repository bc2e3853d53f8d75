import { ConfigurationError } from '../../errors.js';
import { problem, type Problem } from '../../http/problem/problem.js';
import { meaningOf, type AccessTokenRefusal, type ResourceErrorCode } from './reasons.js';
import { SCOPE_TOKEN } from './scopes.js';

/** The parameters of one `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9449 §7.1). */
export interface ChallengeParameters {
  readonly realm?: string;
  readonly error?: ResourceErrorCode;
  /** Human-readable, fixed per error code here: never the request's text. */
  readonly errorDescription?: string;
  /** The scopes the resource needs (with `insufficient_scope`). */
  readonly scope?: readonly string[];
  /** The DPoP proof algorithms the resource accepts (RFC 9449 §7.1 `algs`). */
  readonly algs?: readonly string[];
}

/*
 * RFC 6750 §3: the values of realm, error, error_description and scope are quoted strings whose characters are
 * %x20-21 / %x23-5B / %x5D-7E, so neither `"` nor `\` can ever appear and no escaping is needed. Anything else is
 * refused instead of escaped: a header built from a value that could close its quotes is header injection.
 */
const QUOTABLE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;
const ALGORITHM = /^[A-Za-z0-9+._-]{1,32}$/;

function quoted(name: string, value: string): string {
  if (!QUOTABLE.test(value)) throw new ConfigurationError(`the ${name} of a WWW-Authenticate challenge may only hold printable ASCII without " or \\`);
  return `${name}="${value}"`;
}

/**
 * Renders one challenge, e.g. `Bearer realm="api", error="invalid_token", error_description="…"` or
 * `DPoP algs="ES256 EdDSA"`. Protects against header injection: every value is checked against the quoted-string
 * grammar of RFC 6750 §3 (no `"`, `\`, CR or LF can reach the header) and a {@link ConfigurationError} is thrown
 * otherwise. Scope values must be RFC 6749 §3.3 scope tokens.
 */
export function renderChallenge(scheme: 'Bearer' | 'DPoP', parameters: ChallengeParameters = {}): string {
  const parts: string[] = [];
  if (parameters.realm !== undefined) parts.push(quoted('realm', parameters.realm));
  if (parameters.algs !== undefined && parameters.algs.length > 0) {
    if (!parameters.algs.every((alg) => ALGORITHM.test(alg))) throw new ConfigurationError('algs must be JWS algorithm names');
    parts.push(`algs="${parameters.algs.join(' ')}"`);
  }
  if (parameters.error !== undefined) parts.push(quoted('error', parameters.error));
  if (parameters.errorDescription !== undefined) parts.push(quoted('error_description', parameters.errorDescription));
  if (parameters.scope !== undefined && parameters.scope.length > 0) {
    if (!parameters.scope.every((scope) => SCOPE_TOKEN.test(scope))) throw new ConfigurationError('scope values must be RFC 6749 scope tokens');
    parts.push(`scope="${parameters.scope.join(' ')}"`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}

/** Fixed, client-safe descriptions, one per error code: the precise reason stays in the event. */
const DESCRIPTIONS: Readonly<Record<ResourceErrorCode, string>> = {
  invalid_request: 'The Authorization header is malformed',
  invalid_token: 'The access token is invalid, expired, or not for this resource',
  invalid_dpop_proof: 'The DPoP proof is missing or invalid',
  insufficient_scope: 'The access token does not grant the required scope',
};

/** What the challenge builder needs from the resource server's configuration. */
export interface ChallengeConfig {
  readonly realm: string | undefined;
  /** DPoP proof algorithms, or `undefined` when DPoP is off (no DPoP challenge is sent). */
  readonly dpopAlgorithms: readonly string[] | undefined;
}

/**
 * The `WWW-Authenticate` value for a refusal: a `Bearer` challenge, and a `DPoP` one when DPoP is on (RFC 9449 §7.2:
 * a resource taking both schemes offers both). The error goes into the challenge of the scheme the client used.
 * `undefined` for refusals that are not about authentication (503).
 */
export function challengeFor(refusal: AccessTokenRefusal, config: ChallengeConfig): string | undefined {
  const meaning = meaningOf(refusal.reason);
  if (meaning.status === 503) return undefined;
  const error = meaning.error;
  const errorParameters: ChallengeParameters =
    error === undefined
      ? {}
      : {
          error,
          errorDescription: DESCRIPTIONS[error],
          ...(error === 'insufficient_scope' && refusal.requiredScopes !== undefined ? { scope: refusal.requiredScopes } : {}),
        };
  const realm = config.realm === undefined ? {} : { realm: config.realm };
  const onDpop = refusal.scheme === 'dpop' && config.dpopAlgorithms !== undefined;
  const challenges = [renderChallenge('Bearer', { ...realm, ...(onDpop ? {} : errorParameters) })];
  if (config.dpopAlgorithms !== undefined) {
    challenges.push(renderChallenge('DPoP', { ...realm, algs: config.dpopAlgorithms, ...(onDpop ? errorParameters : {}) }));
  }
  return challenges.join(', ');
}

interface ProblemShape {
  readonly slug: string;
  readonly title: string;
  readonly code: string;
  readonly detail: string;
}

const SHAPES: Readonly<Record<ResourceErrorCode | 'missing' | 'unavailable', ProblemShape>> = {
  missing: { slug: 'unauthenticated', title: 'Unauthorized', code: 'token.missing', detail: 'An access token is required.' },
  invalid_request: { slug: 'invalid-request', title: 'Bad Request', code: 'token.invalid_request', detail: DESCRIPTIONS.invalid_request },
  invalid_token: { slug: 'invalid-token', title: 'Unauthorized', code: 'token.invalid_token', detail: DESCRIPTIONS.invalid_token },
  invalid_dpop_proof: { slug: 'invalid-dpop-proof', title: 'Unauthorized', code: 'token.invalid_dpop_proof', detail: DESCRIPTIONS.invalid_dpop_proof },
  insufficient_scope: { slug: 'insufficient-scope', title: 'Forbidden', code: 'token.insufficient_scope', detail: DESCRIPTIONS.insufficient_scope },
  unavailable: {
    slug: 'token-check-unavailable',
    title: 'Service Unavailable',
    code: 'token.unavailable',
    detail: 'The access token cannot be checked right now. Retry later.',
  },
};

/** Seconds a client should wait after a 503 (the remote JWKS cooldown). */
const RETRY_AFTER_SECONDS = '30';

/**
 * The RFC 9457 problem for a refusal, with the `WWW-Authenticate` challenge (or `Retry-After` for a 503) in its
 * headers. The body names the OAuth error class only; which check failed is in the event, never in the response.
 */
export function problemFor(refusal: AccessTokenRefusal, config: ChallengeConfig): Problem {
  const meaning = meaningOf(refusal.reason);
  const shape = meaning.status === 503 ? SHAPES.unavailable : SHAPES[meaning.error ?? 'missing'];
  const challenge = challengeFor(refusal, config);
  const headers: Record<string, string> = challenge === undefined ? { 'retry-after': RETRY_AFTER_SECONDS } : { 'www-authenticate': challenge };
  return problem(meaning.status, shape.slug, shape.title, { code: shape.code, detail: shape.detail, headers });
}
