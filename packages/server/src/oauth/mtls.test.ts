/*
 * Mutual TLS (RFC 8705) behind a TLS-terminating proxy: the server trusts 127.0.0.1 as its proxy, which passes the
 * client certificate in a header (nginx's URL-encoded PEM) with its verification verdict. openid-client plays the
 * client, its requests carrying what the proxy would add.
 */
import { jwtVerify, createRemoteJWKSet } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserClient } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, type TestServer } from '../testing/server.fixtures.js';
import { certificateAuthority, escapedPem, issueCertificate, thumbprintOf, type TestCertificate } from './certificates.fixtures.js';
import { authorizationCodeFlow, ORDERS_API, postForm, registerClient, relyingParty, signedInBrowser, startOAuthServer, webApp } from './oauth.fixtures.js';

const PROXY = {
  RAMPART_TRUSTED_PROXIES: '127.0.0.1/32,::1/128',
  RAMPART_OAUTH_MTLS_CERT_HEADER: 'x-ssl-client-cert',
  RAMPART_OAUTH_MTLS_VERIFIED_HEADER: 'x-ssl-client-verify',
};

/** The headers the proxy adds for a client that presented `certificate` (verified against its CAs, or not). */
function proxied(certificate: TestCertificate, verified: boolean): Record<string, string> {
  return { 'x-ssl-client-cert': escapedPem(certificate), 'x-ssl-client-verify': verified ? 'SUCCESS' : 'FAILED:unable to verify the first certificate' };
}

/** openid-client sending every request through "the proxy" with `certificate`. */
function presenting(config: client.Configuration, certificate: TestCertificate, verified: boolean): client.Configuration {
  config[client.customFetch] = (url, options) => {
    const headers = new Headers(options.headers);
    for (const [name, value] of Object.entries(proxied(certificate, verified))) headers.set(name, value);
    return fetch(url, { ...options, headers });
  };
  return config;
}

describe.each(SERVER_BACKENDS)('mutual TLS through a trusted proxy on $name', ({ backend, skip }) => {
  let t: TestServer;
  let ca: TestCertificate;
  let billing: TestCertificate;
  let ada: { browser: BrowserClient; userId: string };

  beforeAll(async () => {
    if (skip) return;
    t = await startOAuthServer(backend, PROXY);
    ca = await certificateAuthority();
    billing = await issueCertificate('CN=billing.example, O=Example', ca);
    ada = await signedInBrowser(t, 'ada@example.com');
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  it.skipIf(skip)('tls_client_auth (PKI): the verified certificate with the registered subject authenticates the client; tokens are bound to it (cnf x5t#S256)', async () => {
    const registered = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example,O=Example', certificateBoundAccessTokens: true });
    const config = presenting(await relyingParty(t, registered.clientId, undefined, client.TlsClientAuth()), billing, true);
    const tokens = await client.clientCredentialsGrant(config, { resource: ORDERS_API, scope: 'orders:read' });
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`)), { issuer: t.url, audience: ORDERS_API, typ: 'at+jwt' });
    expect(payload.cnf).toEqual({ 'x5t#S256': thumbprintOf(billing) });
    expect(t.events.findLast((event) => event.type === 'oauth.token.issued')?.attributes).toMatchObject({ binding: 'mtls', clientId: registered.clientId });

    // The same certificate the proxy could not verify, and a verified certificate with another subject: not this client.
    await expect(client.clientCredentialsGrant(presenting(await relyingParty(t, registered.clientId, undefined, client.TlsClientAuth()), billing, false), {})).rejects.toMatchObject({ error: 'invalid_client' });
    const other = await issueCertificate('CN=billing.example.evil, O=Example', ca);
    await expect(client.clientCredentialsGrant(presenting(await relyingParty(t, registered.clientId, undefined, client.TlsClientAuth()), other, true), {})).rejects.toMatchObject({ error: 'invalid_client' });
    // No certificate at all.
    const bare = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: registered.clientId });
    expect(bare.body.error).toBe('invalid_client');
  });

  it.skipIf(skip)('self_signed_tls_client_auth: the registered certificate itself authenticates (no CA needed); any other does not', async () => {
    const device = await issueCertificate('CN=device-7');
    const registered = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'self_signed_tls_client_auth', certificates: [device.pem] });
    const tokens = await client.clientCredentialsGrant(presenting(await relyingParty(t, registered.clientId, undefined, client.TlsClientAuth()), device, false), {});
    expect(tokens.access_token).toBeTypeOf('string');
    const lookalike = await issueCertificate('CN=device-7');
    await expect(client.clientCredentialsGrant(presenting(await relyingParty(t, registered.clientId, undefined, client.TlsClientAuth()), lookalike, false), {})).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it.skipIf(skip)('attack: a certificate-bound access token without its certificate (stolen) is refused at userinfo', async () => {
    const app = await registerClient(t, webApp({ tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example', certificateBoundAccessTokens: true }));
    const config = presenting(await relyingParty(t, app.clientId, undefined, client.TlsClientAuth()), billing, true);
    const { tokens } = await authorizationCodeFlow(t, ada.browser, config, { scope: 'openid email' });
    expect(await client.fetchUserInfo(config, tokens.access_token, ada.userId)).toMatchObject({ sub: ada.userId, email: 'ada@example.com' });

    const without = await fetch(`${t.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(without.status).toBe(401);
    const another = await fetch(`${t.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}`, ...proxied(await issueCertificate('CN=billing.example, O=Example', ca), true) } });
    expect(another.status).toBe(401);
    expect(another.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });
});
