/*
 * The resource server against issuers that sign access tokens with RSA, as most hosted identity providers do (RFC 9068
 * §2.1 makes RS256 mandatory to support): a real issuer on 127.0.0.1 (discovery + JWKS over HTTP, tokens signed by
 * jose), accepted with the default configuration, and every RSA-specific attack refused.
 */
import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { signCompact } from '../jwt/jws.js';
import { AUDIENCE, RESOURCE_URL, accessTokenClaims, signJwt, signingPair, startIssuer, type IssuerOptions, type TestIssuer } from './issuer.fixtures.js';
import { createResourceServer, DEFAULT_ACCESS_TOKEN_ALGORITHMS, type ResourceServer, type ResourceServerOptions } from './resource-server.js';

const issuers: TestIssuer[] = [];
const servers: ResourceServer[] = [];
const events: SecurityEvent[] = [];

async function issuerWith(options: IssuerOptions): Promise<TestIssuer> {
  const issuer = await startIssuer(options);
  issuers.push(issuer);
  return issuer;
}

function resourceServer(issuer: TestIssuer, options: Partial<ResourceServerOptions> = {}): ResourceServer {
  const rs = createResourceServer({
    issuer: issuer.url,
    audience: AUDIENCE,
    allowInsecureIssuer: true,
    fetch: { allowAddresses: ['127.0.0.1/32'], allowPorts: [issuer.port] },
    events: (event) => events.push(event),
    ...options,
  });
  servers.push(rs);
  return rs;
}

async function outcome(rs: ResourceServer, token: string): Promise<string> {
  const result = await rs.authenticate({ method: 'GET', url: RESOURCE_URL, headers: { authorization: `Bearer ${token}` } });
  return result.ok ? `accepted ${result.value.subject}` : result.reason;
}

afterEach(() => {
  events.length = 0;
});

afterAll(async () => {
  await Promise.all(servers.map((rs) => rs.close()));
  await Promise.all(issuers.map((issuer) => issuer.close()));
});

describe('access tokens signed with RSA', () => {
  it('the default algorithms are EdDSA, ES256, RS256 and PS256', () => {
    expect(DEFAULT_ACCESS_TOKEN_ALGORITHMS).toEqual(['EdDSA', 'ES256', 'RS256', 'PS256']);
  });

  it('an RS256 issuer (2048-bit key, found by discovery) is accepted with the default configuration', async () => {
    const issuer = await issuerWith({ alg: 'RS256' });
    const rs = resourceServer(issuer);
    expect((await rs.ready()).available).toBe(true);
    expect(await outcome(rs, await issuer.mint())).toBe('accepted user-42');
    expect(rs.status().keys.jwks?.kids).toEqual([issuer.key.kid]);
  });

  it('a PS256 issuer is accepted too, and an RSA key published without alg verifies RS256 (the default binding)', async () => {
    const pss = await issuerWith({ alg: 'PS256' });
    expect(await outcome(resourceServer(pss), await pss.mint())).toBe('accepted user-42');
    const bare = await issuerWith({ alg: 'RS256', publishAlg: false });
    expect(bare.key.publicJwk.alg).toBeUndefined();
    expect(await outcome(resourceServer(bare), await bare.mint())).toBe('accepted user-42');
  });

  it('an operator who lists only the elliptic algorithms refuses RS256 tokens', async () => {
    const issuer = await issuerWith({ alg: 'RS256' });
    const rs = resourceServer(issuer, { algorithms: ['EdDSA', 'ES256'] });
    expect(await outcome(rs, await issuer.mint())).toBe('token_alg_not_allowed');
  });

  it('attack: a PS256 token under an RS256-bound key, and an HS256 token keyed with the published RSA key, are refused', async () => {
    const issuer = await issuerWith({ alg: 'RS256' });
    const rs = resourceServer(issuer, { algorithms: ['RS256', 'PS256', 'HS256'] });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const claims = Buffer.from(JSON.stringify(accessTokenClaims(issuer.url)));
    // The kid of the issuer's RS256 key, a PSS signature by some RSA key: the key's binding refuses before any math.
    expect(await outcome(rs, signCompact('PS256', privateKey, { alg: 'PS256', typ: 'at+jwt', kid: issuer.key.kid }, claims))).toBe('token_alg_not_allowed');
    const secret = Buffer.from(JSON.stringify(issuer.key.publicJwk));
    const confused = signCompact('HS256', createSecretKey(secret), { alg: 'HS256', typ: 'at+jwt', kid: issuer.key.kid }, claims);
    expect(await outcome(rs, confused)).toBe('token_alg_not_allowed');
  });

  it('attack: a 1024-bit RSA key in the issuer JWKS is ignored and reported; its tokens are refused, the good key still works', async () => {
    const issuer = await issuerWith({ alg: 'RS256' });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const { n, e } = weak.publicKey.export({ format: 'jwk' });
    const encryption = await signingPair('RS256');
    issuer.behaviour.extraJwks = [
      { kty: 'RSA', n, e, kid: 'weak', alg: 'RS256', use: 'sig' },
      { ...encryption.publicJwk, kid: 'encryption', key_ops: ['encrypt'] },
    ];
    const rs = resourceServer(issuer);
    await rs.ready();
    const weakToken = signCompact('RS256', weak.privateKey, { alg: 'RS256', typ: 'at+jwt', kid: 'weak' }, Buffer.from(JSON.stringify(accessTokenClaims(issuer.url))));
    expect(await outcome(rs, weakToken)).toBe('token_unknown_kid');
    const encryptionToken = await signJwt(encryption, accessTokenClaims(issuer.url), { typ: 'at+jwt', kid: 'encryption' });
    expect(await outcome(rs, encryptionToken)).toBe('token_unknown_kid');
    expect(await outcome(rs, await issuer.mint())).toBe('accepted user-42');
    expect(rs.status().keys.jwks?.ignored).toEqual([
      { kid: 'weak', reason: 'rsa_modulus_too_small' },
      { kid: 'encryption', reason: 'not_for_signature' },
    ]);
    const ignored = events.filter((event) => event.type === 'token.jwks.key_ignored');
    expect(ignored.map((event) => event.attributes)).toEqual([
      { reason: 'rsa_modulus_too_small', jwksUri: `${issuer.url}/jwks`, kid: 'weak' },
      { reason: 'not_for_signature', jwksUri: `${issuer.url}/jwks`, kid: 'encryption' },
    ]);
  });
});
