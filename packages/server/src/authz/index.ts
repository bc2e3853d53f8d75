import type { Principal } from '@rampart/core/authz';
import type { Authenticator } from '../auth/authenticate.js';
import type { Identity } from '../auth/identity.js';
import type { ServerContext } from '../context.js';
import { ADMIN_ROLE, adminGuard, type RequireAdmin } from './admin.js';
import { AccountApiKeys } from './api-keys/account-keys.js';
import { apiKeyAuthenticator } from './api-keys/authenticator.js';
import { serverApiKeys } from './api-keys/keys.js';
import { registerApiKeyRoutes } from './api-keys/routes.js';
import { RoleBindings } from './bindings.js';
import { DecisionAudit } from './decisions/audit.js';
import { registerDecisionRoutes } from './decisions/routes.js';
import { eventEmitter } from './events.js';
import { ActivePolicy, type PolicySnapshot } from './policies/active.js';
import { DEFAULT_POLICY_DOCUMENT } from './policies/default-policy.js';
import { PolicyRepository } from './policies/repository.js';
import { registerPolicyRoutes } from './policies/routes.js';
import { registerRoleBindingRoutes } from './role-binding-routes.js';

export { ADMIN_ROLE, ADMIN_SCOPE, type AdminAction, type RequireAdmin } from './admin.js';
export { AccountApiKeys, accountApiKeys, API_KEY_MIN_TTL_MS, type ApiKeyCreation, type ApiKeyRequest, type CreatedApiKey } from './api-keys/account-keys.js';
export { API_KEY_DEFAULT_TTL_MS, API_KEY_MAX_TTL_MS, API_KEY_SCOPES, MAX_LIVE_KEYS_PER_USER, serverApiKeys, type ApiKeyScope } from './api-keys/keys.js';
export type { PolicySnapshot } from './policies/active.js';

/** What the authorization module gives the server. */
export interface AuthzModule {
  /** Authenticates `Authorization: Bearer rpk_…` API keys. */
  readonly authenticator: Authenticator;
  /**
   * The authorization principal of an identity, from its role bindings: `roles` bound in `homeTenant` (when given),
   * `tenantRoles` for the other tenants, `globalRoles` for global bindings.
   */
  principalFor(identity: Identity, homeTenant?: string): Promise<Principal>;
  /**
   * The guard of every administrative route (this module's and the users, sessions and audit routes to come):
   * a session or access token, the global `admin` role, and for `write` a step-up within 10 minutes. Throws the
   * 401/403 problem; resolves with the administrator's identity.
   */
  readonly requireAdmin: RequireAdmin;
  /**
   * Binds the global `admin` role to an account (first start, `rampart admin create`). `true` when bound now, `false`
   * when it already was; throws for an unknown account. Emits `authz.role.granted` with `grantedBy: "cli"`.
   */
  grantAdmin(userId: string): Promise<boolean>;
  /** The policy set in force now (the decision API's; not the server's own administration policy). */
  readonly policy: PolicySnapshot;
  /** Looks for an activation made by another instance now instead of at the next poll. */
  refreshPolicy(): Promise<PolicySnapshot>;
}

/**
 * Builds the authorization module — API keys, role bindings, versioned policies with hot reload, the decision API —
 * and registers its routes on `ctx.app`. Seeds policy version 1 (a default-deny document) on first start; refuses to
 * start when the active version does not compile (fail closed).
 */
export async function createAuthzModule(ctx: ServerContext): Promise<AuthzModule> {
  const { app, database, clock } = ctx;
  const emit = eventEmitter(ctx.events, clock);
  const bindings = new RoleBindings(database, clock);
  const repository = new PolicyRepository(database, clock);
  await repository.seed(DEFAULT_POLICY_DOCUMENT, 'yaml');
  const active = await ActivePolicy.open({
    repository,
    events: ctx.events,
    clock,
    onPollError: (error) => {
      app.log.warn({ err: error }, 'authz: polling the active policy failed; the loaded set keeps deciding');
    },
  });
  const audit = new DecisionAudit(emit, clock);
  const keys = serverApiKeys(database, ctx.ring, clock, ctx.events);
  const requireAdmin = adminGuard(bindings, emit, clock);

  registerApiKeyRoutes(app, new AccountApiKeys(keys, clock), clock);
  registerRoleBindingRoutes(app, { bindings, requireAdmin, emit });
  registerPolicyRoutes(app, { repository, active, requireAdmin, emit });
  registerDecisionRoutes(app, { active, audit, clock });
  app.addHook('onClose', async () => {
    audit.flush();
    await active.close();
  });

  return {
    authenticator: apiKeyAuthenticator({ keys, database, emit, clock, store: ctx.rateLimits }),
    principalFor: (identity, homeTenant) => bindings.principal(identity.userId, homeTenant),
    requireAdmin,
    async grantAdmin(userId) {
      const outcome = await bindings.grant(userId, ADMIN_ROLE, { global: true }, undefined);
      if (outcome === 'unknown_user') throw new Error(`no account ${userId}`);
      if (outcome === 'limit') throw new Error(`account ${userId} holds too many role bindings`);
      if (outcome === 'granted') emit('authz.role.granted', userId, { role: ADMIN_ROLE, global: true, grantedBy: 'cli' });
      return outcome === 'granted';
    },
    get policy() {
      return active.snapshot;
    },
    refreshPolicy: () => active.refresh(),
  };
}
