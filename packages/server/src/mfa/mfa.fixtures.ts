/*
 * Helpers for the MFA module's tests: TOTP codes at the server's clock, a whole server whose public URL is a WebAuthn
 * origin (`http://localhost:<port>`), and passkey ceremonies through core's software authenticator.
 */
import { randomUUID } from 'node:crypto';
import { MemoryTotpReplayStore, Totp } from '@rampart/core/mfa';
import { SoftAuthenticator, type CeremonyOverrides, type SoftAuthenticatorOptions } from '../../../core/src/mfa/webauthn/test/soft-authenticator.js';
import { apiRequest, type BrowserClient, type JsonResponse } from '../testing/browser-client.fixtures.js';
import { freePort, startTestServer, type ServerBackend, type TestServer } from '../testing/server.fixtures.js';
import { mailedToken, TEST_PASSWORD } from '../testing/users.fixtures.js';

export { SoftAuthenticator, otherSigningKey } from '../../../core/src/mfa/webauthn/test/soft-authenticator.js';

/** What a browser gets to pass to `navigator.credentials.create()` / `.get()`. */
export type CreationOptions = Parameters<SoftAuthenticator['register']>[0];
export type RequestOptions = Parameters<SoftAuthenticator['authenticate']>[0];

const generator = new Totp({ issuer: 'test', replayStore: new MemoryTotpReplayStore() });

/** The code an authenticator app with `secret` shows at `at` (the server's clock). */
export function totpCode(secret: string, at: number): string {
  return generator.generate(secret, at);
}

/** A code for `secret` that is wrong at `at` (outside the ±1 step window). */
export function wrongTotpCode(secret: string, at: number): string {
  const window = new Set([-1, 0, 1].map((step) => generator.generate(secret, at + step * 30_000)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!window.has(candidate)) return candidate;
  }
}

/**
 * `createVerifiedUser`, waiting for the outbox's background delivery before reading the mail: `lastMailTo` alone can
 * run while the delivery kicked off by the registration is still sending (seen on PostgreSQL), and miss the mail.
 */
export async function verifiedUser(t: TestServer, email: string): Promise<string> {
  const registered = await apiRequest(t.url, 'POST', '/v1/accounts', { json: { email, password: TEST_PASSWORD } });
  if (registered.status !== 202) throw new Error(`registration failed: ${registered.status} ${registered.text}`);
  await t.server.accounts.outbox.idle();
  const token = await mailedToken(t, email, 'verify-email');
  const verified = await apiRequest(t.url, 'POST', '/v1/accounts/verify-email', { json: { token } });
  if (verified.status !== 200) throw new Error(`verification failed: ${verified.status} ${verified.text}`);
  const row = await t.server.database.db.selectFrom('rampart_users').select('id').where('email_normalized', '=', email.toLowerCase()).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * An account written straight into the server's database, verified, with a password hash nothing matches: for tests
 * that only need someone to sign in as (`browserSignedInAs`) and would otherwise spend the accounts routes' per-client
 * budget (30 requests in 10 minutes) on registrations.
 */
export async function insertedUser(t: TestServer, email: string): Promise<string> {
  const id = randomUUID();
  const at = new Date(t.clock.now()).toISOString();
  await t.server.database.db
    .insertInto('rampart_users')
    .values({ id, email, email_normalized: email.toLowerCase(), password_hash: '!unusable', email_verified_at: at, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
    .execute();
  return id;
}

/**
 * A whole server reached as `http://localhost:<port>`: WebAuthn needs a domain for its RP id (browsers refuse IP
 * addresses), so passkey tests cannot use the fixture's `127.0.0.1` public URL. The returned `TestServer`'s `url` is
 * the localhost one, so `browserSignedInAs` and `createVerifiedUser` talk to it as a same-origin browser would.
 */
export async function startPasskeyServer(backend: ServerBackend): Promise<TestServer> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const t = await startTestServer({ backend, env: { RAMPART_PORT: String(port), RAMPART_PUBLIC_URL: url } });
  return { ...t, url };
}

/** A software authenticator that reports the test server's origin. */
export function authenticatorFor(t: TestServer, options: Partial<SoftAuthenticatorOptions> = {}): SoftAuthenticator {
  return new SoftAuthenticator({ origin: t.url, ...options });
}

/** `POST /v1/mfa/passkeys/options`, returning the creation options. */
export async function registrationOptions(browser: BrowserClient): Promise<CreationOptions> {
  const response = await browser.request('POST', '/v1/mfa/passkeys/options');
  if (response.status !== 200) throw new Error(`registration options: ${response.status} ${response.text}`);
  return (response.body as { options: CreationOptions }).options;
}

/** A full passkey registration by `browser` (signed in, recently authenticated) with `authenticator`. */
export async function registerPasskey(browser: BrowserClient, authenticator: SoftAuthenticator, name?: string, overrides: CeremonyOverrides = {}): Promise<JsonResponse> {
  const options = await registrationOptions(browser);
  return browser.request('POST', '/v1/mfa/passkeys', { json: { response: authenticator.register(options, overrides), ...(name === undefined ? {} : { name }) } });
}

/** The request options a passkey-login or step-up options route answered. */
export function requestOptionsOf(response: JsonResponse): RequestOptions {
  if (response.status !== 200) throw new Error(`authentication options: ${response.status} ${response.text}`);
  return (response.body as { options: RequestOptions }).options;
}

/** The `code` member of a problem response. */
export function codeOf(response: JsonResponse): unknown {
  return (response.body as { code?: unknown } | undefined)?.code;
}
