import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountService } from '../../accounts/index.js';
import { EMAIL, PASSWORD } from '../../login/login-routes.js';
import { echoField, formOf, formSchema, seeOther } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { LINK_TOKEN, linkTokenField } from './link-token.js';
import { alertBox, emailField, passwordField, sendSignInPage, violationList } from './views.js';

const forgotForm = formSchema({ email: EMAIL });
const resetForm = formSchema({ token: LINK_TOKEN, password: PASSWORD });

/** Where every reset request lands, known address or not. */
export const RESET_REQUESTED_PATH = '/forgot-password/check-mail';

const TOO_MANY = 'Too many requests. Wait a while, then try again.';

/**
 * `GET/POST /forgot-password` (→ 303 to the same "if the address has an account…" page for every address),
 * `GET/POST /reset-password` (the mailed link's page: the script moves `#token` into the form; without script the user
 * pastes it; a new password → 303 `/login?notice=password_changed`).
 *
 * Protects against account enumeration (same work and same redirect for known and unknown addresses), mail bombing
 * (the service's per-address limit), weak new passwords (the policy; the link is not spent by a refused password),
 * link leaks (the token stays in the fragment until the script posts it) and sessions outliving the reset (the
 * service's `onPasswordReset` ends them all).
 */
export function registerPasswordResetPages(app: FastifyInstance, accounts: AccountService): void {
  const clientIp = (request: FastifyRequest): string => request.rampart?.clientIp ?? request.ip;

  const forgot = (request: FastifyRequest, email: string, error?: SafeHtml): SafeHtml => html`${error}
<p>Enter the address of your account. If it has one, we send a link to choose a new password.</p>
<form method="post" action="/forgot-password" novalidate>
${csrfField(request)}
${emailField(email)}
<button type="submit">Send the link</button>
</form>`;

  const reset = (request: FastifyRequest, token: string, error?: SafeHtml): SafeHtml => html`${error}
<form method="post" action="/reset-password" data-link-token="fill">
${csrfField(request)}
${linkTokenField(token)}
${passwordField('new-password', 'New password')}
<button type="submit">Set the new password</button>
</form>`;

  app.get('/forgot-password', { schema: { hide: true } }, (request, reply) => sendSignInPage(request, reply, 200, { title: 'Forgot your password?', main: forgot(request, '') }));

  app.post('/forgot-password', { schema: { hide: true } }, async (request, reply) => {
    const body = formOf(forgotForm, request);
    if (body === undefined) {
      return sendSignInPage(request, reply, 400, { title: 'Forgot your password?', main: forgot(request, echoField(request, 'email'), alertBox('Enter a valid e-mail address.')) });
    }
    const outcome = await accounts.requestPasswordReset(clientIp(request), body.email);
    if (outcome.kind === 'rate_limited') {
      void reply.header('retry-after', String(outcome.retryAfterSeconds));
      return sendSignInPage(request, reply, 429, { title: 'Forgot your password?', main: forgot(request, body.email, alertBox(TOO_MANY)) });
    }
    return seeOther(reply, RESET_REQUESTED_PATH);
  });

  app.get(RESET_REQUESTED_PATH, { schema: { hide: true } }, (request, reply) =>
    sendSignInPage(request, reply, 200, {
      title: 'Check your mail',
      main: html`<p>If the address has an account, we have sent a message to it with a link to choose a new password. The link expires in 30 minutes.</p>`,
    }),
  );

  app.get('/reset-password', { schema: { hide: true } }, (request, reply) =>
    sendSignInPage(request, reply, 200, { title: 'Choose a new password', main: reset(request, ''), scripts: ['link-token.js'] }),
  );

  app.post('/reset-password', { schema: { hide: true } }, async (request, reply) => {
    const body = formOf(resetForm, request);
    const outcome = body === undefined ? undefined : await accounts.resetPassword(clientIp(request), body.token, body.password);
    if (outcome?.kind === 'password_changed') return seeOther(reply, '/login?notice=password_changed');
    if (body !== undefined && outcome?.kind === 'weak_password') {
      // The link is still good (a refused password does not spend it): keep its token in the form for the next try.
      return sendSignInPage(request, reply, 400, { title: 'Choose a new password', main: html`${violationList(outcome.violations)}${reset(request, body.token)}`, scripts: ['link-token.js'] });
    }
    if (outcome?.kind === 'rate_limited') {
      void reply.header('retry-after', String(outcome.retryAfterSeconds));
      return sendSignInPage(request, reply, 429, { title: 'Choose a new password', main: reset(request, '', alertBox(TOO_MANY)), scripts: ['link-token.js'] });
    }
    return sendSignInPage(request, reply, 400, {
      title: 'Choose a new password',
      main: html`${alertBox('The link is invalid, expired or already used.')}<p><a href="/forgot-password">Ask for a new link</a>.</p>`,
    });
  });
}
