/**
 * Administration of the server: accounts (list, inspect, lock, unlock), their sessions and API keys, the audit trail
 * (entries, signed heads, inclusion proofs, verification), and the first administrator. See README.md beside this file.
 */
import type { AuditLog } from '@rampart/core/audit';
import type { SecondFactors, TokenIssuer } from '../auth/contracts.js';
import { auditPublicKeys } from '../audit-trail.js';
import { serverApiKeys } from '../authz/api-keys/keys.js';
import { ADMIN_ROLE, type AuthzModule } from '../authz/index.js';
import type { ServerContext } from '../context.js';
import type { OAuthClientStore } from '../oauth/clients.js';
import { createAdministrator, firstAdminEmail, UNREPORTED_PREFIX } from './administrators.js';
import { AuditAdmin } from './audit.js';
import { registerAuditRoutes } from './audit-routes.js';
import { reportCliEvents } from './cli-events.js';
import { registerClientRoutes } from './client-routes.js';
import { adminEvents, type AdminEvents } from './events.js';
import { enforcePasswordChange } from './password-change.js';
import { registerUserRoutes } from './user-routes.js';
import { AdminUsers } from './users.js';

export { createAdministrator, firstAdminEmail, isLoginAddress, oneTimePassword, recordUnreported, type AdministratorDeps, type AdministratorOutcome } from './administrators.js';
export { passwordChangeRequired } from './password-change.js';
export { recordCliEvent, type CliEvent } from './cli-events.js';

/**
 * Told once, to the operator's terminal (the CLI prints it to stderr), when the server created the first
 * administrator. Carries the one-time password: it must never reach the JSON logs or the audit trail.
 */
export interface AdminCreatedNotice {
  readonly kind: 'admin-created';
  readonly email: string;
  readonly password: string;
}

/** What the administration module needs from the other modules. */
export interface AdminDeps {
  readonly authz: AuthzModule;
  readonly tokens: TokenIssuer;
  readonly factors: SecondFactors;
  /** This instance's audit trail (`RampartServer.audit`). */
  readonly audit: AuditLog;
  /** Where the first administrator's one-time password goes (once): `CreateServerOptions.notify`. */
  readonly notify?: ((notice: AdminCreatedNotice) => void) | undefined;
  /** The OAuth module's client store: `/v1/admin/oauth/clients` is registered when given. */
  readonly oauthClients?: OAuthClientStore | undefined;
}

/** What the administration module gives the server. */
export interface AdminModule {
  readonly users: AdminUsers;
  readonly audit: AuditAdmin;
  /** The first administrator created by this start, if this process created it (its id; never the password). */
  readonly createdAdministrator: string | undefined;
}

/**
 * Puts administrators created by `rampart admin create` since the last start into the trail: each row is deleted by
 * one conditional DELETE before its event is emitted, so of several instances starting together exactly one reports it.
 */
async function reportCliCreations(ctx: ServerContext, events: AdminEvents): Promise<void> {
  const rows = await ctx.db.selectFrom('rampart_meta').select(['key', 'value']).where('key', 'like', `${UNREPORTED_PREFIX}%`).limit(100).execute();
  for (const row of rows) {
    const deleted = await ctx.db.deleteFrom('rampart_meta').where('key', '=', row.key).where('value', '=', row.value).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) continue;
    const userId = row.key.slice(UNREPORTED_PREFIX.length);
    let facts: { promoted?: unknown; at?: unknown } = {};
    try {
      facts = JSON.parse(row.value) as { promoted?: unknown; at?: unknown };
    } catch {
      // A row this module did not write: reported with what is known.
    }
    events('account.created', userId, { how: 'cli', promoted: facts.promoted === true, ...(typeof facts.at === 'string' ? { createdAt: facts.at } : {}) });
    events('authz.role.granted', userId, { role: ADMIN_ROLE, global: true, grantedBy: 'cli' });
  }
}

/**
 * Builds the administration module and registers its routes on `ctx.app` (every one under `/v1/admin`, behind the
 * authz module's `requireAdmin`), the hook that holds one-time passwords to a change, and — on a database where no
 * account holds the administrator role — creates the first administrator, whose one-time password goes to `notify`
 * only. Call after the login module (its routes are the ones a one-time password may still use).
 *
 * Protects against: a fresh deployment without any way to administer it, or with two first administrators (one
 * conditional insert decides between instances); one-time passwords in logs or the trail; see the routes for the rest.
 */
export async function createAdminModule(ctx: ServerContext, deps: AdminDeps): Promise<AdminModule> {
  const { app, database, clock } = ctx;
  const events = adminEvents(ctx.events, clock);
  const keys = serverApiKeys(database, ctx.ring, clock, ctx.events);
  const users = new AdminUsers({ database, sessions: ctx.sessions, tokens: deps.tokens, keys, factors: deps.factors, clock });
  const publicKeys = auditPublicKeys(ctx.kek);
  const audit = new AuditAdmin(deps.audit, publicKeys, ctx.config.instanceId);
  const requireAdmin = deps.authz.requireAdmin;

  enforcePasswordChange(app, ctx.db);
  registerUserRoutes(app, { users, sessions: ctx.sessions, keys, requireAdmin, events });
  registerAuditRoutes(app, { audit, publicKeys, requireAdmin, events });
  if (deps.oauthClients !== undefined) registerClientRoutes(app, { clients: deps.oauthClients, requireAdmin, events });

  await reportCliCreations(ctx, events);
  await reportCliEvents(database, events);
  const first = await createAdministrator({ database, hasher: ctx.hasher, clock }, { email: firstAdminEmail(ctx.publicUrl), how: 'first_start' });
  let createdAdministrator: string | undefined;
  if (first.kind === 'created') {
    createdAdministrator = first.userId;
    events('account.created', first.userId, { how: 'first_start' });
    events('authz.role.granted', first.userId, { role: ADMIN_ROLE, global: true, grantedBy: 'first_start' });
    app.log.warn({ userId: first.userId }, 'first start: administrator account created; its one-time password was shown once to the operator');
    deps.notify?.({ kind: 'admin-created', email: first.email, password: first.password });
  } else if (first.kind === 'address_taken') {
    app.log.warn('first start: no administrator created, the address is taken by another account; run `rampart admin create --email <address>`');
  }
  return { users, audit, createdAdministrator };
}
