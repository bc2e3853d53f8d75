import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountService } from '../../accounts/index.js';
import { formOf, formSchema, seeOther } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { LINK_TOKEN, linkTokenField } from './link-token.js';
import { alertBox, sendSignInPage } from './views.js';

const verifyForm = formSchema({ token: LINK_TOKEN });

/**
 * `GET /verify-email` (the mailed link's page: its script moves `#token` into the form and submits it; without script
 * the user pastes the token) and `POST /verify-email` (→ 303 `/login?notice=verified`).
 *
 * Protects against: the link token leaking (it travels in the fragment, which no server, log or `Referer` sees, and the
 * script removes it from the address bar before posting it); a cross-site page confirming an address with its own
 * token (the form needs this browser's CSRF token); replayed or guessed tokens (the accounts service spends each once,
 * counts attempts per client, and answers every refusal the same).
 */
export function registerVerifyEmailPages(app: FastifyInstance, accounts: AccountService): void {
  const page = (request: FastifyRequest, error?: SafeHtml): SafeHtml => html`${error}
<form method="post" action="/verify-email" data-link-token="submit">
${csrfField(request)}
<p>Confirming your e-mail address…</p>
${linkTokenField()}
<button type="submit">Confirm address</button>
</form>`;

  app.get('/verify-email', { schema: { hide: true } }, (request, reply) =>
    sendSignInPage(request, reply, 200, { title: 'Confirm your e-mail address', main: page(request), scripts: ['link-token.js'] }),
  );

  app.post('/verify-email', { schema: { hide: true } }, async (request, reply) => {
    const body = formOf(verifyForm, request);
    const outcome = body === undefined ? undefined : await accounts.verifyEmail(request.rampart?.clientIp ?? request.ip, body.token);
    if (outcome?.kind === 'verified') return seeOther(reply, '/login?notice=verified');
    if (outcome?.kind === 'rate_limited') {
      void reply.header('retry-after', String(outcome.retryAfterSeconds));
      return sendSignInPage(request, reply, 429, { title: 'Confirm your e-mail address', main: page(request, alertBox('Too many requests. Wait a while, then try again.')), scripts: ['link-token.js'] });
    }
    // A malformed, unknown, expired or used token: one answer.
    return sendSignInPage(request, reply, 400, {
      title: 'Confirm your e-mail address',
      main: page(request, alertBox('The link is invalid, expired or already used. If your address is not confirmed yet, sign in with your password to see what to do.')),
      scripts: ['link-token.js'],
    });
  });
}
