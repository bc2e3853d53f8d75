import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { InMemoryWebAuthnChallengeStore } from './challenge-store.js';
import { InMemoryWebAuthnCredentialStore } from './credential-store.js';
import { createWebAuthn, type WebAuthnConfig } from './webauthn.js';

const base = (): WebAuthnConfig => ({
  rpId: 'example.com',
  rpName: 'Example',
  origins: ['https://example.com'],
  challenges: new InMemoryWebAuthnChallengeStore(),
  credentials: new InMemoryWebAuthnCredentialStore(),
});

describe('createWebAuthn configuration', () => {
  it('accepts https origins on the RP id or its subdomains, localhost over http, and Android app origins', () => {
    expect(() =>
      createWebAuthn({
        ...base(),
        origins: ['https://example.com', 'https://app.example.com:8443', 'android:apk-key-hash:abc_-123'],
      }),
    ).not.toThrow();
    expect(() => createWebAuthn({ ...base(), rpId: 'localhost', origins: ['http://localhost:3000'] })).not.toThrow();
  });

  it.each<[string, Partial<WebAuthnConfig>]>([
    ['no origins', { origins: [] }],
    ['an http origin', { origins: ['http://example.com'] }],
    ['an origin with a path', { origins: ['https://example.com/login'] }],
    ['an origin with a trailing slash', { origins: ['https://example.com/'] }],
    ['a wildcard origin', { origins: ['https://*.example.com'] }],
    ['an origin outside the RP id', { origins: ['https://example.com.evil.example'] }],
    ['a look-alike origin', { origins: ['https://notexample.com'] }],
    ['an RP id with a scheme', { rpId: 'https://example.com' }],
    ['an RP id with a port', { rpId: 'example.com:443' }],
    ['an empty rpName', { rpName: ' ' }],
    ['an unknown UV policy', { userVerification: 'sometimes' as never }],
    ['a TTL too short', { challengeTtlSeconds: 5 }],
    ['a TTL too long', { challengeTtlSeconds: 86_400 }],
    ['an unsupported algorithm', { supportedAlgorithmIds: [-65535] }],
  ])('refuses %s', (_name, override) => {
    expect(() => createWebAuthn({ ...base(), ...override })).toThrow(ConfigurationError);
  });
});
