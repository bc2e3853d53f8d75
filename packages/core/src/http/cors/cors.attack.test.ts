/*
 * Attack: a hostile page tries to be granted Access-Control-Allow-Origin (and so read the API's responses, with the
 * user's cookies when credentials are on) by sending an Origin that a sloppy matcher confuses with the allowed one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Guard } from '../chain/types.js';
import { cors } from './cors.js';
import { preflight, run } from './test/run.js';

const APP = 'https://app.example.com';

/** The acceptance list, and more spellings of the same tricks. None may be granted when only APP is allowed. */
const HOSTILE = [
  'https://evil.com',
  'null',
  'https://app.example.com.evil.com',
  'https://evilapp.example.com',
  'https://app-example.com',
  'http://app.example.com',
  'https://app.example.com:8443',
  'https://app.example.com%60evil.com',
  'https://app.example.com`evil.com',
  'https://APP.EXAMPLE.COM.',
  'https://APP.EXAMPLE.COM',
  'https://App.example.com',
  'HTTPS://app.example.com',
  'https://app.example.com.',
  'https://app.example.com..',
  'https://app.example.com/',
  'https://app.example.com/path',
  'https://app.example.com?',
  'https://app.example.com#',
  'https://app.example.com:443',
  'https://app.example.com:0443',
  'https://app.example.com:',
  'https://app.example.com@evil.com',
  'https://evil.com@app.example.com',
  'https://app.example.com:x@evil.com',
  'https://app.example.com\\evil.com',
  'https://app.example.com\\@evil.com',
  'https:\\\\app.example.com',
  'https:/app.example.com',
  'https:app.example.com',
  '//app.example.com',
  'app.example.com',
  ' https://app.example.com',
  'https://app.example.com ',
  'https://app.example.com\t',
  'https://app.example.com\u0000',
  'https://app.example.com\u0000.evil.com',
  'https://app.exam\nple.com',
  'https://app%2eexample.com',
  'https://%61pp.example.com',
  'https://app.example.com%2e',
  'https://\u0430pp.example.com', // Cyrillic а
  'https://xn--pp-6kc.example.com', // the same homoglyph, as punycode
  'https://app.example.com\u3002', // ideographic full stop: a dot to IDNA
  'https://app\uff0eexample\uff0ecom', // full-width dots
  'https://ａｐｐ.example.com', // full-width letters, NFKC-folded by IDNA
  'https://app.example.com, https://evil.com', // two Origin headers, joined
  'https://evil.com, https://app.example.com',
  'https://app.example.com.',
  'wss://app.example.com',
  'ftp://app.example.com',
  'blob:https://app.example.com',
  '*',
  '',
  'https://',
];

const configs: [string, Guard][] = [
  ['exact origin', cors({ origins: [APP] })],
  ['exact origin with credentials', cors({ origins: [APP], credentials: true })],
  ['exact origin plus an unrelated pattern (slow path)', cors({ origins: [APP], patterns: ['https://*.example.net'] })],
];

function granted(guard: Guard, origin: string): boolean {
  const actual = run(guard, 'GET', { origin });
  const pre = preflight(guard, origin, 'POST', { 'access-control-request-headers': 'content-type' });
  for (const result of [actual, pre]) {
    expect(result.header('vary')).toMatch(/^Origin\b/);
    if (result.header('access-control-allow-credentials') !== undefined) expect(result.header('access-control-allow-origin')).toBe(origin);
  }
  const actualGrant = actual.header('access-control-allow-origin');
  const preGrant = pre.header('access-control-allow-origin');
  expect(actualGrant === undefined).toBe(preGrant === undefined);
  return actualGrant !== undefined;
}

/** Turns APP into a near miss: one of the mutations the acceptance criteria name. */
const mutation: fc.Arbitrary<string> = fc.oneof(
  // letter case
  fc.array(fc.nat({ max: APP.length - 1 }), { minLength: 1, maxLength: 5 }).map((positions) =>
    Array.from({ length: APP.length }, (_, index) => (positions.includes(index) ? APP.charAt(index).toUpperCase() : APP.charAt(index))).join(''),
  ),
  // a character inserted anywhere, appended or prepended (every code point, controls and specials included)
  fc.tuple(fc.nat({ max: APP.length }), fc.string({ minLength: 1, maxLength: 3, unit: 'binary' })).map(
    ([at, text]) => APP.slice(0, at) + text + APP.slice(at),
  ),
  fc.constantFrom('.', '/', '\\', ' ', '\t', '\u0000', '%00', '%2e', '.evil.com', '@evil.com', ':443', '#', '?').map((s) => APP + s),
  // a character removed or replaced
  fc.tuple(fc.nat({ max: APP.length - 1 }), fc.string({ maxLength: 1, unit: 'binary' })).map(
    ([at, ch]) => APP.slice(0, at) + ch + APP.slice(at + 1),
  ),
  // ports, schemes, userinfo
  fc.integer({ min: 0, max: 65535 }).map((port) => `${APP}:${port}`),
  fc.constantFrom('http', 'HTTPS', 'wss', 'ws', 'ftp', 'file', 'blob:https', 'https:', 'http:').map((scheme) => `${scheme}://app.example.com`),
  fc.webSegment().map((user) => `https://${user}@app.example.com`),
  fc.domain().map((host) => `${APP}@${host}`),
  // percent-encoding of one host character
  fc.nat({ max: 'app.example.com'.length - 1 }).map((at) => {
    const host = 'app.example.com';
    const code = host.charCodeAt(at).toString(16).toUpperCase();
    return `https://${host.slice(0, at)}%${code}${host.slice(at + 1)}`;
  }),
  // homoglyphs: Cyrillic а, е, о, р, с and Greek ο in place of their Latin look-alikes
  fc.tuple(fc.nat({ max: 14 }), fc.constantFrom('\u0430', '\u0435', '\u043e', '\u0440', '\u0441', '\u03bf')).map(
    ([at, glyph]) => `https://${'app.example.com'.slice(0, at)}${glyph}${'app.example.com'.slice(at + 1)}`,
  ),
  // other hosts, including ones that end with or start with the allowed one
  fc.domain().chain((host) => fc.constantFrom(`https://${host}`, `https://${host}.app.example.com.evil`, `https://app.example.com.${host}`, `https://${host}app.example.com`)),
);

describe('attack: look-alike origins never get Access-Control-Allow-Origin', () => {
  for (const [name, guard] of configs) {
    describe(name, () => {
      it('grants the allowed origin, with Vary: Origin', () => {
        const result = run(guard, 'GET', { origin: APP });
        expect(result.header('access-control-allow-origin')).toBe(APP);
        expect(result.header('vary')).toBe('Origin');
        expect(preflight(guard, APP, 'POST').outcome.verdict.action).toBe('respond');
      });

      for (const origin of HOSTILE) {
        it(`refuses ${JSON.stringify(origin)}`, () => {
          expect(granted(guard, origin)).toBe(false);
        });
      }

      it('refuses every generated mutation of the allowed origin', () => {
        fc.assert(
          fc.property(mutation, (origin) => {
            fc.pre(origin !== APP);
            expect(granted(guard, origin)).toBe(false);
          }),
          { numRuns: 300 },
        );
      });
    });
  }
});

describe('attack: patterns are matched on the parsed origin, anchored at a dot', () => {
  const guard = cors({ origins: [], patterns: ['https://*.example.com'] });

  it('grants one-label subdomains', () => {
    for (const origin of ['https://a.example.com', 'https://app.example.com', 'https://x-1.example.com']) expect(granted(guard, origin)).toBe(true);
  });

  it('refuses suffix, substring, scheme, depth and spelling tricks', () => {
    for (const origin of [
      'https://example.com',
      'https://example.com.evil.com',
      'https://evilexample.com',
      'https://a.example.com.evil.com',
      'https://a.evilexample.com',
      'http://a.example.com',
      'https://a.b.example.com',
      'https://a.example.com:8443',
      'https://a.example.com.',
      'https://A.example.com',
      'https://a.example.com/',
      'https://a.example.com@evil.com',
      'https://evil.com\\.example.com',
      'https://evil.com#.example.com',
      'https://evil.com?.example.com',
      'https://a`b.example.com',
      'https://a%2eb.example.com',
      'null',
    ]) {
      expect(granted(guard, origin), origin).toBe(false);
    }
  });

  it('grants only canonical one-label https subdomains of example.com, whatever the input', () => {
    const grantable = /^https:\/\/[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.example\.com$/;
    fc.assert(
      fc.property(fc.oneof(mutation, fc.webUrl(), fc.string({ maxLength: 40, unit: 'binary' }).map((s) => `https://${s}.example.com`)), (origin) => {
        if (granted(guard, origin)) expect(origin).toMatch(grantable);
      }),
      { numRuns: 500 },
    );
  });

  it('is refused with credentials unless named, and then still anchored', () => {
    const credentialed = cors({ origins: [], patterns: ['https://*.example.com'], credentials: true, allowCredentialsWithPatterns: true });
    expect(run(credentialed, 'GET', { origin: 'https://a.example.com' }).header('access-control-allow-credentials')).toBe('true');
    expect(granted(credentialed, 'https://a.example.com.evil.com')).toBe(false);
  });
});

describe('attack: null and the wildcard', () => {
  it('never grants the opaque origin null: it cannot even be configured', () => {
    expect(() => cors({ origins: ['null'] })).toThrow(/opaque/);
    expect(granted(cors({ origins: [APP] }), 'null')).toBe(false);
  });

  it('refuses credentials with the wildcard when the chain is built', () => {
    expect(() => cors({ origins: ['*'], credentials: true })).toThrow(/credentials/);
  });

  it('never reflects an origin under the wildcard, so no credentialed grant is possible', () => {
    fc.assert(
      fc.property(mutation, (origin) => {
        const result = run(cors({ origins: ['*'] }), 'GET', { origin });
        expect(result.header('access-control-allow-origin')).toBe('*');
        expect(result.header('access-control-allow-credentials')).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });
});

describe('Vary: Origin is always present', () => {
  it('on every outcome: no origin, allowed, refused, preflight allowed and refused', () => {
    const guard = cors({ origins: [APP] });
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'OPTIONS', 'PUT'),
        fc.option(fc.oneof(fc.constant(APP), mutation), { nil: undefined }),
        fc.option(fc.constantFrom('GET', 'PUT', 'POST'), { nil: undefined }),
        (method, origin, requestMethod) => {
          const headers: Record<string, string> = {};
          if (origin !== undefined) headers.origin = origin;
          if (requestMethod !== undefined) headers['access-control-request-method'] = requestMethod;
          expect(run(guard, method, headers).header('vary')).toMatch(/^Origin(, |$)/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
