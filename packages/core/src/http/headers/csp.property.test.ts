/*
 * Property: whatever values go into a policy, the header that comes out either is refused at build time or has
 * exactly the directives that were configured — no CR/LF, no second policy (`,`), no smuggled directive (`;`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { buildCsp, securityHeaders, validateCsp, type CspDirectives } from './index.js';
import { headersOf, run } from './test/run.js';

const BASE: CspDirectives = { 'default-src': ["'self'"], 'object-src': ["'none'"], 'base-uri': ["'none'"] };
const DANGEROUS = [
  ...Array.from("';,\r\n\t \"\\*:/.-=abcAZ09+_"),
  "'self'",
  "'nonce-",
  "'sha256-",
  'https:',
  'script-src',
  '\u0000',
  '\u2028',
  'é',
];
const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom(...DANGEROUS), maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom("'self'", 'https://a.example', 'data:', "'strict-dynamic'", 'self', '*.example.com'),
);

function attempt<T>(build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return undefined;
  }
}

describe('property: no injection through policy values', () => {
  it('a built policy has exactly the configured directives and one token per distinct source', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 5 }), (sources) => {
        const header = attempt(() => buildCsp({ ...BASE, 'img-src': sources }));
        if (header === undefined) return;
        expect(header).toMatch(/^[\x21-\x7e ]+$/);
        expect(header).not.toContain(',');
        const directives = header.split('; ').map((part) => part.split(' '));
        expect(directives.map(([name]) => name)).toEqual(['default-src', 'object-src', 'base-uri', 'img-src']);
        const imgSrc = directives[3] ?? [];
        expect(imgSrc.length - 1).toBe(new Set(imgSrc.slice(1)).size);
        expect(imgSrc.length - 1).toBeLessThanOrEqual(new Set(sources).size);
      }),
      { numRuns: 400 },
    );
  });

  it('report endpoints, report-to and permission origins never break out of their headers', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (name, url, origin) => {
        const guard = attempt(() =>
          securityHeaders({
            reportingEndpoints: { [name]: `https://r.example/${url}` },
            csp: { 'report-to': name },
            permissionsPolicy: { camera: [origin] },
          }),
        );
        if (guard === undefined) return;
        const headers = headersOf(run(guard));
        for (const value of Object.values(headers)) expect(value).toMatch(/^[\x21-\x7e ]+$/);
        expect(headers['reporting-endpoints']).toMatch(/^[a-z*][a-z0-9_.*-]*="https:\/\/r\.example\/[^",;\\\s]*"$/);
        expect(headers['content-security-policy']?.split('; ')).toHaveLength(5);
        // `['*']` is a documented allowlist (every origin) and serialises as the bare token `*`.
        expect(headers['permissions-policy']).toMatch(/, camera=(\*|\((self|"https?:\/\/[^",;\\\s()]+")\))(, |$)/);
      }),
      { numRuns: 300 },
    );
  });

  it('validateCsp never throws on a header value, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...DANGEROUS, 'default-src', "'none'", 'base-uri'), maxLength: 30 }), (header) => {
        for (const found of validateCsp(header)) expect(typeof found.message).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
