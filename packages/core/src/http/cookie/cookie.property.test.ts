import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCookies } from './parse.js';
import { serializeCookie } from './serialize.js';

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".split('');
const COOKIE_OCTETS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
  (c) => !'",;\\'.includes(c),
);

const name = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 20 });
const value = fc.string({ unit: fc.constantFrom(...COOKIE_OCTETS), maxLength: 60 });

/** The `name=value` part a browser sends back in the Cookie header. */
function pairOf(setCookie: string): string {
  return setCookie.slice(0, setCookie.indexOf('; '));
}

describe('cookie properties', () => {
  it('serialize → parse returns the value for every valid name and value', () => {
    fc.assert(
      fc.property(name, value, (n, v) => {
        const header = serializeCookie(n, v, { prefix: 'none' });
        expect(parseCookies(pairOf(header)).get(n)).toBe(v);
      }),
    );
  });

  it('serialize → parse with percent encoding round-trips any well-formed string', () => {
    fc.assert(
      fc.property(name, fc.string({ unit: 'grapheme', maxLength: 30 }), (n, v) => {
        const header = serializeCookie(n, v, { encoding: 'percent' });
        expect(parseCookies(`other=1; ${pairOf(header)}`, { decode: 'percent' }).get(`__Host-${n}`)).toBe(v);
      }),
    );
  });

  it('serialize never emits a control, a header break or an extra attribute: it refuses instead', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 40 }), (n, v) => {
        let header: string;
        try {
          header = serializeCookie(n, v);
        } catch {
          return;
        }
        expect(header).not.toMatch(/\p{Cc}/u);
        expect(header.split('; ')).toHaveLength(5);
      }),
    );
  });

  it('parse never throws on arbitrary strings, in either decode mode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (header) => {
        expect(parseCookies(header)).toBeInstanceOf(Map);
        expect(parseCookies(header, { decode: 'percent' })).toBeInstanceOf(Map);
      }),
    );
  });

  it('parse never throws on cookie-shaped garbage with broken escapes', () => {
    const piece = fc.constantFrom('=', ';', ' ', '%', '%E0', '%ZZ', '"', '\r\n', '\u0000', '__Host-sid', 'a', '\uD800');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const cookies = parseCookies(pieces.join(''), { decode: 'percent' });
        for (const [k] of cookies) expect(k.length).toBeGreaterThan(0);
      }),
    );
  });
});
