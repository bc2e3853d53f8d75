import type { CspDirectives } from './csp-directives.js';
import { NONCE } from './csp-grammar.js';

const list = (...sources: string[]): readonly string[] => Object.freeze(sources);

/** Which kind of application the defaults are for. */
export type HeadersPreset = 'api' | 'web';

/**
 * CSP of the `api` preset. A JSON API never renders a page, so nothing may load, frame it, submit to it or set a
 * base: a response a browser is tricked into rendering (a reflected value in an error body) executes nothing.
 */
export const API_CSP: CspDirectives = Object.freeze({
  'default-src': list("'none'"),
  'frame-ancestors': list("'none'"),
  'base-uri': list("'none'"),
  'form-action': list("'none'"),
});

/**
 * CSP of the `web` preset, a "strict CSP": scripts run only if they carry this response's nonce, and scripts they load
 * are trusted through `'strict-dynamic'` (so bundlers' loaders work without host allowlists, which are bypassable).
 * `default-src 'none'` means every other kind of resource is listed explicitly, from this origin only.
 */
export const WEB_CSP: CspDirectives = Object.freeze({
  'default-src': list("'none'"),
  'script-src': list(NONCE, "'strict-dynamic'"),
  'style-src': list("'self'", NONCE),
  'img-src': list("'self'"),
  'font-src': list("'self'"),
  'connect-src': list("'self'"),
  'manifest-src': list("'self'"),
  'media-src': list("'self'"),
  'worker-src': list("'self'"),
  'object-src': list("'none'"),
  'base-uri': list("'none'"),
  'form-action': list("'self'"),
  'frame-ancestors': list("'none'"),
  'upgrade-insecure-requests': true,
});

export interface PresetDefaults {
  readonly csp: CspDirectives;
  readonly referrerPolicy: ReferrerPolicy;
  readonly noStore: 'always' | 'authenticated';
  /** Whether the document-only policies (Referrer, Permissions, COOP, Origin-Agent-Cluster) are sent by default. */
  readonly documentPolicies: boolean;
}

/** Referrer policies that never send a full URL (with its path and query, where tokens hide) to another origin. */
export type ReferrerPolicy = 'no-referrer' | 'same-origin' | 'strict-origin' | 'strict-origin-when-cross-origin';

export const PRESETS: Readonly<Record<HeadersPreset, PresetDefaults>> = Object.freeze({
  // APIs: nothing to refer from; responses are per-caller data, so no cache keeps them (OWASP REST Security).
  api: { csp: API_CSP, referrerPolicy: 'no-referrer', noStore: 'always', documentPolicies: false },
  // Pages: origin-only referrers keep analytics working without leaking paths; static pages stay cacheable.
  web: { csp: WEB_CSP, referrerPolicy: 'strict-origin-when-cross-origin', noStore: 'authenticated', documentPolicies: true },
});
