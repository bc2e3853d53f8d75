/*
 * Where a client certificate comes from (RFC 8705): this server's own TLS socket, or the header of a trusted
 * TLS-terminating proxy — real TLS handshakes and real sockets on 127.0.0.1, never a mocked request.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateAuthority, escapedPem, issueCertificate, type TestCertificate } from './certificates.fixtures.js';
import { clientCertificateSource, subjectMatches, type ClientCertificateSource } from './certificates.js';

interface Seen {
  readonly present: boolean;
  readonly authorized?: boolean;
  readonly subject?: string;
}

/** A server answering what `source` found on each request. */
async function listen(server: Server, source: ClientCertificateSource): Promise<{ port: number; close: () => Promise<void> }> {
  server.on('request', (request: IncomingMessage, response) => {
    const found = source(request);
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify(found === undefined ? { present: false } : { present: true, authorized: found.authorized, subject: found.certificate.subject }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => { resolve(); })),
  };
}

function ask(options: RequestOptions, secure: boolean): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => { resolve(JSON.parse(body) as Seen); });
    });
    request.on('error', reject);
    request.end();
  });
}

describe('client certificates from the TLS socket', () => {
  let ca: TestCertificate;
  let server: TestCertificate;
  let issued: TestCertificate;
  let selfSigned: TestCertificate;
  let running: { port: number; close: () => Promise<void> };
  let withoutClientCa: { port: number; close: () => Promise<void> };

  beforeAll(async () => {
    ca = await certificateAuthority();
    server = await issueCertificate('CN=127.0.0.1', ca, { ip: '127.0.0.1', server: true });
    issued = await issueCertificate('CN=billing.example, O=Example', ca);
    selfSigned = await issueCertificate('CN=self.example');
    const https = createHttpsServer({ key: server.keyPem, cert: server.pem, ca: ca.pem, requestCert: true, rejectUnauthorized: false });
    running = await listen(https, clientCertificateSource({ trustedProxies: [], socketClientCa: true }));
    // The same listener, but its `ca` was not configured as the client PKI (RAMPART_TLS_CLIENT_CA_FILE unset).
    const unconfigured = createHttpsServer({ key: server.keyPem, cert: server.pem, ca: ca.pem, requestCert: true, rejectUnauthorized: false });
    withoutClientCa = await listen(unconfigured, clientCertificateSource({ trustedProxies: [] }));
  });
  afterAll(async () => {
    await running.close();
    await withoutClientCa.close();
  });

  const base = () => ({ host: '127.0.0.1', port: running.port, path: '/', ca: ca.pem, agent: false as const });

  it('reads the certificate the client presented, authorized when a CA the server trusts issued it', async () => {
    expect(await ask({ ...base(), key: issued.keyPem, cert: issued.pem }, true)).toEqual({ present: true, authorized: true, subject: 'CN=billing.example\nO=Example' });
  });

  it('a self-signed certificate is presented but not authorized (only self_signed_tls_client_auth, which pins it, accepts it)', async () => {
    expect(await ask({ ...base(), key: selfSigned.keyPem, cert: selfSigned.pem }, true)).toEqual({ present: true, authorized: false, subject: 'CN=self.example' });
  });

  it('attack: without configured client CAs, a certificate the TLS layer verified still counts as unverified (no public root vouches for clients)', async () => {
    expect(await ask({ ...base(), port: withoutClientCa.port, key: issued.keyPem, cert: issued.pem }, true)).toEqual({ present: true, authorized: false, subject: 'CN=billing.example\nO=Example' });
  });

  it('attack: a certificate header sent over TLS is not read — the socket is the only source there', async () => {
    expect(await ask({ ...base(), headers: { 'x-ssl-client-cert': escapedPem(issued) } }, true)).toEqual({ present: false });
  });
});

describe('client certificates from a trusted proxy header', () => {
  let ca: TestCertificate;
  let issued: TestCertificate;
  let trusted: { port: number; close: () => Promise<void> };
  let untrusted: { port: number; close: () => Promise<void> };
  const proxyHeaders = { certificate: 'x-ssl-client-cert', verified: 'x-ssl-client-verify' };

  beforeAll(async () => {
    ca = await certificateAuthority();
    issued = await issueCertificate('CN=billing.example, O=Example', ca);
    trusted = await listen(createHttpServer(), clientCertificateSource({ trustedProxies: ['127.0.0.1/32', '::1/128'], proxyHeaders }));
    untrusted = await listen(createHttpServer(), clientCertificateSource({ trustedProxies: ['10.0.0.0/8'], proxyHeaders }));
  });
  afterAll(async () => {
    await trusted.close();
    await untrusted.close();
  });

  const get = (port: number, headers: Record<string, string | string[]>) => ask({ host: '127.0.0.1', port, path: '/', headers, agent: false }, false);

  it('reads URL-encoded PEM (nginx) and base64 DER (load balancers) from a trusted peer, authorized only with the verdict SUCCESS', async () => {
    expect(await get(trusted.port, { 'x-ssl-client-cert': escapedPem(issued), 'x-ssl-client-verify': 'SUCCESS' })).toMatchObject({ present: true, authorized: true });
    expect(await get(trusted.port, { 'x-ssl-client-cert': issued.der.toString('base64') })).toMatchObject({ present: true, authorized: false });
    expect(await get(trusted.port, { 'x-ssl-client-cert': escapedPem(issued), 'x-ssl-client-verify': 'FAILED:self signed certificate' })).toMatchObject({ present: true, authorized: false });
  });

  it('attack: the same headers from a peer that is not a trusted proxy are ignored', async () => {
    expect(await get(untrusted.port, { 'x-ssl-client-cert': escapedPem(issued), 'x-ssl-client-verify': 'SUCCESS' })).toEqual({ present: false });
  });

  it('attack: a repeated, oversized or malformed certificate header is no certificate', async () => {
    expect(await get(trusted.port, { 'x-ssl-client-cert': [escapedPem(issued), escapedPem(issued)] })).toEqual({ present: false });
    expect(await get(trusted.port, { 'x-ssl-client-cert': 'A'.repeat(9000) })).toEqual({ present: false });
    expect(await get(trusted.port, { 'x-ssl-client-cert': '%2D%2D%2D%2D%2DBEGIN%20CERTIFICATE%2D%2D%2D%2D%2Dgarbage' })).toEqual({ present: false });
    expect(await get(trusted.port, { 'x-ssl-client-cert': 'bm90IGEgY2VydGlmaWNhdGU=' })).toEqual({ present: false });
  });
});

describe('subject DN matching (tls_client_auth_subject_dn, RFC 8705 §2.1.2)', () => {
  let certificate: X509Certificate;
  beforeAll(async () => {
    certificate = new X509Certificate((await issueCertificate('CN=billing.example, O=Example Org')).pem);
  });

  it('matches the same distinguished name however its RFC 4514 string is spaced', () => {
    expect(subjectMatches(certificate, 'CN=billing.example, O=Example Org')).toBe(true);
    expect(subjectMatches(certificate, 'CN=billing.example,O=Example Org')).toBe(true);
  });

  it('attack: another name, another order, an extra or a missing attribute, or garbage does not match', () => {
    for (const other of ['CN=billing.example', 'O=Example Org, CN=billing.example', 'CN=billing.example, O=Example Org, OU=x', 'CN=billing.example.evil, O=Example Org', 'CN=billing.example, O=Example', '', 'not a dn ===']) {
      expect(subjectMatches(certificate, other)).toBe(false);
    }
  });
});
