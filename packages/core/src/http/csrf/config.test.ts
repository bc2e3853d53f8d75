/*
 * Build-time validation: a misconfigured guard must not start. Attacks prevented by refusing configuration: wildcard
 * or plain-http origins (anyone on the path could vouch for a request), a token cookie without `__Host-` (cookie
 * tossing from a subdomain), prefix-or-pattern exemptions (`/api*` silently exempting new routes), silent loosenings.
 */
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { csrf } from './guard.js';
import type { CsrfOptions } from './options.js';

const ring = KeyRing.generate();
const build = (extra: Partial<CsrfOptions>): unknown => csrf({ ring, allowedOrigins: ['https://app.example'], ...extra });

describe('csrf options', () => {
  it('needs a key ring and at least one origin', () => {
    expect(() => csrf({ ring, allowedOrigins: [] })).toThrow(ConfigurationError);
    expect(() => csrf({ ring: {} as unknown as KeyRing, allowedOrigins: ['https://app.example'] })).toThrow(ConfigurationError);
    expect(() => csrf(undefined as unknown as CsrfOptions)).toThrow(ConfigurationError);
  });

  it('refuses non-canonical, wildcard and plain-http origins', () => {
    for (const origin of ['*', 'https://*.app.example', 'https://app.example/', 'https://App.example', 'https://app.example:443', 'app.example', 'http://app.example', 'null', 'file:///x', 'https://app.example/path']) {
      expect(() => build({ allowedOrigins: [origin] }), origin).toThrow(ConfigurationError);
    }
  });

  it('accepts https origins with ports and http only on loopback', () => {
    for (const origin of ['https://app.example:8443', 'http://localhost:3000', 'http://127.0.0.1:8080', 'http://[::1]:5173', 'https://xn--bcher-kva.example']) {
      expect(() => build({ allowedOrigins: [origin] }), origin).not.toThrow();
    }
  });

  it('always writes the token cookie with __Host-', () => {
    expect(csrf({ ring, allowedOrigins: ['https://app.example'], cookieName: 'x' }).cookieName).toBe('__Host-x');
    expect(() => build({ cookieName: '__Secure-x' })).toThrow(ConfigurationError);
    expect(() => build({ cookieName: 'bad name' })).toThrow(ConfigurationError);
    expect(() => build({ headerName: 'X-CSRF' })).toThrow(ConfigurationError);
  });

  it('refuses exemptions that are not exact named routes with a reason', () => {
    const bad = [
      { path: '/api*', reason: 'r' },
      { path: 'hook', reason: 'r' },
      { path: '/hook?x=1', reason: 'r' },
      { path: '/hook', reason: ' ' },
      { path: '/hook', reason: 'r', method: 'post' },
      { path: '/hook', reason: 'r', method: 'GET' },
    ];
    for (const route of bad) expect(() => build({ exempt: [route] }), JSON.stringify(route)).toThrow(ConfigurationError);
    expect(() => build({ exempt: [{ path: '/h', reason: 'r' }, { path: '/h', method: 'POST', reason: 'r' }] })).toThrow(/twice/);
    expect(() => build({ exempt: [{ path: '/h', method: 'POST', reason: 'r' }, { path: '/h', method: 'POST', reason: 'r' }] })).toThrow(/twice/);
    expect(() => build({ exempt: [{ path: '/h', method: 'POST', reason: 'r' }, { path: '/h', method: 'PUT', reason: 'r' }] })).not.toThrow();
  });

  it('refuses non-boolean loosening flags (a string "false" must not loosen)', () => {
    expect(() => build({ allowSameSite: 'false' as unknown as boolean })).toThrow(ConfigurationError);
  });

  it('reports every loosening once, at build, as config.loosened', () => {
    const events: SecurityEvent[] = [];
    build({
      events: (event) => events.push(event),
      allowSameSite: true,
      allowMissingOriginAndReferer: true,
      exposeTokenCookieToScripts: true,
      cookieAuthenticated: () => true,
      exempt: [{ method: 'POST', path: '/hook', reason: 'signed' }],
    });
    expect(events.every((event) => event.type === 'config.loosened')).toBe(true);
    expect(events.map((event) => event.attributes?.option).sort()).toEqual(
      ['allowMissingOriginAndReferer', 'allowSameSite', 'cookieAuthenticated', 'exempt', 'exposeTokenCookieToScripts'].sort(),
    );
    expect(events.find((event) => event.attributes?.option === 'exempt')?.attributes).toMatchObject({ control: 'csrf', path: '/hook', reason: 'signed' });
  });

  it('the secure defaults report nothing', () => {
    const events: SecurityEvent[] = [];
    build({ events: (event) => events.push(event) });
    expect(events).toEqual([]);
  });

  it('is named csrf for logs and per-route opt-outs', () => {
    expect(csrf({ ring, allowedOrigins: ['https://app.example'] }).guardName).toBe('csrf');
  });
});
