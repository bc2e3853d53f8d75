/*
 * The authorization server end to end: a whole server (`startTestServer`) with resource servers configured, users
 * signed in through the server's own login API (a cookie-carrying client), clients registered through the client
 * store, and `openid-client` — a relying party nobody here wrote — discovering and calling it over HTTP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { BrowserClient } from '../testing/browser-client.fixtures.js';
import { startTestServer, type ServerBackend, type TestServer } from '../testing/server.fixtures.js';
import { createVerifiedUser, TEST_PASSWORD } from '../testing/users.fixtures.js';
import type { OAuthClientInput } from './clients.js';

/** The API test tokens are issued for (RFC 8707 resource indicator). */
export const ORDERS_API = 'https://orders.example.test/';
export const ORDERS_SCOPES = ['orders:read', 'orders:write'] as const;
/** Where the test clients' authorization responses go. Never fetched: the tests read the redirect's `Location`. */
export const RP_CALLBACK = 'https://rp.example.test/cb';
export const RP_LOGGED_OUT = 'https://rp.example.test/bye';

/*
 * The test server listens on plain http on 127.0.0.1 (no TLS to set up), which both libraries refuse unless told: the
 * one place they are told is here.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http on loopback, for tests only
export const PLAIN_HTTP = client.allowInsecureRequests;
// eslint-disable-next-line @typescript-eslint/no-deprecated -- plain http on loopback, for tests only
export const PLAIN_HTTP_OAUTH4WEBAPI = oauth.allowInsecureRequests;

/**
 * A server with the orders API configured as a resource server, on `backend`; `env` adds settings. `publicHost:
 * 'localhost'` for Chromium (a secure context over http, so the `Secure` `__Host-` cookies are kept).
 */
export async function startOAuthServer(backend: ServerBackend, env: Readonly<Record<string, string>> = {}, options: { readonly publicHost?: '127.0.0.1' | 'localhost' } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-oauth-'));
  const file = join(dir, 'rampart.config.yaml');
  writeFileSync(file, ['oauth:', '  resources:', `    - indicator: ${ORDERS_API}`, `      scopes: [${ORDERS_SCOPES.join(', ')}]`, ''].join('\n'));
  // The provider stamps its artifacts with the system clock: the server's manual clock starts there too.
  const t = await startTestServer({ backend, startAt: Date.now(), env: { RAMPART_CONFIG: file, ...env }, ...(options.publicHost === undefined ? {} : { publicHost: options.publicHost }) });
  return {
    ...t,
    async close() {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A verified account signed in through `POST /v1/login` in a browser that keeps its cookies. */
export async function signedInBrowser(t: TestServer, email: string): Promise<{ readonly browser: BrowserClient; readonly userId: string }> {
  const userId = await createVerifiedUser(t, email);
  const browser = new BrowserClient(t.url);
  const login = await browser.request('POST', '/v1/login', { json: { email, password: TEST_PASSWORD } });
  if (login.status !== 200 || browser.sessionId === undefined) throw new Error(`login failed: ${login.status} ${login.text}`);
  return { browser, userId };
}

/** Registers a client; the secret (when the method has one) is returned once. */
export async function registerClient(t: TestServer, input: OAuthClientInput): Promise<{ readonly clientId: string; readonly clientSecret: string | undefined }> {
  const issued = await t.server.modules.oauth.clients.create(input);
  return { clientId: issued.client.clientId, clientSecret: issued.clientSecret };
}

/** A first-party confidential web application using the authorization code flow with refresh tokens. */
export function webApp(extra: Partial<OAuthClientInput> = {}): OAuthClientInput {
  return {
    type: 'confidential',
    name: 'Orders web app',
    redirectUris: [RP_CALLBACK],
    postLogoutRedirectUris: [RP_LOGGED_OUT],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'email', 'offline_access', ...ORDERS_SCOPES],
    firstParty: true,
    ...extra,
  };
}

/** openid-client's view of the server for one client (discovery over plain http: the test server has no TLS). */
export async function relyingParty(
  t: TestServer,
  clientId: string,
  secret: string | undefined,
  auth?: client.ClientAuth,
  extraMetadata: Partial<client.ClientMetadata> = {},
): Promise<client.Configuration> {
  const metadata: Partial<client.ClientMetadata> = { id_token_signed_response_alg: 'EdDSA', ...(secret === undefined ? {} : { client_secret: secret }), ...extraMetadata };
  return client.discovery(new URL(t.url), clientId, metadata, auth, { execute: [PLAIN_HTTP] });
}

/** What a navigation through the authorization endpoint ended with. */
export type Navigation =
  /** Redirected off the server (to the client): the URL the browser would load. */
  | { readonly kind: 'left'; readonly url: URL }
  /** Stopped on the server with a page or an error (no redirect). */
  | { readonly kind: 'stopped'; readonly status: number; readonly path: string; readonly text: string; readonly headers: Headers };

/**
 * Follows the redirects a browser would (the authorization endpoint, the interaction, back), with its cookies, as a
 * top-level navigation. Stops when the browser would leave the server, or at a response that is not a redirect.
 */
export async function navigate(t: TestServer, browser: BrowserClient, start: string | URL): Promise<Navigation> {
  const origin = new URL(t.url).origin;
  let next = new URL(start, t.url);
  for (let hop = 0; hop < 12; hop++) {
    if (next.origin !== origin) return { kind: 'left', url: next };
    const response = await browser.request('GET', next.pathname + next.search, { headers: { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', accept: 'text/html' } });
    const location = response.headers.get('location');
    if ((response.status === 302 || response.status === 303) && location !== null) {
      next = new URL(location, next);
      continue;
    }
    return { kind: 'stopped', status: response.status, path: next.pathname, text: response.text, headers: response.headers };
  }
  throw new Error('too many redirects');
}

/** The authorization code flow with PKCE S256 through PAR, as openid-client runs it; returns its token response. */
export async function authorizationCodeFlow(
  t: TestServer,
  browser: BrowserClient,
  rp: client.Configuration,
  parameters: Record<string, string> = {},
): Promise<{ readonly tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>; readonly callback: URL; readonly verifier: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(rp, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid email offline_access',
    prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...parameters,
  });
  const ended = await navigate(t, browser, url);
  if (ended.kind !== 'left') throw new Error(`the flow stopped at ${ended.path}: ${ended.status} ${ended.text.slice(0, 300)}`);
  const tokens = await client.authorizationCodeGrant(rp, ended.url, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: parameters.scope === undefined || parameters.scope.includes('openid') });
  return { tokens, callback: ended.url, verifier };
}

/** A form POST to the token endpoint (or another back-channel endpoint) as a raw program would send it. */
export async function postForm(t: TestServer, path: string, form: Readonly<Record<string, string>>, headers: Readonly<Record<string, string>> = {}): Promise<{ readonly status: number; readonly body: Record<string, unknown>; readonly headers: Headers }> {
  const response = await fetch(t.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { text };
  }
  return { status: response.status, body, headers: response.headers };
}

/** `Authorization: Basic` for a client id and secret (RFC 6749 §2.3.1: each form-urlencoded first). */
export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** The decoded payload of a compact JWS (for assertions; the tests verify signatures separately). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The decoded protected header of a compact JWS. */
export function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A consent page the browser stopped on: the interaction's uid, the form's CSRF token and the page. */
export interface ConsentStop {
  readonly uid: string;
  readonly csrf: string;
  readonly text: string;
  readonly headers: Headers;
}

/** Navigates to `start` and expects to stop on a consent page (`200` at `/oauth/interaction/<uid>`). */
export async function consentPageOf(t: TestServer, browser: BrowserClient, start: string | URL): Promise<ConsentStop> {
  const ended = await navigate(t, browser, start);
  if (ended.kind !== 'stopped' || ended.status !== 200) throw new Error(`no consent page: ${ended.kind === 'left' ? ended.url.href : `${ended.status} ${ended.path} ${ended.text.slice(0, 300)}`}`);
  const uid = /^\/oauth\/interaction\/([\w-]+)$/.exec(ended.path)?.[1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(ended.text)?.[1];
  if (uid === undefined || csrf === undefined) throw new Error(`not a consent page: ${ended.path}`);
  return { uid, csrf, text: ended.text, headers: ended.headers };
}

/**
 * Answers a consent page as its form does (`decision`, the page's CSRF token), then follows the redirects a browser
 * would: where the browser ends (at the client, normally).
 */
export async function answerConsent(t: TestServer, browser: BrowserClient, page: ConsentStop, decision: 'allow' | 'deny'): Promise<Navigation> {
  const posted = await browser.request('POST', `/oauth/interaction/${page.uid}/consent`, { form: { decision, _csrf: page.csrf }, withoutCsrfToken: true });
  const location = posted.headers.get('location');
  if (posted.status !== 303 || location === null) return { kind: 'stopped', status: posted.status, path: `/oauth/interaction/${page.uid}/consent`, text: posted.text, headers: posted.headers };
  return navigate(t, browser, location);
}

/** An authorization request with PKCE, `state` and `nonce`, as openid-client builds it; what the RP keeps to check the answer. */
export async function authorizationRequest(
  rp: client.Configuration,
  parameters: Record<string, string> = {},
): Promise<{ readonly url: URL; readonly verifier: string; readonly state: string; readonly nonce: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...parameters,
  });
  return { url, verifier, state, nonce };
}
