import { cookieName, parseCookies, serializeCookie, serializeCookieDeletion } from '@rampart/core/http';
import { Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CODE, CODE_METHOD, EMAIL, PASSWORD } from '../../login/login-routes.js';
import type { BrowserLogin } from '../../login/index.js';
import { echoField, formOf, formSchema, nextOf, noticeOf, refusalOf, safeNext, seeOther, withNext, withRefusal } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { alertBox, problemMessage, codeFields, emailField, noticeBox, passwordField, sendSignInPage } from './views.js';

/**
 * The pending login between the password and the code: `__Host-rampart_login` — Secure, HttpOnly, SameSite=Lax,
 * Path=/, no Domain, as long-lived as the pending login. In a cookie rather than the URL so the token never lands in
 * history, logs or a `Referer`, and a script on the page cannot read it.
 */
export const PENDING_LOGIN_COOKIE = cookieName('rampart_login');

const NEXT = Type.Optional(Type.String({ maxLength: 2048 }));
const loginForm = formSchema({ email: EMAIL, password: PASSWORD, next: NEXT });
const secondFactorForm = formSchema({ method: CODE_METHOD, code: CODE, next: NEXT });

const NOTICES = {
  verified: 'Your e-mail address is confirmed. Sign in.',
  password_changed: 'Your password was changed. Sign in with the new one.',
} as const;

function pendingLoginToken(request: FastifyRequest): string | undefined {
  return request.rampart?.request.cookies.get(PENDING_LOGIN_COOKIE) ?? parseCookies(request.headers.cookie).get(PENDING_LOGIN_COOKIE);
}

function clearPendingLogin(reply: FastifyReply): void {
  void reply.header('set-cookie', serializeCookieDeletion('rampart_login'));
}

/**
 * `GET/POST /login`, `GET/POST /login/second-factor`, `POST /logout`.
 *
 * Protects against: password guessing, enumeration and session fixation (the login module's own steps: throttles, one
 * Argon2id verify on every path, one answer for unknown address / wrong password / locked account, a new session id
 * whatever the browser arrived with); login CSRF (the form needs this browser's CSRF token, and the guard checks the
 * origin); the pending login leaking (a short-lived HttpOnly `__Host-` cookie, never in a URL, cleared once used);
 * second-factor guessing and replay (the module's attempt counter, throttle and replay-proof codes); open redirects
 * (`next` goes through core's redirect policy: local paths only).
 */
export function registerLoginPages(app: FastifyInstance, login: BrowserLogin): void {
  const loginPage = (request: FastifyRequest, email: string, next: string | undefined, message?: SafeHtml): SafeHtml => html`${message}
<form method="post" action="/login" novalidate>
${csrfField(request)}
${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}
${emailField(email)}
${passwordField('current-password')}
<button type="submit">Sign in</button>
</form>
<p><a href="/forgot-password">Forgot your password?</a> · <a href="/register">Create an account</a></p>`;

  app.get('/login', { schema: { hide: true } }, (request, reply) =>
    sendSignInPage(request, reply, 200, { title: 'Sign in', main: loginPage(request, '', nextOf(request), noticeBox(noticeOf(request, NOTICES))) }),
  );

  app.post('/login', { schema: { hide: true } }, async (request, reply) => {
    const body = formOf(loginForm, request);
    if (body === undefined) {
      return sendSignInPage(request, reply, 400, { title: 'Sign in', main: loginPage(request, echoField(request, 'email'), safeNext(echoField(request, 'next', 2048)), alertBox('Enter your e-mail address and your password.')) });
    }
    const next = safeNext(body.next);
    const step = await refusalOf(() => login.signIn(request, body.email, body.password));
    if (!step.ok) {
      // The problem's text: one message for unknown address, wrong password and locked account (no enumeration).
      return sendSignInPage(request, withRefusal(reply, step.problem), step.problem.status, { title: 'Sign in', main: loginPage(request, body.email, next, alertBox(problemMessage(step.problem))) });
    }
    if (step.value.kind === 'mfa_required') {
      void reply.header('set-cookie', serializeCookie('rampart_login', step.value.loginToken, { maxAge: Math.floor(step.value.expiresInMs / 1000) }));
      return seeOther(reply, withNext('/login/second-factor', next));
    }
    const { facts } = step.value;
    const opened = await refusalOf(() => login.openSession(request, reply, facts));
    if (!opened.ok) return sendSignInPage(request, withRefusal(reply, opened.problem), opened.problem.status, { title: 'Sign in', main: loginPage(request, body.email, next, alertBox(problemMessage(opened.problem))) });
    return seeOther(reply, next ?? '/account');
  });

  const secondFactorPage = (request: FastifyRequest, methods: readonly string[], next: string | undefined, error?: SafeHtml): SafeHtml => {
    const codes = methods.includes('totp') || methods.includes('backup_code');
    return html`${error}
<p>Your account has a second factor. Confirm it's you to finish signing in.</p>
${methods.includes('passkey') ? html`<p><button type="button" data-passkey="login-second-factor"${next === undefined ? '' : html` data-passkey-next="${next}"`}>Use a passkey</button></p>` : ''}
${codes
  ? html`<form method="post" action="/login/second-factor" novalidate>
${csrfField(request)}
${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}
${codeFields({ totp: methods.includes('totp'), backupCode: methods.includes('backup_code') })}
<button type="submit">Continue</button>
</form>`
  : ''}
<p><a href="/login">Start again</a></p>`;
  };

  const expired = (request: FastifyRequest, reply: FastifyReply, status: number): FastifyReply => {
    clearPendingLogin(reply);
    return sendSignInPage(request, reply, status, {
      title: 'Sign in',
      main: html`${alertBox('This sign-in has expired or was already used. Sign in again.')}<p><a href="/login">Sign in</a></p>`,
    });
  };

  app.get('/login/second-factor', { schema: { hide: true } }, async (request, reply) => {
    const token = pendingLoginToken(request);
    const methods = token === undefined ? undefined : await login.pendingMethods(token);
    if (methods === undefined) return expired(request, reply, 400);
    const scripts = methods.includes('passkey') ? ['passkeys.js'] : [];
    return sendSignInPage(request, reply, 200, { title: 'Second factor', main: secondFactorPage(request, methods, nextOf(request)), scripts });
  });

  app.post('/login/second-factor', { schema: { hide: true } }, async (request, reply) => {
    const token = pendingLoginToken(request);
    if (token === undefined) return expired(request, reply, 400);
    const body = formOf(secondFactorForm, request);
    const next = safeNext(body?.next ?? echoField(request, 'next', 2048));
    if (body === undefined) {
      const methods = await login.pendingMethods(token);
      if (methods === undefined) return expired(request, reply, 400);
      return sendSignInPage(request, reply, 400, { title: 'Second factor', main: secondFactorPage(request, methods, next, alertBox('Choose the kind of code and enter it.')) });
    }
    const done = await refusalOf(() => login.completeSecondFactor(request, reply, token, body.method, body.code));
    if (done.ok) {
      clearPendingLogin(reply);
      return seeOther(reply, next ?? '/account');
    }
    const methods = await login.pendingMethods(token);
    // Spent, expired or out of attempts: this pending login is over, start again.
    if (methods === undefined) return expired(request, withRefusal(reply, done.problem), done.problem.status);
    const scripts = methods.includes('passkey') ? ['passkeys.js'] : [];
    return sendSignInPage(request, withRefusal(reply, done.problem), done.problem.status, {
      title: 'Second factor',
      main: secondFactorPage(request, methods, next, alertBox(problemMessage(done.problem))),
      scripts,
    });
  });

  app.post('/logout', { schema: { hide: true } }, async (request, reply) => {
    if (request.identity?.source === 'session') await login.signOut(request, reply);
    return seeOther(reply, '/');
  });
}
