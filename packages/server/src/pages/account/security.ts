import type { Clock } from '@rampart/core';
import { Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../../auth/identity.js';
import type { AccountFactors } from '../../mfa/index.js';
import { html } from '../html.js';
import { csrfField } from '../layout.js';
import { formOf, formSchema, noticeOf, recentlyAuthenticated, seeOther, signedInIdentity, stepUpPath } from './access.js';
import { alertBox, BACK_TO_ACCOUNT, noticeBox, sendAccountPage, sendOneTimePage, timeOf } from './views.js';

const NOTICES = {
  'passkey-added': 'Your passkey was added.',
  'passkey-removed': 'The passkey was removed.',
} as const;

const codesForm = formSchema({});
// Credential ids run to 1,366 base64url characters (WebAuthn §7.1 caps them at 1,023 bytes); the service checks the format.
const removeForm = formSchema({ id: Type.String({ minLength: 1, maxLength: 1400 }) });

/**
 * `GET /account/security`, `POST /account/security/backup-codes` (shows the new codes once),
 * `POST /account/security/passkeys/remove`, and the "Add a passkey" button (`data-passkey="register"`, run by
 * `assets/passkeys.js` against the MFA module's JSON routes).
 *
 * Protects against: a stolen or left-open session changing the factors (new backup codes and passkey removal need a
 * full authentication within 10 minutes, else `303` to the step-up page and nothing changes; passkey registration is
 * checked the same way by its JSON route); removing another account's passkey (IDOR: the delete names the owner, a
 * foreign id reads as unknown); codes leaking from a cache (shown once, `no-store`); markup in a passkey name (encoded
 * by the template); cross-site posts (the chain's CSRF guard).
 */
export function registerSecurityPages(app: FastifyInstance, factors: AccountFactors, clock: Clock): void {
  async function render(request: FastifyRequest, reply: FastifyReply, identity: Identity, status: number, alert?: string): Promise<FastifyReply> {
    const [summary, passkeys] = await Promise.all([factors.summary(identity.userId), factors.listPasskeys(identity.userId)]);
    const recent = recentlyAuthenticated(request, clock);
    const rows = passkeys.map(
      (passkey) => html`<tr>
<td>${passkey.name ?? '(no name)'}</td>
<td>${timeOf(passkey.createdAt)}</td>
<td>${timeOf(passkey.lastUsedAt)}</td>
<td>${passkey.disabled ? 'Disabled: it may have been copied' : 'Active'}</td>
<td><form method="post" action="/account/security/passkeys/remove">${csrfField(request)}<input type="hidden" name="id" value="${passkey.id}"><button type="submit" class="secondary">Remove</button></form></td>
</tr>`,
    );
    const passkeyList =
      passkeys.length === 0
        ? html`<p>You have no passkeys.</p>`
        : html`<table>
<caption>Your passkeys</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
    const addPasskey = summary.passkeys.available
      ? html`<h3>Add a passkey</h3>
<p>A passkey signs you in with your device's screen lock or a security key, and cannot be phished.</p>
<label for="passkey-name">Name for the new passkey (optional)</label>
<input type="text" id="passkey-name" maxlength="64" autocomplete="off">
<button type="button" data-passkey="register" data-passkey-name-input="passkey-name" data-passkey-next="/account/security?notice=passkey-added" data-passkey-step-up="/account/security">Add a passkey</button>
<p data-passkey-status role="alert" class="error" hidden></p>
<noscript><p>Adding a passkey needs JavaScript: your browser talks to the authenticator through it.</p></noscript>`
      : html`<p>Passkeys are not available on this server: it is not reached through a domain name over HTTPS.</p>`;
    const main = html`${alertBox(alert)}${noticeBox(noticeOf(request, NOTICES))}
${recent ? undefined : html`<p>Changes on this page ask you to confirm your password and second factor first.</p>`}
<section aria-labelledby="totp-heading">
<h2 id="totp-heading">Authenticator app</h2>
<p>${summary.totp.enrolled ? 'An authenticator app is set up.' : 'No authenticator app is set up.'}</p>
<p><a href="/account/security/totp">${summary.totp.enrolled ? 'Replace your authenticator app' : 'Set up an authenticator app'}</a></p>
</section>
<section aria-labelledby="codes-heading">
<h2 id="codes-heading">Backup codes</h2>
<p>Backup codes let you sign in when your authenticator is not at hand. Each works once. You have ${summary.backupCodes.remaining} left.</p>
<form method="post" action="/account/security/backup-codes">${csrfField(request)}<button type="submit">Generate new backup codes</button></form>
<p>New codes replace every code you had.</p>
</section>
<section aria-labelledby="passkeys-heading">
<h2 id="passkeys-heading">Passkeys</h2>
${passkeyList}
${addPasskey}
</section>
${BACK_TO_ACCOUNT}`;
    return sendAccountPage(request, reply, status, { title: 'Security', main, scripts: ['passkeys.js'] });
  }

  app.get('/account/security', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    return render(request, reply, identity, 200);
  });

  app.post('/account/security/backup-codes', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    if (!recentlyAuthenticated(request, clock)) return seeOther(reply, stepUpPath('/account/security'));
    if (formOf(codesForm, request) === undefined) return render(request, reply, identity, 400, 'The request was not understood.');
    const codes = await factors.regenerateBackupCodes(identity.userId);
    const items = codes.map((code) => html`<li><code>${code}</code></li>`);
    const main = html`<p class="notice" role="status">Your new backup codes are ready. Every code you had before no longer works.</p>
<p>Write them down or print them, and keep them somewhere safe: they are shown only this once. Each code works once.</p>
<ol class="secret">${items}</ol>
<p><a href="/account/security">Done</a></p>`;
    return sendOneTimePage(request, reply, { title: 'Your new backup codes', main });
  });

  app.post('/account/security/passkeys/remove', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    if (!recentlyAuthenticated(request, clock)) return seeOther(reply, stepUpPath('/account/security'));
    const form = formOf(removeForm, request);
    // A malformed id, an unknown one and another account's one: the same 404 page, nothing removed.
    if (form === undefined || !(await factors.removePasskey(identity.userId, form.id))) return render(request, reply, identity, 404, 'No such passkey.');
    return seeOther(reply, '/account/security?notice=passkey-removed');
  });
}
