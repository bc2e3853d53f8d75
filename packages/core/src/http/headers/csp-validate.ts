import { compileDirectives, type CompiledDirectives, type CspDirectives } from './csp-directives.js';
import { isBroadSource, isNonceOrHash } from './csp-grammar.js';

/**
 * What makes a policy unsafe. Each code is also the name of the loosening that accepts it
 * (`loosen: { unsafeEval: true }`), so one word finds the rule, the refusal and the exception.
 */
export type CspProblemCode =
  /** Neither `script-src` nor `default-src`: scripts are not restricted at all. */
  | 'unrestrictedScripts'
  /** `'unsafe-inline'` for scripts without a nonce or hash: any injected `<script>` runs (XSS). */
  | 'unsafeInlineScripts'
  /** `'unsafe-eval'`: strings become code through `eval`, `new Function`, string `setTimeout`. */
  | 'unsafeEval'
  /** `*` or a scheme-only source (`https:`, `data:`, `blob:`) for scripts, without nonce + `'strict-dynamic'`. */
  | 'wildcardScriptSources'
  /** `object-src` is not `'none'` (directly or through `default-src 'none'`): plugins and `<embed>` bypass script-src. */
  | 'missingObjectSrc'
  /** No restrictive `base-uri`: an injected `<base href>` re-points every relative script URL (it has no fallback). */
  | 'missingBaseUri';

export interface CspProblem {
  readonly code: CspProblemCode;
  /** The directive at fault (the effective one, e.g. `default-src` when `script-src` falls back to it). */
  readonly directive: string;
  readonly message: string;
}

const MESSAGES: Readonly<Record<CspProblemCode, string>> = {
  unrestrictedScripts: 'no script-src or default-src: scripts from anywhere are allowed',
  unsafeInlineScripts: "'unsafe-inline' without a nonce or hash lets injected inline scripts run",
  unsafeEval: "'unsafe-eval' lets strings run as code",
  wildcardScriptSources: "a wildcard or scheme-only script source (*, https:, data:, blob:) without a nonce and 'strict-dynamic'",
  missingObjectSrc: "object-src must be 'none' (directly or through default-src 'none')",
  missingBaseUri: "base-uri must be set to 'none', 'self' or specific hosts",
};

function problem(code: CspProblemCode, directive: string): CspProblem {
  return { code, directive, message: MESSAGES[code] };
}

/**
 * Splits a serialized policy the way a browser does (CSP3 §2.2.1): directives on `;`, tokens on ASCII whitespace,
 * names case-insensitive, the first occurrence of a directive wins. Keywords are lower-cased for comparison.
 */
function parsePolicy(serialized: string): CompiledDirectives {
  const directives = new Map<string, readonly string[]>();
  for (const part of serialized.split(';')) {
    const tokens = part.trim().split(/[\t\n\f\r ]+/).filter((token) => token !== '');
    const name = tokens.shift()?.toLowerCase();
    if (name === undefined || !/^[a-z0-9-]+$/.test(name) || directives.has(name)) continue;
    directives.set(
      name,
      tokens.map((token) => (/^'(nonce|sha256|sha384|sha512)-/i.test(token) ? token : token.toLowerCase())),
    );
  }
  return directives;
}

function checkScripts(directive: string, sources: readonly string[], configured: boolean, found: CspProblem[]): void {
  const nonceOrHash = sources.some((source) => isNonceOrHash(source, configured));
  // CSP3 §8.2: with 'strict-dynamic' and a nonce or hash, host and scheme sources are ignored by browsers that
  // support it; older ones fall back to them — the documented backward-compatible "strict CSP" shape.
  const strictDynamic = nonceOrHash && sources.includes("'strict-dynamic'");
  // CSP2+: 'unsafe-inline' is ignored when a nonce or hash is present, so it only stays as a fallback for CSP1 browsers.
  if (sources.includes("'unsafe-inline'") && !nonceOrHash) found.push(problem('unsafeInlineScripts', directive));
  if (sources.includes("'unsafe-eval'")) found.push(problem('unsafeEval', directive));
  if (!strictDynamic && sources.some(isBroadSource)) found.push(problem('wildcardScriptSources', directive));
}

function check(directives: CompiledDirectives, configured: boolean): CspProblem[] {
  const found: CspProblem[] = [];
  const defaults = directives.get('default-src');
  const scriptSrc = directives.get('script-src');
  if (scriptSrc === undefined && defaults === undefined) {
    found.push(problem('unrestrictedScripts', 'script-src'));
  } else {
    checkScripts(scriptSrc === undefined ? 'default-src' : 'script-src', scriptSrc ?? defaults ?? [], configured, found);
  }
  for (const name of ['script-src-elem', 'script-src-attr']) {
    const sources = directives.get(name);
    if (sources !== undefined) checkScripts(name, sources, configured, found);
  }
  const objectSrc = directives.get('object-src');
  const objects = objectSrc ?? defaults;
  if (objects?.length !== 1 || objects[0] !== "'none'") {
    found.push(problem('missingObjectSrc', objectSrc === undefined && defaults !== undefined ? 'default-src' : 'object-src'));
  }
  const baseUri = directives.get('base-uri');
  if (baseUri === undefined || baseUri.some(isBroadSource)) found.push(problem('missingBaseUri', 'base-uri'));
  return found;
}

/**
 * Finds what makes a Content-Security-Policy unsafe against XSS: scripts unrestricted, inline or eval'd, loaded from
 * any host, or smuggled in through plugins or a `<base>` tag. Takes directives (validated first: throws
 * `ConfigurationError` on a malformed one) or a header value as sent — so a verifier can check any live response.
 * A header with several comma-separated policies is enforced as their intersection: a problem is reported only if
 * every policy has it.
 */
export function validateCsp(policy: string | CspDirectives): CspProblem[] {
  if (typeof policy !== 'string') return check(compileDirectives(policy), true);
  return checkCompiled(policy.split(',').map(parsePolicy), false);
}

/**
 * Problems of policies enforced together. `configured`: compiled from directives (the nonce placeholder stands for a
 * nonce), not parsed from a header.
 */
export function checkCompiled(policies: readonly CompiledDirectives[], configured: boolean): CspProblem[] {
  const perPolicy = policies.map((directives) => check(directives, configured));
  const [first = [], ...rest] = perPolicy;
  return first.filter((candidate) => rest.every((others) => others.some((other) => other.code === candidate.code)));
}
