/*
 * Certificate-bound access tokens (RFC 8705 §3) over a real TLS server on 127.0.0.1 that asks for client
 * certificates: the token is accepted with its own certificate only. The issuer itself runs over HTTPS here, reached
 * with the test CA and no insecure loosening.
 */
import { X509Certificate } from 'node:crypto';
import { request as httpsRequest, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { clientCertificate, createPki, type Certificate, type TestPki } from './certificates.fixtures.js';
import { peerCertificateOf, requestUrlOf } from './gate.js';
import { AUDIENCE, dpopClient, startIssuer, type TestIssuer } from './issuer.fixtures.js';
import { certificateMatches, certificateThumbprint } from './mtls.js';
import { createResourceServer, type ResourceServer } from './resource-server.js';

let pki: TestPki;
let issuer: TestIssuer;
let rs: ResourceServer;
let api: Server;
let port: number;
let alice: Certificate;
let mallory: Certificate;
const events: SecurityEvent[] = [];

interface Answer {
  readonly status: number;
  readonly body: { readonly ok: boolean; readonly reason?: string; readonly confirmation?: string };
  readonly challenge: string | undefined;
}

/** One request on a fresh connection (no session resumption), with or without a client certificate. */
function call(headers: Record<string, string>, certificate?: Certificate): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/orders',
        ca: pki.caPem,
        agent: false,
        headers,
        ...(certificate === undefined ? {} : { cert: certificate.certPem, key: certificate.keyPem }),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const challenge = res.headers['www-authenticate'];
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'], challenge });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  pki = await createPki();
  [alice, mallory] = await Promise.all([clientCertificate('alice-client'), clientCertificate('mallory-client')]);
  issuer = await startIssuer({ tls: { cert: pki.server.certPem, key: pki.server.keyPem } });
  // https all the way: the only loosenings are the test CA, the loopback address and the port, each by name.
  rs = createResourceServer({
    issuer: issuer.url,
    audience: AUDIENCE,
    fetch: { ca: pki.caPem, allowAddresses: ['127.0.0.1/32'], allowPorts: [issuer.port] },
    events: (event) => events.push(event),
  });
  // The TLS layer asks for a certificate and accepts a self-signed one: the binding, not a CA, decides (RFC 8705 §2.2).
  api = createServer({ cert: pki.server.certPem, key: pki.server.keyPem, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const url = requestUrlOf({ origin: undefined, tls: true, host: req.headers.host, target: req.url ?? '/' });
    const peerCertificate = peerCertificateOf(req.socket);
    void rs.authenticate({ method: req.method ?? 'GET', url, headers: req.headers, ...(peerCertificate === undefined ? {} : { peerCertificate }) }).then((result) => {
      if (result.ok) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, confirmation: result.value.confirmation }));
        return;
      }
      const problem = rs.problem(result);
      res.writeHead(problem.status, { 'content-type': 'application/json', ...problem.headers }).end(JSON.stringify({ ok: false, reason: result.reason }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  port = (api.address() as AddressInfo).port;
});

afterAll(async () => {
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
  await rs.close();
  await issuer.close();
});

describe('RFC 8705 certificate-bound tokens over real TLS', () => {
  it('the thumbprint is base64url(SHA-256(DER)), the same as node:crypto’s own fingerprint', () => {
    const fingerprint = new X509Certificate(alice.certPem).fingerprint256.replaceAll(':', '');
    expect(certificateThumbprint(alice.der)).toBe(Buffer.from(fingerprint, 'hex').toString('base64url'));
    expect(certificateMatches(alice.der, certificateThumbprint(alice.der))).toBe('match');
    expect(certificateMatches(mallory.der, certificateThumbprint(alice.der))).toBe('mismatch');
    expect(certificateMatches(undefined, certificateThumbprint(alice.der))).toBe('missing');
  });

  it('accepts a certificate-bound token presented over the connection with its certificate', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': certificateThumbprint(alice.der) } });
    const answer = await call({ authorization: `Bearer ${token}` }, alice);
    expect(answer).toMatchObject({ status: 200, body: { ok: true, confirmation: 'mtls' } });
  });

  it('attack: the token presented with another client certificate is refused (stolen token, thief’s own certificate)', async () => {
    events.length = 0;
    const token = await issuer.mint({ cnf: { 'x5t#S256': certificateThumbprint(alice.der) } });
    const answer = await call({ authorization: `Bearer ${token}` }, mallory);
    expect(answer).toMatchObject({ status: 401, body: { ok: false, reason: 'mtls_certificate_mismatch' } });
    expect(answer.challenge).toMatch(/^Bearer error="invalid_token"/);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'token.access.refused', subject: 'user-42', attributes: { reason: 'mtls_certificate_mismatch' } });
    expect(JSON.stringify(events)).not.toContain(token.split('.')[2]);
  });

  it('attack: the token presented without any client certificate is refused', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': certificateThumbprint(alice.der) } });
    expect(await call({ authorization: `Bearer ${token}` })).toMatchObject({ status: 401, body: { reason: 'mtls_certificate_missing' } });
  });

  it('attack: a thumbprint one character off never matches, and a malformed one is refused as an invalid claim', async () => {
    const right = certificateThumbprint(alice.der);
    const flipped = `${right.slice(0, 10)}${right[10] === 'A' ? 'B' : 'A'}${right.slice(11)}`;
    const off = await issuer.mint({ cnf: { 'x5t#S256': flipped } });
    expect(await call({ authorization: `Bearer ${off}` }, alice)).toMatchObject({ status: 401, body: { reason: 'mtls_certificate_mismatch' } });
    const hex = await issuer.mint({ cnf: { 'x5t#S256': new X509Certificate(alice.certPem).fingerprint256 } });
    expect(await call({ authorization: `Bearer ${hex}` }, alice)).toMatchObject({ status: 401, body: { reason: 'token_invalid_claim' } });
  });

  it('an unbound token is a bearer token whatever certificate comes with it', async () => {
    expect(await call({ authorization: `Bearer ${await issuer.mint()}` }, mallory)).toMatchObject({ status: 200, body: { confirmation: 'bearer' } });
  });

  it('a token bound to a DPoP key and a certificate needs both', async () => {
    const dpop = await dpopClient();
    const token = await issuer.mint({ cnf: { jkt: dpop.thumbprint, 'x5t#S256': certificateThumbprint(alice.der) } });
    const url = `https://127.0.0.1:${port}/orders`;
    const proof = await dpop.proof('GET', url, token);
    expect(await call({ authorization: `DPoP ${token}`, dpop: proof }, mallory)).toMatchObject({ status: 401, body: { reason: 'mtls_certificate_mismatch' } });
    // The refused request did not burn the proof: the certificate is checked before the proof's jti is taken.
    expect(await call({ authorization: `DPoP ${token}`, dpop: proof }, alice)).toMatchObject({ status: 200, body: { confirmation: 'dpop' } });
    expect(await call({ authorization: `DPoP ${token}` }, alice)).toMatchObject({ status: 401, body: { reason: 'dpop_proof_missing' } });
  });
});
