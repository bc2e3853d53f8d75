/**
 * RFC 9110 grammar pieces the CORS guard needs: `token` (method and header names) and the comma-separated list of
 * `Access-Control-Request-Headers`. Kept strict: anything outside the grammar is refused, never repaired.
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `value` is an RFC 9110 `token` (a method or a field name). */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/** Longest `Access-Control-Request-Headers` value read; browsers send a few dozen bytes. */
export const MAX_REQUEST_HEADERS_LENGTH = 4096;
/** Most names read from one `Access-Control-Request-Headers`. */
export const MAX_REQUEST_HEADER_NAMES = 64;

/**
 * Parses `Access-Control-Request-Headers` (Fetch §3.2.2: a `#field-name` list, which browsers send lower-cased and
 * comma-joined) into lower-case names. Returns `undefined` for a malformed list — a non-token member, a value over
 * {@link MAX_REQUEST_HEADERS_LENGTH}, more than {@link MAX_REQUEST_HEADER_NAMES} names — so the caller refuses
 * instead of guessing which header was meant. Empty members are skipped as RFC 9110 §5.6.1.2 requires; only SP and
 * HTAB count as whitespace (OWS), so `\u00a0authorization` is not read as `authorization`.
 */
export function parseHeaderNameList(value: string): string[] | undefined {
  if (value.length > MAX_REQUEST_HEADERS_LENGTH) return undefined;
  const names: string[] = [];
  for (const member of value.split(',')) {
    const name = trimOws(member);
    if (name === '') continue;
    if (!isToken(name) || names.length === MAX_REQUEST_HEADER_NAMES) return undefined;
    names.push(name.toLowerCase());
  }
  return names;
}

function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start += 1;
  while (end > start && isOws(value.charCodeAt(end - 1))) end -= 1;
  return value.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
