/*
 * The authorization server end to end, driven by relying-party libraries nobody here wrote — `openid-client` and
 * `oauth4webapi` — over HTTP against the whole server, on SQLite and on PostgreSQL (+ Redis).
 */
import type { SecurityEventType } from '@rampart/core';
import { calculateJwkThumbprint, createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserClient, browserSignedInAs } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, type TestServer } from '../testing/server.fixtures.js';
import { TEST_PASSWORD, createVerifiedUser } from '../testing/users.fixtures.js';
import { promoteDelayMs } from '../tokens/index.js';
import {
  authorizationCodeFlow,
  claimsOf,
  headerOf,
  navigate,
  ORDERS_API,
  PLAIN_HTTP_OAUTH4WEBAPI,
  postForm,
  registerClient,
  relyingParty,
  RP_CALLBACK,
  RP_LOGGED_OUT,
  signedInBrowser,
  startOAuthServer,
  webApp,
} from './oauth.fixtures.js';

describe.each(SERVER_BACKENDS)('authorization server on $name', ({ backend, skip }) => {
  let t: TestServer;
  let service: { clientId: string; clientSecret: string | undefined };
  let app: { clientId: string; clientSecret: string | undefined };
  let rp: client.Configuration;
  let ada: { browser: BrowserClient; userId: string };

  beforeAll(async () => {
    if (skip) return;
    t = await startOAuthServer(backend);
    service = await registerClient(t, { type: 'confidential', name: 'Billing', grantTypes: ['client_credentials'], scopes: ['orders:read'] });
    app = await registerClient(t, webApp());
    rp = await relyingParty(t, app.clientId, app.clientSecret);
    ada = await signedInBrowser(t, 'ada@example.com');
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  const jwks = () => createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
  const eventsOf = (type: SecurityEventType) => t.events.filter((event) => event.type === type);
  /** Nothing an event carries may be a token the test holds (principle 7). */
  const expectNoneOf = (tokens: readonly (string | undefined)[]) => {
    const text = JSON.stringify(t.events);
    for (const token of tokens) if (token !== undefined && token !== '') expect(text).not.toContain(token);
  };
  const introspect = async (token: string) => (await client.tokenIntrospection(rp, token)).active;

  it.skipIf(skip)('publishes its metadata on the origin for OpenID and RFC 8414 clients: code with S256 only, answers in the query, the server JWKS', async () => {
    const metadata = rp.serverMetadata();
    expect(metadata).toMatchObject({
      issuer: t.url,
      authorization_endpoint: `${t.url}/oauth/auth`,
      token_endpoint: `${t.url}/oauth/token`,
      pushed_authorization_request_endpoint: `${t.url}/oauth/par`,
      introspection_endpoint: `${t.url}/oauth/token/introspection`,
      revocation_endpoint: `${t.url}/oauth/token/revocation`,
      end_session_endpoint: `${t.url}/oauth/session/end`,
      jwks_uri: `${t.url}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      tls_client_certificate_bound_access_tokens: true,
      authorization_response_iss_parameter_supported: true,
    });
    expect(metadata.dpop_signing_alg_values_supported).toContain('ES256');
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']));
    expect(metadata.token_endpoint_auth_methods_supported).not.toContain('client_secret_jwt');

    // RFC 8414 §3 with oauth4webapi: the same document at /.well-known/oauth-authorization-server.
    const issuer = new URL(t.url);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [PLAIN_HTTP_OAUTH4WEBAPI]: true });
    expect(new URL(response.url).pathname).toBe('/.well-known/oauth-authorization-server');
    const as = await oauth.processDiscoveryResponse(issuer, response);
    expect(as.token_endpoint).toBe(metadata.token_endpoint);
    expect(as.response_modes_supported).toEqual(['query']);
  });

  it.skipIf(skip)('client credentials: an RFC 9068 JWT for the resource (aud = the resource), verified with jose against the server JWKS', async () => {
    const service_ = await relyingParty(t, service.clientId, service.clientSecret);
    const tokens = await client.clientCredentialsGrant(service_, { resource: ORDERS_API, scope: 'orders:read orders:write' });
    // The client may receive orders:read only: the scope it asked beyond that is dropped, not granted.
    expect(tokens.scope).toBe('orders:read');
    expect(tokens.token_type).toBe('bearer');
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks(), { issuer: t.url, audience: ORDERS_API, typ: 'at+jwt' });
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: t.server.modules.oauth.activeKid() });
    expect(payload).toMatchObject({ client_id: service.clientId, sub: service.clientId, scope: 'orders:read' });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(600);
    const issued = eventsOf('oauth.token.issued').at(-1);
    expect(issued?.subject).toBeUndefined();
    expect(issued?.attributes).toMatchObject({ grantType: 'client_credentials', clientId: service.clientId, binding: 'none', resource: ORDERS_API, scope: 'orders:read' });
    expectNoneOf([tokens.access_token, service.clientSecret]);

    // A resource the server does not know is refused (RFC 8707 §2: invalid_target), not issued for.
    await expect(client.clientCredentialsGrant(service_, { resource: 'https://elsewhere.example/' })).rejects.toMatchObject({ error: 'invalid_target' });
  });

  it.skipIf(skip)('client credentials with private_key_jwt (RFC 7523): the client signs its assertion, the server knows only its public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const registered = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' } as never] } });
    expect(registered.clientSecret).toBeUndefined();
    const signed = await relyingParty(t, registered.clientId, undefined, client.PrivateKeyJwt(privateKey));
    const tokens = await client.clientCredentialsGrant(signed, { resource: ORDERS_API, scope: 'orders:read' });
    expect(claimsOf(tokens.access_token)).toMatchObject({ client_id: registered.clientId, aud: ORDERS_API });

    // Another key signing the assertion is not this client.
    const stranger = await generateKeyPair('ES256');
    const impostor = await relyingParty(t, registered.clientId, undefined, client.PrivateKeyJwt(stranger.privateKey));
    await expect(client.clientCredentialsGrant(impostor, { resource: ORDERS_API })).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it.skipIf(skip)('DPoP (RFC 9449) with oauth4webapi: token_type DPoP, cnf.jkt is the proof key thumbprint, in the JWT and in introspection', async () => {
    const issuer = new URL(t.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { [PLAIN_HTTP_OAUTH4WEBAPI]: true }));
    const dpopClient: oauth.Client = { client_id: service.clientId };
    const keyPair = await oauth.generateKeyPair('ES256');
    const thumbprint = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    const grant = async (parameters: Record<string, string>) => {
      const DPoP = oauth.DPoP(dpopClient, keyPair);
      const response = await oauth.clientCredentialsGrantRequest(as, dpopClient, oauth.ClientSecretBasic(service.clientSecret ?? ''), new URLSearchParams(parameters), { DPoP, [PLAIN_HTTP_OAUTH4WEBAPI]: true });
      return oauth.processClientCredentialsResponse(as, dpopClient, response);
    };

    const jwt = await grant({ resource: ORDERS_API, scope: 'orders:read' });
    expect(jwt.token_type).toBe('dpop');
    const { payload } = await jwtVerify(jwt.access_token, jwks(), { issuer: t.url, audience: ORDERS_API, typ: 'at+jwt' });
    expect(payload.cnf).toEqual({ jkt: thumbprint });

    // Without a resource the token is opaque (for this server only) and introspects as DPoP-bound.
    const opaque = await grant({});
    expect(opaque.token_type).toBe('dpop');
    expect(opaque.access_token.split('.')).toHaveLength(1);
    const introspection = await client.tokenIntrospection(await relyingParty(t, service.clientId, service.clientSecret), opaque.access_token);
    expect(introspection).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: thumbprint }, client_id: service.clientId });
    expect(eventsOf('oauth.token.issued').at(-1)?.attributes).toMatchObject({ binding: 'dpop' });
  });

  it.skipIf(skip)('a client registered with dpop_bound_access_tokens gets tokens only with a proof (openid-client getDPoPHandle)', async () => {
    const bound = await registerClient(t, { type: 'confidential', grantTypes: ['client_credentials'], scopes: ['orders:read'], dpopBoundAccessTokens: true });
    const config = await relyingParty(t, bound.clientId, bound.clientSecret);
    await expect(client.clientCredentialsGrant(config, { resource: ORDERS_API })).rejects.toMatchObject({ error: 'invalid_grant' });
    const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const tokens = await client.clientCredentialsGrant(config, { resource: ORDERS_API }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    expect(claimsOf(tokens.access_token).cnf).toHaveProperty('jkt');
  });

  it.skipIf(skip)('authorization code + PKCE S256 through PAR, with the session of a login API sign-in: ID token, userinfo, a JWT for the resource on refresh', async () => {
    const { tokens } = await authorizationCodeFlow(t, ada.browser, rp, { resource: ORDERS_API, scope: 'openid email offline_access orders:read' });
    const idToken = tokens.claims();
    expect(idToken).toMatchObject({ iss: t.url, aud: app.clientId, sub: ada.userId });
    // Tokens for this server only (userinfo) are opaque; the id token is signed with the server's active key.
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(headerOf(tokens.id_token ?? '')).toMatchObject({ alg: 'EdDSA', kid: t.server.modules.oauth.activeKid() });
    const userinfo = await client.fetchUserInfo(rp, tokens.access_token, ada.userId);
    expect(userinfo).toEqual({ sub: ada.userId, email: 'ada@example.com', email_verified: true });

    // The refresh token is rotated, and asking for the resource gives an RFC 9068 JWT for it.
    const refreshed = await client.refreshTokenGrant(rp, tokens.refresh_token ?? '', { resource: ORDERS_API, scope: 'orders:read' });
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    const { payload } = await jwtVerify(refreshed.access_token, jwks(), { issuer: t.url, audience: ORDERS_API, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: ada.userId, client_id: app.clientId });
    const issued = eventsOf('oauth.token.issued').filter((event) => event.subject === ada.userId);
    expect(issued.map((event) => event.attributes?.grantType)).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(issued.at(-1)?.attributes).toMatchObject({ grantType: 'refresh_token', clientId: app.clientId, resource: ORDERS_API, scope: 'orders:read', binding: 'none' });
    expect(typeof issued.at(-1)?.attributes?.grantId).toBe('string');
    expectNoneOf([tokens.access_token, tokens.refresh_token, tokens.id_token, refreshed.access_token, refreshed.refresh_token, app.clientSecret]);
  });

  it.skipIf(skip)('PAR (RFC 9126): the request_uri is single-use', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = await client.buildAuthorizationUrlWithPAR(rp, { redirect_uri: RP_CALLBACK, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const first = await navigate(t, ada.browser, url);
    expect(first.kind === 'left' && first.url.searchParams.has('code')).toBe(true);
    const again = await navigate(t, ada.browser, url);
    expect(again.kind).toBe('stopped');
    expect(again.kind === 'stopped' ? again.status : 0).toBe(400);
  });

  it.skipIf(skip)('refresh rotation; a rotated refresh token presented again revokes the grant: the new refresh token and the access tokens die too', async () => {
    const { tokens } = await authorizationCodeFlow(t, ada.browser, rp);
    const first = tokens.refresh_token ?? '';
    const rotated = await client.refreshTokenGrant(rp, first);
    const second = rotated.refresh_token ?? '';
    expect(second).not.toBe(first);
    expect(await introspect(rotated.access_token)).toBe(true);
    expect(await introspect(second)).toBe(true);

    await expect(client.refreshTokenGrant(rp, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await introspect(second)).toBe(false);
    expect(await introspect(rotated.access_token)).toBe(false);
    expect(await introspect(tokens.access_token)).toBe(false);
    await expect(client.refreshTokenGrant(rp, second)).rejects.toMatchObject({ error: 'invalid_grant' });
    const reuse = eventsOf('oauth.refresh.reused').at(-1);
    expect(reuse).toMatchObject({ subject: ada.userId, attributes: { clientId: app.clientId } });
    // The reuse names the grant it ended, and that grant's end is reported once, with the reason.
    const grantId = reuse?.attributes?.grantId;
    expect(typeof grantId).toBe('string');
    expect(eventsOf('oauth.grant.revoked').filter((event) => event.attributes?.grantId === grantId).map((event) => event.attributes?.reason)).toEqual(['reuse']);
    // OAuth no longer borrows Rampart's own token types (`protocol: 'oauth'`).
    expect(t.events.some((event) => event.attributes?.protocol === 'oauth')).toBe(false);
    expectNoneOf([first, second, rotated.access_token, tokens.access_token]);
  });

  it.skipIf(skip)('an authorization code used twice: the second exchange fails and the tokens the first one minted are revoked', async () => {
    const { tokens, callback, verifier } = await authorizationCodeFlow(t, ada.browser, rp);
    expect(await introspect(tokens.access_token)).toBe(true);
    const replay = await postForm(t, '/oauth/token', { grant_type: 'authorization_code', code: callback.searchParams.get('code') ?? '', redirect_uri: RP_CALLBACK, code_verifier: verifier }, { authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret ?? ''}`).toString('base64')}` });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe('invalid_grant');
    expect(await introspect(tokens.access_token)).toBe(false);
    expect(await introspect(tokens.refresh_token ?? '')).toBe(false);
    const reuse = eventsOf('oauth.code.reused').at(-1);
    expect(reuse?.attributes).toMatchObject({ clientId: app.clientId });
    const grantId = reuse?.attributes?.grantId;
    expect(typeof grantId).toBe('string');
    expect(eventsOf('oauth.grant.revoked').filter((event) => event.attributes?.grantId === grantId).map((event) => event.attributes?.reason)).toEqual(['reuse']);
    // The grant of the first exchange's tokens is the one revoked.
    expect(eventsOf('oauth.token.issued').filter((event) => event.attributes?.grantId === grantId && event.attributes?.grantType === 'authorization_code')).toHaveLength(1);
    expectNoneOf([callback.searchParams.get('code') ?? undefined, verifier, tokens.access_token, tokens.refresh_token, app.clientSecret]);
  });

  it.skipIf(skip)('introspection (RFC 7662) and revocation (RFC 7009); a JWT access token is verified locally, not introspected', async () => {
    const { tokens } = await authorizationCodeFlow(t, ada.browser, rp);
    expect(await client.tokenIntrospection(rp, tokens.access_token)).toMatchObject({ active: true, sub: ada.userId, client_id: app.clientId, token_type: 'Bearer', iss: t.url });
    // Another confidential client (a resource server) may introspect an access token, not another client's refresh token.
    const resourceServer = await relyingParty(t, service.clientId, service.clientSecret);
    expect((await client.tokenIntrospection(resourceServer, tokens.access_token)).active).toBe(true);
    expect((await client.tokenIntrospection(resourceServer, tokens.refresh_token ?? '')).active).toBe(false);

    await client.tokenRevocation(rp, tokens.refresh_token ?? '');
    expect(await introspect(tokens.refresh_token ?? '')).toBe(false);
    expect(await introspect(tokens.access_token)).toBe(false);
    const revoked = eventsOf('oauth.token.revoked').at(-1);
    expect(revoked).toMatchObject({ subject: ada.userId, attributes: { artifact: 'refresh_token', clientId: app.clientId } });
    expect(eventsOf('oauth.grant.revoked').at(-1)?.attributes).toMatchObject({ reason: 'revocation', grantId: revoked?.attributes?.grantId, clientId: app.clientId });
    expectNoneOf([tokens.access_token, tokens.refresh_token]);

    const jwt = await client.clientCredentialsGrant(resourceServer, { resource: ORDERS_API });
    await expect(client.tokenIntrospection(resourceServer, jwt.access_token)).rejects.toMatchObject({ error: 'unsupported_token_type' });
  });

  it.skipIf(skip)('a locked account: its grants stop at once (refresh refused, introspection inactive)', async () => {
    const bob = await signedInBrowser(t, 'bob@example.com');
    const { tokens } = await authorizationCodeFlow(t, bob.browser, rp);
    await t.server.database.db.updateTable('rampart_users').set({ locked_at: new Date(t.clock.now()).toISOString() }).where('id', '=', bob.userId).execute();
    expect(await introspect(tokens.access_token)).toBe(false);
    await expect(client.refreshTokenGrant(rp, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(rp, tokens.access_token, bob.userId)).rejects.toBeDefined();
  });

  it.skipIf(skip)('an anonymous browser goes to the sign-in page with the interaction as a local return path, and comes back after signing in', async () => {
    const cy = await createVerifiedUser(t, 'cy@example.com');
    const browser = new BrowserClient(t.url);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: RP_CALLBACK, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 's1' });
    const response = await browser.request('GET', `${url.pathname}${url.search}`, { headers: { 'sec-fetch-site': 'cross-site' } });
    const toInteraction = new URL(response.headers.get('location') ?? '', t.url);
    expect(toInteraction.pathname).toMatch(/^\/oauth\/interaction\/[\w-]+$/);
    const interaction = await browser.request('GET', toInteraction.pathname);
    expect(interaction.status).toBe(303);
    expect(interaction.headers.get('location')).toBe(`/login?next=${encodeURIComponent(toInteraction.pathname)}`);

    const login = await browser.request('POST', '/v1/login', { json: { email: 'cy@example.com', password: TEST_PASSWORD } });
    expect(login.status).toBe(200);
    const back = await navigate(t, browser, toInteraction);
    expect(back.kind).toBe('left');
    const callback = back.kind === 'left' ? back.url : new URL(RP_CALLBACK);
    const tokens = await client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: verifier, expectedState: 's1' });
    expect(tokens.claims()?.sub).toBe(cy);
  });

  it.skipIf(skip)('max_age older than the last full authentication sends the browser to step up, back to the interaction', async () => {
    const fayId = await createVerifiedUser(t, 'fay@example.com');
    // A session whose last full authentication was two minutes ago (the server's clock is left where it is: the
    // provider's, the system clock, must agree with it).
    const twoMinutesAgo = t.clock.now() - 120_000;
    const fay = { browser: await browserSignedInAs(t, fayId, { authTime: twoMinutesAgo, fullyAuthenticatedAt: twoMinutesAgo }) };
    const url = client.buildAuthorizationUrl(rp, { redirect_uri: RP_CALLBACK, scope: 'openid', max_age: '60', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
    const toInteraction = new URL((await fay.browser.request('GET', `${url.pathname}${url.search}`)).headers.get('location') ?? '', t.url);
    const interaction = await fay.browser.request('GET', toInteraction.pathname);
    expect(interaction.status).toBe(303);
    expect(interaction.headers.get('location')).toBe(`/step-up?next=${encodeURIComponent(toInteraction.pathname)}`);
  });

  it.skipIf(skip)('the provider session follows the Rampart session: after signing out of the server, prompt=none answers login_required', async () => {
    const dee = await signedInBrowser(t, 'dee@example.com');
    await authorizationCodeFlow(t, dee.browser, rp);
    const logout = await dee.browser.request('POST', '/v1/logout');
    expect(logout.status).toBeLessThan(300);
    const verifier = client.randomPKCECodeVerifier();
    const silent = client.buildAuthorizationUrl(rp, { redirect_uri: RP_CALLBACK, scope: 'openid', prompt: 'none', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    const ended = await navigate(t, dee.browser, silent);
    expect(ended.kind).toBe('left');
    const callback = ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.has('code')).toBe(false);
  });

  it.skipIf(skip)('a third-party client gets no grant nobody consented to: the browser stops on the consent page, and prompt=none answers consent_required', async () => {
    const thirdParty = await registerClient(t, webApp({ firstParty: false }));
    const config = await relyingParty(t, thirdParty.clientId, thirdParty.clientSecret);
    const challenge = await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier());
    const url = client.buildAuthorizationUrl(config, { redirect_uri: RP_CALLBACK, scope: 'openid', code_challenge: challenge, code_challenge_method: 'S256' });
    const ended = await navigate(t, ada.browser, url);
    expect(ended.kind === 'stopped' ? [ended.status, ended.path] : ended.kind).toEqual([200, expect.stringMatching(/^\/oauth\/interaction\/[\w-]+$/)]);
    expect(ended.kind === 'stopped' ? ended.text : '').toContain('Orders web app');
    const silent = client.buildAuthorizationUrl(config, { redirect_uri: RP_CALLBACK, scope: 'openid', prompt: 'none', code_challenge: challenge, code_challenge_method: 'S256' });
    const refused = await navigate(t, ada.browser, silent);
    expect(refused.kind === 'left' ? refused.url.searchParams.get('error') : refused.kind).toBe('consent_required');
  });

  it.skipIf(skip)('RP-initiated logout: a confirmation page under the CSP, then the provider and Rampart sessions end and the browser returns to the registered URI', async () => {
    const eve = await signedInBrowser(t, 'eve@example.com');
    // Without offline_access the tokens end with the session (with it, they outlive the logout: OIDC Core §11).
    const { tokens } = await authorizationCodeFlow(t, eve.browser, rp, { scope: 'openid email' });
    expect(tokens.refresh_token).toBeUndefined();
    expect(await introspect(tokens.access_token)).toBe(true);
    const url = client.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: RP_LOGGED_OUT, state: 'bye' });
    const page = await eve.browser.request('GET', `${url.pathname}${url.search}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    // The confirmation redirects to the client after the form: its origin, and only it, joins form-action.
    expect(csp).toMatch(/form-action 'self' https:\/\/rp\.example\.test(;|$)/);
    expect(page.text).not.toMatch(/<style|style=|<script(?![^>]*nonce)/i);
    const xsrf = /name="xsrf" value="([0-9a-f]+)"/.exec(page.text)?.[1];
    expect(xsrf).toBeDefined();

    const confirmed = await eve.browser.request('POST', '/oauth/session/end/confirm', { form: { xsrf: xsrf ?? '', logout: 'yes' } });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`${RP_LOGGED_OUT}?state=bye`);
    expect(eve.browser.sessionId).toBeUndefined();
    expect((await eve.browser.request('GET', '/v1/identity')).status).toBe(401);
    expect(await introspect(tokens.access_token)).toBe(false);
  });

  it.skipIf(skip)("rotates with the server's keys: `rampart keys rotate` publishes the next key in the provider's JWKS, and once promoted the provider signs with it", async () => {
    const keys = t.server.modules.tokens.keys;
    const store = keys.store;
    const sync = () => keys.sync();
    const before = t.server.modules.oauth.activeKid();
    const staged = await store.stage(t.clock.now(), 'cli');
    expect(staged.status).toBe('staged');
    await sync();
    await t.server.modules.oauth.syncKeys();
    const published = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(published.keys.map((key) => key.kid).sort()).toEqual([before, staged.kid].sort());
    // Published, not yet signing.
    const serviceRp = await relyingParty(t, service.clientId, service.clientSecret);
    expect(headerOf((await client.clientCredentialsGrant(serviceRp, { resource: ORDERS_API })).access_token).kid).toBe(before);

    t.clock.advance(promoteDelayMs(store.schedule) + 1000);
    await sync();
    await t.server.modules.oauth.syncKeys();
    expect(t.server.modules.oauth.activeKid()).toBe(staged.kid);
    const fresh = await client.clientCredentialsGrant(serviceRp, { resource: ORDERS_API });
    const { protectedHeader } = await jwtVerify(fresh.access_token, createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`)), { issuer: t.url, audience: ORDERS_API });
    expect(protectedHeader.kid).toBe(staged.kid);
    const { tokens } = await authorizationCodeFlow(t, ada.browser, rp);
    expect(headerOf(tokens.id_token ?? '').kid).toBe(staged.kid);
  });
});
