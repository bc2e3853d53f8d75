import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { RampartDatabase } from '../../db/schema.js';
import { accountProfile } from '../../login/index.js';
import type { AccountFactors } from '../../mfa/index.js';
import { html } from '../html.js';
import { seeOther, signedInIdentity, SIGN_IN_PATH } from './access.js';
import { sendAccountPage } from './views.js';

/** What the overview reads. */
export interface OverviewDeps {
  readonly db: Kysely<RampartDatabase>;
  readonly factors: AccountFactors;
}

/**
 * `GET /account`: the signed-in person's address, whether it is verified, their factors at a glance, and the way to
 * each section. Read-only; always the caller's own account (from the session, never from the request).
 *
 * Protects against showing one account's data to another (IDOR): nothing in the request names the account.
 */
export function registerOverviewPage(app: FastifyInstance, deps: OverviewDeps): void {
  app.get('/account', { schema: { hide: true } }, async (request, reply) => {
    const identity = signedInIdentity(request, reply);
    if (identity === undefined) return reply;
    const [profile, factors] = await Promise.all([accountProfile(deps.db, identity.userId), deps.factors.summary(identity.userId)]);
    if (profile === undefined) return seeOther(reply, SIGN_IN_PATH);
    const main = html`<section aria-labelledby="profile-heading">
<h2 id="profile-heading">Profile</h2>
<dl>
<dt>E-mail address</dt><dd>${profile.email}</dd>
<dt>Address verified</dt><dd>${profile.emailVerified ? 'Yes' : 'No'}</dd>
</dl>
</section>
<section aria-labelledby="factors-heading">
<h2 id="factors-heading">Sign-in security</h2>
<dl>
<dt>Authenticator app</dt><dd>${factors.totp.enrolled ? 'Set up' : 'Not set up'}</dd>
<dt>Backup codes left</dt><dd>${factors.backupCodes.remaining}</dd>
<dt>Passkeys</dt><dd>${factors.passkeys.count}</dd>
</dl>
</section>
<nav aria-label="Account sections">
<h2>Manage</h2>
<ul>
<li><a href="/account/security">Security: authenticator app, backup codes and passkeys</a></li>
<li><a href="/account/sessions">Where you are signed in</a></li>
<li><a href="/account/api-keys">API keys</a></li>
<li><a href="/account/connected-apps">Connected apps</a></li>
</ul>
</nav>`;
    return sendAccountPage(request, reply, 200, { title: 'Your account', main });
  });
}
