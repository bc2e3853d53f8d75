import { describe, expect, it } from 'vitest';
import { parseCookies } from './parse.js';

describe('parseCookies', () => {
  it('reads name=value pairs separated by "; "', () => {
    const cookies = parseCookies('__Host-sid=abc; theme=dark;lang=en');
    expect([...cookies]).toEqual([
      ['__Host-sid', 'abc'],
      ['theme', 'dark'],
      ['lang', 'en'],
    ]);
  });

  it('keeps values verbatim, including "=" and quotes, trimming only SP and HTAB', () => {
    const cookies = parseCookies(' a = x=y ;\tb="q" ; c=');
    expect(cookies.get('a')).toBe('x=y');
    expect(cookies.get('b')).toBe('"q"');
    expect(cookies.get('c')).toBe('');
  });

  it('attack: a duplicate sent later does not override the first (cookie tossing, last-wins parsers)', () => {
    const cookies = parseCookies('__Host-sid=real; __Host-sid=tossed');
    expect(cookies.get('__Host-sid')).toBe('real');
  });

  it('attack: exotic whitespace does not make a look-alike pass for a __Host- cookie', () => {
    const cookies = parseCookies('\u2000__Host-sid=evil; \u00a0__Host-sid=evil2; \ufeff__Host-sid=evil3');
    expect(cookies.has('__Host-sid')).toBe(false);
    expect(cookies.size).toBe(0);
  });

  it('ignores pairs without "=", empty names and non-token names', () => {
    const cookies = parseCookies('flag; =v; a b=1; ok=1; (x)=2; ;;');
    expect([...cookies]).toEqual([['ok', '1']]);
  });

  it('attack: an oversized header reads as no cookies', () => {
    expect(parseCookies(`a=1; ${'x'.repeat(9000)}=1`).size).toBe(0);
    expect(parseCookies('a=1', { maxHeaderLength: 2 }).size).toBe(0);
  });

  it('attack: a header with thousands of pairs is read only up to maxCookies', () => {
    const header = Array.from({ length: 1000 }, (_, i) => `c${i}=v`).join('; ');
    const cookies = parseCookies(header, { maxHeaderLength: 100_000 });
    expect(cookies.size).toBe(100);
    expect(cookies.has('c0')).toBe(true);
    expect(cookies.has('c100')).toBe(false);
    expect(parseCookies(header, { maxHeaderLength: 100_000, maxCookies: 3 }).size).toBe(3);
  });

  it('percent-decodes only when asked, and keeps malformed escapes raw', () => {
    expect(parseCookies('a=x%20y').get('a')).toBe('x%20y');
    expect(parseCookies('a=x%20y; b=%E0%A4%A; c=%', { decode: 'percent' })).toEqual(
      new Map([
        ['a', 'x y'],
        ['b', '%E0%A4%A'],
        ['c', '%'],
      ]),
    );
  });

  it('returns an empty map for missing or non-string input', () => {
    expect(parseCookies(undefined).size).toBe(0);
    expect(parseCookies(null).size).toBe(0);
    expect(parseCookies('').size).toBe(0);
    expect(parseCookies(42 as unknown as string).size).toBe(0);
  });

  it('attack: control characters and CR LF in a header never throw', () => {
    const cookies = parseCookies('a=1\r\nSet-Cookie: x=y; b=\u0000; \u0000=1');
    expect(cookies.get('a')).toBe('1\r\nSet-Cookie: x=y');
    expect(cookies.get('b')).toBe('\u0000');
  });
});
