import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../errors.js';
import { compileDirectives, serializeDirectives, type CompiledDirectives, type CspDirectives } from './csp-directives.js';
import { NONCE } from './csp-grammar.js';
import { checkCompiled, type CspProblem, type CspProblemCode } from './csp-validate.js';

/** Names the unsafe policy shapes a caller accepts on purpose. */
export type CspLoosening = Readonly<Partial<Record<CspProblemCode, true>>>;

/** Throws unless every problem is loosened by name. The message names codes, never the offending values. */
export function assertSafe(problems: readonly CspProblem[], loosen: CspLoosening = {}): void {
  const refused = problems.filter((found) => loosen[found.code] !== true);
  if (refused.length === 0) return;
  const reasons = refused.map((found) => `${found.code} (${found.directive}: ${found.message})`).join('; ');
  throw new ConfigurationError(`unsafe Content-Security-Policy: ${reasons}. Loosen by name only if you must.`);
}

/** A policy compiled once at build time; per request only the nonce is filled in. */
export interface CspTemplate {
  readonly directives: CompiledDirectives;
  /** Whether the policy contains the nonce placeholder. */
  readonly usesNonce: boolean;
  /** The header value split where the nonce goes; `segments.join(nonce)` is the value for one request. */
  readonly segments: readonly string[];
}

// A character no normalized token can contain (grammar), so splitting on it cannot cut a token in two.
const SLOT = '\u0000';

/** Turns a validated policy into a template; throws unless it is safe or its problems are loosened by name. */
export function compileCsp(compiled: CompiledDirectives, loosen?: CspLoosening): CspTemplate {
  assertSafe(checkCompiled([compiled], true), loosen);
  let usesNonce = false;
  const serialized = serializeDirectives(compiled, (token) => {
    if (token !== NONCE) return token;
    usesNonce = true;
    return `'nonce-${SLOT}'`;
  });
  return { directives: compiled, usesNonce, segments: serialized.split(SLOT) };
}

export interface BuildCspOptions {
  /** The value for the nonce placeholder: base64 of at least 16 random bytes. Required if the policy uses it. */
  readonly nonce?: string;
  /** Unsafe shapes accepted by name. */
  readonly loosen?: CspLoosening;
}

/**
 * Builds a Content-Security-Policy header value from typed directives. Protects against the policies that look
 * protective and are not: unknown (misspelt) directives, tokens that inject directives or header lines, malformed
 * hashes, fixed nonces, and the unsafe shapes of {@link validateCsp} — each refused with a `ConfigurationError`
 * unless loosened by name. For a guard that sends it, use `securityHeaders`.
 */
export function buildCsp(directives: CspDirectives, options: BuildCspOptions = {}): string {
  const template = compileCsp(compileDirectives(directives), options.loosen);
  if (!template.usesNonce) return template.segments.join('');
  const { nonce } = options;
  // 22 base64 characters carry 128 bits, the least CSP3 §7.1 recommends for an unguessable nonce.
  if (nonce === undefined || !/^[A-Za-z0-9+/_-]{22,}={0,2}$/.test(nonce)) {
    throw new ConfigurationError('Content-Security-Policy uses a nonce: pass options.nonce, base64 of at least 16 random bytes');
  }
  return template.segments.join(nonce);
}

/**
 * The hash source (`'sha256-…'`) allowing exactly one inline script or style, byte for byte: an alternative to
 * nonces for static pages, where a nonce would need per-request rendering.
 */
export function cspHash(content: string | Uint8Array, algorithm: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  return `'${algorithm}-${createHash(algorithm).update(content).digest('base64')}'`;
}
