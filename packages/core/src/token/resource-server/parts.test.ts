/*
 * The pieces on their own: the Authorization parser, URI normalization for `htu`, the challenge renderer (header
 * injection), the scope and `cnf` readers, and the hand-off of a token's scopes to core's authorizer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDERS_POLICY } from './issuer.fixtures.js';
import { Authorizer } from '../../authz/engine/authorizer.js';
import { compilePolicies } from '../../authz/policy/compile.js';
import { ConfigurationError } from '../../errors.js';
import { authorizeAccessToken, tokenCheckContext } from './authz.js';
import { challengeFor, renderChallenge } from './challenge.js';
import { confirmationOf } from './confirmation.js';
import { checkOrigin, requestUrlOf } from './gate.js';
import { normalizeHttpUri } from './htu.js';
import type { AccessTokenPrincipal } from './principal.js';
import { meaningOf } from './reasons.js';
import { credentialsOf, headerOf } from './request.js';
import { MAX_TOKEN_SCOPES, scopesOf } from './scopes.js';

const THUMB = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('the Authorization header', () => {
  it('reads Bearer and DPoP credentials, the scheme case-insensitively', () => {
    expect(credentialsOf('Bearer abc.def.ghi', true)).toEqual({ kind: 'token', scheme: 'bearer', token: 'abc.def.ghi' });
    expect(credentialsOf('dpop abc.def.ghi', true)).toEqual({ kind: 'token', scheme: 'dpop', token: 'abc.def.ghi' });
    expect(credentialsOf('DPoP abc.def.ghi', false)).toEqual({ kind: 'unsupported' });
    expect(credentialsOf(undefined, true)).toEqual({ kind: 'none' });
  });

  it('attack: smuggled or ambiguous credentials are malformed, not guessed at', () => {
    for (const value of ['Bearer ', 'Bearer a b', 'Bearer a,Bearer b', 'Bearer a\r\nX-Admin: 1', 'Bearer a;b', 'Bearer "a"', 'Bearer =abc']) {
      expect(credentialsOf(value, true), value).toMatchObject({ kind: 'malformed', scheme: 'bearer' });
    }
    expect(credentialsOf('Basic dXNlcg==', true)).toEqual({ kind: 'unsupported' });
    expect(credentialsOf('Bearertoken', true)).toEqual({ kind: 'unsupported' });
  });

  it('reads headers from Node objects and Fetch Headers alike, repeated ones joined', () => {
    expect(headerOf({ dpop: ['a', 'b'] }, 'dpop')).toBe('a, b');
    const headers = new Headers();
    headers.append('dpop', 'a');
    headers.append('dpop', 'b');
    expect(headerOf(headers, 'dpop')).toBe('a, b');
    expect(headerOf(new Headers(), 'dpop')).toBeUndefined();
  });
});

describe('htu normalization (RFC 9449 §4.3, RFC 3986 §6.2.2-6.2.3)', () => {
  it('compares scheme, host and path only, in normalized form', () => {
    const canonical = 'https://api.example/orders/42';
    for (const same of [
      'https://api.example/orders/42?q=1',
      'https://api.example/orders/42#frag',
      'HTTPS://API.EXAMPLE/orders/42',
      'https://api.example:443/orders/42',
      'https://api.example/orders/./x/../42',
      'https://api.example/%6frders/%34%32',
    ]) {
      expect(normalizeHttpUri(same), same).toBe(canonical);
    }
    expect(normalizeHttpUri('https://api.example')).toBe('https://api.example/');
    expect(normalizeHttpUri('https://api.example/a%2fb')).toBe('https://api.example/a%2Fb');
  });

  it('attack: other endpoints and non-http URIs never compare equal', () => {
    const canonical = normalizeHttpUri('https://api.example/orders');
    for (const other of [
      'http://api.example/orders',
      'https://api.example:8443/orders',
      'https://api.example/orders/',
      'https://api.example/Orders',
      'https://api.example.evil/orders',
      'https://api.example/orders%2F..%2Fadmin',
    ]) {
      expect(normalizeHttpUri(other), other).not.toBe(canonical);
    }
    for (const refused of ['/orders', 'ftp://api.example/orders', 'https://user:pw@api.example/orders', 'javascript:alert(1)', '']) {
      expect(normalizeHttpUri(refused), refused).toBeUndefined();
    }
  });

  it('is idempotent on every URL the parser accepts', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const once = normalizeHttpUri(url);
        if (once !== undefined) expect(normalizeHttpUri(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('the adapters rebuild the URL from the configured origin, or the connection and Host', () => {
    expect(requestUrlOf({ origin: 'https://api.example', tls: false, host: 'internal:8080', target: '/orders?a=1' })).toBe('https://api.example/orders?a=1');
    expect(requestUrlOf({ origin: undefined, tls: true, host: 'api.example', target: '/orders' })).toBe('https://api.example/orders');
    expect(requestUrlOf({ origin: undefined, tls: false, host: 'api.example', target: 'http://other.example/x?y' })).toBe('http://api.example/x?y');
    expect(requestUrlOf({ origin: undefined, tls: true, host: '[::1]:8443', target: '/orders' })).toBe('https://[::1]:8443/orders');
    // attack: without a usable Host the URL is nothing a proof can match (not `http://orders/`, not a moved path).
    for (const host of [undefined, '', 'api.example/admin?', 'user@api.example', 'api.example#', 'a b']) {
      const url = requestUrlOf({ origin: undefined, tls: false, host, target: '/orders' });
      expect(url, String(host)).toBe('');
      expect(normalizeHttpUri(url)).toBeUndefined();
    }
    expect(checkOrigin('https://api.example/')).toBe('https://api.example');
    for (const bad of ['https://api.example/v1', 'ftp://api.example', 'api.example', 'https://u@api.example']) {
      expect(() => checkOrigin(bad), bad).toThrow(ConfigurationError);
    }
  });
});

describe('WWW-Authenticate challenges', () => {
  it('renders RFC 6750 and RFC 9449 challenges', () => {
    expect(renderChallenge('Bearer')).toBe('Bearer');
    expect(renderChallenge('Bearer', { realm: 'orders', error: 'invalid_token' })).toBe('Bearer realm="orders", error="invalid_token"');
    expect(renderChallenge('DPoP', { algs: ['ES256', 'EdDSA'], error: 'insufficient_scope', scope: ['a', 'b'] })).toBe(
      'DPoP algs="ES256 EdDSA", error="insufficient_scope", scope="a b"',
    );
  });

  it('attack: a value that could close its quotes or break the header is refused, never written', () => {
    for (const realm of ['a"b', 'a\\b', 'a\r\nSet-Cookie: x=1', 'tab\there', 'é']) {
      expect(() => renderChallenge('Bearer', { realm }), realm).toThrow(ConfigurationError);
    }
    expect(() => renderChallenge('Bearer', { scope: ['a b'] })).toThrow(ConfigurationError);
    expect(() => renderChallenge('DPoP', { algs: ['ES256"'] })).toThrow(ConfigurationError);
  });

  it('puts the error on the scheme the client used, and has no challenge for a 503', () => {
    const config = { realm: undefined, dpopAlgorithms: ['ES256'] };
    expect(challengeFor({ ok: false, reason: 'dpop_replayed', scheme: 'dpop' }, config)).toMatch(/^Bearer, DPoP algs="ES256", error="invalid_dpop_proof"/);
    expect(challengeFor({ ok: false, reason: 'token_expired', scheme: 'bearer' }, config)).toMatch(/^Bearer error="invalid_token".*, DPoP algs="ES256"$/);
    expect(challengeFor({ ok: false, reason: 'issuer_unavailable', scheme: 'bearer' }, config)).toBeUndefined();
    expect(meaningOf('dpop_proof_too_old')).toEqual({ status: 401, error: 'invalid_dpop_proof' });
    expect(meaningOf('mtls_certificate_mismatch')).toEqual({ status: 401, error: 'invalid_token' });
    expect(meaningOf('dpop_replay_check_unavailable')).toEqual({ status: 503, error: undefined });
  });
});

describe('scopes and confirmation claims', () => {
  it('merges scope and scp without duplicates', () => {
    expect(scopesOf({ scope: 'a b  c', scp: ['c', 'd'] })).toEqual(['a', 'b', 'c', 'd']);
    expect(scopesOf({ scp: 'x y' })).toEqual(['x', 'y']);
    expect(scopesOf({})).toEqual([]);
  });

  it('attack: scopes that cannot be read grant nothing (the token is refused)', () => {
    for (const claims of [{ scope: 7 }, { scope: 'a\tb' }, { scp: [1] }, { scp: { admin: true } }, { scope: 'a "b"' }]) {
      expect(scopesOf(claims), JSON.stringify(claims)).toBeUndefined();
    }
    expect(scopesOf({ scope: Array.from({ length: MAX_TOKEN_SCOPES + 1 }, (_, i) => `s${i}`).join(' ') })).toBeUndefined();
  });

  it('reads jkt and x5t#S256; anything it cannot check is refused', () => {
    expect(confirmationOf({})).toEqual({});
    expect(confirmationOf({ cnf: { jkt: THUMB } })).toEqual({ jkt: THUMB });
    expect(confirmationOf({ cnf: { jkt: THUMB, 'x5t#S256': THUMB } })).toEqual({ jkt: THUMB, x5tS256: THUMB });
    expect(confirmationOf({ cnf: { jwk: { kty: 'EC' } } })).toBe('unsupported');
    expect(confirmationOf({ cnf: { x5t: 'sha1' } })).toBe('unsupported');
    for (const cnf of [null, 'x', [], {}, { jkt: 7 }, { jkt: `${THUMB}=` }, { jkt: THUMB.slice(1) }, { 'x5t#S256': 'AB:CD' }]) {
      expect(confirmationOf({ cnf }), JSON.stringify(cnf)).toBe('invalid');
    }
  });
});

describe('the hand-off to core’s authorizer', () => {
  const authorizer = new Authorizer(
    compilePolicies([
      {
        source: 'orders.yaml',
        text: ORDERS_POLICY,
      },
    ]),
  );
  const token = (scopes: readonly string[]): AccessTokenPrincipal =>
    Object.freeze({
      subject: 'clerk-1',
      clientId: 'pos',
      scopes,
      audience: ['https://api.example'],
      issuer: 'https://id.example',
      tokenId: 'j',
      expiresAt: 0,
      claims: { iss: 'https://id.example', aud: 'https://api.example', exp: 0, iat: 0, jti: 'j' },
      confirmation: 'bearer',
    });
  const clerk = (): { id: string; roles: string[] } => ({ id: 'clerk-1', roles: ['clerk'] });
  const order = { kind: 'order', id: 'o1' };

  it('a read-only token cannot refund even for a clerk who may: the scopes narrow every check', () => {
    expect(authorizeAccessToken(authorizer, token(['orders:read']), 'read', order, { principal: clerk }).allowed).toBe(true);
    expect(authorizeAccessToken(authorizer, token(['orders:read']), 'refund', order, { principal: clerk })).toMatchObject({
      allowed: false,
      reason: 'scope_not_granted',
    });
    expect(authorizeAccessToken(authorizer, token(['orders:read', 'orders:refund']), 'refund', order, { principal: clerk }).allowed).toBe(true);
  });

  it('scopes never grant: a token with every scope but no role is denied; default principal has no roles', () => {
    expect(authorizeAccessToken(authorizer, token(['orders:read', 'orders:refund']), 'read', order).allowed).toBe(false);
    expect(tokenCheckContext(token(['a']), { mfa: true })).toEqual({ mfa: true, scopes: ['a'] });
  });
});
