/*
 * The resource server against a real issuer on 127.0.0.1 (discovery + JWKS over HTTP, tokens signed with jose): every
 * attack on the access token, its DPoP binding and the discovery is performed, and must be refused with the right
 * reason, status and challenge; the refusal event never carries the token or the proof.
 */
import { createPublicKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { MemoryReplayCache, type ReplayCache } from '../refresh/replay-cache.js';
import { AUDIENCE, RESOURCE_URL, dpopClient, signJwt, signingPair, startIssuer, type DpopClient, type TestIssuer } from './issuer.fixtures.js';
import type { AccessTokenRefusalReason } from './reasons.js';
import type { ResourceRequest } from './request.js';
import { createResourceServer, type AuthenticationResult, type ResourceServer, type ResourceServerOptions } from './resource-server.js';

let issuer: TestIssuer;
let client: DpopClient;
const events: SecurityEvent[] = [];
const servers: ResourceServer[] = [];

/** A resource server of the test issuer, reaching it on 127.0.0.1 through the SSRF-safe client's named loosenings. */
function resourceServer(options: Partial<ResourceServerOptions> = {}, of: TestIssuer = issuer): ResourceServer {
  const server = createResourceServer({
    issuer: of.url,
    audience: AUDIENCE,
    allowInsecureIssuer: true,
    fetch: { allowAddresses: ['127.0.0.1/32'], allowPorts: [of.port] },
    events: (event) => events.push(event),
    ...options,
  });
  servers.push(server);
  return server;
}

function request(parts: { authorization?: string; dpop?: string | string[]; method?: string; url?: string; cert?: Uint8Array } = {}): ResourceRequest {
  const headers: Record<string, string | string[]> = {};
  if (parts.authorization !== undefined) headers.authorization = parts.authorization;
  if (parts.dpop !== undefined) headers.dpop = parts.dpop;
  return {
    method: parts.method ?? 'GET',
    url: parts.url ?? RESOURCE_URL,
    headers,
    ...(parts.cert === undefined ? {} : { peerCertificate: parts.cert }),
  };
}

function reasonOf(result: AuthenticationResult): string {
  return result.ok ? 'accepted' : result.reason;
}

const unsigned = (header: object, payload: object): string =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.`;

beforeAll(async () => {
  issuer = await startIssuer();
  client = await dpopClient('ES256');
});

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await issuer.close();
});

beforeEach(() => {
  events.length = 0;
  issuer.behaviour.metadata = 'both';
  issuer.behaviour.issuerOverride = undefined;
  issuer.behaviour.jwksUriOverride = undefined;
});

describe('discovery and keys', () => {
  it('finds the keys through RFC 8414 metadata first, checks the issuer, and accepts a valid token', async () => {
    const rs = resourceServer();
    issuer.requests.length = 0;
    const status = await rs.ready();
    expect(status.available).toBe(true);
    expect(issuer.requests).toEqual(['/.well-known/oauth-authorization-server', '/jwks']);
    expect(status.keys).toMatchObject({ metadataUrl: `${issuer.url}/.well-known/oauth-authorization-server`, jwksUri: `${issuer.url}/jwks` });
    const token = await issuer.mint({ scp: ['admin:read'] });
    const result = await rs.authenticate(request({ authorization: `Bearer ${token}` }));
    if (!result.ok) throw new Error(result.reason);
    expect(result.value).toMatchObject({
      subject: 'user-42',
      clientId: 'client-7',
      scopes: ['orders:read', 'orders:write', 'admin:read'],
      audience: [AUDIENCE],
      issuer: issuer.url,
      confirmation: 'bearer',
    });
    expect(Object.isFrozen(result.value)).toBe(true);
  });

  it('falls back to OpenID Connect discovery when the RFC 8414 document is missing', async () => {
    issuer.behaviour.metadata = 'oidc';
    const rs = resourceServer();
    issuer.requests.length = 0;
    expect(reasonOf(await rs.authenticate(request({ authorization: `Bearer ${await issuer.mint()}` })))).toBe('accepted');
    expect(issuer.requests).toEqual(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/jwks']);
  });

  it('attack: a metadata document naming another issuer is not used (RFC 8414 §3.3); nothing is accepted, 503', async () => {
    issuer.behaviour.issuerOverride = `${issuer.url}.evil.example`;
    const rs = resourceServer();
    issuer.requests.length = 0;
    const result = await rs.authenticate(request({ authorization: `Bearer ${await issuer.mint()}` }));
    expect(reasonOf(result)).toBe('issuer_unavailable');
    if (!result.ok) expect(rs.problem(result)).toMatchObject({ status: 503, headers: { 'retry-after': '30' } });
    expect(issuer.requests).not.toContain('/jwks');
    expect(rs.status().keys.lastError).toMatch(/issuer mismatch/);
  });

  it('attack: a jwks_uri pointing at the cloud metadata address is never fetched', async () => {
    issuer.behaviour.jwksUriOverride = 'http://169.254.169.254/latest/meta-data/jwks';
    const rs = resourceServer();
    expect(reasonOf(await rs.authenticate(request({ authorization: `Bearer ${await issuer.mint()}` })))).toBe('issuer_unavailable');
    expect(rs.status().keys.lastError).toMatch(/blocked range \(linkLocal\)/);
  });

  it('attack: without a named loosening the issuer on 127.0.0.1 is not even called (SSRF policy), and plain http is a configuration error', async () => {
    const rs = resourceServer({ fetch: { allowPorts: [issuer.port] } });
    issuer.requests.length = 0;
    expect(reasonOf(await rs.authenticate(request({ authorization: `Bearer ${await issuer.mint()}` })))).toBe('issuer_unavailable');
    expect(issuer.requests).toEqual([]);
    expect(() => createResourceServer({ issuer: issuer.url, audience: AUDIENCE })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example/?tenant=a', audience: AUDIENCE })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example', audience: AUDIENCE, discovery: false })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example', audience: AUDIENCE, realm: 'a"b' })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example', audience: [] })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example', audience: AUDIENCE, algorithms: ['none' as 'EdDSA'] })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example', audience: AUDIENCE, accessTokenType: 'at+jwt"' })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example', audience: AUDIENCE, dpop: { maxAgeSeconds: 3600 } })).toThrow(ConfigurationError);
    expect(() => createResourceServer({ issuer: 'https://id.example', audience: AUDIENCE, dpop: { algorithms: ['HS256' as 'ES256'] } })).toThrow(ConfigurationError);
  });

  it('reports each loosening once as config.loosened', () => {
    resourceServer({ accessTokenType: 'JWT' });
    const loosened = events.filter((event) => event.type === 'config.loosened').map((event) => event.attributes?.option);
    expect(loosened).toEqual(expect.arrayContaining(['allowInsecureIssuer', 'allowAddresses', 'allowPorts', 'accessTokenType']));
  });

  it('an issuer that cannot be reached fails closed with 503', async () => {
    const gone = await startIssuer();
    const token = await gone.mint();
    await gone.close();
    const rs = resourceServer({}, gone);
    expect(reasonOf(await rs.authenticate(request({ authorization: `Bearer ${token}` })))).toBe('issuer_unavailable');
    expect(rs.status()).toMatchObject({ available: false, keys: { lastError: expect.stringMatching(/metadata discovery failed/) as unknown } });
  });

  it('attack: a flood of requests while discovery fails costs the issuer one attempt per cooldown, not one per request', async () => {
    issuer.behaviour.metadata = 'none';
    const rs = resourceServer();
    issuer.requests.length = 0;
    const token = await issuer.mint();
    const results = await Promise.all(Array.from({ length: 50 }, () => rs.authenticate(request({ authorization: `Bearer ${token}` }))));
    expect(new Set(results.map(reasonOf))).toEqual(new Set(['issuer_unavailable']));
    expect(issuer.requests).toEqual(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']);
  });

  it('an issuer with a path is discovered at the RFC 8414 and OIDC locations for that path', async () => {
    const tenant = await startIssuer({ path: '/tenants/acme' });
    try {
      const rs = resourceServer({}, tenant);
      tenant.requests.length = 0;
      expect(reasonOf(await rs.authenticate(request({ authorization: `Bearer ${await tenant.mint()}` })))).toBe('accepted');
      expect(tenant.requests).toEqual(['/.well-known/oauth-authorization-server/tenants/acme', '/tenants/acme/jwks']);
    } finally {
      await tenant.close();
    }
  });
});

describe('the access token', () => {
  let rs: ResourceServer;

  beforeAll(async () => {
    rs = resourceServer();
    await rs.ready();
  });

  it('attack: a token for service A presented at service B is refused (audience, RFC 8707)', async () => {
    const billing = resourceServer({ audience: 'https://billing.example' });
    const token = await issuer.mint();
    expect(reasonOf(await rs.authenticate(request({ authorization: `Bearer ${token}` })))).toBe('accepted');
    expect(reasonOf(await billing.authenticate(request({ authorization: `Bearer ${token}` })))).toBe('token_audience_mismatch');
  });

  const tokenAttacks: readonly (readonly [string, () => Promise<string>, AccessTokenRefusalReason])[] = [
    ['alg none', () => Promise.resolve(unsigned({ alg: 'none', typ: 'at+jwt', kid: issuer.key.kid }, { iss: issuer.url, aud: AUDIENCE })), 'token_alg_not_allowed'],
    [
      'algorithm confusion (HS256 keyed with the public key)',
      async () => {
        const pem = createPublicKey({ key: issuer.key.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ iss: issuer.url, aud: AUDIENCE, sub: 'x', client_id: 'c', iat: now, exp: now + 60, jti: 'j' })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: issuer.key.kid })
          .sign(Buffer.from(pem));
      },
      'token_alg_not_allowed',
    ],
    ['another issuer', () => issuer.mint({ iss: 'https://evil.example' }), 'token_issuer_mismatch'],
    ['an issuer prefix look-alike', () => issuer.mint({ iss: `${issuer.url}/` }), 'token_issuer_mismatch'],
    ['expired', () => issuer.mint({ iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 300 }), 'token_expired'],
    ['an ID token (typ JWT, audience the client)', () => issuer.mint({ aud: 'client-7', nonce: 'n' }, { typ: 'JWT' }), 'token_typ_mismatch'],
    ['an ID token without typ', () => issuer.mint({}, { typ: undefined }), 'token_typ_mismatch'],
    ['a JWT refresh token', () => issuer.mint({}, { typ: 'refresh+jwt' }), 'token_typ_mismatch'],
    ['an opaque refresh token', () => Promise.resolve('rt_8fJ2kLq0ZxYv3WmNcT6pR1sH'), 'token_malformed'],
    ['a token carrying its own key (jwk header)', async () => {
      const attacker = await signingPair('EdDSA');
      return signJwt(attacker, { iss: issuer.url, aud: AUDIENCE, sub: 'x', client_id: 'c', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, jti: 'j' }, { typ: 'at+jwt', jwk: attacker.publicJwk });
    }, 'token_forbidden_header'],
    ['a token signed by another key under the issuer’s kid', async () => {
      const attacker = await signingPair('EdDSA');
      return signJwt(attacker, { iss: issuer.url, aud: AUDIENCE, sub: 'x', client_id: 'c', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, jti: 'j' }, { typ: 'at+jwt', kid: issuer.key.kid });
    }, 'token_signature_invalid'],
    ['no client_id (RFC 9068 §2.2)', () => issuer.mint({ client_id: undefined }), 'token_missing_claim'],
    ['no sub', () => issuer.mint({ sub: undefined }), 'token_missing_claim'],
    ['a scope claim that is not a string', () => issuer.mint({ scope: ['orders:read'] }), 'token_invalid_claim'],
    ['a scope with a forbidden character', () => issuer.mint({ scope: 'orders:read "admin"' }), 'token_invalid_claim'],
    ['a binding this server cannot check (cnf.jwk)', () => issuer.mint({ cnf: { jwk: client.key.publicJwk } }), 'token_unsupported_confirmation'],
    ['a cnf that is not an object', () => issuer.mint({ cnf: 'jkt' }), 'token_invalid_claim'],
  ];

  it.each(tokenAttacks)('attack: %s is refused', async (_name, make, reason) => {
    const token = await make();
    const result = await rs.authenticate(request({ authorization: `Bearer ${token}` }));
    expect(reasonOf(result)).toBe(reason);
    if (result.ok) return;
    expect(rs.problem(result)).toMatchObject({ status: 401, code: 'token.invalid_token' });
    expect(rs.challenge(result)).toBe(
      'Bearer error="invalid_token", error_description="The access token is invalid, expired, or not for this resource", DPoP algs="ES256 EdDSA"',
    );
    const refused = events.filter((event) => event.type === 'token.access.refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.attributes).toMatchObject({ reason, scheme: 'bearer', status: 401, issuer: issuer.url });
    expect(JSON.stringify(events)).not.toContain(token.slice(token.lastIndexOf('.') + 1) || token);
  });

  it('no credentials: 401 with both challenges and no error code (RFC 6750 §3.1)', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz']) {
      const result = await rs.authenticate(request(authorization === undefined ? {} : { authorization }));
      if (result.ok) throw new Error('accepted');
      expect(result.reason).toBe(authorization === undefined ? 'missing_token' : 'unsupported_scheme');
      expect(rs.problem(result)).toMatchObject({ status: 401, code: 'token.missing', headers: { 'www-authenticate': 'Bearer, DPoP algs="ES256 EdDSA"' } });
    }
  });

  it('attack: a malformed Authorization header is a 400 invalid_request, never a guess', async () => {
    const token = await issuer.mint();
    for (const authorization of ['Bearer', `Bearer ${token} extra`, `Bearer ${token}, Bearer ${token}`, 'Bearer "quoted"', `Bearer\t${token}`]) {
      const result = await rs.authenticate(request({ authorization }));
      expect(reasonOf(result), authorization).toBe(authorization.startsWith('Bearer\t') ? 'unsupported_scheme' : 'malformed_authorization');
    }
    const result = await rs.authenticate(request({ authorization: 'Bearer' }));
    if (!result.ok) expect(rs.problem(result)).toMatchObject({ status: 400, headers: { 'www-authenticate': expect.stringContaining('error="invalid_request"') as unknown } });
    // The scheme is case-insensitive (RFC 9110 §11.1), and several spaces may precede the token.
    expect(reasonOf(await rs.authenticate(request({ authorization: `bEaReR   ${token}` })))).toBe('accepted');
  });

  it('with requireSenderConstrained, a plain bearer token is refused', async () => {
    const strict = resourceServer({ requireSenderConstrained: true });
    expect(reasonOf(await strict.authenticate(request({ authorization: `Bearer ${await issuer.mint()}` })))).toBe('sender_constraint_required');
  });

  it('requireScopes: a token without the route’s scopes gets 403 insufficient_scope naming them', async () => {
    const result = await rs.authenticate(request({ authorization: `Bearer ${await issuer.mint({ scope: 'orders:read' })}` }));
    if (!result.ok) throw new Error(result.reason);
    expect(rs.requireScopes(result.value, ['orders:read']).ok).toBe(true);
    const refused = rs.requireScopes(result.value, ['orders:read', 'orders:refund']);
    if (refused.ok) throw new Error('accepted');
    expect(rs.problem(refused)).toMatchObject({
      status: 403,
      code: 'token.insufficient_scope',
      headers: {
        'www-authenticate':
          'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="orders:read orders:refund", DPoP algs="ES256 EdDSA"',
      },
    });
    expect(() => rs.requireScopes(result.value, ['a"b'])).toThrow(ConfigurationError);
  });
});

describe('DPoP (RFC 9449)', () => {
  let rs: ResourceServer;
  let replay: MemoryReplayCache;
  let bound: string;

  beforeAll(async () => {
    replay = new MemoryReplayCache();
    rs = resourceServer({ dpop: { replayCache: replay } });
    await rs.ready();
  });

  beforeEach(async () => {
    bound = await issuer.mint({ cnf: { jkt: client.thumbprint } });
  });

  const dpopRequest = async (proof: string | string[], token = bound, extra: { method?: string; url?: string } = {}): Promise<AuthenticationResult> =>
    rs.authenticate(request({ authorization: `DPoP ${token}`, dpop: proof, ...extra }));

  it('accepts a DPoP-bound token with a fresh proof; the principal says dpop', async () => {
    const result = await dpopRequest(await client.proof('GET', RESOURCE_URL, bound));
    if (!result.ok) throw new Error(result.reason);
    expect(result.value.confirmation).toBe('dpop');
  });

  it('attack: the same proof replayed is refused, and refused proofs never take a jti', async () => {
    const proof = await client.proof('GET', RESOURCE_URL, bound);
    expect(reasonOf(await dpopRequest(proof))).toBe('accepted');
    const size = replay.size;
    expect(reasonOf(await dpopRequest(proof))).toBe('dpop_replayed');
    expect(reasonOf(await dpopRequest(await client.proof('POST', RESOURCE_URL, bound)))).toBe('dpop_htm_mismatch');
    expect(reasonOf(await dpopRequest(await client.proof('GET', RESOURCE_URL, bound, { iat: Math.floor(Date.now() / 1000) - 3600 })))).toBe('dpop_proof_too_old');
    expect(replay.size).toBe(size);
  });

  const proofAttacks: readonly (readonly [string, () => Promise<string>, AccessTokenRefusalReason])[] = [
    ['wrong htm', () => client.proof('POST', RESOURCE_URL, bound), 'dpop_htm_mismatch'],
    ['lower-case htm', () => client.proof('get', RESOURCE_URL, bound), 'dpop_htm_mismatch'],
    ['wrong htu (another path)', () => client.proof('GET', 'https://api.example/admin', bound), 'dpop_htu_mismatch'],
    ['wrong htu (another host)', () => client.proof('GET', 'https://api.evil.example/orders', bound), 'dpop_htu_mismatch'],
    ['wrong htu (http instead of https)', () => client.proof('GET', 'http://api.example/orders', bound), 'dpop_htu_mismatch'],
    ['htu with credentials', () => client.proof('GET', 'https://user@api.example/orders', bound), 'dpop_htu_mismatch'],
    ['no ath', () => client.proof('GET', RESOURCE_URL, undefined), 'dpop_ath_missing'],
    ['the ath of another token', async () => client.proof('GET', RESOURCE_URL, await issuer.mint({ cnf: { jkt: client.thumbprint } })), 'dpop_ath_mismatch'],
    ['a proof too old', () => client.proof('GET', RESOURCE_URL, bound, { iat: Math.floor(Date.now() / 1000) - 120 }), 'dpop_proof_too_old'],
    ['a proof from the future', () => client.proof('GET', RESOURCE_URL, bound, { iat: Math.floor(Date.now() / 1000) + 120 }), 'dpop_proof_from_future'],
    ['a proof with an expired exp', () => client.proof('GET', RESOURCE_URL, bound, { exp: Math.floor(Date.now() / 1000) - 30 }), 'dpop_proof_too_old'],
    ['a jti that is not a string', () => client.proof('GET', RESOURCE_URL, bound, { jti: 7 }), 'dpop_proof_claims'],
    ['no iat', () => client.proof('GET', RESOURCE_URL, bound, { iat: undefined }), 'dpop_proof_claims'],
    ['typ JWT', () => client.proof('GET', RESOURCE_URL, bound, {}, { typ: 'JWT' }), 'dpop_proof_typ'],
    ['no typ', () => client.proof('GET', RESOURCE_URL, bound, {}, { typ: undefined }), 'dpop_proof_typ'],
    ['a jwk header carrying the private key', async () => {
      const { exportJWK } = await import('jose');
      const privateJwk = await exportJWK(client.key.privateKey);
      return client.proof('GET', RESOURCE_URL, bound, {}, { jwk: privateJwk });
    }, 'dpop_proof_key'],
    ['no jwk header', () => client.proof('GET', RESOURCE_URL, bound, {}, { jwk: undefined }), 'dpop_proof_key'],
    ['a key pointer instead of a key (jku)', () => client.proof('GET', RESOURCE_URL, bound, {}, { jku: 'https://evil.example/jwks' }), 'dpop_proof_key'],
    ['an OKP jwk under ES256', async () => {
      const other = await signingPair('EdDSA');
      return client.proof('GET', RESOURCE_URL, bound, {}, { jwk: { kty: other.publicJwk.kty, crv: other.publicJwk.crv, x: other.publicJwk.x } });
    }, 'dpop_proof_key'],
    ['signed by another key than its jwk header names', async () => {
      const attacker = await signingPair('ES256');
      const honest = await client.proof('GET', RESOURCE_URL, bound);
      const forged = await signJwt(attacker, JSON.parse(Buffer.from(honest.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>, JSON.parse(Buffer.from(honest.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>);
      return forged;
    }, 'dpop_proof_signature'],
    ['a valid proof by another key (the thief’s own)', async () => (await dpopClient('ES256')).proof('GET', RESOURCE_URL, bound), 'dpop_key_mismatch'],
    ['alg none', () => Promise.resolve(unsigned({ alg: 'none', typ: 'dpop+jwt', jwk: client.key.publicJwk }, { htm: 'GET', htu: RESOURCE_URL, iat: Math.floor(Date.now() / 1000), jti: 'x' })), 'dpop_proof_alg'],
    ['alg HS256', () => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ htm: 'GET', htu: RESOURCE_URL, iat: now, jti: 'x' }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: client.key.publicJwk }).sign(new Uint8Array(32));
    }, 'dpop_proof_alg'],
    ['a proof that is not a JWS', () => Promise.resolve('not-a-proof'), 'dpop_proof_malformed'],
    ['an oversized proof', () => Promise.resolve(`${'a'.repeat(5000)}.b.c`), 'dpop_proof_oversized'],
  ];

  it.each(proofAttacks)('attack: %s', async (_name, make, reason) => {
    const proof = await make();
    const result = await dpopRequest(proof);
    expect(reasonOf(result)).toBe(reason);
    if (result.ok) return;
    expect(rs.problem(result)).toMatchObject({ status: 401, code: 'token.invalid_dpop_proof' });
    expect(rs.challenge(result)).toBe('Bearer, DPoP algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="The DPoP proof is missing or invalid"');
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(bound.split('.')[2]);
    const signature = proof.split('.')[2] ?? '';
    if (signature.length > 16) expect(serialized).not.toContain(signature);
  });

  it('attack: a proof key the server has already accepted still proves only its own binding', async () => {
    expect(reasonOf(await dpopRequest(await client.proof('GET', RESOURCE_URL, bound)))).toBe('accepted');
    const other = await dpopClient();
    const boundToOther = await issuer.mint({ cnf: { jkt: other.thumbprint } });
    expect(reasonOf(await dpopRequest(await client.proof('GET', RESOURCE_URL, boundToOther), boundToOther))).toBe('dpop_key_mismatch');
    expect(reasonOf(await dpopRequest(await other.proof('GET', RESOURCE_URL, boundToOther), boundToOther))).toBe('accepted');
  });

  it('a proof names the same URI in another spelling: query, fragment, case, default port and dot segments do not matter', async () => {
    for (const htu of ['HTTPS://API.EXAMPLE:443/orders', 'https://api.example/./orders?x=1#f', 'https://api.example/%6Frders']) {
      expect(reasonOf(await dpopRequest(await client.proof('GET', htu, bound), bound, { url: 'https://api.example/orders?page=2' })), htu).toBe('accepted');
    }
  });

  it('attack: a DPoP-bound token presented as a plain Bearer token is refused, with or without a proof', async () => {
    const proof = await client.proof('GET', RESOURCE_URL, bound);
    for (const dpop of [undefined, proof]) {
      const result = await rs.authenticate(request({ authorization: `Bearer ${bound}`, ...(dpop === undefined ? {} : { dpop }) }));
      expect(reasonOf(result)).toBe('dpop_bound_token_as_bearer');
      if (!result.ok) expect(rs.problem(result)).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.stringMatching(/^Bearer error="invalid_token"/) as unknown } });
    }
  });

  it('attack: the DPoP scheme without a proof, with two proofs, or with an unbound token', async () => {
    expect(reasonOf(await rs.authenticate(request({ authorization: `DPoP ${bound}` })))).toBe('dpop_proof_missing');
    const one = await client.proof('GET', RESOURCE_URL, bound);
    const two = await client.proof('GET', RESOURCE_URL, bound);
    expect(reasonOf(await dpopRequest([one, two]))).toBe('dpop_proof_multiple');
    const unbound = await issuer.mint();
    expect(reasonOf(await dpopRequest(await client.proof('GET', RESOURCE_URL, unbound), unbound))).toBe('dpop_token_not_bound');
  });

  it('an unbound bearer token with a stray DPoP header is still just a bearer token', async () => {
    const unbound = await issuer.mint();
    const result = await rs.authenticate(request({ authorization: `Bearer ${unbound}`, dpop: await client.proof('GET', RESOURCE_URL, unbound) }));
    expect(result.ok && result.value.confirmation).toBe('bearer');
  });

  it('with DPoP off, the DPoP scheme is not understood and a bound token is still never a bearer token', async () => {
    const off = resourceServer({ dpop: false });
    const result = await off.authenticate(request({ authorization: `DPoP ${bound}`, dpop: await client.proof('GET', RESOURCE_URL, bound) }));
    expect(reasonOf(result)).toBe('unsupported_scheme');
    if (!result.ok) expect(off.challenge(result)).toBe('Bearer');
    expect(reasonOf(await off.authenticate(request({ authorization: `Bearer ${bound}` })))).toBe('dpop_bound_token_as_bearer');
  });

  it('a replay cache that cannot answer fails closed with 503', async () => {
    const broken: ReplayCache = { checkAndRemember: () => Promise.reject(new Error('connection refused')) };
    const down = resourceServer({ dpop: { replayCache: broken } });
    const result = await down.authenticate(request({ authorization: `DPoP ${bound}`, dpop: await client.proof('GET', RESOURCE_URL, bound) }));
    expect(reasonOf(result)).toBe('dpop_replay_check_unavailable');
    if (!result.ok) expect(down.problem(result)).toMatchObject({ status: 503, code: 'token.unavailable' });
  });

  it('EdDSA proofs verify too, and a proof algorithm outside the allowlist is refused', async () => {
    const ed = await dpopClient('EdDSA');
    const token = await issuer.mint({ cnf: { jkt: ed.thumbprint } });
    expect(reasonOf(await dpopRequest(await ed.proof('GET', RESOURCE_URL, token), token))).toBe('accepted');
    const esOnly = resourceServer({ dpop: { algorithms: ['ES256'] } });
    const result = await esOnly.authenticate(request({ authorization: `DPoP ${token}`, dpop: await ed.proof('GET', RESOURCE_URL, token) }));
    expect(reasonOf(result)).toBe('dpop_proof_alg');
    if (!result.ok) expect(esOnly.challenge(result)).toContain('DPoP algs="ES256"');
  });
});
