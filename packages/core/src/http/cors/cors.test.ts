import { describe, expect, it } from 'vitest';
import { CONTINUE, type Guard } from '../chain/types.js';
import { CORS_PREFLIGHT_REFUSED, cors } from './cors.js';
import { preflight, run } from './test/run.js';

const APP = 'https://app.example.com';

describe('cors: actual requests', () => {
  const guard = cors({ origins: [APP] });

  it('is named for logs and per-route opt-outs', () => {
    expect(guard.guardName).toBe('cors');
  });

  it('sends Vary: Origin even without Origin, and continues: not a CORS request', () => {
    const result = run(guard, 'GET');
    expect(result.outcome.verdict.action).toBe('continue');
    expect(result.header('vary')).toBe('Origin');
    expect(result.header('access-control-allow-origin')).toBeUndefined();
    expect(result.events).toEqual([]);
  });

  it('grants the allowed origin, echoing the exact origin, without credentials by default', () => {
    const result = run(guard, 'GET', { origin: APP });
    expect(result.outcome.verdict.action).toBe('continue');
    expect(result.header('access-control-allow-origin')).toBe(APP);
    expect(result.header('vary')).toBe('Origin');
    expect(result.header('access-control-allow-credentials')).toBeUndefined();
    expect(result.header('access-control-allow-methods')).toBeUndefined();
  });

  it('continues a disallowed origin without CORS headers (the browser withholds the response) and reports it', () => {
    const result = run(guard, 'POST', { origin: 'https://evil.com\r\nx' });
    expect(result.outcome.verdict.action).toBe('continue');
    expect(result.header('access-control-allow-origin')).toBeUndefined();
    expect(result.header('vary')).toBe('Origin');
    expect(result.events).toHaveLength(1);
    expect(result.events[0]?.type).toBe('http.cors.refused');
    expect(result.events[0]?.attributes).toMatchObject({ reason: 'origin_not_allowed', origin: 'https://evil.com\\u000d\\u000ax' });
  });

  it('adds credentials and exposed headers when configured', () => {
    const result = run(cors({ origins: [APP], credentials: true, exposeHeaders: ['X-Total-Count'] }), 'GET', { origin: APP });
    expect(result.header('access-control-allow-origin')).toBe(APP);
    expect(result.header('access-control-allow-credentials')).toBe('true');
    expect(result.header('access-control-expose-headers')).toBe('x-total-count');
  });

  it('treats OPTIONS without Access-Control-Request-Method as an actual request', () => {
    const result = run(guard, 'OPTIONS', { origin: APP });
    expect(result.outcome.verdict.action).toBe('continue');
    expect(result.header('access-control-allow-origin')).toBe(APP);
  });

  it('keeps a Vary value an earlier guard set', () => {
    const compress: Guard = (_request, context) => {
      context.response.appendList('vary', 'Accept-Encoding');
      return CONTINUE;
    };
    expect(run([compress, guard], 'GET', { origin: APP }).header('vary')).toBe('Accept-Encoding, Origin');
  });
});

describe('cors: preflights', () => {
  const guard = cors({ origins: [APP], methods: ['GET', 'PUT', 'DELETE'], allowHeaders: ['content-type', 'x-csrf-token'], maxAgeSeconds: 300 });

  it('answers an allowed preflight itself with 204 and precomputed headers', () => {
    const result = preflight(guard, APP, 'PUT', { 'access-control-request-headers': 'content-type,x-csrf-token' });
    expect(result.outcome.verdict).toEqual({ action: 'respond', status: 204 });
    expect(result.header('access-control-allow-origin')).toBe(APP);
    expect(result.header('access-control-allow-methods')).toBe('GET, PUT, DELETE');
    expect(result.header('access-control-allow-headers')).toBe('content-type, x-csrf-token');
    expect(result.header('access-control-max-age')).toBe('300');
    expect(result.header('access-control-allow-credentials')).toBeUndefined();
    expect(result.header('access-control-allow-private-network')).toBeUndefined();
    expect(result.header('vary')).toBe(
      'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network',
    );
    expect(result.events).toEqual([]);
  });

  it('lets the safelisted methods through a preflight even when not listed', () => {
    const result = preflight(cors({ origins: [APP], methods: ['PUT'] }), APP, 'POST', { 'access-control-request-headers': 'content-type' });
    expect(result.outcome.verdict.action).toBe('respond');
  });

  it('matches header names case-insensitively', () => {
    const result = preflight(guard, APP, 'PUT', { 'access-control-request-headers': 'Content-Type, X-CSRF-Token' });
    expect(result.outcome.verdict.action).toBe('respond');
  });

  const refusals: [string, string, string, Record<string, string>, string][] = [
    ['a disallowed origin', 'https://evil.com', 'PUT', {}, 'preflight_origin_not_allowed'],
    ['a method not in the allowlist', APP, 'PATCH', {}, 'method_not_allowed'],
    ['a method in another case than listed (Fetch compares it byte for byte)', APP, 'put', {}, 'method_not_allowed'],
    ['a method that is not a token', APP, 'PUT, DELETE', {}, 'method_not_allowed'],
    ['a header not in the allowlist', APP, 'PUT', { 'access-control-request-headers': 'content-type,x-admin' }, 'headers_not_allowed'],
    ['a malformed header list', APP, 'PUT', { 'access-control-request-headers': 'content-type x-csrf-token' }, 'headers_malformed'],
    ['a Private Network Access preflight', APP, 'GET', { 'access-control-request-private-network': 'true' }, 'private_network_not_allowed'],
  ];
  for (const [name, origin, method, extra, reason] of refusals) {
    it(`attack: refuses ${name} with a generic 403 and no CORS grant`, () => {
      const result = preflight(guard, origin, method, extra);
      expect(result.outcome.verdict).toEqual({ action: 'deny', problem: CORS_PREFLIGHT_REFUSED });
      expect(JSON.stringify(CORS_PREFLIGHT_REFUSED)).not.toContain(origin === APP ? method : origin);
      for (const header of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers']) {
        expect(result.header(header)).toBeUndefined();
      }
      expect(result.header('vary')).toMatch(/^Origin, /);
      expect(result.events.map((event) => [event.type, event.attributes?.reason])).toEqual([['http.cors.refused', reason]]);
    });
  }

  it('answers a Private Network Access preflight only when enabled, and only for allowed origins', () => {
    const pna = cors({ origins: [APP], privateNetwork: true });
    const allowed = preflight(pna, APP, 'GET', { 'access-control-request-private-network': 'true' });
    expect(allowed.outcome.verdict.action).toBe('respond');
    expect(allowed.header('access-control-allow-private-network')).toBe('true');
    const plain = preflight(pna, APP, 'GET');
    expect(plain.header('access-control-allow-private-network')).toBeUndefined();
    const evil = preflight(pna, 'https://evil.com', 'GET', { 'access-control-request-private-network': 'true' });
    expect(evil.outcome.verdict.action).toBe('deny');
    expect(evil.header('access-control-allow-private-network')).toBeUndefined();
  });

  it('sends credentials on an allowed preflight when configured', () => {
    const result = preflight(cors({ origins: [APP], credentials: true }), APP, 'POST', { 'access-control-request-headers': 'authorization' });
    expect(result.header('access-control-allow-credentials')).toBe('true');
    expect(result.header('access-control-allow-origin')).toBe(APP);
  });
});

describe('cors: public resources (origins: ["*"])', () => {
  const guard = cors({ origins: ['*'] });

  it('answers "*" — never an echo — and still varies on Origin', () => {
    const result = run(guard, 'GET', { origin: 'https://anyone.example' });
    expect(result.header('access-control-allow-origin')).toBe('*');
    expect(result.header('access-control-allow-credentials')).toBeUndefined();
    expect(result.header('vary')).toBe('Origin');
  });

  it('still checks preflight methods and headers', () => {
    expect(preflight(guard, 'https://anyone.example', 'GET').header('access-control-allow-origin')).toBe('*');
    expect(preflight(guard, 'https://anyone.example', 'DELETE').outcome.verdict.action).toBe('deny');
    expect(preflight(guard, 'https://anyone.example', 'GET', { 'access-control-request-headers': 'x-admin' }).outcome.verdict.action).toBe('deny');
  });
});
