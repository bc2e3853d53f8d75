/*
 * Attacks on the authorization server, performed over HTTP against the whole server: each shows the request refused
 * and nothing issued — on SQLite and on PostgreSQL (+ Redis).
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserClient } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, type TestServer } from '../testing/server.fixtures.js';
import { escapedPem, issueCertificate } from './certificates.fixtures.js';
import {
  authorizationCodeFlow,
  basic,
  navigate,
  ORDERS_API,
  postForm,
  registerClient,
  relyingParty,
  RP_CALLBACK,
  signedInBrowser,
  startOAuthServer,
  webApp,
} from './oauth.fixtures.js';

describe.each(SERVER_BACKENDS)('attacks on the authorization server on $name', ({ backend, skip }) => {
  let t: TestServer;
  let app: { clientId: string; clientSecret: string | undefined };
  let other: { clientId: string; clientSecret: string | undefined };
  let service: { clientId: string; clientSecret: string | undefined };
  let rp: client.Configuration;
  let ada: { browser: BrowserClient; userId: string };

  beforeAll(async () => {
    if (skip) return;
    t = await startOAuthServer(backend);
    app = await registerClient(t, webApp());
    other = await registerClient(t, webApp({ name: 'Another app' }));
    service = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'] });
    rp = await relyingParty(t, app.clientId, app.clientSecret);
    ada = await signedInBrowser(t, 'ada@example.com');
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  const challenge = () => client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier());
  /** An authorization request written by hand (the attacker controls every parameter). */
  const authorizeUrl = (parameters: Record<string, string>): string => {
    const url = new URL('/oauth/auth', t.url);
    for (const [name, value] of Object.entries({ client_id: app.clientId, response_type: 'code', scope: 'openid', redirect_uri: RP_CALLBACK, ...parameters })) url.searchParams.set(name, value);
    return url.toString();
  };
  const issuedCount = () => t.events.filter((event) => event.type === 'oauth.token.issued').length;

  it.skipIf(skip)('PKCE missing: refused at the authorization endpoint (every client, confidential ones too)', async () => {
    const ended = await navigate(t, ada.browser, authorizeUrl({ state: 'a' }));
    expect(ended.kind).toBe('left');
    const callback = ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it.skipIf(skip)('PKCE plain: refused (S256 only)', async () => {
    const ended = await navigate(t, ada.browser, authorizeUrl({ code_challenge: client.randomPKCECodeVerifier(), code_challenge_method: 'plain' }));
    const callback = ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it.skipIf(skip)('PKCE wrong or missing verifier at the token endpoint: invalid_grant, nothing issued', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const ended = await navigate(t, ada.browser, authorizeUrl({ code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }));
    const code = ended.kind === 'left' ? (ended.url.searchParams.get('code') ?? '') : '';
    expect(code).not.toBe('');
    const before = issuedCount();
    const auth = { authorization: basic(app.clientId, app.clientSecret ?? '') };
    const attempts: Record<string, string>[] = [{ code_verifier: client.randomPKCECodeVerifier() }, {}, { code_verifier: `${verifier.slice(0, -1)}${verifier.endsWith('A') ? 'B' : 'A'}` }];
    for (const attempt of attempts) {
      const answer = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: RP_CALLBACK, ...attempt }, auth);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_grant');
      expect(answer.body).not.toHaveProperty('access_token');
    }
    expect(issuedCount()).toBe(before);
  });

  it.skipIf(skip)('redirect URI not exactly registered (suffix, path, query, fragment, case, scheme, port, userinfo): an error page, never a redirect to it', async () => {
    const variants = [
      `${RP_CALLBACK}x`,
      `${RP_CALLBACK}/more`,
      'https://rp.example.test/',
      `${RP_CALLBACK}?next=https://evil.example`,
      `${RP_CALLBACK}#frag`,
      'https://RP.example.test/cb',
      'https://rp.example.test/CB',
      'http://rp.example.test/cb',
      'https://rp.example.test:443/cb',
      'https://rp.example.test.evil.example/cb',
      'https://evil.example@rp.example.test/cb',
      'https://rp.example.test/cb/../cb',
    ];
    for (const variant of variants) {
      const response = await ada.browser.request('GET', new URL(authorizeUrl({ redirect_uri: variant, code_challenge: await challenge(), code_challenge_method: 'S256' })).pathname + new URL(authorizeUrl({ redirect_uri: variant, code_challenge: await challenge(), code_challenge_method: 'S256' })).search, { headers: { accept: 'text/html' } });
      expect(response.status, variant).toBe(400);
      expect(response.headers.get('location'), variant).toBeNull();
      expect(response.text).toContain('Sign-in request refused');
      expect(response.text).not.toContain(variant);
      expect(response.text).not.toMatch(/href="https?:\/\/rp\./);
    }
    // Through PAR too: an unregistered redirect URI is refused when pushed (allowUnregisteredRedirectUris off).
    const pushed = await postForm(t, '/oauth/par', { response_type: 'code', redirect_uri: `${RP_CALLBACK}x`, scope: 'openid', code_challenge: await challenge(), code_challenge_method: 'S256' }, { authorization: basic(app.clientId, app.clientSecret ?? '') });
    expect(pushed.status).toBe(400);
    expect(pushed.body.error).toBe('invalid_request');
    expect(pushed.body).not.toHaveProperty('request_uri');
  });

  it.skipIf(skip)('implicit and hybrid response types are refused; no token leaves the server', async () => {
    for (const responseType of ['token', 'id_token', 'id_token token', 'code id_token', 'code token', 'none']) {
      const ended = await navigate(t, ada.browser, authorizeUrl({ response_type: responseType, nonce: 'n', code_challenge: await challenge(), code_challenge_method: 'S256' }));
      const where = ended.kind === 'left' ? `${ended.url.search}${ended.url.hash}` : ended.text;
      expect(where, responseType).not.toMatch(/access_token=|id_token=|[?&#]code=/);
      if (ended.kind === 'left') {
        // The error goes where that response type would have put its answer (the fragment, for implicit ones).
        const answer = new URLSearchParams(ended.url.search || ended.url.hash.slice(1));
        // unsupported_response_type, or invalid_request when its default response mode (fragment) is refused first.
        expect(['unsupported_response_type', 'invalid_request'], responseType).toContain(answer.get('error'));
      } else {
        expect(ended.status, responseType).toBe(400);
      }
    }
  });

  it.skipIf(skip)('form_post and fragment response modes are refused (answers in the query only)', async () => {
    for (const mode of ['form_post', 'fragment', 'web_message']) {
      const ended = await navigate(t, ada.browser, authorizeUrl({ response_mode: mode, code_challenge: await challenge(), code_challenge_method: 'S256' }));
      if (ended.kind === 'left') {
        expect(ended.url.searchParams.has('code'), mode).toBe(false);
        expect(ended.url.hash, mode).not.toMatch(/code=/);
      } else {
        expect(ended.text, mode).not.toMatch(/name="code"/);
        expect(ended.status, mode).toBeGreaterThanOrEqual(400);
      }
    }
  });

  it.skipIf(skip)('the password grant does not exist; unknown grant types neither', async () => {
    for (const grantType of ['password', 'implicit', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
      const answer = await postForm(t, '/oauth/token', { grant_type: grantType, username: 'ada@example.com', password: 'x', scope: 'openid' }, { authorization: basic(app.clientId, app.clientSecret ?? '') });
      expect(answer.status, grantType).toBe(400);
      expect(answer.body.error, grantType).toBe('unsupported_grant_type');
    }
  });

  it.skipIf(skip)("a refresh token presented by another client is refused, and the owner's grant is untouched", async () => {
    const { tokens } = await authorizationCodeFlow(t, ada.browser, rp);
    const thief = await relyingParty(t, other.clientId, other.clientSecret);
    await expect(client.refreshTokenGrant(thief, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    const owner = await client.refreshTokenGrant(rp, tokens.refresh_token ?? '');
    expect(owner.access_token).toBeTypeOf('string');
  });

  it.skipIf(skip)('a confidential client with the wrong secret (or none, or another client\'s): invalid_client, reported, nothing issued', async () => {
    const before = issuedCount();
    const failures = () => t.events.filter((event) => event.type === 'oauth.client.authentication_failed');
    const failed = failures().length;
    for (const authorization of [basic(service.clientId, 'not-the-secret'), basic(service.clientId, app.clientSecret ?? ''), basic('nobody', 'x')]) {
      const answer = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', resource: ORDERS_API }, { authorization });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('invalid_client');
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
    const noSecret = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: service.clientId });
    expect(noSecret.body.error).toBe('invalid_client');
    expect(issuedCount()).toBe(before);
    const reported = failures().slice(failed);
    expect(reported).toHaveLength(4);
    // Each names the client when it exists (never the id an unknown one claimed), the endpoint, the method and why.
    expect(reported.map((event) => [event.subject, event.attributes?.clientId, event.attributes?.endpoint, event.attributes?.method, event.attributes?.reason])).toEqual([
      [undefined, service.clientId, 'token', 'client_secret_basic', 'wrong_secret'],
      [undefined, service.clientId, 'token', 'client_secret_basic', 'wrong_secret'],
      [undefined, undefined, 'token', undefined, 'unknown_client'],
      [undefined, service.clientId, 'token', 'client_secret_basic', 'wrong_method'],
    ]);
    expect(reported.every((event) => event.attributes?.clientIp === '127.0.0.1')).toBe(true);
    // No secret tried, nor any client's real one, nor the Basic credentials that carried them.
    const text = JSON.stringify(reported);
    for (const secret of ['not-the-secret', app.clientSecret ?? '', service.clientSecret ?? '', basic(service.clientId, 'not-the-secret')]) expect(text).not.toContain(secret);
    expect(t.events.some((event) => event.type === 'auth.login.failed' && event.attributes?.principal === 'oauth_client')).toBe(false);
  });

  it.skipIf(skip)('attack: a DPoP proof replayed is refused (its jti is remembered in the shared store)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const proof = await new SignJWT({ htm: 'POST', htu: `${t.url}/oauth/token`, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
      .setIssuedAt()
      .sign(privateKey);
    const auth = { authorization: basic(service.clientId, service.clientSecret ?? ''), dpop: proof };
    const first = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', resource: ORDERS_API }, auth);
    expect(first.status).toBe(200);
    expect(first.body.token_type).toBe('DPoP');
    const replay = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', resource: ORDERS_API }, auth);
    // RFC 9449 §11.1: the server remembers proof jtis; the token endpoint refuses the replay as an invalid grant.
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    expect(replay.body).not.toHaveProperty('access_token');
  });

  it.skipIf(skip)('attack: a DPoP-bound access token sent as a plain bearer token is refused at userinfo', async () => {
    const DPoP = client.getDPoPHandle(rp, await client.randomDPoPKeyPair('ES256'));
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: RP_CALLBACK, scope: 'openid email', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'd' });
    const ended = await navigate(t, ada.browser, url);
    const tokens = await client.authorizationCodeGrant(rp, ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK), { pkceCodeVerifier: verifier, expectedState: 'd' }, undefined, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    expect(await client.fetchUserInfo(rp, tokens.access_token, ada.userId, { DPoP })).toMatchObject({ sub: ada.userId });
    const stolen = await fetch(`${t.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(stolen.status).toBe(401);
    expect(stolen.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });

  it.skipIf(skip)('attack: Host and X-Forwarded-Host cannot change the issuer or the endpoints the server publishes', async () => {
    const port = new URL(t.url).port;
    const body = await new Promise<string>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, path: '/.well-known/openid-configuration', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => { resolve(text); });
      });
      request.on('error', reject);
      request.end();
    });
    expect(body).not.toContain('evil.example');
    expect(JSON.parse(body)).toMatchObject({ issuer: t.url, token_endpoint: `${t.url}/oauth/token` });
  });

  it.skipIf(skip)('attack: a client certificate header from a peer that is no trusted proxy is ignored (no mTLS client authentication from it)', async () => {
    const certificate = await issueCertificate('CN=billing.example, O=Example');
    const pki = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example' });
    const answer = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: pki.clientId }, { 'x-ssl-client-cert': escapedPem(certificate), 'x-ssl-client-verify': 'SUCCESS' });
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_client');
  });

  it.skipIf(skip)('attack: the logout confirmation without the provider\'s xsrf token (a cross-site form) ends nothing', async () => {
    const bob = await signedInBrowser(t, 'bob@example.com');
    await authorizationCodeFlow(t, bob.browser, rp);
    const forged = await fetch(`${t.url}/oauth/session/end/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', cookie: bob.browser.cookieHeader(), accept: 'text/html' },
      body: 'logout=yes',
      redirect: 'manual',
    });
    expect(forged.status).toBe(400);
    expect(forged.headers.get('set-cookie') ?? '').not.toMatch(/rampart_session=;/);
    expect((await bob.browser.request('GET', '/v1/identity')).status).toBe(200);
  });

  it.skipIf(skip)('the authorization endpoint takes GET only: a POST (what a cross-site form sends) is not routed to it', async () => {
    const answer = await fetch(`${t.url}/oauth/auth`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', cookie: ada.browser.cookieHeader() }, body: `client_id=${app.clientId}&response_type=code` });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.headers.get('location')).toBeNull();
  });

  it.skipIf(skip)('a back-channel body the guards refuse (JSON, oversized) gets an OAuth error, not a problem document', async () => {
    const json = await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(service.clientId, service.clientSecret ?? '') }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
    const huge = await fetch(`${t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&pad=${'a'.repeat(60 * 1024)}` });
    expect(huge.status).toBe(400);
    expect(await huge.json()).toMatchObject({ error: 'invalid_request' });
  });

  it.skipIf(skip)('a deleted client: its tokens die and it cannot ask for more', async () => {
    const doomed = await registerClient(t, webApp({ name: 'Doomed' }));
    const config = await relyingParty(t, doomed.clientId, doomed.clientSecret);
    const { tokens } = await authorizationCodeFlow(t, ada.browser, config);
    expect(await t.server.modules.oauth.clients.delete(doomed.clientId)).toBe(true);
    const serviceRp = await relyingParty(t, service.clientId, service.clientSecret);
    expect((await client.tokenIntrospection(serviceRp, tokens.access_token)).active).toBe(false);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

describe.each(SERVER_BACKENDS)('client authentication guessing on $name', ({ backend, skip }) => {
  it.skipIf(skip)('attack: after 10 failed client authentications from one address, the back-channel endpoints answer 429 before any lookup', async () => {
    const t = await startOAuthServer(backend);
    try {
      const service = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'] });
      for (let attempt = 0; attempt < 10; attempt++) {
        const answer = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(service.clientId, `guess-${attempt}`) });
        expect(answer.status).toBe(401);
      }
      // Turned away now, even with the right secret, and at every back-channel endpoint.
      const right = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(service.clientId, service.clientSecret ?? '') });
      expect(right.status).toBe(429);
      expect(right.body.error).toBe('invalid_client');
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await postForm(t, '/oauth/token/introspection', { token: 'x' }, { authorization: basic(service.clientId, service.clientSecret ?? '') })).status).toBe(429);
      t.clock.advance(61_000);
      const later = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(service.clientId, service.clientSecret ?? '') });
      expect(later.status).toBe(200);
      // The detectors saw the guessing too: one brute-force alert on the client, in the trail.
      await t.server.events.flush();
      const trail = [];
      for (let seq = 0; seq < t.server.audit.size; seq++) {
        const entry = await t.server.audit.entry(seq);
        if (entry !== undefined) trail.push(entry.event);
      }
      const alerts = trail.filter((event) => event.type === 'detect.alert' && event.attributes?.detector === 'brute_force');
      expect(alerts.map((alert) => [alert.attributes?.keyKind, alert.attributes?.key, alert.attributes?.count])).toEqual([['client', service.clientId, 10]]);
      expect(JSON.stringify(trail)).not.toContain('guess-');
    } finally {
      await t.close();
    }
  });
});
