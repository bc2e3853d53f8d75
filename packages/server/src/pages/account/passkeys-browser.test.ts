/*
 * The acceptance test of the passkey pages: a real Chromium with a CDP virtual authenticator (CTAP2, resident keys,
 * user verification) registers a passkey on /account/security and signs in with it alone on /login/passkey — every
 * byte through assets/passkeys.js and the MFA module's JSON routes, under the pages' strict CSP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { collectCspViolations, haveChromium, launchChromium } from '../../testing/chromium.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../../testing/server.fixtures.js';
import { createVerifiedUser, TEST_PASSWORD } from '../../testing/users.fixtures.js';

/** A same-origin `fetch` from the page (its cookies, its CSRF token from the meta tag); code passed as text (no DOM types here). */
async function pageFetch(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const script = `(async () => {
    const token = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
    const init = { method: ${JSON.stringify(method)}, credentials: 'same-origin', headers: { 'x-csrf-token': token } };
    if (${JSON.stringify(body !== undefined)}) {
      init.headers['content-type'] = 'application/json';
      init.body = ${JSON.stringify(JSON.stringify(body ?? null))};
    }
    const response = await fetch(${JSON.stringify(path)}, init);
    const text = await response.text();
    return { status: response.status, json: text === '' ? null : JSON.parse(text) };
  })()`;
  return page.evaluate<{ status: number; json: unknown }>(script);
}

describe.each(SERVER_BACKENDS)('passkey pages in Chromium on $name', ({ backend, skip }) => {
  let t: TestServer;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (skip || !haveChromium) return;
    // WebAuthn's RP id must be a domain: the server's public URL is http://localhost:<port> (a secure context).
    t = await startTestServer({ backend, publicHost: 'localhost' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (!skip && haveChromium) await t.close();
  });

  it.skipIf(skip || !haveChromium)('registers a passkey on the security page and signs in with it alone (needs Debian chromium)', async () => {
    const email = `passkey-browser-${backend}@example.test`;
    await createVerifiedUser(t, email);
    const context = await (browser as Browser).newContext();
    const page = await context.newPage();
    const violations = await collectCspViolations(page);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });

    // Sign in with the password over the JSON API from a page of this origin (the sign-in form is another page's).
    await page.goto(`${t.url}/login/passkey`);
    const login = await pageFetch(page, 'POST', '/v1/login', { email, password: TEST_PASSWORD });
    expect(login).toMatchObject({ status: 200, json: { status: 'signed_in' } });

    // Register: the button runs the ceremony against the virtual authenticator and comes back with a notice.
    const security = await page.goto(`${t.url}/account/security`);
    expect(security?.status()).toBe(200);
    await page.getByLabel('Name for the new passkey (optional)').fill('Virtual <authenticator>');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.waitForURL(`${t.url}/account/security?notice=passkey-added`);
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Your passkey was added.');
    expect(await page.getByRole('table', { name: 'Your passkeys' }).textContent()).toContain('Virtual <authenticator>');
    const credentials = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);

    // Sign out, then sign in with the passkey alone.
    expect((await pageFetch(page, 'POST', '/v1/logout')).status).toBe(204);
    expect((await pageFetch(page, 'GET', '/v1/identity')).status).toBe(401);
    await page.goto(`${t.url}/login/passkey`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${t.url}/account`);
    expect(await page.locator('h1').textContent()).toBe('Your account');
    expect(await page.locator('main').textContent()).toContain(email);
    const identity = await pageFetch(page, 'GET', '/v1/identity');
    expect(identity.status).toBe(200);
    const amr = (identity.json as { amr: string[] }).amr;
    expect(amr.some((method) => method === 'hwk' || method === 'swk')).toBe(true);
    expect(amr).toEqual(expect.arrayContaining(['user', 'mfa']));
    expect(amr).not.toContain('pwd');

    expect(violations).toEqual([]);
    await context.close();
  });
});

