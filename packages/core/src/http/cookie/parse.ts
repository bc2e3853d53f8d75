import { isToken } from './grammar.js';

export interface ParseCookiesOptions {
  /**
   * Headers longer than this (in UTF-16 code units) are ignored as a whole: the result is an empty map, so an
   * oversized header reads as "no cookies" (fail closed) instead of costing unbounded work. Default 8192, the common
   * per-header limit of proxies (nginx `large_client_header_buffers`).
   */
  readonly maxHeaderLength?: number;
  /** Only the first this-many `name=value` pairs are read. Default 100. */
  readonly maxCookies?: number;
  /**
   * Default `'none'`: values are returned exactly as sent. `'percent'` applies `decodeURIComponent`, keeping the raw
   * value when it holds a malformed escape (never throws).
   */
  readonly decode?: 'none' | 'percent';
}

const DEFAULT_MAX_HEADER_LENGTH = 8192;
const DEFAULT_MAX_COOKIES = 100;
const EMPTY: ReadonlyMap<string, string> = new Map();

// RFC 6265 §5.2 and §5.4: only SP and HTAB surround the pairs. `String.prototype.trim` would also strip Unicode
// spaces, and parsers that did so let `\u2000__Host-sid=...` (set by any subdomain) pass for the `__Host-` cookie.
function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function decodePercent(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * Parses a `Cookie` request header into a map from name to value. Never throws, whatever the input.
 *
 * - The first occurrence of a name wins, as in the browser's own order (RFC 6265 §5.4: longer Path first, then earlier
 *   creation) and in most frameworks, so a guard and the application behind it never disagree about which duplicate is
 *   "the" cookie. Against cookie tossing (a sibling subdomain planting a look-alike with `Domain=example.com`), last-wins
 *   is beaten by planting the look-alike at any later moment; first-wins only by a longer Path (then only on that path)
 *   or by planting before the real cookie exists. Neither rule is a defence on its own: the `__Host-` prefix is, since no
 *   subdomain and no plain-http page can set a `__Host-` cookie, so a duplicate of that name can only come from the host.
 * - Pairs without `=`, and pairs whose name is not an RFC 6265 token, are ignored.
 * - Size is capped (`maxHeaderLength`, `maxCookies`) so a crafted header costs bounded work.
 *
 * Protects against parser crashes on hostile headers, cookie tossing, and prefix spoofing through exotic whitespace.
 */
export function parseCookies(header: string | null | undefined, options: ParseCookiesOptions = {}): ReadonlyMap<string, string> {
  if (typeof header !== 'string' || header.length === 0) return EMPTY;
  const maxHeaderLength = options.maxHeaderLength ?? DEFAULT_MAX_HEADER_LENGTH;
  if (header.length > maxHeaderLength) return EMPTY;
  const maxCookies = options.maxCookies ?? DEFAULT_MAX_COOKIES;
  const decode = options.decode === 'percent';

  const cookies = new Map<string, string>();
  const length = header.length;
  let pairs = 0;
  let pos = 0;
  while (pos < length && pairs < maxCookies) {
    let end = header.indexOf(';', pos);
    if (end === -1) end = length;
    const eq = header.indexOf('=', pos);
    if (eq !== -1 && eq < end) {
      pairs++;
      let nameStart = pos;
      let nameEnd = eq;
      while (nameStart < nameEnd && isOws(header.charCodeAt(nameStart))) nameStart++;
      while (nameEnd > nameStart && isOws(header.charCodeAt(nameEnd - 1))) nameEnd--;
      const name = header.slice(nameStart, nameEnd);
      if (isToken(name) && !cookies.has(name)) {
        let valueStart = eq + 1;
        let valueEnd = end;
        while (valueStart < valueEnd && isOws(header.charCodeAt(valueStart))) valueStart++;
        while (valueEnd > valueStart && isOws(header.charCodeAt(valueEnd - 1))) valueEnd--;
        const raw = header.slice(valueStart, valueEnd);
        cookies.set(name, decode ? decodePercent(raw) : raw);
      }
    }
    pos = end + 1;
  }
  return cookies;
}
