/*
 * Form posting for the sign-in pages' tests: load the page like a browser (its CSRF cookie and the form's `_csrf`
 * value), then post the form urlencoded with that token — or without it, or with another browser's, for the attacks.
 */
import { randomUUID } from 'node:crypto';
import { createPasswordHasher } from '@rampart/core/password';
import { BrowserClient, type JsonResponse } from '../../testing/browser-client.fixtures.js';
import { TEST_PASSWORD } from '../../testing/users.fixtures.js';
import type { TestServer } from '../../testing/server.fixtures.js';

/** The `_csrf` value of the first form on a page. */
export function csrfOf(page: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(page);
  if (match?.[1] === undefined) throw new Error('no _csrf field on the page');
  return match[1];
}

/** Loads `pagePath` and posts `fields` to `action` with the page's CSRF token, as a browser submitting the form does. */
export async function submitForm(browser: BrowserClient, pagePath: string, action: string, fields: Readonly<Record<string, string>>): Promise<JsonResponse> {
  const page = await browser.request('GET', pagePath);
  if (page.status !== 200) throw new Error(`GET ${pagePath}: ${page.status} ${page.text.slice(0, 200)}`);
  return browser.request('POST', action, { form: { ...fields, _csrf: csrfOf(page.text) }, withoutCsrfToken: true });
}

/**
 * A page with what differs on every response removed (the CSP nonce, the CSRF token): two answers that are equal after
 * this tell an observer nothing different.
 */
export function comparable(page: string): string {
  return page.replace(/nonce="[^"]*"/g, 'nonce=""').replace(/name="_csrf" value="[^"]*"/g, 'name="_csrf" value=""').replace(/name="csrf-token" content="[^"]*"/g, 'name="csrf-token" content=""');
}

/** A new anonymous browser on the test server. */
export function newBrowser(t: TestServer): BrowserClient {
  return new BrowserClient(t.url);
}

const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true });

/**
 * A verified account with `password`, written straight into the server's database: for tests that only need someone
 * to sign in as, and would otherwise spend the account routes' per-client budget (30 requests in 10 minutes, counted
 * in real time on Redis) on registrations. Registration itself is tested through the pages.
 */
export async function accountWithPassword(t: TestServer, email: string, password = TEST_PASSWORD): Promise<string> {
  const id = randomUUID();
  const at = new Date(t.clock.now()).toISOString();
  await t.server.database.db
    .insertInto('rampart_users')
    .values({ id, email, email_normalized: email.toLowerCase(), password_hash: await hasher.hash(password), email_verified_at: at, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
    .execute();
  return id;
}
