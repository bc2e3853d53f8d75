/*
 * The CSP builder. Attacks: header injection through directive values ("'self'; script-src *", CR/LF), a misspelt
 * directive silently dropping protection, a fixed (hence predictable) nonce, a malformed hash.
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { buildCsp, cspHash, NONCE, type CspDirectives } from './index.js';

const SAFE: CspDirectives = { 'default-src': ["'self'"], 'object-src': ["'none'"], 'base-uri': ["'none'"] };
const NONCE_VALUE = 'AAAAAAAAAAAAAAAAAAAAAA==';

function refusal(build: () => unknown): ConfigurationError {
  try {
    build();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
}

describe('buildCsp', () => {
  it('serializes directives in the order given', () => {
    expect(buildCsp({ ...SAFE, 'img-src': ["'self'", 'https://img.example', 'data:'], 'upgrade-insecure-requests': true })).toBe(
      "default-src 'self'; object-src 'none'; base-uri 'none'; img-src 'self' https://img.example data:; upgrade-insecure-requests",
    );
  });

  it('quotes bare keywords, which a browser would read as host names', () => {
    expect(buildCsp({ 'default-src': ['self'], 'object-src': ['none'], 'base-uri': ['SELF'] })).toBe(
      "default-src 'self'; object-src 'none'; base-uri 'self'",
    );
  });

  it('fills the nonce placeholder and requires a 128-bit nonce for it', () => {
    const policy = { ...SAFE, 'script-src': [NONCE, "'strict-dynamic'"] };
    expect(buildCsp(policy, { nonce: NONCE_VALUE })).toContain(`script-src 'nonce-${NONCE_VALUE}' 'strict-dynamic'`);
    expect(refusal(() => buildCsp(policy)).message).toMatch(/nonce/);
    expect(refusal(() => buildCsp(policy, { nonce: 'short' })).message).toMatch(/16 random bytes/);
    expect(refusal(() => buildCsp(policy, { nonce: `${NONCE_VALUE}; script-src *` })).message).toMatch(/nonce/);
  });

  it('removes a directive set to false and writes an empty list as none', () => {
    expect(buildCsp({ ...SAFE, 'img-src': false, 'media-src': [] })).toBe("default-src 'self'; object-src 'none'; base-uri 'none'; media-src 'none'");
  });

  it('accepts well-formed hashes and computes them', () => {
    expect(cspHash('')).toBe("'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
    const hashes = [cspHash('alert(1)'), cspHash('x', 'sha384'), cspHash('x', 'sha512'), "'SHA256-47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'"];
    const policy = buildCsp({ ...SAFE, 'script-src': hashes });
    for (const hash of hashes.slice(0, 3)) expect(policy).toContain(hash);
    expect(policy).toContain("'sha256-47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU'");
  });

  it('sandbox, trusted types and report-uri', () => {
    expect(
      buildCsp({
        ...SAFE,
        sandbox: ['allow-scripts'],
        'require-trusted-types-for': ["'script'"],
        'trusted-types': ['default', "'allow-duplicates'"],
        'report-uri': ['https://reports.example/csp?x=1'],
      }),
    ).toBe(
      "default-src 'self'; object-src 'none'; base-uri 'none'; sandbox allow-scripts; require-trusted-types-for 'script'; " +
        "trusted-types default 'allow-duplicates'; report-uri https://reports.example/csp?x=1",
    );
    expect(buildCsp({ ...SAFE, sandbox: [] })).toMatch(/; sandbox$/);
  });
});

describe('attack: header injection through directive values', () => {
  const injections = [
    "'self'; script-src *",
    "'self' ; script-src *",
    "https://a.example;script-src *",
    'https://a.example,script-src *',
    "'self'\r\nSet-Cookie: sid=attacker",
    'https://a.example\nx: y',
    "'self' https://evil.example",
    "'self",
    "'nonce-'",
    '"self"',
    'https://a.example/pa th',
    'https://exämple.com',
    '',
  ];
  for (const value of injections) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      expect(refusal(() => buildCsp({ ...SAFE, 'img-src': [value] })).code).toBe('CONFIGURATION_INVALID');
    });
  }

  it('refuses injection through report-uri, sandbox, report-to and trusted-types', () => {
    expect(() => buildCsp({ ...SAFE, 'report-uri': ['https://r.example/a;script-src *'] })).toThrow(ConfigurationError);
    expect(() => buildCsp({ ...SAFE, 'report-uri': ['https://r.example/a,b'] })).toThrow(ConfigurationError);
    expect(() => buildCsp({ ...SAFE, sandbox: ['allow-scripts; script-src *'] })).toThrow(ConfigurationError);
    expect(() => buildCsp({ ...SAFE, 'report-to': 'csp; script-src *' })).toThrow(ConfigurationError);
    expect(() => buildCsp({ ...SAFE, 'trusted-types': ['a;b'] })).toThrow(ConfigurationError);
    expect(() => buildCsp({ ...SAFE, 'require-trusted-types-for': ["'script'; x"] })).toThrow(ConfigurationError);
  });

  it('refuses report URLs over plain http (reports carry page URLs) except to the local machine', () => {
    expect(() => buildCsp({ ...SAFE, 'report-uri': ['http://reports.example/csp'] })).toThrow(/https/);
    expect(() => buildCsp({ ...SAFE, 'report-uri': ['https://user:pw@reports.example/'] })).toThrow(/credentials/);
    expect(buildCsp({ ...SAFE, 'report-uri': ['http://localhost:9000/csp'] })).toContain('report-uri http://localhost:9000/csp');
  });
});

describe('attack: policies that look protective and are not', () => {
  it('refuses an unknown (misspelt) directive instead of dropping it', () => {
    const typo = { ...SAFE, 'script-scr': ["'self'"] } as unknown as CspDirectives;
    expect(refusal(() => buildCsp(typo)).message).toMatch(/unknown directive/);
  });

  it('refuses a fixed nonce: known in advance, it lets an attacker mark injected scripts', () => {
    expect(refusal(() => buildCsp({ ...SAFE, 'script-src': [`'nonce-${NONCE_VALUE}'`] })).message).toMatch(/fixed nonce/);
  });

  it('refuses malformed hashes', () => {
    for (const hash of ["'sha256-abc'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=='", "'sha1-AAAA'", "'sha256-!!!!'"]) {
      expect(() => buildCsp({ ...SAFE, 'script-src': [hash] }), hash).toThrow(ConfigurationError);
    }
  });

  it("refuses 'none' next to other sources (browsers ignore it there)", () => {
    expect(refusal(() => buildCsp({ ...SAFE, 'img-src': ["'none'", 'https://a.example'] })).message).toMatch(/'none'/);
  });

  it('refuses nonces, hashes and unsafe keywords in frame-ancestors', () => {
    expect(() => buildCsp({ ...SAFE, 'frame-ancestors': [NONCE] })).toThrow(ConfigurationError);
    expect(() => buildCsp({ ...SAFE, 'frame-ancestors': ["'unsafe-inline'"] })).toThrow(ConfigurationError);
    expect(buildCsp({ ...SAFE, 'frame-ancestors': ["'self'", 'https://parent.example'] })).toContain("frame-ancestors 'self' https://parent.example");
  });

  it('refuses non-array values', () => {
    expect(() => buildCsp({ ...SAFE, 'img-src': "'self'" } as unknown as CspDirectives)).toThrow(ConfigurationError);
    expect(() => buildCsp({ ...SAFE, 'upgrade-insecure-requests': 'yes' } as unknown as CspDirectives)).toThrow(ConfigurationError);
  });
});
