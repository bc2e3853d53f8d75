import { Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../../auth/identity.js';
import { clearSessionCookie, sessionIdOf } from '../../auth/session-cookie.js';
import type { AccountSessions } from '../../login/index.js';
import { html } from '../html.js';
import { csrfField } from '../layout.js';
import { formOf, formSchema, noticeOf, seeOther, signedInIdentity, SIGN_IN_PATH } from './access.js';
import { alertBox, BACK_TO_ACCOUNT, methodsText, noticeBox, sendAccountPage, timeOf } from './views.js';

const NOTICES = {
  'session-ended': 'The session was signed out.',
  'others-ended': 'Every other session was signed out.',
} as const;

// A handle is 22 base64url characters; anything else is refused by the service too, and reads as "not found".
const revokeForm = formSchema({ handle: Type.String({ minLength: 1, maxLength: 64 }) });
const revokeOthersForm = formSchema({});

/**
 * `GET /account/sessions`, `POST /account/sessions/revoke`, `POST /account/sessions/revoke-others`: where the account
 * is signed in, and signing those sessions out.
 *
 * Protects against: a stolen session staying alive unnoticed (the owner sees every live session and ends it);
 * one user ending another's sessions by handle (IDOR — the service looks a handle up among the caller's own only, and
 * a foreign handle reads as unknown); session ids leaking into a page (handles only); cross-site posts (the chain's
 * CSRF guard checks the form's `_csrf` before the handler runs).
 */
export function registerSessionPages(app: FastifyInstance, sessions: AccountSessions): void {
  async function render(request: FastifyRequest, reply: FastifyReply, identity: Identity, status: number, alert?: string): Promise<FastifyReply> {
    const listed = await sessions.list(identity.userId, sessionIdOf(request));
    const rows = listed.map(
      (session) => html`<tr>
<td>${timeOf(session.createdAt)}</td>
<td>${timeOf(session.lastSeenAt)}</td>
<td>${methodsText(session.amr)}</td>
<td>${session.current ? 'This browser' : 'Another browser or device'}</td>
<td><form method="post" action="/account/sessions/revoke">${csrfField(request)}<input type="hidden" name="handle" value="${session.handle}"><button type="submit" class="secondary">${session.current ? 'Sign out here' : 'Sign out'}</button></form></td>
</tr>`,
    );
    const main = html`${alertBox(alert)}${noticeBox(noticeOf(request, NOTICES))}
<p>These browsers and devices are signed in to your account. Sign out any you do not recognise, then change your password.</p>
<table>
<caption>Signed-in sessions</caption>
<thead><tr><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col">Signed in with</th><th scope="col">Device</th><th scope="col">Action</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<form method="post" action="/account/sessions/revoke-others">${csrfField(request)}<button type="submit">Sign out everywhere else</button></form>
${BACK_TO_ACCOUNT}`;
    return sendAccountPage(request, reply, status, { title: 'Where you are signed in', main });
  }

  app.get('/account/sessions', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    return render(request, reply, identity, 200);
  });

  app.post('/account/sessions/revoke', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    const form = formOf(revokeForm, request);
    if (form === undefined) return render(request, reply, identity, 400, 'Choose a session to sign out.');
    // Another user's handle, an unknown one and a malformed one: the same page, the same 404, nothing ended.
    if (!(await sessions.revoke(identity.userId, form.handle))) return render(request, reply, identity, 404, 'That session is not signed in any more.');
    if (form.handle === identity.sessionHandle) {
      clearSessionCookie(request, reply);
      return seeOther(reply, SIGN_IN_PATH);
    }
    return seeOther(reply, '/account/sessions?notice=session-ended');
  });

  app.post('/account/sessions/revoke-others', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    if (formOf(revokeOthersForm, request) === undefined) return render(request, reply, identity, 400, 'The request was not understood.');
    await sessions.revokeOthers(identity.userId, sessionIdOf(request));
    return seeOther(reply, '/account/sessions?notice=others-ended');
  });
}
