import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthMethod } from '../../auth/identity.js';
import { html, type SafeHtml } from '../html.js';
import { renderPage, sendPage } from '../layout.js';

/** A time for people, in UTC, inside `<time datetime>` (machines read the attribute). */
export function timeOf(epochMs: number | string | null | undefined): SafeHtml {
  if (epochMs === null || epochMs === undefined) return html`—`;
  const at = new Date(epochMs);
  if (Number.isNaN(at.getTime())) return html`—`;
  const iso = at.toISOString();
  return html`<time datetime="${iso}">${`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}</time>`;
}

const METHOD_NAMES: Readonly<Record<AuthMethod, string | undefined>> = {
  pwd: 'password',
  otp: 'authenticator app',
  kba: 'backup code',
  hwk: 'passkey',
  swk: 'passkey',
  user: undefined,
  mfa: undefined,
};

/** How a session was signed in, in words (`password and authenticator app`), from its RFC 8176 methods. */
export function methodsText(amr: readonly AuthMethod[]): string {
  const names = [...new Set(amr.map((method) => METHOD_NAMES[method]).filter((name): name is string => name !== undefined))];
  return names.length === 0 ? 'unknown' : names.join(' and ');
}

/** An error the page reports: announced by screen readers at once (`role="alert"`). */
export function alertBox(message: string | undefined): SafeHtml | undefined {
  return message === undefined ? undefined : html`<p class="error" role="alert">${message}</p>`;
}

/** A confirmation after a redirect (`role="status"`: announced without interrupting). */
export function noticeBox(message: string | undefined): SafeHtml | undefined {
  return message === undefined ? undefined : html`<p class="notice" role="status">${message}</p>`;
}

/** Sends an account page (signed-in navigation) with `status`. */
export function sendAccountPage(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  content: { readonly title: string; readonly main: SafeHtml; readonly scripts?: readonly string[] },
): FastifyReply {
  return sendPage(reply, status, renderPage(request, { ...content, signedIn: true }));
}

/**
 * Sends a page that shows a secret once (a new API key, new backup codes): never stored by any cache, the browser's
 * back-forward cache included (`no-store`, and `pragma` for HTTP/1.0 caches).
 */
export function sendOneTimePage(
  request: FastifyRequest,
  reply: FastifyReply,
  content: { readonly title: string; readonly main: SafeHtml },
): FastifyReply {
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  return sendAccountPage(request, reply, 200, content);
}

/** The link back to the overview, at the foot of every section. */
export const BACK_TO_ACCOUNT: SafeHtml = html`<p><a href="/account">Back to your account</a></p>`;
