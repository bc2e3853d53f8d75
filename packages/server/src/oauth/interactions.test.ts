/*
 * The interactions over HTTP, against the whole server: Rampart's sign-in and step-up as the provider's login, the
 * consent page and remembered consent, the page that ends a form's redirect chain before it leaves for the client,
 * RP-initiated logout — and the attacks on each (CSRF, another browser's or another account's interaction, open
 * redirects, a login loop). Relying parties are `openid-client` and `oauth4webapi`. SQLite and PostgreSQL (+ Redis).
 */
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountWithPassword, csrfOf } from '../pages/sign-in/sign-in.fixtures.js';
import { BrowserClient, browserSignedInAs } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, type TestServer } from '../testing/server.fixtures.js';
import { TEST_PASSWORD } from '../testing/users.fixtures.js';
import {
  answerConsent,
  authorizationRequest,
  claimsOf,
  consentPageOf,
  navigate,
  PLAIN_HTTP_OAUTH4WEBAPI,
  registerClient,
  relyingParty,
  RP_CALLBACK,
  RP_LOGGED_OUT,
  startOAuthServer,
  webApp,
} from './oauth.fixtures.js';

describe.each(SERVER_BACKENDS)('interactions: sign-in, consent, logout on $name', ({ backend, skip }) => {
  let t: TestServer;
  let firstParty: { clientId: string; clientSecret: string | undefined };
  let thirdParty: { clientId: string; clientSecret: string | undefined };
  let rp: client.Configuration;
  let partner: client.Configuration;
  let seq = 0;

  beforeAll(async () => {
    if (skip) return;
    t = await startOAuthServer(backend);
    firstParty = await registerClient(t, webApp());
    thirdParty = await registerClient(t, webApp({ name: 'Partner <b>Analytics</b>', firstParty: false }));
    rp = await relyingParty(t, firstParty.clientId, firstParty.clientSecret);
    partner = await relyingParty(t, thirdParty.clientId, thirdParty.clientSecret);
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  /** The server's manual clock, brought up to the system clock the provider stamps its interactions with. */
  const syncClock = () => {
    if (t.clock.now() < Date.now()) t.clock.set(Date.now());
  };
  /** A new account with the test password, and a browser signed in as it (a complete sign-in, now). */
  const signedIn = async (name: string): Promise<{ readonly userId: string; readonly email: string; readonly browser: BrowserClient }> => {
    const email = `${name}-${++seq}-${backend}@example.test`;
    const userId = await accountWithPassword(t, email);
    syncClock();
    return { userId, email, browser: await browserSignedInAs(t, userId, { amr: ['pwd', 'otp', 'mfa'] }) };
  };
  const grantsOf = (userId: string, clientId: string) => t.server.modules.oauth.store.grantsOf(userId, { clientId });
  const introspect = async (config: client.Configuration, token: string) => (await client.tokenIntrospection(config, token)).active;

  it.skipIf(skip)('a third-party client: the consent page names it (encoded), asks in words, shows the account and the destination, under the strict CSP', async () => {
    const ada = await signedIn('ada');
    const request = await authorizationRequest(partner, { scope: 'openid email' });
    const page = await consentPageOf(t, ada.browser, request.url);
    expect(page.text).toContain('Partner &lt;b&gt;Analytics&lt;/b&gt;');
    expect(page.text).not.toContain('<b>Analytics</b>');
    expect(page.text).toContain('See your e-mail address and whether it is verified');
    expect(page.text).toContain(ada.email);
    expect(page.text).toContain('<strong>rp.example.test</strong>');
    expect(page.text).toMatch(/<button type="submit" name="decision" value="allow">Allow<\/button>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    // The form's chain ends on this origin (the continue page): no client origin joins the policy.
    expect(csp).toMatch(/form-action 'self'(;|$)/);
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.text).not.toMatch(/<style|style=|<script(?![^>]*nonce)/i);
    expect(await grantsOf(ada.userId, thirdParty.clientId)).toHaveLength(0);
  });

  it.skipIf(skip)('Allow: a code for the client, tokens through openid-client, the consent recorded as an event', async () => {
    const ada = await signedIn('ada');
    // acr and amr are released when the client asks for them (the `claims` parameter, OIDC Core §5.5).
    const request = await authorizationRequest(partner, { scope: 'openid email', claims: JSON.stringify({ id_token: { acr: null, amr: null, auth_time: null } }) });
    const ended = await answerConsent(t, ada.browser, await consentPageOf(t, ada.browser, request.url), 'allow');
    expect(ended.kind).toBe('left');
    const callback = ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK);
    const tokens = await client.authorizationCodeGrant(partner, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    expect(tokens.claims()).toMatchObject({ sub: ada.userId, aud: thirdParty.clientId, nonce: request.nonce, acr: 'urn:rampart:acr:complete', amr: ['pwd', 'otp', 'mfa'] });
    expect(await client.fetchUserInfo(partner, tokens.access_token, ada.userId)).toEqual({ sub: ada.userId, email: ada.email, email_verified: true });
    const consent = t.events.filter((event) => event.type === 'oauth.consent.granted' && event.subject === ada.userId).at(-1);
    expect(consent?.attributes).toMatchObject({ clientId: thirdParty.clientId, scope: 'openid email', via: 'consent_form' });
    const grants = await grantsOf(ada.userId, thirdParty.clientId);
    expect(grants).toHaveLength(1);
    expect(consent?.attributes?.grantId).toBe(grants[0]?.id);
    expect(JSON.stringify(t.events)).not.toContain(tokens.access_token);
  });

  it.skipIf(skip)('consent is remembered per client and scope: the same or fewer scopes go straight through, more scopes ask again for the new ones only, a new browser session too', async () => {
    const bea = await signedIn('bea');
    const first = await authorizationRequest(partner, { scope: 'openid' });
    expect((await answerConsent(t, bea.browser, await consentPageOf(t, bea.browser, first.url), 'allow')).kind).toBe('left');

    // The same scopes: no page.
    const again = await authorizationRequest(partner, { scope: 'openid' });
    const straight = await navigate(t, bea.browser, again.url);
    expect(straight.kind === 'left' && straight.url.searchParams.has('code')).toBe(true);

    // One more scope: the page asks for it alone and lists what was allowed before.
    const more = await authorizationRequest(partner, { scope: 'openid email' });
    const page = await consentPageOf(t, bea.browser, more.url);
    expect(/<ul id="consent-asked">([\s\S]*?)<\/ul>/.exec(page.text)?.[1]).toContain('See your e-mail address');
    expect(/<ul id="consent-asked">([\s\S]*?)<\/ul>/.exec(page.text)?.[1]).not.toContain('Know who you are');
    expect(/<ul id="consent-granted">([\s\S]*?)<\/ul>/.exec(page.text)?.[1]).toContain('Know who you are');
    const granted = await answerConsent(t, bea.browser, page, 'allow');
    expect(granted.kind === 'left' && granted.url.searchParams.has('code')).toBe(true);

    // Fewer scopes than granted, in another browser (a new session of the same account): remembered, no page.
    syncClock();
    const elsewhere = await browserSignedInAs(t, bea.userId);
    const fewer = await authorizationRequest(partner, { scope: 'openid' });
    const remembered = await navigate(t, elsewhere, fewer.url);
    expect(remembered.kind).toBe('left');
    const callback = remembered.kind === 'left' ? remembered.url : new URL(RP_CALLBACK);
    const tokens = await client.authorizationCodeGrant(partner, callback, { pkceCodeVerifier: fewer.verifier, expectedState: fewer.state, expectedNonce: fewer.nonce });
    expect(tokens.claims()?.sub).toBe(bea.userId);
    // Each browser session has a grant (a token family) of its own; both carry the consent.
    expect(await grantsOf(bea.userId, thirdParty.clientId)).toHaveLength(2);
  });

  it.skipIf(skip)('Deny: the client gets access_denied, no code, and nothing is remembered', async () => {
    const cy = await signedIn('cy');
    const request = await authorizationRequest(partner, { scope: 'openid email' });
    const ended = await answerConsent(t, cy.browser, await consentPageOf(t, cy.browser, request.url), 'deny');
    expect(ended.kind).toBe('left');
    const callback = ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(request.state);
    expect(callback.searchParams.has('code')).toBe(false);
    await expect(client.authorizationCodeGrant(partner, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state })).rejects.toMatchObject({ error: 'access_denied' });
    expect((await grantsOf(cy.userId, thirdParty.clientId)).length).toBe(0);
    // The account's refusal is an event of its own; the client saw the provider's refusal.
    expect(t.events.filter((event) => event.type === 'oauth.consent.denied' && event.subject === cy.userId).map((event) => event.attributes)).toEqual([
      expect.objectContaining({ clientId: thirdParty.clientId, error: 'access_denied', scope: 'openid email', via: 'consent_form' }),
    ]);
    expect(t.events.some((event) => event.type === 'oauth.consent.granted' && event.subject === cy.userId)).toBe(false);
    expect(t.events.filter((event) => event.type === 'oauth.request.refused' && event.attributes?.clientId === thirdParty.clientId).at(-1)?.attributes).toMatchObject({ endpoint: 'authorization', error: 'access_denied' });
    // Asked again next time.
    await consentPageOf(t, cy.browser, (await authorizationRequest(partner, { scope: 'openid' })).url);
  });

  it.skipIf(skip)('attack: a forged consent — cross-site, without the CSRF token, with another browser\'s token — grants nothing', async () => {
    const dee = await signedIn('dee');
    const page = await consentPageOf(t, dee.browser, (await authorizationRequest(partner)).url);
    const action = `/oauth/interaction/${page.uid}/consent`;
    const crossSite = await dee.browser.request('POST', action, { form: { decision: 'allow', _csrf: page.csrf }, headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, withoutCsrfToken: true });
    expect(crossSite.status).toBe(403);
    const noToken = await dee.browser.request('POST', action, { form: { decision: 'allow' }, withoutCsrfToken: true });
    expect(noToken.status).toBe(403);
    const mallory = await signedIn('mallory');
    const malloryToken = csrfOf((await mallory.browser.request('GET', '/account')).text);
    const foreignToken = await dee.browser.request('POST', action, { form: { decision: 'allow', _csrf: malloryToken }, withoutCsrfToken: true });
    expect(foreignToken.status).toBe(403);
    for (const refused of [crossSite, noToken, foreignToken]) expect(refused.headers.get('location')).toBeNull();
    expect(await grantsOf(dee.userId, thirdParty.clientId)).toHaveLength(0);
    // The real form still works afterwards.
    expect((await answerConsent(t, dee.browser, page, 'allow')).kind).toBe('left');
  });

  it.skipIf(skip)('attack: another browser cannot answer the interaction — without its cookie the page has expired; with the cookie stolen, the request ends unanswered at the provider (bound to Eve\'s provider session); no grant for anyone', async () => {
    const eve = await signedIn('eve');
    const page = await consentPageOf(t, eve.browser, (await authorizationRequest(partner)).url);
    const mallory = await signedIn('mallory');
    const token = csrfOf((await mallory.browser.request('GET', '/account')).text);
    const stranger = await mallory.browser.request('POST', `/oauth/interaction/${page.uid}/consent`, { form: { decision: 'allow', _csrf: token }, withoutCsrfToken: true });
    expect(stranger.status).toBe(400);
    expect(stranger.headers.get('location')).toBeNull();
    expect(stranger.text).toContain('expired or was already completed');

    // The interaction and resume cookies stolen into Mallory's browser: she is signed in as someone else, so the
    // interaction ends with login_required — and the provider, which bound it to Eve's provider session, refuses to
    // resume it in Mallory's: a page, no redirect to the client.
    mallory.browser.setCookie('rampart_oauth_interaction', eve.browser.cookie('rampart_oauth_interaction') ?? '');
    mallory.browser.setCookie('rampart_oauth_interaction.sig', eve.browser.cookie('rampart_oauth_interaction.sig') ?? '');
    mallory.browser.setCookie('rampart_oauth_resume', eve.browser.cookie('rampart_oauth_resume') ?? '');
    mallory.browser.setCookie('rampart_oauth_resume.sig', eve.browser.cookie('rampart_oauth_resume.sig') ?? '');
    const stolen = await mallory.browser.request('POST', `/oauth/interaction/${page.uid}/consent`, { form: { decision: 'allow', _csrf: token }, withoutCsrfToken: true });
    expect(stolen.status).toBe(303);
    expect(stolen.headers.get('location')).toMatch(/\/oauth\/auth\/[\w-]+$/);
    const ended = await navigate(t, mallory.browser, stolen.headers.get('location') ?? '/');
    expect(ended.kind === 'stopped' ? [ended.status, ended.headers.get('location')] : ended.kind).toEqual([400, null]);
    expect(await grantsOf(eve.userId, thirdParty.clientId)).toHaveLength(0);
    expect(await grantsOf(mallory.userId, thirdParty.clientId)).toHaveLength(0);
  });

  it.skipIf(skip)('attack: open redirects through the interaction — the sign-in return path is the interaction itself, a crafted uid or next leads nowhere else', async () => {
    const anonymous = new BrowserClient(t.url);
    const request = await authorizationRequest(rp);
    const toInteraction = new URL((await anonymous.request('GET', `${request.url.pathname}${request.url.search}`, { headers: { 'sec-fetch-site': 'cross-site' } })).headers.get('location') ?? '', t.url);
    const toLogin = await anonymous.request('GET', toInteraction.pathname);
    expect(toLogin.headers.get('location')).toBe(`/login?next=${encodeURIComponent(toInteraction.pathname)}`);
    for (const crafted of ['%2F%2Fevil.example', '..%2F..%2Flogin%3Fnext%3D%2F%2Fevil.example', 'x%0d%0aLocation:%20https:%2F%2Fevil.example']) {
      const answer = await anonymous.request('GET', `/oauth/interaction/${crafted}`);
      expect(answer.status === 400 || answer.status === 404).toBe(true);
      expect(answer.headers.get('location')).toBeNull();
    }
    // The sign-in form's `next` is checked again on the way back: a look-alike of the interaction path goes nowhere.
    const email = `redirect-${backend}@example.test`;
    await accountWithPassword(t, email);
    const login = await anonymous.request('GET', `/login?next=${encodeURIComponent('//evil.example/oauth/interaction/abc')}`);
    const posted = await anonymous.request('POST', '/login', { form: { email, password: TEST_PASSWORD, next: '//evil.example/oauth/interaction/abc', _csrf: csrfOf(login.text) }, withoutCsrfToken: true });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/account');
    // An interaction path that is not this browser's interaction: a page, no redirect.
    const unknown = await anonymous.request('GET', '/oauth/interaction/not-an-interaction');
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('location')).toBeNull();
  });

  it.skipIf(skip)('a form-started navigation that leaves for the client ends on a page of this origin (Refresh + link, CSP unchanged); a client-started one is redirected', async () => {
    const fay = await signedIn('fay');
    const page = await consentPageOf(t, fay.browser, (await authorizationRequest(partner)).url);
    const posted = await fay.browser.request('POST', `/oauth/interaction/${page.uid}/consent`, { form: { decision: 'allow', _csrf: page.csrf }, withoutCsrfToken: true });
    const resume = new URL(posted.headers.get('location') ?? '', t.url);
    expect(resume.pathname).toMatch(/^\/oauth\/auth\/[\w-]+$/);
    // The browser follows the form's redirect: a same-origin navigation.
    const continued = await fay.browser.request('GET', resume.pathname, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', accept: 'text/html' } });
    expect(continued.status).toBe(200);
    expect(continued.headers.get('location')).toBeNull();
    const refresh = /^0;url=(.+)$/.exec(continued.headers.get('refresh') ?? '')?.[1] ?? '';
    const target = new URL(refresh);
    expect(target.origin + target.pathname).toBe(RP_CALLBACK);
    expect(target.searchParams.has('code')).toBe(true);
    const link = /<a href="([^"]+)" id="continue">/.exec(continued.text)?.[1] ?? '';
    expect(link.replace(/&#x([0-9A-F]+);/gi, (_match, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16))).replaceAll('&amp;', '&')).toBe(refresh);
    expect(continued.text).toContain('Partner &lt;b&gt;Analytics&lt;/b&gt;');
    expect(continued.headers.get('content-security-policy')).toMatch(/form-action 'self'(;|$)/);
    expect(continued.headers.get('cache-control')).toContain('no-store');
    expect(continued.text).not.toMatch(/<style|style=|<script(?![^>]*nonce)/i);

    // Started by the client (a cross-site navigation, the remembered consent): a plain redirect.
    const { url } = await authorizationRequest(partner);
    const silent = await fay.browser.request('GET', `${url.pathname}${url.search}`, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(silent.status).toBe(303);
  });

  it.skipIf(skip)('prompt=login forces a fresh sign-in (step-up: password again), then the ID token says when', async () => {
    const gus = await signedIn('gus');
    const request = await authorizationRequest(rp, { prompt: 'login', max_age: '300' });
    const ended = await navigate(t, gus.browser, request.url);
    expect(ended.kind === 'stopped' ? ended.path : ended.kind).toBe('/step-up');
    const stepUpPage = ended.kind === 'stopped' ? ended.text : '';
    const next = (/name="next" value="([^"]+)"/.exec(stepUpPage)?.[1] ?? '').replace(/&#x([0-9A-F]+);/gi, (_match, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)));
    expect(next).toMatch(/^\/oauth\/interaction\/[\w-]+$/);
    // The fresh sign-in must come in a later second than the request's start (the provider's clock has second grain).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    syncClock();
    const steppedUp = await gus.browser.request('POST', '/step-up', { form: { password: TEST_PASSWORD, next, _csrf: csrfOf(stepUpPage) }, withoutCsrfToken: true });
    expect(steppedUp.status).toBe(303);
    expect(steppedUp.headers.get('location')).toBe(next);
    const back = await navigate(t, gus.browser, next);
    expect(back.kind).toBe('left');
    const callback = back.kind === 'left' ? back.url : new URL(RP_CALLBACK);
    const tokens = await client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce, maxAge: 300 });
    const claims = tokens.claims();
    expect(claims?.sub).toBe(gus.userId);
    expect(claims?.auth_time).toBeGreaterThanOrEqual(Math.floor((Date.now() - 60_000) / 1000));
  });

  it.skipIf(skip)('prompt=none without a session answers login_required to the client; with a session but no consent, consent_required', async () => {
    const anonymous = new BrowserClient(t.url);
    const request = await authorizationRequest(rp, { prompt: 'none' });
    const ended = await navigate(t, anonymous, request.url);
    expect(ended.kind === 'left' ? ended.url.searchParams.get('error') : ended.kind).toBe('login_required');
    const hal = await signedIn('hal');
    // A provider session first (a first-party client, no consent asked), then a silent request from a third party.
    expect((await navigate(t, hal.browser, (await authorizationRequest(rp)).url)).kind).toBe('left');
    expect(t.events.filter((event) => event.type === 'oauth.consent.granted' && event.subject === hal.userId).map((event) => event.attributes)).toEqual([
      expect.objectContaining({ clientId: firstParty.clientId, scope: 'openid', via: 'step' }),
    ]);
    const thirdPartyAsk = await navigate(t, hal.browser, (await authorizationRequest(partner, { prompt: 'none' })).url);
    expect(thirdPartyAsk.kind === 'left' ? thirdPartyAsk.url.searchParams.get('error') : thirdPartyAsk.kind).toBe('consent_required');
  });

  it.skipIf(skip)('attack: a login the provider keeps refusing (id_token_hint of another account) ends with login_required instead of looping', async () => {
    const ivy = await signedIn('ivy');
    const first = await authorizationRequest(rp);
    const ivyFlow = await navigate(t, ivy.browser, first.url);
    const ivyTokens = await client.authorizationCodeGrant(rp, ivyFlow.kind === 'left' ? ivyFlow.url : new URL(RP_CALLBACK), { pkceCodeVerifier: first.verifier, expectedState: first.state, expectedNonce: first.nonce });
    const jon = await signedIn('jon');
    const hinted = await authorizationRequest(rp, { id_token_hint: ivyTokens.id_token ?? '' });
    const ended = await navigate(t, jon.browser, hinted.url);
    expect(ended.kind === 'left' ? ended.url.searchParams.get('error') : `stopped at ${ended.path}`).toBe('login_required');
  });

  it.skipIf(skip)('another account signs in on the same browser: the provider signs the previous one out by itself, the new Rampart session survives and gets the code', async () => {
    const kim = await signedIn('kim');
    const first = await authorizationRequest(rp);
    const kimFlow = await navigate(t, kim.browser, first.url);
    const kimTokens = await client.authorizationCodeGrant(rp, kimFlow.kind === 'left' ? kimFlow.url : new URL(RP_CALLBACK), { pkceCodeVerifier: first.verifier, expectedState: first.state, expectedNonce: first.nonce });
    expect(await introspect(rp, kimTokens.access_token)).toBe(true);
    // Kim signs out of the server and Lee signs in on the same browser (same provider session cookie).
    expect((await kim.browser.request('POST', '/v1/logout')).status).toBeLessThan(300);
    const leeEmail = `lee-${backend}@example.test`;
    const leeId = await accountWithPassword(t, leeEmail);
    expect((await kim.browser.request('POST', '/v1/login', { json: { email: leeEmail, password: TEST_PASSWORD } })).status).toBe(200);
    const leeSession = kim.browser.sessionId;
    const second = await authorizationRequest(rp);
    const stopped = await navigate(t, kim.browser, second.url);
    // The provider's own auto-submitting logout of the previous account (its script carries a hash the CSP allows).
    expect(stopped.kind === 'stopped' ? stopped.status : stopped.kind).toBe(200);
    const text = stopped.kind === 'stopped' ? stopped.text : '';
    const csp = stopped.kind === 'stopped' ? (stopped.headers.get('content-security-policy') ?? '') : '';
    expect(csp).toMatch(/script-src [^;]*'sha256-/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(text)?.[1] ?? '';
    const confirmed = await kim.browser.request('POST', '/oauth/session/end/confirm', { form: { xsrf, logout: 'yes' } });
    expect(confirmed.status).toBe(303);
    const ended = await navigate(t, kim.browser, confirmed.headers.get('location') ?? '/');
    expect(ended.kind).toBe('left');
    const tokens = await client.authorizationCodeGrant(rp, ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK), { pkceCodeVerifier: second.verifier, expectedState: second.state, expectedNonce: second.nonce });
    expect(tokens.claims()?.sub).toBe(leeId);
    // Lee's server session is the one the browser holds; Kim's tokens (no offline access) ended with her provider session.
    expect(kim.browser.sessionId).toBe(leeSession);
    expect((await kim.browser.request('GET', '/v1/identity')).status).toBe(200);
    expect(await introspect(rp, kimTokens.access_token)).toBe(false);
  });

  it.skipIf(skip)('RP-initiated logout: only a post_logout_redirect_uri registered exactly is followed; the logout keeps the consent and reports the ended tokens', async () => {
    const max = await signedIn('max');
    const request = await authorizationRequest(partner, { scope: 'openid' });
    const done = await answerConsent(t, max.browser, await consentPageOf(t, max.browser, request.url), 'allow');
    const tokens = await client.authorizationCodeGrant(partner, done.kind === 'left' ? done.url : new URL(RP_CALLBACK), { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    for (const unregistered of ['https://rp.example.test/bye/', 'https://rp.example.test/bye?x=1', 'https://evil.example/bye', 'https://rp.example.test/BYE']) {
      const url = client.buildEndSessionUrl(partner, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: unregistered });
      const refused = await max.browser.request('GET', `${url.pathname}${url.search}`, { headers: { accept: 'text/html' } });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('location')).toBeNull();
      expect(refused.text).not.toContain(unregistered);
    }
    expect((await max.browser.request('GET', '/v1/identity')).status).toBe(200);

    const url = client.buildEndSessionUrl(partner, { id_token_hint: tokens.id_token ?? '', post_logout_redirect_uri: RP_LOGGED_OUT, state: 's' });
    const page = await max.browser.request('GET', `${url.pathname}${url.search}`, { headers: { accept: 'text/html' } });
    expect(page.text).toContain('<strong>Partner &lt;b&gt;Analytics&lt;/b&gt;</strong> asks to sign you out');
    const xsrf = /name="xsrf" value="([0-9a-f]+)"/.exec(page.text)?.[1] ?? '';
    const confirmed = await max.browser.request('POST', '/oauth/session/end/confirm', { form: { xsrf, logout: 'yes' } });
    expect(confirmed.headers.get('location')).toBe(`${RP_LOGGED_OUT}?state=s`);
    expect((await max.browser.request('GET', '/v1/identity')).status).toBe(401);
    expect(await introspect(partner, tokens.access_token)).toBe(false);
    const ended = t.events.filter((event) => event.type === 'oauth.grant.revoked' && event.attributes?.reason === 'logout' && event.subject === max.userId);
    expect(ended).toHaveLength(1);
    expect(ended[0]?.attributes).toMatchObject({ clientId: thirdParty.clientId, consentKept: true });
    expect(typeof ended[0]?.attributes?.grantId).toBe('string');
    // Signing out of the application is not withdrawing consent: the next sign-in goes straight through.
    expect(await grantsOf(max.userId, thirdParty.clientId)).toHaveLength(1);
    syncClock();
    const again = await browserSignedInAs(t, max.userId);
    const straight = await navigate(t, again, (await authorizationRequest(partner, { scope: 'openid' })).url);
    expect(straight.kind === 'left' && straight.url.searchParams.has('code')).toBe(true);
  });

  it.skipIf(skip)('state and nonce with real RPs: a mismatched state is refused by openid-client, the nonce is in the ID token, and an ID token minted for another nonce is refused by oauth4webapi', async () => {
    const nia = await signedIn('nia');
    const request = await authorizationRequest(rp);
    const ended = await navigate(t, nia.browser, request.url);
    const callback = ended.kind === 'left' ? ended.url : new URL(RP_CALLBACK);
    expect(callback.searchParams.get('state')).toBe(request.state);
    // An attacker's authorization response delivered to this RP session (login CSRF): its state is not the session's.
    await expect(client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: request.verifier, expectedState: client.randomState() })).rejects.toMatchObject({
      code: 'OAUTH_INVALID_RESPONSE',
      cause: { message: expect.stringMatching(/"state"/) as unknown },
    });
    const tokens = await client.authorizationCodeGrant(rp, callback, { pkceCodeVerifier: request.verifier, expectedState: request.state, expectedNonce: request.nonce });
    expect(claimsOf(tokens.id_token ?? '').nonce).toBe(request.nonce);

    // A code (and so an ID token) obtained for one nonce, replayed into an RP session that expects another.
    const as = await oauth.processDiscoveryResponse(new URL(t.url), await oauth.discoveryRequest(new URL(t.url), { [PLAIN_HTTP_OAUTH4WEBAPI]: true }));
    const rpClient: oauth.Client = { client_id: firstParty.clientId, id_token_signed_response_alg: 'EdDSA' };
    const auth = oauth.ClientSecretBasic(firstParty.clientSecret ?? '');
    const replayed = await authorizationRequest(rp);
    const replayedEnd = await navigate(t, nia.browser, replayed.url);
    const params = oauth.validateAuthResponse(as, rpClient, replayedEnd.kind === 'left' ? replayedEnd.url : new URL(RP_CALLBACK), replayed.state);
    const response = await oauth.authorizationCodeGrantRequest(as, rpClient, auth, params, RP_CALLBACK, replayed.verifier, { [PLAIN_HTTP_OAUTH4WEBAPI]: true });
    await expect(oauth.processAuthorizationCodeResponse(as, rpClient, response, { expectedNonce: oauth.generateRandomNonce() })).rejects.toThrow(/nonce/i);
  });
});
