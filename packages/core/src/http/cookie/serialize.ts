import { CookieError } from './error.js';
import { isCookieOctets, isCookieValue, isDomain, isToken } from './grammar.js';

/** `SameSite` attribute values (RFC 6265bis §4.1.2.7). */
export type SameSite = 'Strict' | 'Lax' | 'None';

/** Cookie name prefixes (RFC 6265bis §4.1.3); `'none'` writes the name as given. */
export type CookiePrefix = '__Host-' | '__Secure-' | 'none';

export interface CookieNameOptions {
  /**
   * Prefix added to the name. Default `'__Host-'`: the browser then refuses the cookie unless it is Secure, has Path=/
   * and no Domain, so neither a sibling subdomain nor a plain-http page can set or overwrite it. A name that already
   * starts with `__Host-` or `__Secure-` keeps its own prefix.
   */
  readonly prefix?: CookiePrefix;
}

export interface CookieOptions extends CookieNameOptions {
  /** Default `'Lax'`: the cookie is not sent on cross-site subresource requests or cross-site POSTs. */
  readonly sameSite?: SameSite;
  /** Default `'/'`. Must start with `/`; `__Host-` cookies require `/`. */
  readonly path?: string;
  /** Default: none (host-only). Setting it shares the cookie with every subdomain; refused for `__Host-` cookies. */
  readonly domain?: string;
  /** Lifetime in whole seconds, 0 to 400 days (browsers clamp longer lifetimes, RFC 6265bis §5.6.2). */
  readonly maxAge?: number;
  /** Absolute expiry; `Max-Age` wins where both are given. */
  readonly expires?: Date;
  /** CHIPS: store the cookie per top-level site. Requires Secure. */
  readonly partitioned?: boolean;
  /**
   * Default `'none'`: a value outside RFC 6265's `cookie-value` grammar is refused. `'percent'` encodes it with
   * `encodeURIComponent`; read it back with `parseCookies(header, { decode: 'percent' })`.
   */
  readonly encoding?: 'none' | 'percent';
  /** Loosening: omit `HttpOnly` so page scripts can read the cookie (a double-submit CSRF token, say). */
  readonly allowScriptAccess?: boolean;
  /**
   * Loosening: omit `Secure`, for plain-http development only. Requires `prefix: 'none'`, and refused together with
   * `SameSite=None` or `Partitioned`. Most browsers treat `http://localhost` as secure already, so this is rarely needed.
   */
  readonly allowInsecure?: boolean;
}

const PREFIXES = ['__Host-', '__Secure-'] as const;
const SAME_SITE: ReadonlySet<string> = new Set(['Strict', 'Lax', 'None']);
/** RFC 6265bis §5.6.1/§5.6.2: browsers cap cookie lifetimes at 400 days. */
const MAX_AGE_LIMIT = 400 * 24 * 60 * 60;
/** RFC 6265 §6.1 asks browsers to store at least 4096 bytes per cookie; longer ones are dropped silently. */
const MAX_PAIR_LENGTH = 4096;
/** RFC 6265bis §5.6: attribute values longer than 1024 octets are ignored by browsers. */
const MAX_ATTRIBUTE_LENGTH = 1024;

interface ResolvedName {
  readonly name: string;
  readonly prefix: CookiePrefix;
}

function resolveName(name: unknown, options: CookieNameOptions): ResolvedName {
  if (typeof name !== 'string' || !isToken(name)) {
    throw new CookieError('name', 'a cookie name must be a non-empty RFC 6265 token (no separators, spaces or controls)');
  }
  const requested = options.prefix;
  if (requested !== undefined && requested !== 'none' && !PREFIXES.includes(requested)) {
    throw new CookieError('prefix', "prefix must be '__Host-', '__Secure-' or 'none'");
  }
  const lower = name.toLowerCase();
  for (const prefix of PREFIXES) {
    if (!lower.startsWith(prefix.toLowerCase())) continue;
    // Browsers match prefixes case-insensitively (RFC 6265bis §5.6, step 22-23); a name like `__HOST-x` would get the
    // rules without the reader looking it up under the canonical spelling.
    if (!name.startsWith(prefix)) throw new CookieError('prefix', `write the prefix as ${prefix}`);
    if (requested !== undefined && requested !== prefix) {
      throw new CookieError('prefix', `the name carries ${prefix} but the prefix option asks for ${requested}`);
    }
    if (name.length === prefix.length) throw new CookieError('name', 'a prefixed cookie name needs characters after the prefix');
    return { name, prefix };
  }
  const prefix = requested ?? '__Host-';
  return { name: prefix === 'none' ? name : prefix + name, prefix };
}

/**
 * The name a cookie is stored under once its prefix is applied (`cookieName('sid')` is `'__Host-sid'`): use it to read
 * the cookie back from {@link parseCookies} with the same options it was written with.
 *
 * Protects against reading an unprefixed look-alike that a subdomain or an http page planted.
 */
export function cookieName(name: string, options: CookieNameOptions = {}): string {
  return resolveName(name, options).name;
}

function encodeValue(value: unknown, encoding: CookieOptions['encoding']): string {
  if (typeof value !== 'string') throw new CookieError('value', 'a cookie value must be a string');
  if (encoding === 'percent') {
    try {
      return encodeURIComponent(value);
    } catch {
      // Lone UTF-16 surrogates cannot be encoded as UTF-8.
      throw new CookieError('value', 'the cookie value is not well-formed Unicode');
    }
  }
  // Untyped callers can pass anything; an unknown mode must not silently mean "no encoding".
  const mode: string | undefined = encoding;
  if (mode !== undefined && mode !== 'none') throw new CookieError('options', "encoding must be 'none' or 'percent'");
  if (!isCookieValue(value)) {
    throw new CookieError(
      'value',
      'the cookie value has a character outside RFC 6265 cookie-octet (control, whitespace, ", comma, semicolon, backslash or non-ASCII); pass encoding: \'percent\' to encode it',
    );
  }
  return value;
}

function checkPath(path: unknown, prefix: CookiePrefix): string {
  if (typeof path !== 'string' || path.length > MAX_ATTRIBUTE_LENGTH || !path.startsWith('/') || !isCookieOctets(path)) {
    throw new CookieError('path', 'Path must start with "/" and contain only cookie-octets (no ";", ",", whitespace or controls)');
  }
  // RFC 6265bis §4.1.3.2: a __Host- cookie is scoped to the whole host.
  if (prefix === '__Host-' && path !== '/') throw new CookieError('prefix', '__Host- cookies must have Path=/');
  return path;
}

function checkDomain(domain: unknown, prefix: CookiePrefix): string {
  if (prefix === '__Host-') throw new CookieError('prefix', '__Host- cookies must not have a Domain attribute');
  if (typeof domain !== 'string' || !isDomain(domain)) {
    throw new CookieError('domain', 'Domain must be a hostname (letters, digits, inner hyphens, dots; no leading dot, port or ";")');
  }
  return domain.toLowerCase();
}

function checkMaxAge(maxAge: unknown): number {
  if (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0 || maxAge > MAX_AGE_LIMIT) {
    throw new CookieError('maxAge', 'Max-Age must be a whole number of seconds between 0 and 400 days');
  }
  return maxAge;
}

function checkExpires(expires: unknown): string {
  if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
    throw new CookieError('expires', 'Expires must be a valid Date');
  }
  return expires.toUTCString();
}

/**
 * Builds a `Set-Cookie` header value with safe defaults: `__Host-` prefix, `Path=/`, no `Domain`, `Secure`, `HttpOnly`,
 * `SameSite=Lax`.
 *
 * Protects against attribute injection and response splitting (a value or attribute containing `;`, `,`, CR, LF or
 * other controls is refused with a {@link CookieError}, never encoded behind the caller's back), against cookie
 * tossing from subdomains and plain-http pages (prefix rules enforced here, before the browser silently drops the
 * cookie), and against cookies leaking to scripts, to plain http or to cross-site requests. Each loosening is a named
 * option.
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  const resolved = resolveName(name, options);
  const encoded = encodeValue(value, options.encoding);
  if (resolved.name.length + 1 + encoded.length > MAX_PAIR_LENGTH) {
    throw new CookieError('size', 'name and value together exceed 4096 bytes, which browsers drop silently');
  }

  const secure = options.allowInsecure !== true;
  if (!secure && resolved.prefix !== 'none') {
    throw new CookieError('prefix', `${resolved.prefix} cookies must be Secure; use prefix: 'none' with allowInsecure`);
  }

  let out = `${resolved.name}=${encoded}; Path=${checkPath(options.path ?? '/', resolved.prefix)}`;
  if (options.domain !== undefined) out += `; Domain=${checkDomain(options.domain, resolved.prefix)}`;
  if (options.maxAge !== undefined) out += `; Max-Age=${checkMaxAge(options.maxAge)}`;
  if (options.expires !== undefined) out += `; Expires=${checkExpires(options.expires)}`;
  if (secure) out += '; Secure';
  if (options.allowScriptAccess !== true) out += '; HttpOnly';

  const sameSite = options.sameSite ?? 'Lax';
  if (!SAME_SITE.has(sameSite)) throw new CookieError('sameSite', "SameSite must be 'Strict', 'Lax' or 'None'");
  // RFC 6265bis §5.6.7 / browsers: SameSite=None without Secure is rejected; refuse it here where the caller sees it.
  if (sameSite === 'None' && !secure) throw new CookieError('sameSite', 'SameSite=None requires Secure');
  out += `; SameSite=${sameSite}`;

  if (options.partitioned === true) {
    // CHIPS: browsers reject Partitioned cookies that are not Secure.
    if (!secure) throw new CookieError('partitioned', 'Partitioned requires Secure');
    out += '; Partitioned';
  }
  return out;
}

/**
 * Builds a `Set-Cookie` header value that deletes a cookie (empty value, `Max-Age=0`, `Expires` in 1970) with the same
 * name, prefix, Path and Domain it was written with — a mismatch would leave the original cookie in place.
 *
 * Protects against a logout that appears to work but leaves the session cookie in the browser.
 */
export function serializeCookieDeletion(name: string, options: Omit<CookieOptions, 'maxAge' | 'expires' | 'encoding'> = {}): string {
  return serializeCookie(name, '', { ...options, maxAge: 0, expires: new Date(0) });
}
