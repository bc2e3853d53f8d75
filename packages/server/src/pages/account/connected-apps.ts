import { Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../../auth/identity.js';
import type { AccountGrants, ConnectedApp } from '../../oauth/grants.js';
import { html, type SafeHtml } from '../html.js';
import { csrfField } from '../layout.js';
import { claimText, scopeText } from '../oauth/consent.js';
import { formOf, formSchema, noticeOf, seeOther, signedInIdentity } from './access.js';
import { alertBox, BACK_TO_ACCOUNT, noticeBox, sendAccountPage, timeOf } from './views.js';

/** The page and its form. */
export const CONNECTED_APPS_PATH = '/account/connected-apps';
export const CONNECTED_APPS_REVOKE_PATH = '/account/connected-apps/revoke';

const NOTICES = {
  'access-removed': 'The application’s access was removed. It must ask you again to use your account.',
} as const;

// A client id is at most 128 characters (the client store's rule); anything else reads as "not connected".
const revokeForm = formSchema({ client_id: Type.String({ minLength: 1, maxLength: 128 }) });

function permissions(app: ConnectedApp): SafeHtml {
  const items = [
    ...app.scopes.map((scope) => html`<li>${scopeText(scope)}</li>`),
    ...app.claims.map((claim) => html`<li>${claimText(claim)}</li>`),
    ...app.resources.flatMap(({ indicator, scopes }) => scopes.map((scope) => html`<li>${scopeText(scope)} on <code>${indicator}</code></li>`)),
  ];
  return items.length === 0 ? html`—` : html`<ul>${items}</ul>`;
}

/**
 * `GET /account/connected-apps`, `POST /account/connected-apps/revoke`: the applications the account let in through
 * the authorization server (its remembered consent, `oauth/grants.ts`), what each may receive and since when, and
 * removing one — which ends every grant of that application and every token issued under them, so it must ask again.
 *
 * Protects against: consent nobody can see or take back (an application once allowed keeps refreshing tokens for
 * months unnoticed); one user removing another's consent (IDOR — the grants are read and deleted by the session's
 * account only, and a client id the account has no grant for reads as "not connected", nothing changed); cross-site
 * posts (the chain's CSRF guard checks the form's `_csrf` first).
 */
export function registerConnectedAppsPages(app: FastifyInstance, grants: () => AccountGrants): void {
  async function render(request: FastifyRequest, reply: FastifyReply, identity: Identity, status: number, alert?: string): Promise<FastifyReply> {
    const apps = await grants().list(identity.userId);
    const rows = apps.map(
      (connected) => html`<tr>
<th scope="row">${connected.name ?? connected.clientId}${connected.name === undefined ? '' : html`<br><code class="hint">${connected.clientId}</code>`}${connected.firstParty ? html`<br><span class="hint">Part of this service</span>` : ''}</th>
<td>${permissions(connected)}</td>
<td>${timeOf(connected.firstGrantedAt)}</td>
<td>${timeOf(connected.lastGrantedAt)}</td>
<td><form method="post" action="${CONNECTED_APPS_REVOKE_PATH}">${csrfField(request)}<input type="hidden" name="client_id" value="${connected.clientId}"><button type="submit" class="secondary">Remove access</button></form></td>
</tr>`,
    );
    const main = html`${alertBox(alert)}${noticeBox(noticeOf(request, NOTICES))}
<p>These applications can use your account through this server. Removing one signs it out: its tokens stop working at once and it must ask you again.</p>
${apps.length === 0
  ? html`<p id="no-connected-apps">No application has access to your account.</p>`
  : html`<table>
<caption>Applications with access to your account</caption>
<thead><tr><th scope="col">Application</th><th scope="col">It can</th><th scope="col">Allowed since</th><th scope="col">Last allowed</th><th scope="col">Action</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`}
${BACK_TO_ACCOUNT}`;
    return sendAccountPage(request, reply, status, { title: 'Connected apps', main });
  }

  app.get(CONNECTED_APPS_PATH, { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    return render(request, reply, identity, 200);
  });

  app.post(CONNECTED_APPS_REVOKE_PATH, { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    const form = formOf(revokeForm, request);
    if (form === undefined) return render(request, reply, identity, 400, 'Choose an application.');
    // Another account's application, an unknown one and a malformed one: the same page, the same 404, nothing ended.
    if ((await grants().revoke(identity.userId, form.client_id)) === 0) return render(request, reply, identity, 404, 'That application has no access to your account.');
    return seeOther(reply, `${CONNECTED_APPS_PATH}?notice=access-removed`);
  });
}
