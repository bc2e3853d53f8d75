import { ConfigurationError } from '../../errors.js';

/**
 * Turns configured origins into their canonical WHATWG serialisation (`https://accounts.example.com`, lower-case host,
 * default port dropped, IDN in punycode), so the check compares origins and never strings that merely look alike.
 * Refuses anything that is not exactly an origin: a path, query, fragment or credentials in the configuration means
 * someone expected a prefix match, which is how `https://good.com.evil.com` gets through.
 */
export function canonicalOrigins(origins: readonly string[], allowInsecureHttpOrigins: boolean): ReadonlySet<string> {
  const canonical = new Set<string>();
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch (cause) {
      throw new ConfigurationError('redirect allowedOrigins entries must be absolute origins such as https://app.example', { cause });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigurationError('redirect allowedOrigins entries must use https (or http with allowInsecureHttpOrigins)');
    }
    if (url.protocol === 'http:' && !allowInsecureHttpOrigins) {
      throw new ConfigurationError('an http: redirect origin can be rewritten by anyone on the network; pass allowInsecureHttpOrigins: true to allow it');
    }
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || origin.endsWith('?') || origin.endsWith('#')) {
      throw new ConfigurationError('redirect allowedOrigins entries must be bare origins: no path, query, fragment or credentials');
    }
    canonical.add(url.origin);
  }
  return canonical;
}
