import type { FastifyReply, FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../html.js';
import { csrfField, renderPage, sendPage } from '../layout.js';

/** Everything the consent page shows: who asks, for what, where the browser goes next, and who is signed in. */
export interface ConsentView {
  /** The interaction: the form posts to `/oauth/interaction/<uid>/consent`. */
  readonly uid: string;
  readonly clientId: string;
  /** The client's registered name; the client id is shown when it has none. */
  readonly clientName?: string;
  /** Where the browser goes after the answer (the authorization request's registered redirect URI). */
  readonly redirectUri?: string;
  /** The signed-in account's address, so a user on a shared computer sees whose data is at stake. */
  readonly accountEmail?: string;
  /** What the client asks that the account has not granted it yet. */
  readonly newScopes: readonly string[];
  readonly newClaims: readonly string[];
  readonly newResourceScopes: Readonly<Record<string, readonly string[]>>;
  /** What it asks that the account granted it before (shown as such, not asked again). */
  readonly grantedScopes: readonly string[];
  /** An error to show above the form (`role="alert"`). */
  readonly alert?: string;
}

/** Where the consent form posts. */
export function consentAction(uid: string): `/oauth/interaction/${string}/consent` {
  return `/oauth/interaction/${encodeURIComponent(uid)}/consent`;
}

/** The OpenID scopes in words; any other scope is named as it is (an API's own scope). */
const SCOPE_TEXT: Readonly<Record<string, string>> = {
  openid: 'Know who you are: your account identifier on this server',
  email: 'See your e-mail address and whether it is verified',
  offline_access: 'Keep access while you are not using it, until you remove it from your account’s Connected apps',
};

/** The individual claims a client may ask for through the `claims` parameter, in words. */
const CLAIM_TEXT: Readonly<Record<string, string>> = {
  email: 'Your e-mail address',
  email_verified: 'Whether your e-mail address is verified',
};

/** A scope in words (`openid`, `email`, `offline_access`), else its name. */
export function scopeText(scope: string): string {
  return SCOPE_TEXT[scope] ?? `Use the permission “${scope}”`;
}

/** A claim in words, else its name. */
export function claimText(claim: string): string {
  return CLAIM_TEXT[claim] ?? `The “${claim}” attribute of your account`;
}

/** Where the browser goes next, for people: the host of an http(s) URI, or the scheme of an app's private-use URI. */
function destinationOf(uri: string | undefined): string | undefined {
  if (uri === undefined) return undefined;
  const url = URL.parse(uri);
  if (url === null) return undefined;
  if (url.protocol === 'https:' || url.protocol === 'http:') return url.host;
  return `the app (${url.protocol.slice(0, -1)})`;
}

/**
 * The consent page's content: the client's name (and id), what it asks for in words — new permissions as a list,
 * those granted before as a second list — where the browser goes afterwards, the signed-in account, and one form with
 * "Allow" and "Deny" (`decision`), carrying this response's CSRF token.
 *
 * Protects against consent by surprise: the page names the client as registered by the operator (never a name taken
 * from the request), the destination host and the account, so a look-alike request or a shared computer is noticed;
 * everything shown is encoded by the `html` tag; no script, no inline style (the `web` CSP with this response's nonce).
 */
export function consentContent(request: FastifyRequest, view: ConsentView): { readonly title: string; readonly main: SafeHtml } {
  const name = view.clientName ?? view.clientId;
  const destination = destinationOf(view.redirectUri);
  const resources = Object.entries(view.newResourceScopes).filter(([, scopes]) => scopes.length > 0);
  const asked = [
    ...view.newScopes.map((scope) => html`<li>${scopeText(scope)}</li>`),
    ...view.newClaims.map((claim) => html`<li>${claimText(claim)}</li>`),
    ...resources.flatMap(([indicator, scopes]) => scopes.map((scope) => html`<li>${scopeText(scope)} on <code>${indicator}</code></li>`)),
  ];
  const granted = view.grantedScopes.filter((scope) => !view.newScopes.includes(scope));
  const main = html`${view.alert === undefined ? '' : html`<div class="error" role="alert"><p>${view.alert}</p></div>`}
<p><strong>${name}</strong>${view.clientName === undefined ? '' : html` <span class="hint">(<code>${view.clientId}</code>)</span>`} asks to access your account${view.accountEmail === undefined ? '' : html` <strong>${view.accountEmail}</strong>`}.</p>
${asked.length === 0 ? html`<p>It asks for nothing more than you allowed before. Confirm to continue.</p>` : html`<h2>It will be able to</h2>
<ul id="consent-asked">${asked}</ul>`}
${granted.length === 0 ? '' : html`<h2>You allowed before</h2>
<ul id="consent-granted">${granted.map((scope) => html`<li>${scopeText(scope)}</li>`)}</ul>`}
${destination === undefined ? '' : html`<p>After you choose, you go back to <strong>${destination}</strong>.</p>`}
<form method="post" action="${consentAction(view.uid)}">
${csrfField(request)}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>
<p class="hint">Your answer is remembered for this application. You can remove its access at any time from <a href="/account/connected-apps">Connected apps</a>.</p>`;
  return { title: `Allow ${name}?`, main };
}

/** Sends the consent page: signed-in navigation, never cached (it carries a CSRF token and the account's address). */
export function sendConsentPage(request: FastifyRequest, reply: FastifyReply, status: number, view: ConsentView): FastifyReply {
  const content = consentContent(request, view);
  return sendPage(reply.header('cache-control', 'no-store'), status, renderPage(request, { ...content, signedIn: true }));
}
