import type { IncomingMessage } from 'node:http';
import { html, renderPage, type SafeHtml } from '../pages/index.js';
import { fastifyRequestOf } from './requests.js';

/** The part of a Koa context the provider's page hooks use. */
export interface PageContext {
  readonly req: IncomingMessage;
  type: string;
  body: unknown;
  status: number;
  readonly response: { get(field: string): string };
  set(field: string, value: string): void;
  remove(field: string): void;
  readonly oidc?: {
    readonly session?: { readonly state?: Readonly<Record<string, unknown>> };
    readonly client?: { readonly clientId: string; readonly clientName?: string | undefined } | undefined;
  };
}

/** What oidc-provider hands `renderError`: RFC 6749 error code and description (its own text, never user input). */
export interface ProviderErrorOut {
  readonly error?: unknown;
  readonly error_description?: unknown;
}

/** A page for the provider's responses, in the server's layout, under the `web` CSP with this response's nonce. */
function render(ctx: PageContext, title: string, main: SafeHtml): void {
  const request = fastifyRequestOf(ctx.req);
  ctx.type = 'text/html; charset=utf-8';
  if (request === undefined) {
    // Not reached through the server's routes (no nonce to give scripts): a page with neither script nor style.
    ctx.body = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} · Rampart</title></head><body><main><h1>${title}</h1>${main}</main></body></html>`.toString();
    return;
  }
  ctx.body = renderPage(request, { title, main });
}

/**
 * The error page of the authorization and logout endpoints — what a browser sees when a request cannot be answered
 * by a redirect to the client (RFC 6749 §4.1.2.1: an unregistered or mismatched `redirect_uri`, an unknown client):
 * the error code and the provider's description, encoded, and no link back to the client.
 *
 * Protects against the provider's default page (inline style, third-party font) breaking the CSP, and against
 * redirecting to an unverified URI to report an error (an open redirector).
 */
export function renderError(ctx: PageContext, out: ProviderErrorOut): Promise<void> {
  const error = typeof out.error === 'string' ? out.error : 'server_error';
  const description = typeof out.error_description === 'string' ? out.error_description : undefined;
  render(
    ctx,
    'Sign-in request refused',
    html`<div role="alert"><p>The application that sent you here made a request this server cannot accept.</p>
<p>Error: <code>${error}</code>${description === undefined ? '' : html` — ${description}`}</p></div>
<p>Close this page and start again from the application, or go to <a href="/">the home page</a>.</p>`,
  );
  return Promise.resolve();
}

/**
 * The CSP source a form may lead to when its response redirects to `uri`: its origin, or its scheme alone for a
 * native app's private-use URI (`com.example.app:/cb`). `undefined` when `uri` is not absolute.
 */
export function formTargetSource(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (url === null) return undefined;
  if (url.protocol === 'https:' || url.protocol === 'http:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
}

/**
 * `policy` (a CSP header value) with `source` added to its `form-action` directive; unchanged when it has none.
 * Browsers (Chromium) apply `form-action` to the redirects that follow a form's submission too, and a logout or
 * consent form ends in a redirect to the client: the client's registered URI — already checked against its
 * registration — is allowed for that one response. Every other directive is left as the `web` preset built it.
 */
export function withFormTarget(policy: string, source: string): string {
  return policy.replace(/(^|;)(\s*form-action\s[^;]*)/, (_match, start: string, directive: string) => `${start}${directive} ${source}`);
}

/** {@link withFormTarget} on the provider's response (the logout page). */
function allowFormTarget(ctx: PageContext, source: string): void {
  const policy = ctx.response.get('content-security-policy');
  if (policy !== '') ctx.set('content-security-policy', withFormTarget(policy, source));
}

/** The client a provider page is about, in words: its registered name, else its id; `undefined` when none is known. */
function clientLabel(ctx: PageContext): string | undefined {
  const client = ctx.oidc?.client;
  if (client === undefined) return undefined;
  return typeof client.clientName === 'string' && client.clientName !== '' ? client.clientName : client.clientId;
}

/**
 * RP-initiated logout's confirmation (OpenID Connect RP-Initiated Logout 1.0 §2), as a Rampart page: which application
 * asks (its registered name, never a name from the request), what "sign out" ends (this server's session, so every
 * application signed in through it asks again, and the tokens of the applications that are not kept offline), and a
 * form posting the provider's `xsrf` token (bound to the provider session) to the confirm endpoint. "Yes" ends the
 * provider and Rampart sessions; "No" signs out of the asking application only (the provider's behaviour), keeping the
 * server session.
 *
 * The confirmation redirects to the client's registered `post_logout_redirect_uri` (checked exactly by the provider):
 * its origin, and only it, joins this response's `form-action` (Chromium checks the redirect after a form).
 */
export function logoutSource(ctx: PageContext, action: string): Promise<void> {
  const state = ctx.oidc?.session?.state;
  const secret = typeof state?.secret === 'string' ? state.secret : '';
  const returnTo = typeof state?.postLogoutRedirectUri === 'string' ? formTargetSource(state.postLogoutRedirectUri) : undefined;
  if (returnTo !== undefined) allowFormTarget(ctx, returnTo);
  const client = clientLabel(ctx);
  render(
    ctx,
    'Sign out',
    html`${client === undefined ? html`<p>Do you want to sign out of this server?</p>` : html`<p><strong>${client}</strong> asks to sign you out. Do you want to sign out of this server too?</p>`}
<p>Signing out ends your session here: every application you signed in to through this server will ask you to sign in again.</p>
<form id="op.logoutForm" method="post" action="${action}"><input type="hidden" name="xsrf" value="${secret}"></form>
<p><button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">${client === undefined ? 'No, stay signed in' : html`No, sign out of ${client} only`}</button></p>`,
  );
  return Promise.resolve();
}

/** The page after a logout that had no `post_logout_redirect_uri` to return to. */
export function postLogoutSuccessSource(ctx: PageContext): Promise<void> {
  render(ctx, 'Signed out', html`<p>You are signed out.</p><p><a href="/login">Sign in again</a></p>`);
  return Promise.resolve();
}

/**
 * Whether a navigation was started by one of this server's own pages (`Sec-Fetch-Site: same-origin`, Fetch Metadata) —
 * or by a browser that does not say (no Fetch Metadata: treated the same, the safe way). A navigation the client
 * started says `cross-site` or `same-site`.
 */
export function startedHere(request: IncomingMessage): boolean {
  const site = request.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin';
}

/**
 * Replaces a redirect to the client (`location`, the provider's authorization response or error, already checked
 * against the client's registered redirect URIs) with a page that sends the browser there itself: a `Refresh` header
 * and a link. For navigations this server's own forms started (the sign-in, second-factor, step-up and consent forms).
 *
 * Why: Chromium checks a form's CSP `form-action` against every redirect that follows its submission, so a sign-in
 * form whose chain `POST /login` → interaction → authorization endpoint → client ends at the client's origin is
 * blocked by the page's `form-action 'self'`. Ending the chain here, on a page of this origin, lets the form's policy
 * stay `'self'` on every sign-in page — no client origin is ever added to the policy of a page that does not know
 * which client it serves — and the navigation to the client starts fresh from this page (proved in Chromium,
 * `oauth.browser.test.ts`).
 */
export function continueSource(ctx: PageContext, location: string): void {
  const client = clientLabel(ctx) ?? 'the application';
  ctx.status = 200;
  ctx.remove('location');
  ctx.set('refresh', `0;url=${location}`);
  render(
    ctx,
    `Continue to ${client}`,
    html`<p>You are being sent back to <strong>${client}</strong>.</p>
<p><a href="${location}" id="continue">Continue to ${client}</a></p>`,
  );
}
