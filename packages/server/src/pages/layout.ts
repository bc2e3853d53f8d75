import type { FastifyReply, FastifyRequest } from 'fastify';
import { sessionIdOf } from '../auth/session-cookie.js';
import { html, type SafeHtml } from './html.js';

/** One page to render. */
export interface PageContent {
  readonly title: string;
  /** The page's main content. */
  readonly main: SafeHtml;
  /** Scripts of this page, by asset name (`/assets/<name>`), loaded with this response's CSP nonce. */
  readonly scripts?: readonly string[];
  /** Whether to show the signed-in navigation. */
  readonly signedIn?: boolean;
}

/**
 * This response's CSRF token. The guard mints one on GETs it recognises as a browser's (Fetch Metadata, `Origin`, or a
 * cookie); a browser that sends none of them on its first visit (older ones, assistive proxies) still gets a form it
 * can submit: the token is minted here, bound to the session the request carries (or to none), cookie included, once
 * per response — later calls read the same token from the context.
 */
export function pageCsrfToken(request: FastifyRequest): string {
  const state = request.rampart;
  if (state === undefined || state === null) return '';
  return state.csrfToken ?? state.rotateCsrfToken(sessionIdOf(request));
}

/**
 * The CSRF token of this response for forms (`<input type="hidden" name="_csrf">`): bound to the browser's session,
 * minted by the CSRF guard on this GET. Forms posting without it are refused by the guard.
 */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${pageCsrfToken(request)}">`;
}

/**
 * Renders a whole page: the document, the stylesheet, the navigation, the content and the page's scripts, each with
 * this response's nonce. No inline script or style anywhere, so the `web` CSP blocks any that an injection adds.
 */
export function renderPage(request: FastifyRequest, content: PageContent): string {
  const nonce = request.rampart?.cspNonce;
  if (nonce === undefined) throw new Error('pages need the web header preset (a CSP nonce per response)');
  const nav = content.signedIn === true
    ? html`<nav aria-label="Account"><a href="/account">Account</a> <form method="post" action="/logout" class="inline">${csrfField(request)}<button type="submit">Sign out</button></form></nav>`
    : html`<nav aria-label="Site"><a href="/login">Sign in</a> <a href="/register">Create an account</a></nav>`;
  const scripts = (content.scripts ?? []).map((name) => html`<script src="${`/assets/${name}`}" nonce="${nonce}" defer></script>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${pageCsrfToken(request)}">
<title>${content.title} · Rampart</title>
<link rel="stylesheet" href="/assets/rampart.css" nonce="${nonce}">
${scripts}
</head>
<body>
<header><a href="/" class="brand">Rampart</a> ${nav}</header>
<main id="main">
<h1>${content.title}</h1>
${content.main}
</main>
</body>
</html>`.toString();
}

/** Sends a rendered page: HTML, never cached when the browser holds a session (the web preset's `no-store`). */
export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page);
}
