/** Characters RFC 3986 §2.3 calls unreserved: a percent-encoded one means the same as the character itself. */
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * RFC 3986 §6.2.2.1-2: percent-encodings compare with upper-case hex digits, and an encoded unreserved character
 * equals the character. The WHATWG parser does neither, so it is done here on the parsed path.
 */
function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const character = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

/**
 * The form of an HTTP URI that DPoP compares (RFC 9449 §4.3 check 9): scheme, host and path, without query and
 * fragment, after syntax- and scheme-based normalization (RFC 3986 §6.2.2, §6.2.3), as the WHATWG URL parser applies
 * it (lower-case scheme and host, default port dropped, dot segments removed, an empty path as `/`) plus
 * percent-encoding normalization. `undefined` for anything that is not an absolute http(s) URI without credentials.
 *
 * Protects against a proof made for one endpoint being accepted at another, and against false refusals of a proof
 * that names the same endpoint in another spelling (`HTTPS://API.example:443/a/./b`).
 */
export function normalizeHttpUri(value: string | URL): string | undefined {
  let url: URL;
  try {
    url = typeof value === 'string' ? new URL(value) : new URL(value.href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}
