/**
 * Resource-server token checks, Rampart's `createResourceServer().authenticate` vs `oauth4webapi`'s
 * `validateJwtAccessToken` (which also verifies DPoP proofs): an RFC 9068 access token as a plain bearer token, with a
 * DPoP proof, and bound to a TLS client certificate. Same tokens, same keys held in memory on both sides (Rampart: the
 * issuer's key set; oauth4webapi: its JWKS cache preloaded), inputs built before the timed loop.
 *
 * Where the two differ in what they check, the row says so: oauth4webapi does not remember proof `jti`s (Rampart does,
 * in its replay cache, so every Rampart call gets a proof never seen before), and it refuses certificate-bound tokens,
 * so its mTLS row is a plain bearer token plus the thumbprint comparison an application would write by hand.
 */
import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { calculateJwkThumbprint } from 'jose';
import { clientCertificate } from '../packages/core/src/token/resource-server/certificates.fixtures.js';
import {
  JwtKeySet,
  certificateThumbprint,
  createJwtIssuer,
  createResourceServer,
  signCompact,
  type ResourceRequest,
  type ResourceServer,
} from '../packages/core/src/token/index.js';
import { compare, type BenchRow } from './harness.js';

const ISSUER = 'https://id.example';
const AUDIENCE = 'https://api.example';
const URL_OF_RESOURCE = 'https://api.example/orders';
const DISTINCT_TOKENS = 512;
const TIME_MS = Number(process.env.RAMPART_BENCH_TIME_MS ?? 1500);

interface DpopKey {
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, string>;
  readonly thumbprint: string;
}

async function dpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  const jwk = { kty: kty ?? '', crv: crv ?? '', x: x ?? '', y: y ?? '' };
  return { privateKey, jwk, thumbprint: await calculateJwkThumbprint(jwk) };
}

/** A DPoP proof (ES256, node:crypto through core's JWS layer: synchronous, so thousands can be made up front). */
function proofFor(key: DpopKey, token: string): string {
  const claims = {
    htm: 'GET',
    htu: URL_OF_RESOURCE,
    iat: Math.floor(Date.now() / 1000),
    jti: randomBytes(16).toString('base64url'),
    ath: createHash('sha256').update(token).digest('base64url'),
  };
  return signCompact('ES256', key.privateKey, { typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }, Buffer.from(JSON.stringify(claims)));
}

function bearer(token: string): ResourceRequest {
  return { method: 'GET', url: URL_OF_RESOURCE, headers: { authorization: `Bearer ${token}` } };
}

function webRequest(headers: Record<string, string>): Request {
  return new Request(URL_OF_RESOURCE, { headers });
}

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(`${what}: refused during the benchmark`);
}

/** How many DPoP checks Rampart makes in a second here, to make enough unseen proofs for one timed run. */
async function dpopRate(rs: ResourceServer, key: DpopKey, token: string): Promise<number> {
  const proofs = Array.from({ length: 400 }, () => proofFor(key, token));
  const started = performance.now();
  for (const proof of proofs) must((await rs.authenticate({ ...bearer(token), headers: { authorization: `DPoP ${token}`, dpop: proof } })).ok, 'calibration');
  return (proofs.length * 1000) / (performance.now() - started);
}

/** Resource-server validation: bearer (cache on and off), DPoP, and mTLS binding, Rampart vs oauth4webapi. */
export async function run(): Promise<BenchRow[]> {
  const keys = await JwtKeySet.generate({ algorithm: 'EdDSA' });
  const issuer = createJwtIssuer({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 3600 });
  const mint = (claims: Record<string, unknown> = {}): string =>
    issuer.issueAccessToken({ sub: 'user-42', client_id: 'client-7', scope: 'orders:read', ...claims }).token;

  const rs = createResourceServer({ issuer: ISSUER, audience: AUDIENCE, keys });
  const uncached = createResourceServer({ issuer: ISSUER, audience: AUDIENCE, keys, cache: false });
  const as: oauth.AuthorizationServer = { issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` };
  // The JWKS preloaded into oauth4webapi's cache: no network on either side.
  const peerOptions: oauth.ValidateJWTAccessTokenOptions = {
    [oauth.jwksCache]: { jwks: keys.jwks() as unknown as oauth.JWKS, uat: Math.floor(Date.now() / 1000) },
    signingAlgorithms: ['EdDSA', 'ES256'],
  };
  const peer = (request: Request): Promise<oauth.JWTAccessTokenClaims> => oauth.validateJwtAccessToken(as, request, AUDIENCE, peerOptions);

  // Plain bearer tokens.
  const tokens = Array.from({ length: DISTINCT_TOKENS }, (_, i) => mint({ sub: `user-${i}` }));
  const bearerInputs = tokens.map(bearer);
  const bearerRequests = tokens.map((token) => webRequest({ authorization: `Bearer ${token}` }));
  for (let i = 0; i < DISTINCT_TOKENS; i += 1) {
    must((await uncached.authenticate(bearerInputs[i]!)).ok, 'rampart bearer');
    await peer(bearerRequests[i]!);
  }

  // DPoP: one bound token, a proof never seen before for every Rampart call.
  const key = await dpopKey();
  const bound = mint({ cnf: { jkt: key.thumbprint } });
  const rate = await dpopRate(rs, key, bound);
  const poolSize = Math.ceil(rate * ((TIME_MS + 1500) / 1000) * 2) + 2000;
  const dpopInputs: ResourceRequest[] = [];
  const dpopRequests: Request[] = [];
  for (let i = 0; i < poolSize; i += 1) {
    const headers = { authorization: `DPoP ${bound}`, dpop: proofFor(key, bound) };
    dpopInputs.push({ method: 'GET', url: URL_OF_RESOURCE, headers });
    dpopRequests.push(webRequest(headers));
  }
  await peer(dpopRequests[0]!);

  // mTLS: the token names the certificate's SHA-256; the connection presents that certificate.
  const certificate = await clientCertificate('bench-client');
  const thumbprint = certificateThumbprint(certificate.der);
  const certBound = mint({ cnf: { 'x5t#S256': thumbprint } });
  const mtlsInput: ResourceRequest = { ...bearer(certBound), peerCertificate: certificate.der };
  must((await rs.authenticate(mtlsInput)).ok, 'rampart mtls');
  const plainRequest = bearerRequests[0]!;
  const expected = Buffer.from(thumbprint, 'base64url');
  const handWritten = async (): Promise<void> => {
    await peer(plainRequest);
    const presented = createHash('sha256').update(certificate.der).digest();
    must(timingSafeEqual(presented, expected), 'hand-written x5t#S256');
  };

  let a = 0;
  let b = 0;
  let d = 0;
  let e = 0;
  const rows: BenchRow[] = [];
  rows.push(
    await compare(
      'RS bearer token, the same token again',
      { name: 'rampart authenticate (cache on)', fn: async () => { must((await rs.authenticate(bearerInputs[0]!)).ok, 'rampart'); } },
      { name: 'oauth4webapi validateJwtAccessToken', fn: () => peer(plainRequest) },
    ),
  );
  rows.push(
    await compare(
      'RS bearer token, a different token each call',
      { name: 'rampart authenticate (cache off)', fn: async () => { must((await uncached.authenticate(bearerInputs[(a = (a + 1) % DISTINCT_TOKENS)]!)).ok, 'rampart'); } },
      { name: 'oauth4webapi validateJwtAccessToken', fn: () => peer(bearerRequests[(b = (b + 1) % DISTINCT_TOKENS)]!) },
    ),
  );
  rows.push(
    await compare(
      'RS DPoP-bound token + fresh ES256 proof',
      {
        name: 'rampart authenticate (+ jti replay check)',
        fn: async () => {
          const input = dpopInputs[d];
          d += 1;
          if (input === undefined) throw new Error('DPoP proof pool exhausted: raise the pool size');
          must((await rs.authenticate(input)).ok, 'rampart dpop');
        },
      },
      { name: 'oauth4webapi (no jti check)', fn: () => peer(dpopRequests[(e = (e + 1) % poolSize)]!) },
    ),
  );
  rows.push(
    await compare(
      'RS certificate-bound token (RFC 8705)',
      { name: 'rampart authenticate (x5t#S256)', fn: async () => { must((await rs.authenticate(mtlsInput)).ok, 'rampart mtls'); } },
      { name: 'oauth4webapi bearer + hand x5t check', fn: handWritten },
    ),
  );
  await Promise.all([rs.close(), uncached.close()]);
  return rows;
}
