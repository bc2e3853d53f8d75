/*
 * OAuth 2.1 access tokens through every adapter's `requireAccessToken(...)`, over real HTTPS on 127.0.0.1 with client
 * certificates: the attacks on DPoP, certificate binding, audience and scopes are performed and must be refused with
 * the same status, challenge and problem under every framework; the handler never runs for them; the principal and
 * the token's scopes reach the handler and `authorize(...)`.
 */
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint } from '@rampart/core/token';
import { clientCertificate, createPki, type Certificate, type TestPki } from '../../core/src/token/resource-server/certificates.fixtures.js';
import { dpopClient, startIssuer, type DpopClient, type TestIssuer } from '../../core/src/token/resource-server/issuer.fixtures.js';
import { startResourceApp, type ResourceApp } from './resource-server.fixtures.js';
import { ADAPTERS } from './servers.js';

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

let pki: TestPki;
let issuer: TestIssuer;
let alice: Certificate;
let mallory: Certificate;
let client: DpopClient;

beforeAll(async () => {
  pki = await createPki();
  [alice, mallory] = await Promise.all([clientCertificate('alice'), clientCertificate('mallory')]);
  issuer = await startIssuer();
  client = await dpopClient();
});

afterAll(async () => {
  await issuer.close();
});

const CHALLENGES = 'Bearer, DPoP algs="ES256 EdDSA"';

describe.each(ADAPTERS)('requireAccessToken() through %s', (adapter) => {
  let app: ResourceApp;

  beforeAll(async () => {
    app = await startResourceApp(adapter, issuer, pki);
  });

  afterAll(async () => {
    await app.close();
  });

  /** One request on a fresh TLS connection, with a client certificate when given. */
  function call(path: string, headers: Record<string, string>, options: { method?: string; certificate?: Certificate } = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const outgoing = httpsRequest(
        {
          host: '127.0.0.1',
          port: app.port,
          path,
          method: options.method ?? 'GET',
          ca: pki.caPem,
          agent: false,
          headers,
          ...(options.certificate === undefined ? {} : { cert: options.certificate.certPem, key: options.certificate.keyPem }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
  }

  const url = (path: string): string => `https://127.0.0.1:${app.port}${path}`;

  /** A refusal: the status, a problem body, the security headers, and no handler run. */
  async function refused(act: () => Promise<Reply>, status: number, code?: string): Promise<Reply> {
    const before = app.handled.count;
    const reply = await act();
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.body).toMatchObject({ status, ...(code === undefined ? {} : { code }) });
    expect(typeof reply.body.correlationId).toBe('string');
    expect(app.handled.count).toBe(before);
    return reply;
  }

  it('no token: 401 with both challenges and no error code', async () => {
    const reply = await refused(() => call('/orders', {}), 401, 'token.missing');
    expect(reply.headers['www-authenticate']).toBe(CHALLENGES);
  });

  it('a valid bearer token reaches the handler; the principal is in the framework’s variable and the chain’s context', async () => {
    const reply = await call('/orders', { authorization: `Bearer ${await issuer.mint()}` });
    expect(reply).toMatchObject({ status: 200, body: { subject: 'user-42', confirmation: 'bearer', scopes: ['orders:read', 'orders:write'], fromChain: 'user-42' } });
  });

  it('attack: a token for another service (audience) is 401 invalid_token, and the event joins the response by correlation id', async () => {
    const before = app.events.length;
    const reply = await refused(async () => call('/orders', { authorization: `Bearer ${await issuer.mint({ aud: 'https://billing.example' })}` }), 401, 'token.invalid_token');
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+", DPoP algs="ES256 EdDSA"$/);
    const event = app.events.slice(before).find((e) => e.type === 'token.access.refused');
    expect(event?.attributes).toMatchObject({ reason: 'token_audience_mismatch', scheme: 'bearer', correlationId: reply.body.correlationId });
    expect(JSON.stringify(reply.body)).not.toMatch(/audience|billing/);
  });

  it('attack: a token without the route’s scope is 403 insufficient_scope, naming the scope', async () => {
    const reply = await refused(async () => call('/orders', { authorization: `Bearer ${await issuer.mint({ scope: 'orders:write' })}` }), 403, 'token.insufficient_scope');
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope", error_description="[^"]+", scope="orders:read", DPoP/);
  });

  it('attack: a malformed Authorization header is 400 invalid_request', async () => {
    const reply = await refused(() => call('/orders', { authorization: 'Bearer a b' }), 400, 'token.invalid_request');
    expect(reply.headers['www-authenticate']).toMatch(/error="invalid_request"/);
  });

  it('DPoP: a proof for this URL passes once; replayed, for another URL or without binding it is refused', async () => {
    const token = await issuer.mint({ cnf: { jkt: client.thumbprint } });
    const proof = await client.proof('GET', url('/orders'), token);
    const first = await call('/orders?page=1', { authorization: `DPoP ${token}`, dpop: proof });
    expect(first).toMatchObject({ status: 200, body: { confirmation: 'dpop' } });

    const replay = await refused(() => call('/orders', { authorization: `DPoP ${token}`, dpop: proof }), 401, 'token.invalid_dpop_proof');
    expect(replay.headers['www-authenticate']).toMatch(/^Bearer, DPoP algs="ES256 EdDSA", error="invalid_dpop_proof"/);
    await refused(async () => call('/orders', { authorization: `DPoP ${token}`, dpop: await client.proof('GET', url('/admin'), token) }), 401, 'token.invalid_dpop_proof');
    await refused(async () => call('/orders', { authorization: `DPoP ${token}`, dpop: await client.proof('POST', url('/orders'), token) }), 401, 'token.invalid_dpop_proof');
    await refused(async () => call('/orders', { authorization: `DPoP ${token}`, dpop: await (await dpopClient()).proof('GET', url('/orders'), token) }), 401, 'token.invalid_dpop_proof');
  });

  it('attack: a DPoP-bound token presented as a plain Bearer token is refused', async () => {
    const token = await issuer.mint({ cnf: { jkt: client.thumbprint } });
    const reply = await refused(() => call('/orders', { authorization: `Bearer ${token}` }), 401, 'token.invalid_token');
    expect(reply.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('mTLS: a certificate-bound token passes with its certificate read from the TLS socket, and only with it', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': certificateThumbprint(alice.der) } });
    expect(await call('/orders', { authorization: `Bearer ${token}` }, { certificate: alice })).toMatchObject({ status: 200, body: { confirmation: 'mtls' } });
    await refused(() => call('/orders', { authorization: `Bearer ${token}` }, { certificate: mallory }), 401, 'token.invalid_token');
    await refused(() => call('/orders', { authorization: `Bearer ${token}` }), 401, 'token.invalid_token');
    const reasons = app.events.filter((e) => e.type === 'token.access.refused').map((e) => e.attributes?.reason);
    expect(reasons).toEqual(expect.arrayContaining(['mtls_certificate_mismatch', 'mtls_certificate_missing']));
  });

  it('authorize(): the token’s scopes narrow the role; a refund needs the refund scope and the clerk role', async () => {
    const readOnly = await issuer.mint({ sub: 'clerk-1', scope: 'orders:read' });
    const denied = await refused(() => call('/orders/o-1/refund', { authorization: `Bearer ${readOnly}` }, { method: 'POST' }), 403, 'authz.denied');
    expect(denied.body).not.toHaveProperty('reason');
    expect(app.events.some((e) => e.type === 'authz.denied' && e.attributes?.reason === 'scope_not_granted')).toBe(true);

    const refund = await issuer.mint({ sub: 'clerk-1', scope: 'orders:read orders:refund' });
    expect(await call('/orders/o-1/refund', { authorization: `Bearer ${refund}` }, { method: 'POST' })).toMatchObject({
      status: 200,
      body: { refunded: true, rule: 'roles/clerk/order:refund' },
    });

    // Every scope, but not a clerk: scopes never grant.
    const customer = await issuer.mint({ sub: 'customer-9', scope: 'orders:read orders:refund' });
    await refused(() => call('/orders/o-1/refund', { authorization: `Bearer ${customer}` }, { method: 'POST' }), 404);
  });

  it('attack: no token at a route guarded by authorize() never reaches the authorizer', async () => {
    const before = app.events.length;
    await refused(() => call('/orders/o-1/refund', {}, { method: 'POST' }), 401, 'token.missing');
    expect(app.events.slice(before).some((e) => e.type.startsWith('authz.'))).toBe(false);
  });
});
