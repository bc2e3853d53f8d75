import { ConfigurationError } from '../../errors.js';

/*
 * Source-expression grammar of CSP Level 3 (§2.3.1). Every token a policy is built from must match one of these
 * productions exactly. That is the header-injection defence: none of them admits `;` (directive separator), `,`
 * (policy separator), whitespace, quotes outside a keyword, CR/LF or non-ASCII, so no value can smuggle a directive
 * (`"'self'; script-src *"`) or a second header line into the policy.
 */

/** Placeholder for the per-request nonce in a source list; the guard replaces it with `'nonce-<fresh value>'`. */
export const NONCE = "'nonce'";

/** Keyword sources (CSP3 §2.3.1 `keyword-source`), unquoted. */
const KEYWORDS: ReadonlySet<string> = new Set([
  'self',
  'none',
  'unsafe-inline',
  'unsafe-eval',
  'strict-dynamic',
  'unsafe-hashes',
  'report-sample',
  'unsafe-allow-redirects',
  'wasm-unsafe-eval',
  'inline-speculation-rules',
]);

/** Keywords allowed in `frame-ancestors` (its `ancestor-source` grammar is narrower: no nonces, hashes or unsafe-*). */
const ANCESTOR_KEYWORDS: ReadonlySet<string> = new Set(['self', 'none']);

/** Byte length of each hash algorithm's digest (CSP3 §2.3.1 `hash-algorithm`). */
export const HASH_BYTES: Readonly<Record<string, number>> = { sha256: 32, sha384: 48, sha512: 64 };

const BASE64_VALUE = /^[A-Za-z0-9+/_-]+={0,2}$/;
const SCHEME_SOURCE = /^[A-Za-z][A-Za-z0-9+.-]*:$/;
// scheme-part "://"? host-part (":" port-part)? path-part? — path without `;` `,` `'` or whitespace.
const HOST_SOURCE =
  /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?(?:\*|(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?)(?::(?:[0-9]+|\*))?(?:\/[A-Za-z0-9\-._~!$&()*+=:@%/]*)?$/;
const NONCE_OR_HASH = /^'(nonce|sha256|sha384|sha512)-(.*)'$/i;

/** Whether `value` is well-formed base64 or base64url carrying exactly `bytes` bytes. */
export function isBase64OfLength(value: string, bytes: number): boolean {
  if (!BASE64_VALUE.test(value)) return false;
  const unpadded = value.replace(/=+$/, '');
  const padding = value.length - unpadded.length;
  const expected = Math.ceil((bytes * 4) / 3);
  return unpadded.length === expected && (padding === 0 || (unpadded.length + padding) % 4 === 0);
}

const WELL_FORMED_NONCE_OR_HASH = /^'(?:nonce|sha256|sha384|sha512)-[A-Za-z0-9+/_-]+={0,2}'$/i;

/**
 * Whether a source is a nonce or a hash a browser accepts (a malformed one is ignored, and `'unsafe-inline'` beside
 * it is then honoured). The nonce placeholder counts only in configured policies, never in a header as sent.
 */
export function isNonceOrHash(source: string, placeholder: boolean): boolean {
  return (placeholder && source === NONCE) || WELL_FORMED_NONCE_OR_HASH.test(source);
}

/**
 * Whether a source allows scripts from anywhere, or from any host of a scheme: `*`, `https:`, `data:`, `https://*`.
 * `data:` and `blob:` let an injected string become a script; `https:` lets any attacker-owned host serve one.
 */
export function isBroadSource(source: string): boolean {
  if (source === '*' || SCHEME_SOURCE.test(source)) return true;
  return /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/)?\*(?::[0-9*]+)?(?:\/.*)?$/.test(source);
}

function refuse(directive: string, message: string): never {
  throw new ConfigurationError(`Content-Security-Policy ${directive}: ${message}`);
}

/**
 * Normalizes one source expression of `directive`, or throws. Bare keywords are quoted (`self` → `'self'`): unquoted,
 * a browser reads `self` as a host named "self" and the directive silently allows nothing the author meant. A fixed
 * `'nonce-…'` is refused: a nonce known in advance is no nonce; use {@link NONCE} for a fresh one per request.
 */
export function normalizeSource(directive: string, raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) refuse(directive, 'a source must be a non-empty string');
  const ancestors = directive === 'frame-ancestors';
  const bare = raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2 ? raw.slice(1, -1) : raw;
  const keyword = bare.toLowerCase();
  if (KEYWORDS.has(keyword)) {
    if (ancestors && !ANCESTOR_KEYWORDS.has(keyword)) refuse(directive, `'${keyword}' is not allowed here`);
    return `'${keyword}'`;
  }
  if (raw === NONCE) {
    if (ancestors) refuse(directive, 'nonces do not apply here');
    return NONCE;
  }
  const nonceOrHash = NONCE_OR_HASH.exec(raw);
  if (nonceOrHash !== null) {
    const algorithm = (nonceOrHash[1] ?? '').toLowerCase();
    const value = nonceOrHash[2] ?? '';
    if (ancestors) refuse(directive, 'nonces and hashes do not apply here');
    if (algorithm === 'nonce') refuse(directive, `a fixed nonce is predictable; use the NONCE placeholder ("${NONCE}")`);
    if (!isBase64OfLength(value, HASH_BYTES[algorithm] ?? 0)) refuse(directive, `malformed ${algorithm} hash`);
    return `'${algorithm}-${value}'`;
  }
  if (SCHEME_SOURCE.test(raw)) return raw.toLowerCase();
  if (HOST_SOURCE.test(raw)) return raw;
  return refuse(directive, 'not a CSP source expression (quoted keyword, nonce, hash, scheme or host)');
}

/** Sandbox flags (HTML `allow-*` tokens); anything else is refused. */
export function normalizeSandboxToken(raw: unknown): string {
  if (typeof raw !== 'string' || !/^allow-[a-z-]+$/.test(raw)) refuse('sandbox', 'expected allow-* tokens');
  return raw;
}

/** Trusted Types policy names and keywords (Trusted Types §4.1 `tt-expression`). */
export function normalizeTrustedTypesToken(raw: unknown): string {
  if (typeof raw !== 'string') return refuse('trusted-types', 'expected policy names');
  const keyword = raw.replace(/^'(.*)'$/, '$1').toLowerCase();
  if (keyword === 'none' || keyword === 'allow-duplicates') return `'${keyword}'`;
  if (raw === '*' || /^[A-Za-z0-9\-#=_/@.%]+$/.test(raw)) return raw;
  return refuse('trusted-types', 'not a policy name');
}

/** A Reporting API endpoint name: a structured-field key (RFC 8941 §3.1.2). */
export function isEndpointName(value: unknown): value is string {
  return typeof value === 'string' && /^[a-z*][a-z0-9_.*-]*$/.test(value);
}

/**
 * A report destination: https, or http only to the local machine (development). Reports carry page URLs and
 * blocked URIs; sent over plain http they leak to the network. Returns the serialized URL; refuses anything that
 * could break out of the header (`;`, `,`, `"`, `\`, whitespace survive URL parsing or would be mangled by it).
 */
export function normalizeReportUrl(where: string, raw: unknown): string {
  if (typeof raw !== 'string') return refuse(where, 'a report URL must be a string');
  // Checked before parsing: the URL parser silently drops CR, LF and tabs, and the caller should learn of them.
  if (!/^[\x21-\x7e]+$/.test(raw) || /[;,"\\]/.test(raw)) refuse(where, 'report URL contains characters not allowed in a header');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(where, 'not an absolute URL');
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) refuse(where, 'report URLs must use https');
  if (url.username !== '' || url.password !== '') refuse(where, 'report URLs must not carry credentials');
  const href = url.href;
  if (/[;,"\\\s]/.test(href) || !/^[\x21-\x7e]+$/.test(href)) refuse(where, 'report URL contains characters not allowed in a header');
  return href;
}
