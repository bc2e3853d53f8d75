/*
 * The acceptance test of the sign-in pages in a real browser (Debian's Chromium through playwright-core): register,
 * confirm the address from the mailed link, sign in, set up an authenticator app, sign out, sign in with the password
 * and a TOTP code — on both storage backends, with every page's CSP violations collected (there must be none).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../../mfa/mfa.fixtures.js';
import { collectCspViolations, haveChromium, launchChromium } from '../../testing/chromium.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../../testing/server.fixtures.js';
import { TEST_PASSWORD } from '../../testing/users.fixtures.js';

describe.each(SERVER_BACKENDS)('the sign-in pages in Chromium on $name', ({ backend, skip }) => {
  let t: TestServer;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (skip || !haveChromium) return;
    // `localhost`: a secure context for Chromium over http, so the `Secure` `__Host-` cookies are kept.
    t = await startTestServer({ backend, publicHost: 'localhost' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (!skip && haveChromium) await t.close();
  });

  /** Submits the form that holds `button` and waits for the navigation it causes to land on `path`. */
  async function submit(page: Page, button: string, path: string): Promise<void> {
    await Promise.all([page.waitForURL((url) => url.pathname === path), page.getByRole('button', { name: button }).click()]);
  }

  it.skipIf(skip || !haveChromium)('register → verify from the mail → sign in → set up TOTP → sign out → sign in with password and code', async () => {
    if (browser === undefined) throw new Error('no browser');
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations = await collectCspViolations(page);
    const email = `browser-${backend}@example.test`;

    await page.goto(`${t.url}/register`);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await submit(page, 'Create account', '/register/check-mail');
    expect(await page.locator('h1').textContent()).toBe('Check your mail');

    // The mailed link carries its token in the fragment; the page's script moves it into the form and submits it.
    const mail = await t.lastMailTo(email);
    const link = /http:\/\/\S+\/verify-email#token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
    expect(link).toBeDefined();
    await Promise.all([page.waitForURL((url) => url.pathname === '/login'), page.goto(link ?? '')]);
    expect(await page.getByRole('status').textContent()).toContain('confirmed');

    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await submit(page, 'Sign in', '/account');

    await page.goto(`${t.url}/account/security/totp`);
    await page.getByRole('button', { name: 'Set up an app' }).click();
    await page.locator('#totp-secret').waitFor();
    expect(await page.locator('.qr svg').count()).toBe(1);
    const secret = (await page.locator('#totp-secret').getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('Code shown by the app').fill(totpCode(secret, t.clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('#backup-codes').waitFor();
    expect(await page.locator('#backup-codes li').count()).toBe(10);

    await submit(page, 'Sign out', '/');
    expect(await page.evaluate(`fetch('/v1/identity').then((r) => r.status)`)).toBe(401);

    // The code used to confirm the app is spent (replay protection): the next one comes from the next time step.
    t.clock.advance(30_000);
    await page.goto(`${t.url}/login`);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await submit(page, 'Sign in', '/login/second-factor');
    await page.getByLabel('Code', { exact: true }).fill(totpCode(secret, t.clock.now()));
    await submit(page, 'Continue', '/account');
    const identity = await page.evaluate<{ source: string; amr: string[] }>(`fetch('/v1/identity').then((r) => r.json())`);
    expect(identity).toMatchObject({ source: 'session', amr: ['pwd', 'otp', 'mfa'] });

    expect(violations).toEqual([]);
    await context.close();
  });
});
