// The abstract model in node-casbin: RBAC with a role hierarchy (`g`), deny-overrides effect, and an ABAC matcher for
// tenant isolation, ownership and the draft condition. The request carries the user and the resource as objects, as
// casbin's ABAC documentation does (`r.sub.Owner`).
import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin';
import type { AuthzModel, Resource, User } from './model.js';

/**
 * The casbin model. The matcher tests the cheap string equalities first so casbin's short-circuit skips the role
 * lookup and the conditions on most policy lines (casbin evaluates the matcher once per policy line, every check).
 */
export const CASBIN_MODEL = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, cond, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = r.obj.kind == p.obj && r.act == p.act && r.sub.tenant == r.obj.tenant && g(r.sub.id, p.sub) && (p.cond == "none" || (p.cond == "owner" && r.obj.owner == r.sub.id) || (p.cond == "draft" && r.obj.status == "draft"))
`;

// Identifiers go into casbin's CSV policy unquoted; anything but these characters could split or inject a field.
const CSV_SAFE = /^[\w.:-]+$/;

function field(value: string): string {
  if (!CSV_SAFE.test(value)) throw new Error(`casbin policy: identifier ${JSON.stringify(value.slice(0, 40))} is not CSV-safe`);
  return value;
}

/** The policy as casbin CSV: `p` lines for every rule, `g` lines for user→role assignments and role→role inheritance. */
export function casbinPolicy(model: AuthzModel): string {
  const lines: string[] = [];
  for (const rule of model.rules) {
    lines.push(['p', rule.role, rule.kind, rule.action, rule.condition, rule.effect].map(field).join(', '));
  }
  for (const role of model.roles) {
    for (const inherited of role.inherits) lines.push(['g', role.id, inherited].map(field).join(', '));
  }
  for (const user of model.users) {
    for (const role of user.roles) lines.push(['g', user.id, role].map(field).join(', '));
  }
  return lines.join('\n');
}

/** The casbin contender: both entry points a casbin app can call. */
export interface CasbinContender {
  readonly enforcer: Enforcer;
  /** `enforcer.enforce()`: the documented, awaited entry point. */
  readonly enforce: (user: User, action: string, resource: Resource) => Promise<boolean>;
  /** `enforcer.enforceSync()`: the synchronous one (valid here: the matcher calls no async function). */
  readonly enforceSync: (user: User, action: string, resource: Resource) => boolean;
}

/** Builds an in-memory casbin enforcer for the model (policy loaded once through `StringAdapter`). */
export async function buildCasbin(model: AuthzModel): Promise<CasbinContender> {
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL), new StringAdapter(casbinPolicy(model)));
  return {
    enforcer,
    enforce: (user, action, resource) => enforcer.enforce(user, resource, action),
    enforceSync: (user, action, resource) => enforcer.enforceSync(user, resource, action),
  };
}
