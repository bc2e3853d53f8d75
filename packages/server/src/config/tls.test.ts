/*
 * TLS terminated by the server itself (RAMPART_TLS_*): the configuration's checks, and a whole server listening with
 * https on 127.0.0.1 — real handshakes, client certificates presented on the token endpoint (RFC 8705), certificate-
 * bound access tokens verified against the server's JWKS.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateAuthority, escapedPem, issueCertificate, thumbprintOf, type TestCertificate } from '../oauth/certificates.fixtures.js';
import { basic, ORDERS_API, registerClient, startOAuthServer } from '../oauth/oauth.fixtures.js';
import { freePort, type TestServer } from '../testing/server.fixtures.js';
import { loadConfig } from './config.js';
import { ServerConfigError } from './errors.js';
import { readTlsFiles, TLS_CIPHERS } from './tls.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-tls-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Writes PEM files into a fresh directory; keys owner-only, as a deployment keeps them. */
function files(entries: Readonly<Record<string, string>>): Record<string, string> {
  const dir = mkdtempSync(join(root, 'f'));
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(entries)) {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    paths[name] = path;
  }
  return paths;
}

function refusal(fn: () => unknown): ServerConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServerConfigError) return error;
    throw error;
  }
  throw new Error('expected a ServerConfigError');
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  readonly protocol: string | null;
  readonly cipher: string;
}

/** One https request to the server, trusting its CA only, presenting `client` when given. */
function call(port: number, ca: string, options: { method?: string; path: string; form?: Record<string, string>; headers?: Record<string, string>; client?: TestCertificate; tls?: Partial<RequestOptions> }): Promise<Answer> {
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        path: options.path,
        ca,
        agent: false,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }), ...options.headers },
        ...(options.client === undefined ? {} : { cert: options.client.pem, key: options.client.keyPem }),
        ...options.tls,
      },
      (incoming) => {
        const socket = incoming.socket;
        if (!(socket instanceof TLSSocket)) throw new Error('not a TLS connection');
        const protocol = socket.getProtocol();
        const cipher = socket.getCipher().name;
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => {
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), protocol, cipher });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** How a handshake ended: the OpenSSL reason the client reports (the alert the server sent), or `connected`. */
async function handshakeError(port: number, ca: string, tls: Partial<RequestOptions>): Promise<string> {
  try {
    await call(port, ca, { path: '/livez', tls });
  } catch (error) {
    return (error as Error).message;
  }
  return 'connected';
}

describe('TLS settings (RAMPART_TLS_CERT_FILE, RAMPART_TLS_KEY_FILE, RAMPART_TLS_CLIENT_CA_FILE)', () => {
  let serverCa: TestCertificate;
  let server: TestCertificate;
  let other: TestCertificate;
  let clientCa: TestCertificate;
  let leaf: TestCertificate;

  beforeAll(async () => {
    serverCa = await certificateAuthority('CN=Server CA, O=Rampart Tests');
    server = await issueCertificate('CN=127.0.0.1', serverCa, { ip: '127.0.0.1', server: true });
    other = await issueCertificate('CN=127.0.0.1', serverCa, { ip: '127.0.0.1', server: true });
    clientCa = await certificateAuthority();
    leaf = await issueCertificate('CN=billing.example, O=Example', clientCa);
  });

  it('reads the three files from the environment or the file, as absolute paths, and reports their source', () => {
    const paths = files({ 'cert.pem': server.pem, 'key.pem': server.keyPem, 'clients.pem': clientCa.pem });
    const cwd = mkdtempSync(join(root, 'c'));
    const config = loadConfig({ env: { RAMPART_TLS_CERT_FILE: paths['cert.pem']!, RAMPART_TLS_KEY_FILE: paths['key.pem']!, RAMPART_TLS_CLIENT_CA_FILE: paths['clients.pem']! }, cwd });
    expect(config.tls).toEqual({ certFile: paths['cert.pem'], keyFile: paths['key.pem'], clientCaFile: paths['clients.pem'] });
    expect(config.sources).toMatchObject({ 'tls.certFile': 'env', 'tls.keyFile': 'env', 'tls.clientCaFile': 'env' });
    // Relative paths in the file are relative to the directory the server starts in.
    writeFileSync(join(cwd, 'rampart.config.yaml'), 'tls:\n  certFile: cert.pem\n  keyFile: key.pem\n');
    writeFileSync(join(cwd, 'cert.pem'), server.pem);
    writeFileSync(join(cwd, 'key.pem'), server.keyPem, { mode: 0o600 });
    expect(loadConfig({ env: {}, cwd }).tls).toEqual({ certFile: join(cwd, 'cert.pem'), keyFile: join(cwd, 'key.pem') });
    expect(loadConfig({ env: {}, cwd: mkdtempSync(join(root, 'c')) }).tls).toBeUndefined();
  });

  it('refuses a certificate without its key (and a key without its certificate), naming the setting', () => {
    const paths = files({ 'cert.pem': server.pem });
    const error = refusal(() => loadConfig({ env: { RAMPART_TLS_CERT_FILE: paths['cert.pem']! }, cwd: root }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('/tls/keyFile: required');
    const caOnly = refusal(() => loadConfig({ env: { RAMPART_TLS_CLIENT_CA_FILE: paths['cert.pem']! }, cwd: root })).message;
    expect(caOnly).toContain('/tls/certFile: required');
    expect(caOnly).toContain('/tls/keyFile: required');
  });

  it('refuses a missing file, a key that is not the certificate\'s, an encrypted key, an expired certificate and a leaf given as client CA — never echoing the key', () => {
    const good = files({ 'cert.pem': server.pem, 'key.pem': server.keyPem, 'other-key.pem': other.keyPem, 'leaf.pem': leaf.pem, 'garbage.pem': 'not a certificate' });
    const env = (extra: Record<string, string>) => ({ RAMPART_TLS_CERT_FILE: good['cert.pem']!, RAMPART_TLS_KEY_FILE: good['key.pem']!, ...extra });
    const missing = refusal(() => loadConfig({ env: env({ RAMPART_TLS_KEY_FILE: join(root, 'nowhere.pem') }), cwd: root }));
    expect(missing.code).toBe('CONFIG_TLS_INVALID');
    expect(missing.message).toContain('/tls/keyFile: cannot read');
    const mismatched = refusal(() => loadConfig({ env: env({ RAMPART_TLS_KEY_FILE: good['other-key.pem']! }), cwd: root }));
    expect(mismatched.message).toContain('is not the key of the certificate');
    expect(mismatched.message).not.toContain('PRIVATE KEY');
    expect(refusal(() => loadConfig({ env: env({ RAMPART_TLS_CERT_FILE: good['garbage.pem']! }), cwd: root })).message).toContain('holds no PEM certificate');
    const clientLeaf = refusal(() => loadConfig({ env: env({ RAMPART_TLS_CLIENT_CA_FILE: good['leaf.pem']! }), cwd: root }));
    expect(clientLeaf.message).toContain('/tls/clientCaFile');
    expect(clientLeaf.message).toContain('not a CA');
    // The same files a day after the certificates expire.
    expect(refusal(() => readTlsFiles({ certFile: good['cert.pem']!, keyFile: good['key.pem']! }, Date.now() + 2 * 86_400_000)).message).toContain('expired');
  });

  it('refuses a PEM key protected by a passphrase the server would need in clear', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const encrypted = createPrivateKey(server.keyPem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
    const paths = files({ 'cert.pem': server.pem, 'key.pem': encrypted });
    expect(refusal(() => loadConfig({ env: { RAMPART_TLS_CERT_FILE: paths['cert.pem']!, RAMPART_TLS_KEY_FILE: paths['key.pem']! }, cwd: root })).message).toContain('is encrypted');
  });

  it('production refuses a private key every user of the machine can read', () => {
    const paths = files({ 'cert.pem': server.pem, 'key.pem': server.keyPem });
    const env = { RAMPART_ENV: 'production', RAMPART_KEK: 'a'.repeat(64), RAMPART_PUBLIC_URL: 'https://auth.example.com', RAMPART_TLS_CERT_FILE: paths['cert.pem']!, RAMPART_TLS_KEY_FILE: paths['key.pem']! };
    expect(loadConfig({ env, cwd: root }).tls?.keyFile).toBe(paths['key.pem']);
    chmodSync(paths['key.pem']!, 0o640);
    expect(loadConfig({ env, cwd: root }).tls?.keyFile).toBe(paths['key.pem']);
    chmodSync(paths['key.pem']!, 0o644);
    const error = refusal(() => loadConfig({ env, cwd: root }));
    expect(error.code).toBe('CONFIG_UNSAFE_FOR_PRODUCTION');
    expect(error.message).toContain('accessible to every user');
    // Development tolerates it (a checkout's test key).
    expect(loadConfig({ env: { RAMPART_TLS_CERT_FILE: paths['cert.pem']!, RAMPART_TLS_KEY_FILE: paths['key.pem']! }, cwd: root }).tls).toBeDefined();
  });
});

describe('the server listening with TLS and client certificates (SQLite)', () => {
  let serverCa: TestCertificate;
  let clientCa: TestCertificate;
  let billing: TestCertificate;
  let port: number;
  let url: string;
  let t: TestServer;
  let jwks: ReturnType<typeof createLocalJWKSet>;

  beforeAll(async () => {
    serverCa = await certificateAuthority('CN=Server CA, O=Rampart Tests');
    const server = await issueCertificate('CN=127.0.0.1', serverCa, { ip: '127.0.0.1', server: true });
    clientCa = await certificateAuthority('CN=Client CA, O=Rampart Tests');
    billing = await issueCertificate('CN=billing.example, O=Example', clientCa);
    const paths = files({ 'cert.pem': server.pem, 'key.pem': server.keyPem, 'clients.pem': clientCa.pem });
    port = await freePort();
    url = `https://127.0.0.1:${port}`;
    t = await startOAuthServer('sqlite', {
      RAMPART_PORT: String(port),
      RAMPART_PUBLIC_URL: url,
      RAMPART_TLS_CERT_FILE: paths['cert.pem']!,
      RAMPART_TLS_KEY_FILE: paths['key.pem']!,
      RAMPART_TLS_CLIENT_CA_FILE: paths['clients.pem']!,
      // A proxy on this machine with certificate headers: over the server's own TLS they must not count.
      RAMPART_TRUSTED_PROXIES: '127.0.0.1/32',
      RAMPART_OAUTH_MTLS_CERT_HEADER: 'x-ssl-client-cert',
      RAMPART_OAUTH_MTLS_VERIFIED_HEADER: 'x-ssl-client-verify',
    });
    const keys = await call(port, serverCa.pem, { path: '/.well-known/jwks.json' });
    jwks = createLocalJWKSet(keys.body as unknown as JSONWebKeySet);
  });
  afterAll(async () => {
    await t.close();
  });

  const token = (form: Record<string, string>, options: { client?: TestCertificate; headers?: Record<string, string> } = {}) =>
    call(port, serverCa.pem, { path: '/oauth/token', form, ...options });
  const verify = (jwt: unknown) => jwtVerify(String(jwt), jwks, { issuer: url, audience: ORDERS_API, typ: 'at+jwt' });

  it('speaks TLS 1.3 (1.2 with ECDHE + AEAD only), publishes an https issuer and sends HSTS', async () => {
    const live = await call(port, serverCa.pem, { path: '/livez' });
    expect(live.status).toBe(200);
    expect(live.protocol).toBe('TLSv1.3');
    expect(live.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const discovery = await call(port, serverCa.pem, { path: '/.well-known/oauth-authorization-server' });
    expect(discovery.body).toMatchObject({ issuer: url, token_endpoint: `${url}/oauth/token`, tls_client_certificate_bound_access_tokens: true });
    const tls12 = await call(port, serverCa.pem, { path: '/livez', tls: { maxVersion: 'TLSv1.2' } });
    expect(tls12.protocol).toBe('TLSv1.2');
    expect(TLS_CIPHERS.split(':')).toContain(tls12.cipher);
    expect(tls12.cipher).toMatch(/^ECDHE-ECDSA-(AES\d+-GCM|CHACHA20-POLY1305)/);
  });

  it('attack: a client offering only CBC suites, or only TLS 1.1, is refused by the server\'s alert', async () => {
    // The server answers with a handshake_failure alert (40): no suite in common. Node's default server list would
    // have accepted these (they are in OpenSSL's HIGH).
    expect(await handshakeError(port, serverCa.pem, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384' })).toMatch(/alert handshake failure.*SSL alert number 40/);
    // The client's OpenSSL is told to allow TLS 1.1; the server's protocol_version alert (70) refuses it.
    expect(await handshakeError(port, serverCa.pem, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).toMatch(/alert protocol version.*SSL alert number 70/);
  });

  it('tls_client_auth: the certificate presented in the handshake authenticates the client, and the token is bound to it (cnf x5t#S256)', async () => {
    const { clientId } = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example', certificateBoundAccessTokens: true });
    const answer = await token({ grant_type: 'client_credentials', client_id: clientId, resource: ORDERS_API, scope: 'orders:read' }, { client: billing });
    expect(answer.status).toBe(200);
    const { payload } = await verify(answer.body.access_token);
    expect(payload).toMatchObject({ client_id: clientId, scope: 'orders:read', cnf: { 'x5t#S256': thumbprintOf(billing) } });
    expect(t.events.findLast((event) => event.type === 'oauth.token.issued')?.attributes).toMatchObject({ binding: 'mtls', clientId });

    // No certificate in the handshake: not this client.
    expect((await token({ grant_type: 'client_credentials', client_id: clientId })).body.error).toBe('invalid_client');
  });

  it('attack: the right subject on a certificate the client CA did not issue (self-signed, or from the server\'s own CA) is not the client', async () => {
    const { clientId } = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example' });
    const forged = await issueCertificate('CN=billing.example, O=Example');
    const fromServerCa = await issueCertificate('CN=billing.example, O=Example', serverCa);
    for (const client of [forged, fromServerCa]) {
      const answer = await token({ grant_type: 'client_credentials', client_id: clientId }, { client });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
    }
  });

  it('attack: a certificate header — even from the trusted proxy address — is not read over the server\'s own TLS', async () => {
    const { clientId } = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example' });
    const answer = await token({ grant_type: 'client_credentials', client_id: clientId }, { headers: { 'x-ssl-client-cert': escapedPem(billing), 'x-ssl-client-verify': 'SUCCESS' } });
    expect(answer.body.error).toBe('invalid_client');
  });

  it('without a certificate there is no binding: a secret client gets a plain token; a client registered for bound tokens gets none', async () => {
    const plain = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'] });
    const unbound = await token({ grant_type: 'client_credentials', resource: ORDERS_API, scope: 'orders:read' }, { headers: { authorization: basic(plain.clientId, plain.clientSecret!) } });
    expect(unbound.status).toBe(200);
    expect((await verify(unbound.body.access_token)).payload.cnf).toBeUndefined();

    const bound = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'], certificateBoundAccessTokens: true });
    const refused = await token({ grant_type: 'client_credentials', resource: ORDERS_API, scope: 'orders:read' }, { headers: { authorization: basic(bound.clientId, bound.clientSecret!) } });
    expect(refused.status).toBe(400);
    expect(refused.body.access_token).toBeUndefined();
    // The same client presenting any certificate (it authenticates with its secret) gets a token bound to that one.
    const device = await issueCertificate('CN=device-9');
    const withCertificate = await token({ grant_type: 'client_credentials', resource: ORDERS_API, scope: 'orders:read' }, { client: device, headers: { authorization: basic(bound.clientId, bound.clientSecret!) } });
    expect((await verify(withCertificate.body.access_token)).payload.cnf).toEqual({ 'x5t#S256': thumbprintOf(device) });
  });
});

describe('the server listening with TLS without client CAs (SQLite)', () => {
  let serverCa: TestCertificate;
  let port: number;
  let t: TestServer;

  beforeAll(async () => {
    serverCa = await certificateAuthority('CN=Server CA, O=Rampart Tests');
    const server = await issueCertificate('CN=127.0.0.1', serverCa, { ip: '127.0.0.1', server: true });
    const paths = files({ 'cert.pem': server.pem, 'key.pem': server.keyPem });
    port = await freePort();
    t = await startOAuthServer('sqlite', { RAMPART_PORT: String(port), RAMPART_PUBLIC_URL: `https://127.0.0.1:${port}`, RAMPART_TLS_CERT_FILE: paths['cert.pem']!, RAMPART_TLS_KEY_FILE: paths['key.pem']! });
  });
  afterAll(async () => {
    await t.close();
  });

  it('self_signed_tls_client_auth pins the registered certificate and binds the token to it; a look-alike is refused', async () => {
    const device = await issueCertificate('CN=device-7');
    const { clientId } = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'self_signed_tls_client_auth', certificates: [device.pem], certificateBoundAccessTokens: true });
    const answer = await call(port, serverCa.pem, { path: '/oauth/token', form: { grant_type: 'client_credentials', client_id: clientId, resource: ORDERS_API, scope: 'orders:read' }, client: device });
    expect(answer.status).toBe(200);
    const payload = JSON.parse(Buffer.from(String(answer.body.access_token).split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload.cnf).toEqual({ 'x5t#S256': thumbprintOf(device) });
    const lookalike = await issueCertificate('CN=device-7');
    expect((await call(port, serverCa.pem, { path: '/oauth/token', form: { grant_type: 'client_credentials', client_id: clientId }, client: lookalike })).body.error).toBe('invalid_client');
  });

  it('attack: tls_client_auth accepts nothing — no client CA was configured, so no certificate counts as verified', async () => {
    const someCa = await certificateAuthority();
    const issued = await issueCertificate('CN=billing.example, O=Example', someCa);
    const { clientId } = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example' });
    expect((await call(port, serverCa.pem, { path: '/oauth/token', form: { grant_type: 'client_credentials', client_id: clientId }, client: issued })).body.error).toBe('invalid_client');
  });
});
