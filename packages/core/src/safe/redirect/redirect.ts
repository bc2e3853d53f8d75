import { ConfigurationError } from '../../errors.js';
import { fail, type Result } from '../../result.js';
import { canonicalOrigins } from './origins.js';
import { RedirectRefusedError, type RedirectRefusal } from './refusal.js';
import { checkAbsoluteTarget, checkRelativeTarget } from './target.js';

/** Longest target accepted by default: longer ones are not links a user clicked but payloads. */
export const DEFAULT_MAX_REDIRECT_LENGTH = 2048;

export interface RedirectOptions {
  /**
   * Origins (`https://accounts.example.com`) to which absolute targets may point, compared with the target's *parsed*
   * origin. Default: none, so only relative paths (`/account`) are accepted.
   */
  readonly allowedOrigins?: readonly string[];
  /** Returned by `orFallback` / `safeRedirect` instead of a refused target. Must itself pass the policy. Default `/`. */
  readonly fallback?: string;
  /** Default {@link DEFAULT_MAX_REDIRECT_LENGTH}. */
  readonly maxLength?: number;
  /** Named loosening: lets `allowedOrigins` hold `http:` origins (local development). */
  readonly allowInsecureHttpOrigins?: boolean;
}

/** A configured open-redirect check. Build once at start-up; every method is safe to call with any untrusted value. */
export interface RedirectPolicy {
  /** The safe target (normalised) or the reason it was refused. */
  check(target: unknown): Result<string, RedirectRefusal>;
  /** The safe target, or the fallback when refused. */
  orFallback(target: unknown): string;
  /** The safe target; throws {@link RedirectRefusedError} when refused. */
  orThrow(target: unknown): string;
  readonly fallback: string;
}

/**
 * Builds a policy against open redirects (CWE-601): a `?next=` or `returnTo` parameter that sends a user who trusts
 * our domain to a phishing page, or to `javascript:`/`data:` content. By default only path-absolute targets on our own
 * origin pass (`/account?tab=2`); scheme-relative (`//evil`, `/\evil`), any scheme, encoded, normalisation and
 * control-character variants are refused; absolute URLs pass only when their parsed origin is in `allowedOrigins`.
 * Throws {@link ConfigurationError} for an unsafe configuration.
 */
export function redirectPolicy(options: RedirectOptions = {}): RedirectPolicy {
  const maxLength = options.maxLength ?? DEFAULT_MAX_REDIRECT_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1) throw new ConfigurationError('redirect maxLength must be a positive integer');
  const allowed = canonicalOrigins(options.allowedOrigins ?? [], options.allowInsecureHttpOrigins === true);

  const check = (target: unknown): Result<string, RedirectRefusal> => {
    if (typeof target !== 'string') return fail('not_a_string');
    if (target === '') return fail('empty');
    if (target.length > maxLength) return fail('too_long');
    return target.startsWith('/') ? checkRelativeTarget(target) : checkAbsoluteTarget(target, allowed);
  };

  const fallbackCheck = check(options.fallback ?? '/');
  if (!fallbackCheck.ok) throw new ConfigurationError(`redirect fallback does not pass its own policy (${fallbackCheck.reason})`);
  const fallback = fallbackCheck.value;

  return {
    check,
    fallback,
    orFallback(target) {
      const result = check(target);
      return result.ok ? result.value : fallback;
    },
    orThrow(target) {
      const result = check(target);
      if (!result.ok) throw new RedirectRefusedError(result.reason, target);
      return result.value;
    },
  };
}

/**
 * Checks one redirect target against open redirects (see {@link redirectPolicy}) and returns a `Result`: the
 * normalised safe target, or a refusal reason. Prefer building a policy once when options are fixed.
 */
export function checkRedirect(target: unknown, options?: RedirectOptions): Result<string, RedirectRefusal> {
  return redirectPolicy(options).check(target);
}

/**
 * Returns a target that is safe to send in `Location`: the normalised `target` when it passes the open-redirect checks
 * of {@link redirectPolicy}, otherwise the fallback (default `/`). Never throws for any untrusted `target`.
 */
export function safeRedirect(target: unknown, options?: RedirectOptions): string {
  return redirectPolicy(options).orFallback(target);
}

/**
 * Like {@link safeRedirect} but throws {@link RedirectRefusedError} (`code: 'REDIRECT_REFUSED'`, `reason`) instead of
 * falling back, for callers that answer a refused target with an error (400) rather than a redirect home.
 */
export function assertSafeRedirect(target: unknown, options?: RedirectOptions): string {
  return redirectPolicy(options).orThrow(target);
}
