import type { SecurityEventSink } from '@rampart/core';
import { securityHeaders, type Guard } from '@rampart/core/http';
import { SESSION_COOKIE } from '../auth/session-cookie.js';

// Paths that answer JSON (or plain text) to programs; everything else is a page a browser renders.
const API_PREFIXES = ['/v1/', '/.well-known/'];
const API_PATHS: ReadonlySet<string> = new Set(['/openapi.json', '/livez', '/readyz', '/metrics']);

/** Whether `path` is an API path (the `api` header preset) rather than a page (the `web` preset). */
export function isApiPath(path: string): boolean {
  return API_PATHS.has(path) || API_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * The security headers of every response, chosen by path: the `api` preset for the JSON API (a CSP that allows
 * nothing, `no-store`), the `web` preset for pages — a strict CSP whose scripts must carry this response's nonce, no
 * inline script or style attribute, `form-action 'self'`, no framing, a private referrer policy, `no-store` whenever
 * the browser holds a session. Both are built and validated once, at start.
 *
 * Protects against XSS in pages (an injected `<script>` has no nonce), clickjacking, form hijacking to another origin,
 * and cached authenticated pages.
 */
export function responseHeaders(events: SecurityEventSink): Guard {
  const api = securityHeaders({ preset: 'api', events });
  const web = securityHeaders({ preset: 'web', sessionCookies: [SESSION_COOKIE], events });
  const guard = (request: Parameters<Guard>[0], context: Parameters<Guard>[1]): ReturnType<Guard> =>
    (isApiPath(request.path) ? api : web)(request, context);
  return Object.assign(guard, { guardName: 'security-headers' });
}
