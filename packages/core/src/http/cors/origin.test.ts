import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { canonicalOrigin, isLoopbackHost, MAX_EVENT_VALUE_LENGTH, parseCanonicalOrigin, sanitizeForEvent } from './origin.js';

describe('canonicalOrigin (configuration)', () => {
  it('returns the serialization browsers send, forgiving only case and one trailing slash', () => {
    expect(canonicalOrigin('https://app.example.com', false).origin).toBe('https://app.example.com');
    expect(canonicalOrigin('HTTPS://App.Example.COM/', false).origin).toBe('https://app.example.com');
    expect(canonicalOrigin('https://app.example.com:8443', false)).toEqual({
      origin: 'https://app.example.com:8443',
      scheme: 'https',
      hostname: 'app.example.com',
      port: '8443',
    });
    expect(canonicalOrigin('http://[::1]:3000', false).origin).toBe('http://[::1]:3000');
  });

  it('refuses null, non-URLs, other schemes, paths, queries, userinfo, default ports, trailing dots', () => {
    for (const bad of [
      'null',
      ' NULL ',
      'app.example.com',
      '',
      'ftp://app.example.com',
      'chrome-extension://abcdef',
      'file:///etc/passwd',
      'https://app.example.com/path',
      'https://app.example.com?x=1',
      'https://app.example.com#x',
      'https://user@app.example.com',
      'https://app.example.com@evil.com',
      'https://app.example.com:443',
      'https://app.example.com.',
      'https://bücher.example',
      ' https://app.example.com',
      'https://app.example.com\\',
    ]) {
      expect(() => canonicalOrigin(bad, false), bad).toThrow(ConfigurationError);
    }
  });

  it('names the canonical spelling when the configured one is not', () => {
    expect(() => canonicalOrigin('https://bücher.example', false)).toThrow(/write "https:\/\/xn--bcher-kva\.example"/);
  });

  it('refuses plain http unless loopback or allowInsecure', () => {
    expect(() => canonicalOrigin('http://app.example.com', false)).toThrow(/allowInsecureOrigins/);
    expect(canonicalOrigin('http://app.example.com', true).origin).toBe('http://app.example.com');
    for (const local of ['http://localhost:3000', 'http://dev.localhost', 'http://127.0.0.1:8080', 'http://[::1]']) {
      expect(canonicalOrigin(local, false).scheme).toBe('http');
    }
  });

  it('knows the loopback hosts of W3C Secure Contexts and nothing else', () => {
    for (const host of ['localhost', 'a.localhost', '127.0.0.1', '127.255.0.9', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['localhost.evil.com', 'evillocalhost', '128.0.0.1', '10.0.0.1', '[::2]', '127.0.0.1.evil.com']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });
});

describe('parseCanonicalOrigin (request values)', () => {
  it('parses only values that are their own serialization', () => {
    expect(parseCanonicalOrigin('https://a.example.com')?.hostname).toBe('a.example.com');
    for (const value of [
      'https://A.example.com',
      'https://a.example.com/',
      'https://a.example.com:443',
      'https://x@a.example.com',
      'https://a.example.com\\evil',
      ' https://a.example.com',
      'https://a.exam\nple.com',
      'https://a%2eexample.com',
      'null',
      '',
      `https://${'a'.repeat(300)}.example.com`,
    ]) {
      expect(parseCanonicalOrigin(value), value).toBeUndefined();
    }
  });
});

describe('sanitizeForEvent', () => {
  it('keeps printable ASCII and escapes the rest', () => {
    expect(sanitizeForEvent('https://evil.com')).toBe('https://evil.com');
    expect(sanitizeForEvent('a\r\nb\u001b[31m\\')).toBe('a\\u000d\\u000ab\\u001b[31m\\u005c');
    expect(sanitizeForEvent('а')).toBe('\\u0430');
  });

  it('attack: no value can put a line break, control or non-ASCII character into a log line, nor exceed the cap', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 1000, unit: 'binary' }), (value) => {
        const out = sanitizeForEvent(value);
        expect(out).toMatch(/^[\x20-\x7e]*$/);
        expect(out.length).toBeLessThanOrEqual(MAX_EVENT_VALUE_LENGTH + 3);
      }),
    );
  });
});
