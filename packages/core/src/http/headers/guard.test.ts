/*
 * The security-headers guard, run through a real chain. Attacks: clickjacking, MIME sniffing, SSL stripping (HSTS
 * on https only, and on https behind a trusted TLS-terminating proxy), cached authenticated responses, unsafe or
 * misspelt configuration — each shown refused or covered.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import type { ClientAddressResolver } from '../chain/request.js';
import { deny, type Guard } from '../chain/types.js';
import { problem } from '../problem/problem.js';
import { cspNonce, HEADERS_TO_REMOVE, securityHeaders, type CspDirectives } from './index.js';
import { headersOf, run } from './test/run.js';

const PERMISSIONS =
  'accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), microphone=(), ' +
  'midi=(), payment=(), serial=(), usb=(), xr-spatial-tracking=()';
const HSTS = 'max-age=63072000; includeSubDomains';

describe('api preset (the default)', () => {
  it('sends exactly these headers on an https request', () => {
    const outcome = run(securityHeaders());
    expect(outcome.verdict.action).toBe('continue');
    expect(headersOf(outcome)).toEqual({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
      'strict-transport-security': HSTS,
    });
    expect(outcome.context.get({ name: 'csp-nonce' })).toBeUndefined();
  });

  it('adds the document-only policies when they are asked for by name', () => {
    const headers = headersOf(run(securityHeaders({ referrerPolicy: 'same-origin', permissionsPolicy: {}, crossOriginOpenerPolicy: 'same-origin' })));
    expect(headers['referrer-policy']).toBe('same-origin');
    expect(headers['permissions-policy']).toBe(PERMISSIONS);
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['origin-agent-cluster']).toBeUndefined();
  });

  it('the same minus HSTS on plain http, where browsers ignore it (RFC 6797 §8.1)', () => {
    const headers = headersOf(run(securityHeaders(), { tls: false }));
    expect(headers['strict-transport-security']).toBeUndefined();
    expect(Object.keys(headers)).toHaveLength(5);
  });
});

describe('web preset', () => {
  it('sends exactly these headers on an https request', () => {
    const outcome = run(securityHeaders({ preset: 'web' }));
    const nonce = cspNonce(outcome.context);
    expect(headersOf(outcome)).toEqual({
      'content-security-policy':
        `default-src 'none'; script-src 'nonce-${nonce}' 'strict-dynamic'; style-src 'self' 'nonce-${nonce}'; img-src 'self'; ` +
        "font-src 'self'; connect-src 'self'; manifest-src 'self'; media-src 'self'; worker-src 'self'; object-src 'none'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'permissions-policy': PERMISSIONS,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'strict-transport-security': HSTS,
    });
  });

  it('on plain http: no HSTS and no upgrade-insecure-requests (it would point the page at an https origin that may not exist)', () => {
    const headers = headersOf(run(securityHeaders({ preset: 'web' }), { tls: false }));
    expect(headers['strict-transport-security']).toBeUndefined();
    expect(headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'$/);
  });
});

describe('HSTS', () => {
  it('attack: SSL stripping — sent when a trusted proxy terminated TLS, not when the client merely claims https', () => {
    const proxied: ClientAddressResolver = (peer, _tls, header) => ({ ip: peer, secure: header('x-forwarded-proto') === 'https' });
    const behindProxy = run(securityHeaders(), { tls: false, clientAddress: proxied, headers: { 'x-forwarded-proto': 'https' } });
    expect(behindProxy.headers.get('strict-transport-security')).toBe(HSTS);
    // With no trusted proxy configured, a forged X-Forwarded-Proto changes nothing.
    const forged = run(securityHeaders(), { tls: false, headers: { 'x-forwarded-proto': 'https' } });
    expect(forged.headers.get('strict-transport-security')).toBeUndefined();
  });

  it('refuses a max-age below one year unless loosened by name', () => {
    expect(() => securityHeaders({ hsts: { maxAgeSeconds: 86_400 } })).toThrow(/shortHsts/);
    expect(() => securityHeaders({ hsts: { maxAgeSeconds: 31_535_999 } })).toThrow(ConfigurationError);
    expect(() => securityHeaders({ hsts: { maxAgeSeconds: 1.5e7 + 0.5 } })).toThrow(ConfigurationError);
    const events: SecurityEvent[] = [];
    const guard = securityHeaders({ hsts: { maxAgeSeconds: 86_400 }, loosen: { shortHsts: true }, events: (event) => events.push(event) });
    expect(run(guard).headers.get('strict-transport-security')).toBe('max-age=86400; includeSubDomains');
    expect(events.map((event) => event.attributes?.option)).toEqual(['loosen.shortHsts']);
  });

  it('preload by name only, and only with includeSubDomains and a year', () => {
    expect(run(securityHeaders({ hsts: { preload: true } })).headers.get('strict-transport-security')).toBe(`${HSTS}; preload`);
    expect(() => securityHeaders({ hsts: { preload: true, includeSubDomains: false } })).toThrow(/preload/);
    expect(() => securityHeaders({ hsts: { preload: true, maxAgeSeconds: 86_400 }, loosen: { shortHsts: true } })).toThrow(/preload/);
  });
});

describe('Cache-Control: no-store on authenticated responses (web)', () => {
  const guard = securityHeaders({ preset: 'web' });
  const cacheControl = (headers: Record<string, string>) => run(guard, { headers }).headers.get('cache-control');

  it('attack: a shared or back-button cache keeping a response with Authorization or the session cookie', () => {
    expect(cacheControl({ authorization: 'Bearer abc' })).toBe('no-store');
    expect(cacheControl({ cookie: 'theme=dark; __Host-sid=abc' })).toBe('no-store');
  });

  it('leaves anonymous pages cacheable, and is not fooled by a look-alike cookie name', () => {
    expect(cacheControl({})).toBeUndefined();
    expect(cacheControl({ cookie: 'x__Host-sid=1; theme=__Host-sid' })).toBeUndefined();
  });

  it('custom session cookies and a custom test', () => {
    const custom = securityHeaders({ preset: 'web', sessionCookies: ['app_session'] });
    expect(run(custom, { headers: { cookie: 'app_session=1' } }).headers.get('cache-control')).toBe('no-store');
    const byPath = securityHeaders({ preset: 'web', isAuthenticated: (request) => request.path.startsWith('/account') });
    expect(run(byPath, { target: '/account/1' }).headers.get('cache-control')).toBe('no-store');
    expect(run(byPath, { target: '/', headers: { authorization: 'Bearer x' } }).headers.get('cache-control')).toBeUndefined();
    expect(run(securityHeaders({ preset: 'web', noStore: 'always' })).headers.get('cache-control')).toBe('no-store');
  });
});

describe('custom policies', () => {
  it('merges directives over the preset; false removes one', () => {
    const guard = securityHeaders({ preset: 'web', csp: { 'img-src': ["'self'", 'https://img.example'], 'upgrade-insecure-requests': false } });
    const policy = run(guard).headers.get('content-security-policy') ?? '';
    expect(policy).toContain("img-src 'self' https://img.example;");
    expect(policy).toContain('object-src');
    expect(policy).not.toContain('upgrade-insecure-requests');
  });

  it('attack: an unsafe merged policy is refused when the guard is built', () => {
    expect(() => securityHeaders({ preset: 'web', csp: { 'script-src': ["'self'", "'unsafe-inline'"] } })).toThrow(/unsafeInlineScripts/);
    expect(() => securityHeaders({ csp: { 'default-src': false } })).toThrow(/unrestrictedScripts/);
    expect(() => securityHeaders({ csp: { 'img-src': ["'self'; script-src *"] } })).toThrow(ConfigurationError);
  });

  it('each loosening emits config.loosened once, at build time', () => {
    const events: SecurityEvent[] = [];
    const guard = securityHeaders({
      preset: 'web',
      csp: { 'script-src': ["'self'", "'unsafe-eval'"] },
      cspReportOnly: true,
      hsts: { includeSubDomains: false },
      crossOriginResourcePolicy: 'cross-origin',
      loosen: { unsafeEval: true },
      events: (event) => events.push(event),
    });
    run(guard);
    run(guard);
    expect(events.map((event) => [event.type, event.attributes?.control, event.attributes?.option])).toEqual([
      ['config.loosened', 'http.headers', 'loosen.unsafeEval'],
      ['config.loosened', 'http.headers', 'cspReportOnly'],
      ['config.loosened', 'http.headers', 'hsts.includeSubDomains'],
      ['config.loosened', 'http.headers', 'crossOriginResourcePolicy'],
    ]);
    const headers = headersOf(run(guard));
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['content-security-policy-report-only']).toContain("script-src 'self' 'unsafe-eval'");
    expect(headers['strict-transport-security']).toBe('max-age=63072000');
    expect(headers['cross-origin-resource-policy']).toBe('cross-origin');
  });

  it('a configuration that is refused emits nothing', () => {
    const events: SecurityEvent[] = [];
    const build = () => securityHeaders({ csp: { 'script-src': ['https:'] }, loosen: { unsafeEval: true }, events: (event) => events.push(event) });
    expect(build).toThrow(/wildcardScriptSources/);
    expect(events).toEqual([]);
  });

  it('csp: false and hsts: false send none, and say so', () => {
    const events: SecurityEvent[] = [];
    const headers = headersOf(run(securityHeaders({ csp: false, hsts: false, events: (event) => events.push(event) })));
    expect(headers['content-security-policy']).toBeUndefined();
    expect(headers['strict-transport-security']).toBeUndefined();
    expect(headers['x-frame-options']).toBe('DENY');
    expect(events.map((event) => event.attributes?.option)).toEqual(['csp', 'hsts']);
  });

  it('refuses a misspelt loosening, preset or header value instead of ignoring it', () => {
    expect(() => securityHeaders({ loosen: { unsafeEvl: true } as never })).toThrow(/unknown loosening/);
    expect(() => securityHeaders({ csp: { 'script-src': ["'unsafe-eval'"] }, loosen: { unsafeEvl: true } as never })).toThrow(/unknown loosening/);
    expect(() => securityHeaders({ preset: 'website' as never })).toThrow(ConfigurationError);
    expect(() => securityHeaders({ referrerPolicy: 'unsafe-url' as never })).toThrow(/referrerPolicy/);
    expect(() => securityHeaders({ crossOriginOpenerPolicy: 'unsafe-none' as never })).toThrow(ConfigurationError);
    expect(() => securityHeaders({ noStore: 'never' as never })).toThrow(ConfigurationError);
  });

  it('X-Frame-Options follows frame-ancestors, and is left out where it cannot express the allowlist', () => {
    const frame = (ancestors: string[]) => run(securityHeaders({ csp: { 'frame-ancestors': ancestors } })).headers.get('x-frame-options');
    expect(frame(["'self'"])).toBe('SAMEORIGIN');
    expect(frame(["'self'", 'https://parent.example'])).toBeUndefined();
    expect(frame(['none'])).toBe('DENY');
  });

  it('COEP only when asked; Permissions-Policy overrides validated', () => {
    const headers = headersOf(
      run(
        securityHeaders({
          crossOriginEmbedderPolicy: 'require-corp',
          permissionsPolicy: { geolocation: ['self', 'https://maps.example'], fullscreen: ['*'] },
        }),
      ),
    );
    expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(headers['permissions-policy']).toContain('geolocation=(self "https://maps.example")');
    expect(headers['permissions-policy']).toMatch(/, fullscreen=\*$/);
    expect(() => securityHeaders({ permissionsPolicy: { camera: ['https://a.example/path'] } })).toThrow(ConfigurationError);
    expect(() => securityHeaders({ permissionsPolicy: { 'camera=*, x': [] } })).toThrow(ConfigurationError);
    expect(() => securityHeaders({ permissionsPolicy: { camera: ['https://a.example"), x=("'] } })).toThrow(ConfigurationError);
  });
});

describe('reporting', () => {
  it('sends Reporting-Endpoints and a report-to naming one', () => {
    const guard = securityHeaders({
      preset: 'web',
      cspReportOnly: true,
      reportingEndpoints: { 'csp-endpoint': 'https://reports.example/csp' },
      csp: { 'report-to': 'csp-endpoint' },
    });
    const headers = headersOf(run(guard));
    expect(headers['reporting-endpoints']).toBe('csp-endpoint="https://reports.example/csp"');
    expect(headers['content-security-policy-report-only']).toMatch(/; report-to csp-endpoint$/);
  });

  it('refuses a report-to naming no endpoint (reports would silently go nowhere)', () => {
    expect(() => securityHeaders({ csp: { 'report-to': 'csp' } })).toThrow(/report-to/);
  });

  it('attack: injection and clear-text endpoints refused', () => {
    expect(() => securityHeaders({ reportingEndpoints: { csp: 'http://reports.example/' } })).toThrow(/https/);
    expect(() => securityHeaders({ reportingEndpoints: { csp: 'https://r.example/"\r\nx: y' } })).toThrow(ConfigurationError);
    expect(() => securityHeaders({ reportingEndpoints: { 'csp="x", y': 'https://r.example/' } })).toThrow(ConfigurationError);
    expect(() => securityHeaders({ reportingEndpoints: {} })).toThrow(ConfigurationError);
  });
});

describe('the guard', () => {
  it('is named, synchronous, and lists the framework headers adapters must remove', () => {
    expect(securityHeaders().guardName).toBe('headers');
    expect(HEADERS_TO_REMOVE).toEqual(['x-powered-by', 'server']);
  });

  it('headers land on refusals by later guards too', () => {
    const refuse: Guard = () => deny(problem(403, 'forbidden', 'Forbidden'));
    const outcome = run([securityHeaders(), refuse]);
    expect(outcome.verdict.action).toBe('deny');
    expect(outcome.headers.get('x-content-type-options')).toBe('nosniff');
    expect(outcome.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('accepts every directive kind in a custom policy', () => {
    const csp: CspDirectives = { 'require-trusted-types-for': ["'script'"], 'trusted-types': ['default'] };
    expect(run(securityHeaders({ preset: 'web', csp })).headers.get('content-security-policy')).toMatch(
      /upgrade-insecure-requests; require-trusted-types-for 'script'; trusted-types default$/,
    );
  });
});
