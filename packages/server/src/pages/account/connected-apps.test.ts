/*
 * The "Connected apps" page over HTTP against the whole server: what the account let in (its remembered consent),
 * removing it (every grant and token of that application ends, consent is asked again), and the attacks — anonymous
 * use, IDOR, cross-site posts, markup in a client's name. SQLite and PostgreSQL (+ Redis).
 */
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerConsent, authorizationRequest, consentPageOf, navigate, registerClient, relyingParty, RP_CALLBACK, startOAuthServer, webApp } from '../../oauth/oauth.fixtures.js';
import { BrowserClient, browserSignedInAs } from '../../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, type TestServer } from '../../testing/server.fixtures.js';
import { accountWithPassword, csrfOf } from '../sign-in/sign-in.fixtures.js';

describe.each(SERVER_BACKENDS)('the Connected apps page on $name', ({ backend, skip }) => {
  let t: TestServer;
  let partner: { clientId: string; clientSecret: string | undefined };
  let own: { clientId: string; clientSecret: string | undefined };
  let partnerRp: client.Configuration;
  let ownRp: client.Configuration;
  let seq = 0;

  beforeAll(async () => {
    if (skip) return;
    t = await startOAuthServer(backend);
    partner = await registerClient(t, webApp({ name: 'Partner <img src=x onerror=alert(1)>', firstParty: false }));
    own = await registerClient(t, webApp({ name: 'Orders' }));
    partnerRp = await relyingParty(t, partner.clientId, partner.clientSecret);
    ownRp = await relyingParty(t, own.clientId, own.clientSecret);
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  const signedIn = async (name: string): Promise<{ readonly userId: string; readonly browser: BrowserClient }> => {
    const userId = await accountWithPassword(t, `${name}-${++seq}-${backend}@example.test`);
    if (t.clock.now() < Date.now()) t.clock.set(Date.now());
    return { userId, browser: await browserSignedInAs(t, userId) };
  };

  /** Consents to the partner (openid, email, offline_access) and signs in to the operator's own app; the partner's tokens. */
  const connect = async (browser: BrowserClient) => {
    const request = await authorizationRequest(partnerRp, { scope: 'openid email offline_access', prompt: 'consent' });
    const ended = await answerConsent(t, browser, await consentPageOf(t, browser, request.url), 'allow');
    const tokens = await client.authorizationCodeGrant(partnerRp, ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    const first = await authorizationRequest(ownRp);
    const ownEnded = await navigate(t, browser, first.url);
    expect(ownEnded.kind).toBe('left');
    return tokens;
  };
  const active = async (token: string) => (await client.tokenIntrospection(partnerRp, token)).active;

  it.skipIf(skip)('anonymous browsers are sent to sign in; nothing is listed or removed', async () => {
    const anonymous = new BrowserClient(t.url);
    const page = await anonymous.request('GET', '/account/connected-apps');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    const posted = await anonymous.request('POST', '/account/connected-apps/revoke', { form: { client_id: partner.clientId } });
    expect(posted.status === 303 || posted.status === 403).toBe(true);
  });

  it.skipIf(skip)('lists each application the account let in, what it may receive in words, encoded; the overview links to it', async () => {
    const ada = await signedIn('ada');
    await connect(ada.browser);
    const page = await ada.browser.request('GET', '/account/connected-apps');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.text).toContain('Partner &lt;img src=x onerror=alert(1)&gt;');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('See your e-mail address and whether it is verified');
    expect(page.text).toContain('Keep access while you are not using it');
    expect(page.text).toContain('Orders');
    expect(page.text).toContain('Part of this service');
    expect(page.text).not.toMatch(/<style|style=|<script(?![^>]*nonce)/i);
    expect((await ada.browser.request('GET', '/account')).text).toContain('href="/account/connected-apps"');
  });

  it.skipIf(skip)('removing access ends every grant and token of that application, and the next authorization asks again', async () => {
    const bea = await signedIn('bea');
    const tokens = await connect(bea.browser);
    expect(await active(tokens.access_token)).toBe(true);
    expect(await active(tokens.refresh_token ?? '')).toBe(true);
    const page = await bea.browser.request('GET', '/account/connected-apps');
    const removed = await bea.browser.request('POST', '/account/connected-apps/revoke', { form: { client_id: partner.clientId, _csrf: csrfOf(page.text) }, withoutCsrfToken: true });
    expect(removed.status).toBe(303);
    expect(removed.headers.get('location')).toBe('/account/connected-apps?notice=access-removed');
    expect(await active(tokens.access_token)).toBe(false);
    expect(await active(tokens.refresh_token ?? '')).toBe(false);
    await expect(client.refreshTokenGrant(partnerRp, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await t.server.modules.oauth.store.grantsOf(bea.userId, { clientId: partner.clientId })).toHaveLength(0);
    // Each grant's end (by id), then the withdrawal itself, once.
    const ended = t.events.filter((event) => event.type === 'oauth.grant.revoked' && event.subject === bea.userId && event.attributes?.reason === 'consent_withdrawn');
    expect(ended).not.toHaveLength(0);
    expect(ended.every((event) => event.attributes?.clientId === partner.clientId && typeof event.attributes.grantId === 'string')).toBe(true);
    expect(t.events.filter((event) => event.type === 'oauth.consent.revoked' && event.subject === bea.userId).map((event) => event.attributes)).toEqual([{ clientId: partner.clientId, grants: ended.length }]);
    expect(JSON.stringify(t.events)).not.toContain(tokens.refresh_token);
    const after = await bea.browser.request('GET', '/account/connected-apps?notice=access-removed');
    expect(after.text).toContain('The application’s access was removed.');
    expect(after.text).not.toContain('Partner &lt;img');
    // The same browser session asks again: nothing of the old consent is left.
    await consentPageOf(t, bea.browser, (await authorizationRequest(partnerRp)).url);
  });

  it.skipIf(skip)('attack (IDOR): another account removing the application by its id removes nothing of this account', async () => {
    const cy = await signedIn('cy');
    const tokens = await connect(cy.browser);
    const mallory = await signedIn('mallory');
    const page = await mallory.browser.request('GET', '/account/connected-apps');
    expect(page.text).toContain('No application has access to your account.');
    const attempt = await mallory.browser.request('POST', '/account/connected-apps/revoke', { form: { client_id: partner.clientId, _csrf: csrfOf(page.text) }, withoutCsrfToken: true });
    expect(attempt.status).toBe(404);
    expect(attempt.text).toContain('That application has no access to your account.');
    expect(await active(tokens.access_token)).toBe(true);
    expect(await t.server.modules.oauth.store.grantsOf(cy.userId, { clientId: partner.clientId })).toHaveLength(1);
    expect(t.events.some((event) => (event.type === 'oauth.consent.revoked' || event.type === 'oauth.grant.revoked') && (event.subject === mallory.userId || event.subject === cy.userId))).toBe(false);
  });

  it.skipIf(skip)('attack: a cross-site form, or one without the CSRF token, removes nothing; a malformed client id is a 400 page', async () => {
    const dee = await signedIn('dee');
    const tokens = await connect(dee.browser);
    const crossSite = await dee.browser.request('POST', '/account/connected-apps/revoke', { form: { client_id: partner.clientId }, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, withoutCsrfToken: true });
    expect(crossSite.status).toBe(403);
    const noToken = await dee.browser.request('POST', '/account/connected-apps/revoke', { form: { client_id: partner.clientId }, withoutCsrfToken: true });
    expect(noToken.status).toBe(403);
    const page = await dee.browser.request('GET', '/account/connected-apps');
    const extra = await dee.browser.request('POST', '/account/connected-apps/revoke', { form: { client_id: partner.clientId, account: 'someone-else', _csrf: csrfOf(page.text) }, withoutCsrfToken: true });
    expect(extra.status).toBe(400);
    expect(await active(tokens.access_token)).toBe(true);
  });
});
