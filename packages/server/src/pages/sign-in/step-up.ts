import { requiresSecondFactor } from '../../auth/contracts.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CODE, CODE_METHOD, PASSWORD } from '../../login/login-routes.js';
import type { BrowserLogin } from '../../login/index.js';
import type { EnrolledFactors } from '../../auth/contracts.js';
import { Type } from '@rampart/core/validate';
import { echoField, formOf, formSchema, nextOf, refusalOf, safeNext, seeOther, withNext, withRefusal } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { alertBox, problemMessage, codeFields, passwordField, sendSignInPage } from './views.js';

const stepUpForm = formSchema({ password: PASSWORD, method: Type.Optional(CODE_METHOD), code: Type.Optional(CODE), next: Type.Optional(Type.String({ maxLength: 2048 })) });

/**
 * `GET/POST /step-up?next=…`: a signed-in user re-enters the password (and a code when the account has a second
 * factor; passkey holders also get the passkey button) → the session is rotated with a fresh full authentication →
 * 303 back to `next` (a local path only, else `/account`). Anonymous → 303 `/login?next=…`.
 *
 * Protects against a stolen or unattended session making sensitive changes (the module's re-authentication: throttled
 * per account, every failure one 403 and one event, the session id rotated on success), and against the page being
 * an open redirect (`next` through core's redirect policy).
 */
export function registerStepUpPage(app: FastifyInstance, login: BrowserLogin): void {
  const page = (request: FastifyRequest, enrolled: EnrolledFactors, next: string | undefined, error?: SafeHtml): SafeHtml => {
    const second = requiresSecondFactor(enrolled);
    const codes = second && (enrolled.totp || enrolled.backupCodes > 0);
    return html`${error}
<p>Confirm it's you before you continue.</p>
<form method="post" action="/step-up" novalidate>
${csrfField(request)}
${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}
${passwordField('current-password')}
${codes ? codeFields({ totp: enrolled.totp, backupCode: enrolled.backupCodes > 0 }) : ''}
<button type="submit">Confirm</button>
</form>
${enrolled.passkeys > 0 ? html`<p><button type="button" data-passkey="step-up">Confirm with a passkey</button></p>` : ''}`;
  };
  const scriptsFor = (enrolled: EnrolledFactors): string[] => (enrolled.passkeys > 0 ? ['passkeys.js'] : []);

  app.get('/step-up', { schema: { hide: true } }, async (request, reply) => {
    const next = nextOf(request);
    const identity = request.identity;
    if (identity?.source !== 'session') return seeOther(reply, withNext('/login', withNext('/step-up', next)));
    const enrolled = await login.enrolled(identity.userId);
    return sendSignInPage(request, reply, 200, { title: 'Confirm it’s you', main: page(request, enrolled, next), scripts: scriptsFor(enrolled) });
  });

  app.post('/step-up', { schema: { hide: true } }, async (request, reply) => {
    const identity = request.identity;
    const body = formOf(stepUpForm, request);
    const next = safeNext(body?.next ?? echoField(request, 'next', 2048));
    if (identity?.source !== 'session') return seeOther(reply, withNext('/login', withNext('/step-up', next)));
    const enrolled = await login.enrolled(identity.userId);
    if (body === undefined) {
      return sendSignInPage(request, reply, 400, { title: 'Confirm it’s you', main: page(request, enrolled, next, alertBox('Enter your password.')), scripts: scriptsFor(enrolled) });
    }
    const input = { password: body.password, ...(body.method === undefined ? {} : { method: body.method }), ...(body.code === undefined || body.code === '' ? {} : { code: body.code }) };
    const done = await refusalOf(() => login.stepUp(request, reply, identity.userId, input));
    if (done.ok) return seeOther(reply, next ?? '/account');
    return sendSignInPage(request, withRefusal(reply, done.problem), done.problem.status, {
      title: 'Confirm it’s you',
      main: page(request, enrolled, next, alertBox(problemMessage(done.problem))),
      scripts: scriptsFor(enrolled),
    });
  });
}
