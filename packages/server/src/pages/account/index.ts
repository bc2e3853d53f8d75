/**
 * The account pages: overview, sessions, API keys, second factors and passkeys, and the passkey sign-in page. Plain
 * HTML forms (Post/Redirect/Get) over the same services as the JSON routes; only the WebAuthn ceremonies need a
 * script (`assets/passkeys.js`). See README.md.
 */
import { accountApiKeys } from '../../authz/index.js';
import type { ServerContext } from '../../context.js';
import { AccountSessions } from '../../login/index.js';
import { AccountFactors, buildFactorServices } from '../../mfa/index.js';
import { oauthModuleOf } from '../../oauth/registry.js';
import { registerApiKeyPages } from './api-keys.js';
import { registerConnectedAppsPages } from './connected-apps.js';
import { registerOverviewPage } from './overview.js';
import { registerPasskeyLoginPage } from './passkey-login.js';
import { registerSecurityPages } from './security.js';
import { registerSessionPages } from './sessions.js';

export { ACCOUNT_FORM_ROUTES } from './access.js';

/**
 * Registers `GET /account`, `/account/sessions` (+ `revoke`, `revoke-others`), `/account/api-keys` (+ create,
 * `revoke`), `/account/security` (+ `backup-codes`, `passkeys/remove`), `/account/connected-apps` (+ `revoke`) and
 * `GET /login/passkey` on `ctx.app`.
 * The services are built from the server's context exactly as the modules build them for their JSON routes, so a page
 * and its route share one implementation (and one set of stores, keys and events).
 *
 * Protects against the threats each page names: anonymous use, IDOR, sensitive changes without a recent full
 * authentication, secrets in caches, markup injection and cross-site posts.
 */
export function registerAccountPages(ctx: ServerContext): void {
  const { app, clock } = ctx;
  const factors = new AccountFactors(buildFactorServices(ctx));
  registerOverviewPage(app, { db: ctx.db, factors });
  registerSessionPages(app, new AccountSessions(ctx.sessions));
  registerApiKeyPages(app, accountApiKeys(ctx), clock);
  registerSecurityPages(app, factors, clock);
  registerPasskeyLoginPage(app, factors);
  registerConnectedAppsPages(app, () => oauthModuleOf(app).grants);
}
