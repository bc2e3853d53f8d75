import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { compilePattern, matchesPattern } from './pattern.js';

function matches(pattern: string, origin: string): boolean {
  return matchesPattern(compilePattern(pattern, false), new URL(origin));
}

describe('compilePattern', () => {
  it('compiles whole leading wildcard labels, an optional port, and lower-cases', () => {
    expect(compilePattern('https://*.example.com', false)).toMatchObject({ scheme: 'https', wildcardLabels: 1, suffix: 'example.com', port: '' });
    expect(compilePattern('HTTPS://*.*.Example.com:8443', false)).toMatchObject({ wildcardLabels: 2, suffix: 'example.com', port: '8443' });
    expect(compilePattern('http://*.localhost:3000', false)).toMatchObject({ scheme: 'http', suffix: 'localhost' });
  });

  it('refuses wildcards that would allow more than meant', () => {
    for (const bad of [
      'https://*',
      'https://*.com',
      'https://*.*',
      'https://app-*.example.com',
      'https://*example.com',
      'https://a.*.example.com',
      'https://*.example.*',
      'https://*.example.com:*',
      '*://*.example.com',
      'https://*.127.0.0.1',
      'https://*.[::1]',
      'https://*.example.com/path',
      'https://*.user@example.com',
      'https://*.example.com.',
      'https://*.null',
      'ftp://*.example.com',
      'http://*.example.com',
    ]) {
      expect(() => compilePattern(bad, false), bad).toThrow(ConfigurationError);
    }
    expect(compilePattern('http://*.example.com', true).scheme).toBe('http');
  });
});

describe('matchesPattern', () => {
  it('accepts exactly one valid label in front of the suffix, on the same scheme and port', () => {
    expect(matches('https://*.example.com', 'https://a.example.com')).toBe(true);
    expect(matches('https://*.example.com', 'https://xn--pp-6kc.example.com')).toBe(true);
    expect(matches('https://*.*.example.com', 'https://a.b.example.com')).toBe(true);
    expect(matches('https://*.example.com:8443', 'https://a.example.com:8443')).toBe(true);
  });

  it('attack: refuses look-alikes that substring or suffix tests let through', () => {
    for (const origin of [
      'https://example.com',
      'https://a.b.example.com',
      'https://example.com.evil.com',
      'https://evilexample.com',
      'https://a.example.com.evil.com',
      'https://a.evilexample.com',
      'http://a.example.com',
      'https://a.example.com:8443',
      'https://a.example.com.',
      'https://-a.example.com',
      'https://a_b.example.com',
      'https://a`b.example.com',
      'https://a.example.co',
    ]) {
      expect(matches('https://*.example.com', origin), origin).toBe(false);
    }
    expect(matches('https://*.example.com:8443', 'https://a.example.com')).toBe(false);
    expect(matches('https://*.*.example.com', 'https://a.example.com')).toBe(false);
  });
});
