import { describe, expect, it } from 'vitest';
import { CookieError } from './error.js';
import { cookieName, serializeCookie, serializeCookieDeletion, type CookieOptions } from './serialize.js';

function refusal(fn: () => unknown): CookieError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CookieError) return error;
    throw error;
  }
  throw new Error('expected a CookieError');
}

describe('serializeCookie defaults', () => {
  it('writes __Host-, Path=/, Secure, HttpOnly, SameSite=Lax and no Domain', () => {
    expect(serializeCookie('sid', 'abc')).toBe('__Host-sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax');
  });

  it('keeps a prefix already in the name and resolves names the same way for reading', () => {
    expect(serializeCookie('__Secure-id', 'v')).toBe('__Secure-id=v; Path=/; Secure; HttpOnly; SameSite=Lax');
    expect(cookieName('sid')).toBe('__Host-sid');
    expect(cookieName('__Host-sid')).toBe('__Host-sid');
    expect(cookieName('sid', { prefix: 'none' })).toBe('sid');
    expect(cookieName('sid', { prefix: '__Secure-' })).toBe('__Secure-sid');
  });

  it('writes every attribute asked for', () => {
    const header = serializeCookie('pref', 'x', {
      prefix: '__Secure-',
      path: '/app',
      domain: 'Example.com',
      maxAge: 3600,
      expires: new Date(Date.UTC(2030, 0, 1)),
      sameSite: 'Strict',
      partitioned: true,
      allowScriptAccess: true,
    });
    expect(header).toBe(
      '__Secure-pref=x; Path=/app; Domain=example.com; Max-Age=3600; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Secure; SameSite=Strict; Partitioned',
    );
  });

  it('accepts a properly quoted value and an empty value', () => {
    expect(serializeCookie('q', '"abc"')).toMatch(/^__Host-q="abc"; /);
    expect(serializeCookie('e', '')).toMatch(/^__Host-e=; /);
  });

  it('encodes only when asked by name', () => {
    expect(serializeCookie('v', 'a b;c', { encoding: 'percent' })).toMatch(/^__Host-v=a%20b%3Bc; /);
    expect(refusal(() => serializeCookie('v', '\uD800', { encoding: 'percent' })).field).toBe('value');
  });

  it('deletes with the same scope it was written with', () => {
    expect(serializeCookieDeletion('sid')).toBe('__Host-sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax');
  });

  it('omits Secure only with allowInsecure and no prefix', () => {
    expect(serializeCookie('dev', 'x', { prefix: 'none', allowInsecure: true })).toBe('dev=x; Path=/; HttpOnly; SameSite=Lax');
  });
});

describe('attack: attribute injection through the value', () => {
  const attacks = [
    'v; Domain=evil.com',
    'v;Path=/admin',
    'v\r\nSet-Cookie: admin=1',
    'v\nX: y',
    'v\u0000',
    'v\u007f',
    'a,b',
    'a b',
    'a\tb',
    'a"b',
    '"unterminated',
    'a\\b',
    'caf\u00e9',
  ];
  it.each(attacks)('refuses %j with COOKIE_INVALID', (value) => {
    const error = refusal(() => serializeCookie('sid', value));
    expect(error.code).toBe('COOKIE_INVALID');
    expect(error.field).toBe('value');
    // The refused value may be a secret; it never appears in the message.
    expect(error.message).not.toContain(value);
  });
});

describe('attack: injection through the name and attributes', () => {
  it.each(['', 'a b', 'a;b', 'a=b', 'a\r\nb', 'sid\u0000', 'caf\u00e9', '(x)'])('refuses name %j', (name) => {
    expect(refusal(() => serializeCookie(name, 'v')).field).toBe('name');
  });

  it.each(['evil.com; Secure', '.example.com', 'example.com\r\nX: y', 'a..b', '-a.com', 'example.com:8080', 'exa mple.com', ''])(
    'refuses Domain %j',
    (domain) => {
      expect(refusal(() => serializeCookie('sid', 'v', { prefix: 'none', domain })).field).toBe('domain');
    },
  );

  it.each(['/a; Domain=evil.com', 'relative', '/a\r\nX: y', '/a b', '/a,b', ''])('refuses Path %j', (path) => {
    expect(refusal(() => serializeCookie('sid', 'v', { prefix: 'none', path })).field).toBe('path');
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 400 * 86_400 + 1])('refuses Max-Age %s', (maxAge) => {
    expect(refusal(() => serializeCookie('sid', 'v', { maxAge })).field).toBe('maxAge');
  });

  it('refuses an invalid Expires date', () => {
    expect(refusal(() => serializeCookie('sid', 'v', { expires: new Date(Number.NaN) })).field).toBe('expires');
  });

  it('refuses unknown SameSite and encoding values from untyped callers', () => {
    const sameSite = 'none' as unknown as CookieOptions['sameSite'];
    expect(refusal(() => serializeCookie('sid', 'v', { sameSite })).field).toBe('sameSite');
    const encoding = 'base64' as unknown as CookieOptions['encoding'];
    expect(refusal(() => serializeCookie('sid', 'v', { encoding })).field).toBe('options');
  });

  it('refuses a cookie browsers would silently drop for size', () => {
    expect(refusal(() => serializeCookie('sid', 'x'.repeat(4096))).field).toBe('size');
  });
});

describe('attack: weakening the prefix rules', () => {
  it('refuses __Host- with a Domain (cookie shared with, and overwritable from, subdomains)', () => {
    expect(refusal(() => serializeCookie('sid', 'v', { domain: 'example.com' })).field).toBe('prefix');
    expect(refusal(() => serializeCookie('__Host-sid', 'v', { domain: 'example.com' })).field).toBe('prefix');
  });

  it('refuses __Host- with a Path other than /', () => {
    expect(refusal(() => serializeCookie('sid', 'v', { path: '/app' })).field).toBe('prefix');
  });

  it('refuses prefixed cookies without Secure', () => {
    expect(refusal(() => serializeCookie('sid', 'v', { allowInsecure: true })).field).toBe('prefix');
    expect(refusal(() => serializeCookie('sid', 'v', { prefix: '__Secure-', allowInsecure: true })).field).toBe('prefix');
  });

  it('refuses a non-canonical or conflicting prefix', () => {
    expect(refusal(() => serializeCookie('__HOST-sid', 'v')).field).toBe('prefix');
    expect(refusal(() => serializeCookie('__Host-sid', 'v', { prefix: 'none' })).field).toBe('prefix');
    expect(refusal(() => serializeCookie('__Host-', 'v')).field).toBe('name');
    const prefix = '__Evil-' as unknown as CookieOptions['prefix'];
    expect(refusal(() => serializeCookie('sid', 'v', { prefix })).field).toBe('prefix');
  });

  it('refuses SameSite=None without Secure (cross-site cookie over plain http)', () => {
    expect(refusal(() => serializeCookie('sid', 'v', { prefix: 'none', allowInsecure: true, sameSite: 'None' })).field).toBe('sameSite');
    expect(serializeCookie('sid', 'v', { sameSite: 'None' })).toContain('; Secure; HttpOnly; SameSite=None');
  });

  it('refuses Partitioned without Secure', () => {
    expect(refusal(() => serializeCookie('sid', 'v', { prefix: 'none', allowInsecure: true, partitioned: true })).field).toBe(
      'partitioned',
    );
  });
});
