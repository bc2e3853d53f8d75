import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountService } from '../../accounts/index.js';
import { EMAIL, PASSWORD } from '../../login/login-routes.js';
import { echoField, formOf, formSchema, seeOther } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { alertBox, emailField, passwordField, sendSignInPage, violationList } from './views.js';

const registerForm = formSchema({ email: EMAIL, password: PASSWORD });

/** Where every accepted registration lands, taken address or not. */
export const REGISTERED_PATH = '/register/check-mail';

/**
 * `GET /register`, `POST /register` (e-mail, password → 303 to the same "check your mail" page for a new and a taken
 * address), `GET /register/check-mail`.
 *
 * Protects against account enumeration (the accounts service does the same work for both and the page answers the
 * same redirect; the owner of a taken address is mailed instead), weak passwords (the policy, before the address is
 * looked up), scripted sign-up (the service's limits) and mass assignment (a closed form schema).
 */
export function registerRegistrationPages(app: FastifyInstance, accounts: AccountService): void {
  const form = (request: FastifyRequest, email: string, error?: SafeHtml): SafeHtml => html`${error}
<form method="post" action="/register" novalidate>
${csrfField(request)}
${emailField(email)}
${passwordField('new-password')}
<button type="submit">Create account</button>
</form>
<p>Already have an account? <a href="/login">Sign in</a>.</p>`;

  app.get('/register', { schema: { hide: true } }, (request, reply) => sendSignInPage(request, reply, 200, { title: 'Create an account', main: form(request, '') }));

  app.post('/register', { schema: { hide: true } }, async (request, reply) => {
    const body = formOf(registerForm, request);
    if (body === undefined) {
      return sendSignInPage(request, reply, 400, { title: 'Create an account', main: form(request, echoField(request, 'email'), alertBox('Enter a valid e-mail address and a password.')) });
    }
    const outcome = await accounts.register(request.rampart?.clientIp ?? request.ip, body.email, body.password);
    if (outcome.kind === 'weak_password') {
      return sendSignInPage(request, reply, 400, { title: 'Create an account', main: html`${violationList(outcome.violations)}${form(request, body.email)}` });
    }
    if (outcome.kind === 'rate_limited') {
      void reply.header('retry-after', String(outcome.retryAfterSeconds));
      return sendSignInPage(request, reply, 429, { title: 'Create an account', main: form(request, body.email, alertBox('Too many requests. Wait a while, then try again.')) });
    }
    return seeOther(reply, REGISTERED_PATH);
  });

  app.get(REGISTERED_PATH, { schema: { hide: true } }, (request, reply) =>
    sendSignInPage(request, reply, 200, {
      title: 'Check your mail',
      main: html`<p>If the address can be used, we have sent a message to it. Open the link in it to confirm your address, then <a href="/login">sign in</a>.</p>
<p>The link expires in 24 hours. Nothing arrived? Check your spam folder.</p>`,
    }),
  );
}
