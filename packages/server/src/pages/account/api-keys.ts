import type { Clock } from '@rampart/core';
import type { ApiKeyInfo } from '@rampart/core/token';
import { Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../../auth/identity.js';
import { API_KEY_NAME } from '../../authz/api-keys/routes.js';
import { API_KEY_SCOPES, type AccountApiKeys, type ApiKeyScope } from '../../authz/index.js';
import { html } from '../html.js';
import { csrfField } from '../layout.js';
import { formOf, formSchema, noticeOf, recentlyAuthenticated, seeOther, signedInIdentity, stepUpPath } from './access.js';
import { alertBox, BACK_TO_ACCOUNT, noticeBox, sendAccountPage, sendOneTimePage, timeOf } from './views.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The lifetimes offered, in days: a closed list (the service bounds any lifetime to one minute … one year too). */
const LIFETIMES = ['30', '90', '180', '365'] as const;

/** What each scope lets a key do, in words. */
const SCOPE_TEXT: Readonly<Record<ApiKeyScope, string>> = {
  'authz:check': 'Ask for authorization decisions (POST /v1/authz/check)',
  'authz:check:batch': 'Ask for decisions in batches (POST /v1/authz/check/batch)',
  'authz:explain': 'See why a decision was made (explain: the policy rules involved)',
};

const NOTICES = { 'key-revoked': 'The API key was revoked: it no longer works.' } as const;

const SCOPE = Type.Union(API_KEY_SCOPES.map((scope) => Type.Literal(scope)));
// A form sends one checked box as a string and several as a list (core's form parser never picks one of a repetition).
const createForm = formSchema({
  name: API_KEY_NAME,
  scopes: Type.Union([SCOPE, Type.Array(SCOPE, { minItems: 1, maxItems: API_KEY_SCOPES.length, uniqueItems: true })]),
  lifetime: Type.Union(LIFETIMES.map((days) => Type.Literal(days))),
});
const revokeForm = formSchema({ id: Type.String({ minLength: 1, maxLength: 64 }) });

function statusOf(key: ApiKeyInfo, now: number): string {
  if (key.revokedAt !== undefined) return 'Revoked';
  if (key.expiresAt !== undefined && key.expiresAt <= now) return 'Expired';
  return 'Active';
}

/**
 * `GET /account/api-keys`, `POST /account/api-keys` (create: shows the key once), `POST /account/api-keys/revoke`.
 *
 * Protects against: a stolen or left-open session minting a backdoor key (creation needs a full authentication within
 * 10 minutes, else `303` to the step-up page and nothing is created); the key leaking from a cache or the history
 * (shown once, on a `no-store` page answering the POST, stored only as a keyed hash); over-broad or immortal keys
 * (scopes and lifetimes from closed lists); revoking another account's key (IDOR: the service looks the id up among
 * the caller's own keys only); markup in a key name (every value is HTML-encoded by the template); cross-site posts
 * (the chain's CSRF guard).
 */
export function registerApiKeyPages(app: FastifyInstance, keys: AccountApiKeys, clock: Clock): void {
  async function render(request: FastifyRequest, reply: FastifyReply, identity: Identity, status: number, alert?: string): Promise<FastifyReply> {
    const now = clock.now();
    const listed = await keys.list(identity.userId);
    const rows = listed.map((key) => {
      const state = statusOf(key, now);
      const revoke =
        key.revokedAt === undefined
          ? html`<form method="post" action="/account/api-keys/revoke">${csrfField(request)}<input type="hidden" name="id" value="${key.id}"><button type="submit" class="secondary">Revoke</button></form>`
          : undefined;
      return html`<tr>
<td>${key.name ?? '(no name)'}</td>
<td><code>${`${key.prefix}_${key.id}_…`}</code></td>
<td>${key.scopes.join(', ')}</td>
<td>${timeOf(key.createdAt)}</td>
<td>${timeOf(key.expiresAt)}</td>
<td>${timeOf(key.lastUsedAt)}</td>
<td>${state}</td>
<td>${revoke}</td>
</tr>`;
    });
    const list =
      listed.length === 0
        ? html`<p>You have no API keys.</p>`
        : html`<table>
<caption>Your API keys</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col">Action</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
    const scopes = API_KEY_SCOPES.map(
      (scope) => html`<label><input type="checkbox" name="scopes" value="${scope}"> <code>${scope}</code>: ${SCOPE_TEXT[scope]}</label>`,
    );
    const lifetimes = LIFETIMES.map((days) => html`<option value="${days}"${days === '90' ? html` selected` : ''}>${days} days</option>`);
    const stepUpNote = recentlyAuthenticated(request, clock) ? undefined : html`<p>Creating a key asks you to confirm your password and second factor first.</p>`;
    const main = html`${alertBox(alert)}${noticeBox(noticeOf(request, NOTICES))}
<p>API keys let your services ask this server for authorization decisions. Each key is shown once, when it is created.</p>
${list}
<section aria-labelledby="new-key-heading">
<h2 id="new-key-heading">Create an API key</h2>
${stepUpNote}
<form method="post" action="/account/api-keys">
${csrfField(request)}
<label for="key-name">Name</label>
<input type="text" id="key-name" name="name" required maxlength="100" autocomplete="off">
<fieldset>
<legend>What the key may do</legend>
${scopes}
</fieldset>
<label for="key-lifetime">Expires after</label>
<select id="key-lifetime" name="lifetime">${lifetimes}</select>
<button type="submit">Create key</button>
</form>
</section>
${BACK_TO_ACCOUNT}`;
    return sendAccountPage(request, reply, status, { title: 'API keys', main });
  }

  app.get('/account/api-keys', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    return render(request, reply, identity, 200);
  });

  app.post('/account/api-keys', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    // Before anything is read or created: a key is a credential that outlives the session that made it.
    if (!recentlyAuthenticated(request, clock)) return seeOther(reply, stepUpPath('/account/api-keys'));
    const form = formOf(createForm, request);
    if (form === undefined) return render(request, reply, identity, 400, 'Give the key a name (up to 100 characters) and choose at least one scope.');
    const scopes: ApiKeyScope[] = typeof form.scopes === 'string' ? [form.scopes] : [...form.scopes];
    const outcome = await keys.create(identity.userId, { name: form.name, scopes, expiresAt: clock.now() + Number(form.lifetime) * DAY_MS });
    if (!outcome.ok) {
      return outcome.reason === 'limit_reached'
        ? render(request, reply, identity, 409, 'You have as many API keys as an account may hold: revoke one first.')
        : render(request, reply, identity, 400, 'Choose one of the offered lifetimes.');
    }
    const { info, key } = outcome.created;
    const main = html`<p class="notice" role="status">Your new API key <strong>${info.name ?? ''}</strong> was created.</p>
<p>Copy it now and keep it somewhere safe: it is shown only this once and cannot be recovered.</p>
<p><label for="new-key">API key</label><input type="text" id="new-key" class="secret" readonly value="${key}" autocomplete="off" spellcheck="false"></p>
<p>Scopes: ${info.scopes.join(', ')}. Expires: ${timeOf(info.expiresAt)}.</p>
<p><a href="/account/api-keys">Done</a></p>`;
    return sendOneTimePage(request, reply, { title: 'Your new API key', main });
  });

  app.post('/account/api-keys/revoke', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    const form = formOf(revokeForm, request);
    // A malformed id, an unknown one and another account's one: the same 404 page, nothing revoked.
    if (form === undefined || !(await keys.revoke(identity.userId, form.id))) return render(request, reply, identity, 404, 'No such API key.');
    return seeOther(reply, '/account/api-keys?notice=key-revoked');
  });
}
