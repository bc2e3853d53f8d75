/*
 * A real authorization server for the tests, as far as a resource server sees one: an HTTP (or HTTPS) listener on
 * 127.0.0.1 serving RFC 8414 / OpenID Connect metadata and a JWKS, and tokens signed with jose. Plus a DPoP client:
 * proofs signed with jose over a key of its own.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTHeaderParameters,
} from 'jose';

export const AUDIENCE = 'https://api.example';
export const RESOURCE_URL = 'https://api.example/orders';

/**
 * The orders policy the resource-server tests and the adapters' conformance cases decide with: clerks may read and
 * refund orders; a token narrows that to its scopes. The role comes from the service's own data, never a token claim.
 */
export const ORDERS_POLICY = `
apiVersion: rampart.authz/v1
name: orders
version: "1"
roles:
  clerk:
    permissions: ["order:read", "order:refund"]
scopes:
  "orders:read": ["order:read"]
  "orders:refund": ["order:refund"]
resources:
  order:
    actions: [read, refund]
`;

/** The algorithms the test issuer signs with: the elliptic ones of Rampart's issuer, and RSA as hosted issuers use it. */
export type IssuerAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'PS256';

export interface SigningPair {
  readonly kid: string;
  readonly alg: IssuerAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * A key pair of jose's (RSA: 2048 bits), its public JWK published with `kid`, `alg` and `use`. `publishAlg: false`
 * leaves `alg` out of the JWK, as several hosted issuers do with their RSA keys.
 */
export async function signingPair(alg: IssuerAlgorithm = 'EdDSA', options: { readonly publishAlg?: boolean } = {}): Promise<SigningPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, ...(options.publishAlg === false ? {} : { alg }), use: 'sig' } };
}

/** How the issuer answers its metadata requests. */
export interface IssuerBehaviour {
  /** Which metadata documents exist. Default both. */
  metadata: 'both' | 'rfc8414' | 'oidc' | 'none';
  /** The `issuer` member served, when it should differ from the real one (a look-alike document). */
  issuerOverride: string | undefined;
  /** The `jwks_uri` served, when it should point elsewhere. */
  jwksUriOverride: string | undefined;
  /** Keys published in the JWKS before the signing key (weak, encryption or foreign keys). Default none. */
  extraJwks: readonly Record<string, unknown>[];
}

export interface TestIssuer {
  /** The issuer identifier, `http(s)://127.0.0.1:<port>` (plus `path`). */
  readonly url: string;
  readonly port: number;
  readonly behaviour: IssuerBehaviour;
  /** Every request path received, in order. */
  readonly requests: string[];
  /** The key that signs, published in the JWKS. */
  readonly key: SigningPair;
  /** Signs an RFC 9068 access token (typ at+jwt); claims and header can be overridden or removed (`undefined`). */
  mint(claims?: Readonly<Record<string, unknown>>, header?: Readonly<Record<string, unknown>>): Promise<string>;
  close(): Promise<void>;
}

export interface IssuerOptions {
  /** A path under the origin, for multi-tenant issuers (`/tenants/acme`). */
  readonly path?: string;
  /** Serve over TLS with this certificate (the resource server then needs the CA as `fetch.ca`). */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly alg?: IssuerAlgorithm;
  /** Publish the key's `alg` in the JWKS. Default `true`. */
  readonly publishAlg?: boolean;
}

/** The claims of a valid access token of `issuer` for {@link AUDIENCE}. */
export function accessTokenClaims(issuer: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    aud: AUDIENCE,
    sub: 'user-42',
    client_id: 'client-7',
    iat: now,
    exp: now + 300,
    jti: randomUUID(),
    scope: 'orders:read orders:write',
  };
}

/** Signs `claims` with `header` (undefined members removed) using jose. */
export async function signJwt(key: SigningPair, claims: Readonly<Record<string, unknown>>, header: Readonly<Record<string, unknown>>): Promise<string> {
  const payload = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined)) as JWTPayload;
  const merged: Record<string, unknown> = { alg: key.alg, ...header };
  const protectedHeader = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
  return new SignJWT(payload).setProtectedHeader(protectedHeader as JWTHeaderParameters).sign(key.privateKey);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Starts an issuer on 127.0.0.1 on a free port. */
export async function startIssuer(options: IssuerOptions = {}): Promise<TestIssuer> {
  const key = await signingPair(options.alg ?? 'EdDSA', { publishAlg: options.publishAlg ?? true });
  const behaviour: IssuerBehaviour = { metadata: 'both', issuerOverride: undefined, jwksUriOverride: undefined, extraJwks: [] };
  const requests: string[] = [];
  const path = options.path ?? '';
  let url = '';
  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const target = request.url ?? '/';
    requests.push(target);
    const metadata = {
      issuer: behaviour.issuerOverride ?? url,
      jwks_uri: behaviour.jwksUriOverride ?? `${url}/jwks`,
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
    };
    const rfc8414 = `/.well-known/oauth-authorization-server${path}`;
    const oidc = `${path}/.well-known/openid-configuration`;
    if (target === rfc8414 && (behaviour.metadata === 'both' || behaviour.metadata === 'rfc8414')) json(response, 200, metadata);
    else if (target === oidc && (behaviour.metadata === 'both' || behaviour.metadata === 'oidc')) json(response, 200, metadata);
    else if (target === `${path}/jwks`) json(response, 200, { keys: [...behaviour.extraJwks, key.publicJwk] });
    else json(response, 404, { error: 'not_found' });
  };
  const server = options.tls === undefined ? createServer(handler) : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  url = `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}${path}`;
  return {
    url,
    port,
    behaviour,
    requests,
    key,
    mint: (claims = {}, header = {}) => signJwt(key, { ...accessTokenClaims(url), ...claims }, { typ: 'at+jwt', kid: key.kid, ...header }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A DPoP client: its own key pair, and proofs signed with jose. */
export interface DpopClient {
  readonly key: SigningPair;
  /** RFC 7638 thumbprint of the public key: the `cnf.jkt` a token bound to this client carries. */
  readonly thumbprint: string;
  /** A proof for `method` `url` and `accessToken`; claims and header can be overridden or removed (`undefined`). */
  proof(
    method: string,
    url: string,
    accessToken: string | undefined,
    claims?: Readonly<Record<string, unknown>>,
    header?: Readonly<Record<string, unknown>>,
  ): Promise<string>;
}

/** The `ath` of an access token (RFC 9449 §4.2). */
export function athOf(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

export async function dpopClient(alg: 'EdDSA' | 'ES256' = 'ES256'): Promise<DpopClient> {
  const key = await signingPair(alg);
  const { kid: _kid, alg: _alg, use: _use, ...jwk } = key.publicJwk;
  const thumbprint = await calculateJwkThumbprint(jwk);
  return {
    key,
    thumbprint,
    proof: (method, url, accessToken, claims = {}, header = {}) =>
      signJwt(
        key,
        {
          htm: method,
          htu: url,
          iat: Math.floor(Date.now() / 1000),
          jti: randomBytes(16).toString('base64url'),
          ...(accessToken === undefined ? {} : { ath: athOf(accessToken) }),
          ...claims,
        },
        { typ: 'dpop+jwt', jwk, ...header },
      ),
  };
}
