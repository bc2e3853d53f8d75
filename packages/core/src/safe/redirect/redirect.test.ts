import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, RampartError } from '../../errors.js';
import { readCorpus } from './corpus.fixtures.js';
import { assertSafeRedirect, checkRedirect, redirectPolicy, RedirectRefusedError, safeRedirect } from './index.js';

const APP = 'https://good.com/';
const APP_ORIGIN = 'https://good.com';
const attacks = readCorpus('open-redirect.txt');
const sameOrigin = readCorpus('same-origin.txt');
// eslint-disable-next-line no-control-regex -- asserting the absence of control characters
const CONTROL = /[\0-\x1F\x7F-\x9F\u2028\u2029]/;

/** Where a browser goes when it follows `Location: <location>` from a page on our origin (WHATWG URL, as browsers). */
function destination(location: string): string {
  return new URL(location, APP).origin;
}

describe('attack: open-redirect corpus', () => {
  it('has at least 30 distinct variants', () => {
    expect(new Set(attacks).size).toBe(attacks.length);
    expect(attacks.length).toBeGreaterThanOrEqual(30);
  });

  it.each(attacks.map((p) => [JSON.stringify(p), p]))('refuses %s and falls back to a same-origin target', (_, payload) => {
    const result = checkRedirect(payload);
    expect(result.ok).toBe(false);
    const location = safeRedirect(payload);
    expect(location).toBe('/');
    expect(destination(location)).toBe(APP_ORIGIN);
    expect(location).not.toMatch(CONTROL);
    expect(() => assertSafeRedirect(payload)).toThrow(RedirectRefusedError);
  });

  it('with an allowlist, every payload still ends on our origin or an allowlisted one', () => {
    const policy = redirectPolicy({ allowedOrigins: ['https://accounts.good.com'] });
    for (const payload of attacks) {
      const location = policy.orFallback(payload);
      expect(['https://good.com', 'https://accounts.good.com']).toContain(destination(location));
      expect(location).not.toMatch(CONTROL);
    }
  });

  it('the naive check target.startsWith("/") accepts many of them, and a browser would leave our origin', () => {
    const escaping = attacks.filter((p) => p.startsWith('/') && destination(p) !== APP_ORIGIN);
    expect(escaping).toEqual(expect.arrayContaining(['//evil.com', '///evil.com', '/\\evil.com', '/\t/evil.com', '/\n/evil.com', '//\\evil.com']));
    expect(escaping.length).toBeGreaterThanOrEqual(8);
    for (const payload of escaping) expect(checkRedirect(payload).ok).toBe(false);
  });

  it('naive normalisation (return new URL(target, base).pathname) turns dot-segment payloads into //evil.com', () => {
    const normalized = (target: string): string => new URL(target, APP).pathname;
    for (const payload of ['/.//evil.com', '/a/..//evil.com', '/%2e//evil.com', '/x/%2e%2e//evil.com']) {
      expect(payload.startsWith('/') && !payload.startsWith('//')).toBe(true);
      expect(destination(normalized(payload))).toBe('https://evil.com');
      expect(checkRedirect(payload)).toEqual({ ok: false, reason: 'scheme_relative' });
    }
  });

  it('refusals carry a stable reason and never echo the target in the message', () => {
    for (const payload of attacks) {
      const result = checkRedirect(payload);
      if (result.ok) throw new Error('expected a refusal');
      try {
        assertSafeRedirect(payload);
      } catch (error) {
        expect(error).toBeInstanceOf(RampartError);
        const refused = error as RedirectRefusedError;
        expect(refused.code).toBe('REDIRECT_REFUSED');
        expect(refused.reason).toBe(result.reason);
        expect(refused.message).toBe(`redirect target refused: ${result.reason}`);
        expect(refused.targetPreview).not.toMatch(CONTROL);
        expect(refused.targetPreview.length).toBeLessThanOrEqual(120);
      }
    }
    expect(checkRedirect('//evil.com')).toEqual({ ok: false, reason: 'scheme_relative' });
    expect(checkRedirect('/\\evil.com')).toEqual({ ok: false, reason: 'backslash' });
    expect(checkRedirect('javascript:alert(1)')).toEqual({ ok: false, reason: 'not_relative' });
    expect(checkRedirect('/x%0d%0aSet-Cookie:%20a=b')).toEqual({ ok: false, reason: 'control_character' });
    expect(checkRedirect('/%25252F%25252Fevil.com')).toEqual({ ok: false, reason: 'scheme_relative' });
    expect(checkRedirect('/%252525252Fx')).toEqual({ ok: false, reason: 'too_deeply_encoded' });
  });
});

describe('same-origin targets', () => {
  it.each(sameOrigin.map((p) => [JSON.stringify(p), p]))('accepts %s, normalised, on our origin', (_, target) => {
    const result = checkRedirect(target);
    if (!result.ok) throw new Error(`refused: ${result.reason}`);
    expect(result.value.startsWith('/')).toBe(true);
    expect(result.value.startsWith('//')).toBe(false);
    expect(destination(result.value)).toBe(APP_ORIGIN);
    expect(result.value).toMatch(/^[\x21-\x7E]+$/);
  });

  it('returns the WHATWG serialisation: percent-encoded, dot segments resolved', () => {
    expect(safeRedirect('/account?tab=security#mfa')).toBe('/account?tab=security#mfa');
    expect(safeRedirect('/café/menu')).toBe('/caf%C3%A9/menu');
    expect(safeRedirect('/a/b/../c')).toBe('/a/c');
    expect(safeRedirect('/ /evil.com')).toBe('/%20/evil.com');
    expect(safeRedirect('/.evil.com')).toBe('/.evil.com');
  });

  it('refuses non-strings, empty and overlong targets, and query- or fragment-only targets', () => {
    for (const target of [undefined, null, 42, ['/a'], { toString: () => '/a' }]) expect(checkRedirect(target)).toEqual({ ok: false, reason: 'not_a_string' });
    expect(checkRedirect('')).toEqual({ ok: false, reason: 'empty' });
    expect(checkRedirect(`/${'a'.repeat(2048)}`)).toEqual({ ok: false, reason: 'too_long' });
    expect(checkRedirect(`/${'a'.repeat(99)}`, { maxLength: 100 }).ok).toBe(true);
    expect(checkRedirect('?page=2')).toEqual({ ok: false, reason: 'not_relative' });
    expect(checkRedirect('account')).toEqual({ ok: false, reason: 'not_relative' });
  });
});

describe('allowlisted origins', () => {
  const policy = redirectPolicy({ allowedOrigins: ['https://accounts.good.com', 'https://bücher.example:8443/'] });

  it('accepts absolute URLs whose parsed origin is exactly allowlisted, returning the parsed href', () => {
    expect(policy.check('https://accounts.good.com/login?x=1')).toEqual({ ok: true, value: 'https://accounts.good.com/login?x=1' });
    expect(policy.check('HTTPS://ACCOUNTS.GOOD.COM:443')).toEqual({ ok: true, value: 'https://accounts.good.com/' });
    expect(policy.check('https://xn--bcher-kva.example:8443/a')).toEqual({ ok: true, value: 'https://xn--bcher-kva.example:8443/a' });
    expect(policy.check('https:accounts.good.com/x')).toEqual({ ok: true, value: 'https://accounts.good.com/x' });
  });

  it('attack: look-alike, downgraded, other-port, credential and scheme-relative forms are refused', () => {
    for (const [target, reason] of [
      ['https://accounts.good.com.evil.com/', 'origin_not_allowed'],
      ['https://accounts.good.com@evil.com/', 'credentials'],
      ['https://evil.com#https://accounts.good.com', 'origin_not_allowed'],
      ['http://accounts.good.com/', 'origin_not_allowed'],
      ['https://accounts.good.com:8443/', 'origin_not_allowed'],
      ['https://user:pw@accounts.good.com/', 'credentials'],
      ['//accounts.good.com/', 'scheme_relative'],
      ['https://accounts.good.com\\@evil.com', 'backslash'],
      ['https://accounts.good.com%2F@evil.com', 'credentials'],
      ['https://accounts.good.com/%0d%0aSet-Cookie:a=b', 'control_character'],
      ['https://accounts.good.com/\tx', 'control_character'],
      ['https://accounts.good.com /x', 'malformed'],
      ['https://accounts.good.com%40evil.com', 'malformed'],
      ['javascript://accounts.good.com/%0aalert(1)', 'control_character'],
      ['javascript://accounts.good.com/', 'origin_not_allowed'],
    ] as const) {
      expect(policy.check(target), target).toEqual({ ok: false, reason });
    }
  });

  it('an allowlisted fallback is allowed; an unsafe one is a configuration error', () => {
    expect(redirectPolicy({ allowedOrigins: ['https://accounts.good.com'], fallback: 'https://accounts.good.com/home' }).fallback).toBe(
      'https://accounts.good.com/home',
    );
    expect(safeRedirect('//evil.com', { fallback: '/home' })).toBe('/home');
    expect(() => redirectPolicy({ fallback: '//evil.com' })).toThrow(ConfigurationError);
    expect(() => redirectPolicy({ fallback: 'https://accounts.good.com/' })).toThrow(ConfigurationError);
  });

  it('refuses unsafe configuration', () => {
    for (const allowedOrigins of [['good.com'], ['https://good.com/path'], ['https://good.com?'], ['https://u:p@good.com'], ['javascript:alert(1)'], ['http://good.com']]) {
      expect(() => redirectPolicy({ allowedOrigins }), allowedOrigins.join()).toThrow(ConfigurationError);
    }
    expect(redirectPolicy({ allowedOrigins: ['http://localhost:3000'], allowInsecureHttpOrigins: true }).check('http://localhost:3000/cb').ok).toBe(true);
    for (const maxLength of [0, -1, 1.5, Number.NaN]) expect(() => redirectPolicy({ maxLength })).toThrow(ConfigurationError);
  });
});

describe('attack: through a real HTTP server and client', () => {
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const next = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('next');
      res.statusCode = 302;
      res.setHeader('Location', safeRedirect(next));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => {
        if (error) reject(error);
        else resolve();
      }));
  });

  it('every corpus payload in ?next= yields a Location on the server’s own origin and no injected header', async () => {
    for (const payload of [...attacks, ...sameOrigin]) {
      const response = await fetch(`${origin}/login?next=${encodeURIComponent(payload)}`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      const location = response.headers.get('location') ?? '';
      expect(new URL(location, origin).origin).toBe(origin);
      expect(response.headers.get('set-cookie')).toBeNull();
    }
  });
});
