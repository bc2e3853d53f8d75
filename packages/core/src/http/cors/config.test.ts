import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { compileCors, MAX_MAX_AGE_SECONDS } from './config.js';
import type { CorsOptions } from './options.js';

const APP = 'https://app.example.com';

function build(options: Partial<CorsOptions>): ReturnType<typeof compileCors> {
  return compileCors({ origins: [APP], ...options });
}

describe('compileCors: defaults', () => {
  it('is closed by default: no credentials, simple methods, three headers, 600 s, no PNA, nothing exposed', () => {
    const config = build({});
    expect(config).toMatchObject({
      wildcard: false,
      credentials: false,
      privateNetwork: false,
      allowMethodsValue: 'GET, HEAD, POST',
      allowHeadersValue: 'content-type, authorization, x-csrf-token',
      exposeHeadersValue: undefined,
      maxAgeValue: '600',
    });
    expect([...config.exact]).toEqual([APP]);
  });

  it('canonicalizes origins, normalizes methods as Fetch does and lower-cases header names', () => {
    const config = build({
      origins: ['HTTPS://APP.example.com/'],
      methods: ['put', 'Delete', 'PATCH', 'patch'],
      allowHeaders: ['X-Request-Id', 'x-request-id'],
      exposeHeaders: ['X-Total-Count'],
    });
    expect([...config.exact]).toEqual([APP]);
    expect(config.allowMethodsValue).toBe('PUT, DELETE, PATCH, patch');
    expect(config.preflightMethods.has('GET')).toBe(true);
    expect(config.allowHeadersValue).toBe('x-request-id');
    expect(config.exposeHeadersValue).toBe('x-total-count');
  });
});

describe('compileCors: refused at build time', () => {
  const refused: [string, Partial<CorsOptions>][] = [
    ['credentials with the wildcard origin', { origins: ['*'], credentials: true }],
    ['wildcard mixed with origins', { origins: ['*', APP] }],
    ['wildcard with patterns', { origins: ['*'], patterns: ['https://*.example.com'] }],
    ['wildcard with private network access', { origins: ['*'], privateNetwork: true }],
    ['credentials with patterns, unnamed', { origins: [], patterns: ['https://*.example.com'], credentials: true }],
    ['the null origin', { origins: ['null'] }],
    ['plain http', { origins: ['http://app.example.com'] }],
    ['an origin with a path', { origins: [`${APP}/api`] }],
    ['a wildcard method', { methods: ['*'] }],
    ['a forbidden method', { methods: ['TRACE'] }],
    ['a method that is not a token', { methods: ['GET POST'] }],
    ['a wildcard header', { allowHeaders: ['*'] }],
    ['a header that is not a token', { allowHeaders: ['x-a,x-b'] }],
    ['an unexposable header', { exposeHeaders: ['Set-Cookie'] }],
    ['a wildcard exposed header', { exposeHeaders: ['*'] }],
    ['a negative max-age', { maxAgeSeconds: -1 }],
    ['a fractional max-age', { maxAgeSeconds: 1.5 }],
    ['a max-age over Chromium’s cap', { maxAgeSeconds: MAX_MAX_AGE_SECONDS + 1 }],
  ];
  for (const [name, options] of refused) {
    it(name, () => {
      expect(() => build(options)).toThrow(ConfigurationError);
    });
  }

  it('accepts credentials with patterns only under the named option', () => {
    const config = compileCors({ origins: [], patterns: ['https://*.example.com'], credentials: true, allowCredentialsWithPatterns: true });
    expect(config.credentials).toBe(true);
  });
});

describe('compileCors: loosenings are reported once, by name', () => {
  it('emits config.loosened for each named loosening and nothing for the defaults', () => {
    const events: SecurityEvent[] = [];
    build({ events: (event) => events.push(event) });
    expect(events).toEqual([]);

    compileCors({
      origins: ['http://app.example.com'],
      patterns: ['https://*.example.com'],
      credentials: true,
      allowCredentialsWithPatterns: true,
      allowInsecureOrigins: true,
      privateNetwork: true,
      events: (event) => events.push(event),
    });
    compileCors({ origins: ['*'], events: (event) => events.push(event) });
    expect(events.every((event) => event.type === 'config.loosened')).toBe(true);
    expect(events.map((event) => event.attributes?.option)).toEqual([
      'credentials',
      'allowCredentialsWithPatterns',
      'allowInsecureOrigins',
      'privateNetwork',
      'origins:*',
    ]);
  });

  it('builds even when the event sink throws', () => {
    const throwing = (): void => {
      throw new Error('sink down');
    };
    expect(compileCors({ origins: ['*'], events: throwing }).wildcard).toBe(true);
  });
});
