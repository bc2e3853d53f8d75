/*
 * The authorization server's acceptance test in a real browser (Debian's Chromium through playwright-core), driven by
 * a relying party built on `openid-client` on its own origin: authorization code + PKCE where the browser signs in
 * with a password and a TOTP code and consents; remembered consent; a PAR-started request with `prompt=login` (step-up
 * with a backup code); a passkey as the second factor; RP-initiated logout — then userinfo, refresh rotation,
 * introspection and revocation through the library. Every page's CSP violations are collected: there must be none.
 * SQLite and PostgreSQL (+ Redis); skipped by name without Chromium.
 *
 * First, the browser behaviour the design rests on (Chromium, a two-origin page of its own): a form under
 * `form-action 'self'` whose redirects end at another origin is blocked; the two fixes — that origin in `form-action`,
 * or the chain ending on a page of the form's origin — both pass.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../mfa/mfa.fixtures.js';
import { accountWithPassword } from '../pages/sign-in/sign-in.fixtures.js';
import { browserSignedInAs } from '../testing/browser-client.fixtures.js';
import { collectCspViolations, haveChromium, launchChromium, type CspViolation } from '../testing/chromium.fixtures.js';
import { SERVER_BACKENDS, type TestServer } from '../testing/server.fixtures.js';
import { TEST_PASSWORD } from '../testing/users.fixtures.js';
import { relyingParty, startOAuthServer } from './oauth.fixtures.js';
import { RelyingPartyApp } from './relying-party.fixtures.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.runIf(haveChromium)('Chromium and form-action across redirects (needs RAMPART_TEST_CHROMIUM)', () => {
  let browser: Browser;
  let elsewhere: Server;
  let site: Server;
  let elsewhereUrl = '';
  let siteUrl = '';

  beforeAll(async () => {
    elsewhere = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>client</h1>');
    });
    elsewhereUrl = await listen(elsewhere);
    site = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://site');
      const policy = `default-src 'none'; form-action 'self'${url.searchParams.has('allow') ? ` ${elsewhereUrl}` : ''}`;
      if (url.pathname === '/form') {
        const then = url.searchParams.get('then') ?? '/hop';
        response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': policy });
        response.end(`<form method="post" action="/submit?then=${encodeURIComponent(then)}"><button>Sign in</button></form>`);
      } else if (url.pathname === '/submit') {
        response.writeHead(303, { location: url.searchParams.get('then') ?? '/' }).end();
      } else if (url.pathname === '/hop') {
        response.writeHead(303, { location: `${elsewhereUrl}/cb` }).end();
      } else if (url.pathname === '/continue') {
        response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': policy, refresh: `0;url=${elsewhereUrl}/cb` }).end('<a href="/">continue</a>');
      } else {
        response.writeHead(404).end();
      }
    });
    siteUrl = await listen(site);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser.close();
    elsewhere.close();
    site.close();
  });

  /** Submits the form of `/form?<query>` and reports where the browser ended and what the page's CSP refused. */
  async function submit(query: string): Promise<{ readonly url: string; readonly blocked: boolean }> {
    const page = await browser.newPage();
    await page.goto(`${siteUrl}/form?${query}`);
    // Either the client's page loads, or Chromium refuses the submission and says so on the console. A refused
    // navigation can also fail `waitForURL` (ERR_BLOCKED_BY_CSP) before the console message arrives: that failure is
    // no outcome of its own, so it never settles the race — only the landing, the refusal, or the refusal's timeout do.
    const landed = page.waitForURL(`${elsewhereUrl}/cb`).then(() => 'landed' as const, () => new Promise<never>(() => undefined));
    const refused = page
      .waitForEvent('console', { predicate: (message) => message.text().includes("violates the following Content Security Policy directive: \"form-action 'self'\"") })
      .then(() => 'refused' as const, () => 'neither' as const);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const blocked = (await Promise.race([landed, refused])) === 'refused';
    const result = { url: page.url(), blocked };
    await page.close();
    return result;
  }

  it('blocks the form when its redirects end at another origin; passes with that origin in form-action, or with the chain ending on a page of its own', async () => {
    expect(await submit('then=%2Fhop')).toEqual({ url: expect.stringContaining(`${siteUrl}/form`) as string, blocked: true });
    expect(await submit('then=%2Fhop&allow')).toEqual({ url: `${elsewhereUrl}/cb`, blocked: false });
    expect(await submit('then=%2Fcontinue')).toEqual({ url: `${elsewhereUrl}/cb`, blocked: false });
  });
});

describe.each(SERVER_BACKENDS)('the authorization server in Chromium on $name', ({ backend, skip }) => {
  const run = !skip && haveChromium;
  let t: TestServer;
  let browser: Browser;
  let rp: RelyingPartyApp;
  let config: client.Configuration;
  let clientId = '';
  let ada = { userId: '', email: '', secret: '', backupCodes: [] as string[] };

  beforeAll(async () => {
    if (!run) return;
    // `localhost`: a secure context for Chromium over http, so the `Secure` `__Host-` cookies are kept.
    t = await startOAuthServer(backend, {}, { publicHost: 'localhost' });
    rp = await RelyingPartyApp.start();
    const registered = await t.server.modules.oauth.clients.create({
      type: 'confidential',
      name: 'Orders partner',
      redirectUris: [rp.redirectUri],
      postLogoutRedirectUris: [rp.postLogoutRedirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'email', 'offline_access'],
    });
    clientId = registered.client.clientId;
    config = await relyingParty(t, clientId, registered.clientSecret);
    rp.use(config);
    ada = await accountWithTotp(`ada-${backend}@example.test`);
    browser = await launchChromium();
  });
  afterAll(async () => {
    if (!run) return;
    await browser.close();
    await rp.close();
    await t.close();
  });

  /** The server's manual clock brought up to the system clock the provider stamps its artifacts with. */
  const syncClock = () => {
    if (t.clock.now() < Date.now()) t.clock.set(Date.now());
  };

  /** An account with a password, an authenticator app (enrolled over the JSON API) and backup codes. */
  async function accountWithTotp(email: string) {
    const userId = await accountWithPassword(t, email);
    syncClock();
    const session = await browserSignedInAs(t, userId);
    const started = await session.request('POST', '/v1/mfa/totp');
    const { secret } = started.body as { secret: string };
    const confirmed = await session.request('POST', '/v1/mfa/totp/confirm', { json: { code: totpCode(secret, t.clock.now()) } });
    if (confirmed.status !== 200) throw new Error(`TOTP enrollment: ${confirmed.status} ${confirmed.text}`);
    const codes = await session.request('POST', '/v1/mfa/backup-codes');
    return { userId, email, secret, backupCodes: (codes.body as { codes: string[] }).codes };
  }

  /**
   * A new browser (its own cookies) with a page that records CSP violations, every navigation, and every server page
   * that sent the browser on with a `Refresh` (the page ending a form's chain before it leaves for the RP).
   */
  async function newPage(): Promise<{ readonly context: BrowserContext; readonly page: Page; readonly violations: CspViolation[]; readonly visited: string[]; readonly refreshed: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = await collectCspViolations(page);
    const visited: string[] = [];
    const refreshed: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest()) visited.push(request.url());
    });
    page.on('response', (response) => {
      const refresh = response.headers().refresh;
      if (refresh !== undefined && response.status() === 200) refreshed.push(`${new URL(response.url()).pathname} -> ${refresh}`);
    });
    return { context, page, violations, visited, refreshed };
  }

  /** Clicks `button` and waits for the navigation it causes to land where `where` says. */
  async function click(page: Page, button: string, where: (url: URL) => boolean): Promise<void> {
    await Promise.all([page.waitForURL(where), page.getByRole('button', { name: button }).click()]);
  }
  const at = (path: string) => (url: URL) => url.pathname === path;
  const atInteraction = (url: URL) => url.pathname.startsWith('/oauth/interaction/');
  const atRp = (path: string) => (url: URL) => url.origin === rp.origin && url.pathname === path;

  it.runIf(run)('authorization code + PKCE: password and TOTP in the browser, the consent page, back to the RP through the page that ends the form chain; then userinfo, refresh rotation, introspection, revocation', async () => {
    const { context, page, violations, refreshed } = await newPage();
    syncClock();
    await page.goto(`${rp.origin}/start?scope=${encodeURIComponent('openid email offline_access')}&prompt=consent`);
    await page.waitForURL(at('/login'));
    expect(new URL(page.url()).searchParams.get('next')).toMatch(/^\/oauth\/interaction\/[\w-]+$/);
    await page.getByLabel('E-mail address').fill(ada.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await click(page, 'Sign in', at('/login/second-factor'));
    // The code of the next time step (the enrollment spent this one), within the accepted window.
    await page.getByLabel('Code', { exact: true }).fill(totpCode(ada.secret, t.clock.now() + 30_000));
    await click(page, 'Continue', atInteraction);
    expect(await page.locator('h1').textContent()).toBe('Allow Orders partner?');
    expect(await page.locator('#consent-asked').textContent()).toContain('See your e-mail address');
    await click(page, 'Allow', atRp('/cb'));
    expect(await page.locator('#sub').textContent()).toBe(ada.userId);
    // The chain the consent form started ended on this server's page before it left: its Refresh took the browser on.
    expect(refreshed).toEqual([expect.stringMatching(new RegExp(`^/oauth/auth/[\\w-]+ -> 0;url=${rp.redirectUri}\\?code=`)) as string]);

    const tokens = rp.lastTokens();
    expect(tokens.claims()).toMatchObject({ sub: ada.userId, aud: clientId, acr: 'urn:rampart:acr:complete' });
    expect(tokens.claims()?.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(await client.fetchUserInfo(config, tokens.access_token, ada.userId)).toEqual({ sub: ada.userId, email: ada.email, email_verified: true });
    const rotated = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({ error: 'invalid_grant' });
    // The reuse revoked the family: sign in again for the rest.
    expect((await client.tokenIntrospection(config, rotated.access_token)).active).toBe(false);

    await page.goto(`${rp.origin}/start?scope=${encodeURIComponent('openid email offline_access')}&prompt=consent`);
    await page.waitForURL(atInteraction);
    await click(page, 'Allow', atRp('/cb'));
    const fresh = rp.lastTokens();
    expect(await client.tokenIntrospection(config, fresh.access_token)).toMatchObject({ active: true, sub: ada.userId, client_id: clientId });
    await client.tokenRevocation(config, fresh.refresh_token ?? '');
    expect((await client.tokenIntrospection(config, fresh.refresh_token ?? '')).active).toBe(false);
    expect((await client.tokenIntrospection(config, fresh.access_token)).active).toBe(false);

    expect(violations).toEqual([]);
    await context.close();
  });

  it.runIf(run)('remembered consent: a second run goes straight to the RP, no consent screen; a PAR-started request with prompt=login asks for a fresh sign-in (step-up with a backup code)', async () => {
    const { context, page, violations, visited } = await newPage();
    syncClock();
    await page.goto(`${rp.origin}/start?scope=openid`);
    await page.waitForURL(at('/login'));
    await page.getByLabel('E-mail address').fill(ada.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await click(page, 'Sign in', at('/login/second-factor'));
    await page.getByLabel('One of your backup codes').check();
    await page.getByLabel('Code', { exact: true }).fill(ada.backupCodes[0] ?? '');
    // The first test's grants ended (a refresh-token reuse, a revocation): consent is asked once more.
    await click(page, 'Continue', atInteraction);
    await click(page, 'Allow', atRp('/cb'));
    expect(await page.locator('#sub').textContent()).toBe(ada.userId);
    expect(rp.lastTokens().claims()?.amr).toEqual(expect.arrayContaining(['pwd', 'kba', 'mfa']));

    // Second run in the same browser: no interaction at all, straight back to the RP.
    visited.length = 0;
    await page.goto(`${rp.origin}/start?scope=openid`);
    await page.waitForURL(atRp('/cb'));
    expect(visited.filter((url) => new URL(url).pathname.startsWith('/oauth/interaction/'))).toEqual([]);
    expect(await page.locator('#sub').textContent()).toBe(ada.userId);

    // PAR (RFC 9126) with prompt=login: the step-up page, the password and a backup code again — in a later second
    // than the request's start (the provider's clock has second grain; a person takes longer than that anyway).
    visited.length = 0;
    await page.goto(`${rp.origin}/start?scope=openid&par=1&prompt=login&max_age=600`);
    await page.waitForURL(at('/step-up'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    syncClock();
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByLabel('One of your backup codes').check();
    await page.getByLabel('Code', { exact: true }).fill(ada.backupCodes[1] ?? '');
    await click(page, 'Confirm', atRp('/cb'));
    const claims = rp.lastTokens().claims();
    expect(claims?.sub).toBe(ada.userId);
    expect(claims?.auth_time).toBeGreaterThanOrEqual(Math.floor((Date.now() - 60_000) / 1000));
    expect(visited.some((url) => new URL(url).searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:') === true)).toBe(true);

    expect(violations).toEqual([]);
    await context.close();
  });

  it.runIf(run)('a passkey as the second factor during an authorization: the virtual authenticator, back to the RP, amr says so', async () => {
    const email = `pat-${backend}@example.test`;
    await accountWithPassword(t, email);
    const { context, page, violations } = await newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', { options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true } });
    syncClock();
    // Sign in on the server's own page and add a passkey on the security page.
    await page.goto(`${t.url}/login`);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await click(page, 'Sign in', at('/account'));
    await page.goto(`${t.url}/account/security`);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL((url) => url.searchParams.get('notice') === 'passkey-added');
    await click(page, 'Sign out', at('/'));

    await page.goto(`${rp.origin}/start?scope=openid`);
    await page.waitForURL(at('/login'));
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await click(page, 'Sign in', at('/login/second-factor'));
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.waitForURL(atInteraction);
    await click(page, 'Allow', atRp('/cb'));
    const amr = rp.lastTokens().claims()?.amr as string[] | undefined;
    expect(amr).toEqual(expect.arrayContaining(['user', 'mfa']));
    expect(amr?.some((method) => method === 'hwk' || method === 'swk')).toBe(true);

    expect(violations).toEqual([]);
    await context.close();
  });

  it.runIf(run)('RP-initiated logout: the confirmation page, then the RP\'s registered URI; the server session is gone', async () => {
    const { context, page, violations } = await newPage();
    syncClock();
    await page.goto(`${rp.origin}/start?scope=openid`);
    await page.waitForURL(at('/login'));
    await page.getByLabel('E-mail address').fill(ada.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await click(page, 'Sign in', at('/login/second-factor'));
    await page.getByLabel('One of your backup codes').check();
    await page.getByLabel('Code', { exact: true }).fill(ada.backupCodes[2] ?? '');
    await click(page, 'Continue', atRp('/cb'));
    const tokens = rp.lastTokens();

    await page.goto(`${rp.origin}/logout`);
    await page.waitForURL(at('/oauth/session/end'));
    expect(await page.locator('main').textContent()).toContain('Orders partner asks to sign you out');
    await click(page, 'Yes, sign me out', atRp('/bye'));
    expect(await page.locator('#state').textContent()).toBe('bye-state');
    await page.goto(`${t.url}/`);
    expect(await page.evaluate(`fetch('/v1/identity').then((r) => r.status)`)).toBe(401);
    expect((await client.tokenIntrospection(config, tokens.access_token)).active).toBe(false);

    expect(violations).toEqual([]);
    await context.close();
  });
});
