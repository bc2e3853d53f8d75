import type { Clock } from '@rampart/core';
import type { BackupCodes } from '@rampart/core/mfa';
import { Type } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { requireStepUp } from '../../auth/guards.js';
import type { Identity } from '../../auth/identity.js';
import type { RampartDatabase } from '../../db/schema.js';
import { accountProfile } from '../../login/index.js';
import { CODE } from '../../login/login-routes.js';
import type { TotpFactor } from '../../mfa/index.js';
import { formOf, formSchema, seeOther, withNext } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { qrCodeMarkup } from './qr-svg.js';
import { alertBox, sendSignInPage } from './views.js';

/** What the TOTP page acts on: the MFA module's own TOTP factor and backup codes (the JSON routes use the same). */
export interface TotpPageDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly clock: Clock;
  readonly totp: TotpFactor;
  readonly backupCodes: BackupCodes;
}

export const TOTP_PATH = '/account/security/totp';

const totpForm = formSchema({ action: Type.Union([Type.Literal('start'), Type.Literal('confirm')]), code: Type.Optional(CODE) });

/** Splits a base32 secret into groups of four for reading and typing (`JBSW Y3DP …`). */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * `GET/POST /account/security/totp`: set up an authenticator app. A signed-in session with a full authentication in the
 * last 10 minutes only (anonymous → 303 `/login`, stale → 303 `/step-up?next=…`). `action=start` shows the QR code,
 * the secret for manual entry and the confirmation form; `action=confirm` with the app's code enrolls it and shows new
 * backup codes once (when the account has none left).
 *
 * Protects against a stolen or unattended session adding a factor (the step-up check of the JSON routes), an
 * unproved secret guarding the account (only a confirmed one is enrolled), the secret or the codes in a cache (the
 * answers are `no-store`), and markup injection through the QR SVG (rebuilt from allowlisted values, `qr-svg.ts`).
 * Starting is a POST, not a GET: a prefetch or a cross-site link cannot replace a pending enrollment.
 */
export function registerTotpPage(app: FastifyInstance, deps: TotpPageDeps): void {
  const { totp, backupCodes } = deps;

  /** The session's identity if it may change factors now; otherwise the redirect is sent and `undefined` returned. */
  function steppedUp(request: FastifyRequest, reply: FastifyReply): Identity | undefined {
    if (request.identity?.source !== 'session') {
      void seeOther(reply, withNext('/login', TOTP_PATH));
      return undefined;
    }
    try {
      return requireStepUp(request, { clock: deps.clock });
    } catch (error) {
      if (!(error instanceof ProblemError) || error.problem.code !== 'auth.step_up_required') throw error;
      void seeOther(reply, withNext('/step-up', TOTP_PATH));
      return undefined;
    }
  }

  const startForm = (request: FastifyRequest, label: string): SafeHtml => html`<form method="post" action="${TOTP_PATH}">
${csrfField(request)}
<input type="hidden" name="action" value="start">
<button type="submit">${label}</button>
</form>`;

  const confirmForm = (request: FastifyRequest): SafeHtml => html`<form method="post" action="${TOTP_PATH}" novalidate>
${csrfField(request)}
<input type="hidden" name="action" value="confirm">
<label for="code">Code shown by the app</label>
<input id="code" name="code" type="text" required maxlength="32" inputmode="numeric" autocomplete="one-time-code" spellcheck="false">
<button type="submit">Turn on</button>
</form>`;

  const page = (request: FastifyRequest, reply: FastifyReply, status: number, main: SafeHtml): FastifyReply =>
    sendSignInPage(request, reply, status, { title: 'Authenticator app', main, signedIn: true });

  app.get(TOTP_PATH, { schema: { hide: true } }, async (request, reply) => {
    const identity = steppedUp(request, reply);
    if (identity === undefined) return reply;
    const status = await totp.status(identity.userId);
    const intro = status.enrolled
      ? html`<p>An authenticator app is set up for your account. Setting up another one replaces it once you confirm the new one.</p>`
      : html`<p>An authenticator app (such as one on your phone) shows a new six-digit code every 30 seconds. With it, a stolen password alone no longer opens your account.</p>`;
    return page(request, reply, 200, html`${intro}${startForm(request, status.enrolled ? 'Set up a new app' : 'Set up an app')}<p><a href="/account/security">Back to security</a></p>`);
  });

  app.post(TOTP_PATH, { schema: { hide: true } }, async (request, reply) => {
    const identity = steppedUp(request, reply);
    if (identity === undefined) return reply;
    const body = formOf(totpForm, request);
    if (body === undefined) return page(request, reply, 400, html`${alertBox('The form could not be read. Start again.')}${startForm(request, 'Start again')}`);
    const { userId } = identity;

    if (body.action === 'start') {
      const label = (await accountProfile(deps.db, userId))?.email;
      if (label === undefined) return seeOther(reply, '/login');
      const started = await totp.start(userId, label);
      const qr = qrCodeMarkup(started.qrSvg, 'QR code for your authenticator app');
      return page(
        request,
        reply,
        200,
        html`<ol>
<li>Open your authenticator app and add an account${qr === undefined ? '' : ' by scanning this QR code'}.</li>
${qr === undefined ? '' : html`<li class="qr">${qr}</li>`}
<li>Can't scan it? Enter this key instead: <code class="secret" id="totp-secret" data-secret="${started.secret}">${grouped(started.secret)}</code></li>
<li>Enter the code the app shows, within 10 minutes.</li>
</ol>
${confirmForm(request)}`,
      );
    }

    const confirmed = await totp.confirm(userId, body.code ?? '');
    if (!confirmed.ok) {
      if (confirmed.reason === 'not_pending') {
        return page(request, reply, 400, html`${alertBox('The setup has expired. Start again.')}${startForm(request, 'Start again')}`);
      }
      return page(
        request,
        reply,
        400,
        html`${alertBox('The code is not valid. Enter the current code from the app.')}${confirmForm(request)}<p>Did not add the account to the app yet?</p>${startForm(request, 'Start again')}`,
      );
    }
    // New codes only for an account that has none: an existing set may be printed somewhere, and is not replaced here.
    const codes = (await backupCodes.remaining(userId)) === 0 ? await backupCodes.regenerate(userId) : undefined;
    return page(
      request,
      reply,
      200,
      html`<div class="notice" role="status"><p>Your authenticator app is set up. You will be asked for its code when you sign in.</p></div>
${codes === undefined
  ? html`<p>Your backup codes still work. You can make new ones on the <a href="/account/security">security page</a>.</p>`
  : html`<h2>Your backup codes</h2>
<p>Each code signs you in once if you lose your phone. Keep them somewhere safe: they are shown only now.</p>
<ul class="codes" id="backup-codes">${codes.map((code) => html`<li><code>${code}</code></li>`)}</ul>`}
<p><a href="/account">Go to your account</a></p>`,
    );
  });
}
