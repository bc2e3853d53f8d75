// Rampart's contender: the abstract model as one Rampart policy document, compiled once, and `Authorizer.check`.
//   - a role's unconditional grants become its `permissions` (`kind:action`), inheritance its `inherits`;
//   - deny rules and conditional grants become resource rules (`owner`: `resource.owner == principal.id`, `draft`:
//     `resource.attributes.status == "draft"`), naming the role (the engine extends a rule to every role inheriting it);
//   - tenants are role bindings: a user's roles hold in the user's tenant only, so a cross-tenant resource is denied
//     with `no_role_in_tenant` before any rule is read.
// The model's users and resources are turned into Rampart's `Principal` / `Resource` once and looked up (users by id,
// resources converted before timing: what an application does when it loads them), so the timed call is the check itself, as for CASL's cached abilities.
import { Authorizer, compilePolicies, type Principal, type Resource as RampartResource } from '../../packages/core/src/authz/index.js';
import type { AuthzModel, CheckerFactory, Resource, Rule, User } from './model.js';

const CONDITIONS = { owner: 'resource.owner == principal.id', draft: 'resource.attributes.status == "draft"' } as const;

export function policyDocument(model: AuthzModel): Record<string, unknown> {
  const roles: Record<string, { inherits: string[]; permissions: string[] }> = {};
  for (const role of model.roles) roles[role.id] = { inherits: [...role.inherits], permissions: [] };
  const rulesByKind = new Map<string, Record<string, unknown>[]>();
  model.rules.forEach((rule: Rule, index) => {
    if (rule.effect === 'allow' && rule.condition === 'none') {
      roles[rule.role]?.permissions.push(`${rule.kind}:${rule.action}`);
      return;
    }
    const list = rulesByKind.get(rule.kind) ?? [];
    rulesByKind.set(rule.kind, list);
    list.push({
      name: `r${index}`,
      effect: rule.effect,
      roles: [rule.role],
      actions: [rule.action],
      ...(rule.condition === 'none' ? {} : { condition: CONDITIONS[rule.condition] }),
    });
  });
  const resources: Record<string, unknown> = {};
  for (const kind of model.kinds) resources[kind] = { actions: [...model.actions], rules: rulesByKind.get(kind) ?? [] };
  return { apiVersion: 'rampart.authz/v1', name: `bench-${model.size}`, version: String(model.seed), roles, resources };
}

/** Rampart's inputs for one query: the model's user (looked up by id per check, as CASL looks up its ability) and the resource as the app loaded it. */
export interface RampartQuery {
  readonly user: User;
  readonly action: string;
  readonly resource: RampartResource;
}

/** The model's resource in Rampart's shape: the attribute conditions read go under `attributes`. */
export const toRampartResource = (resource: Resource): RampartResource => ({
  kind: resource.kind,
  id: resource.id,
  owner: resource.owner,
  tenant: resource.tenant,
  attributes: { status: resource.status },
});

/** The authorizer for the model and its check over Rampart-shaped queries (the timed form, see index.ts). */
export function rampartChecker(model: AuthzModel): (user: User, action: string, resource: RampartResource) => boolean {
  const authorizer = new Authorizer(compilePolicies([{ source: `bench-${model.size}.json`, document: policyDocument(model) }]));
  // Principals by user id, as CASL's contender keeps its abilities: one map lookup per check on both sides.
  const principals = new Map<string, Principal>(model.users.map((user) => [user.id, { id: user.id, tenant: user.tenant, roles: user.roles }]));
  return (user, action, resource) => {
    const principal = principals.get(user.id);
    return principal !== undefined && authorizer.check(principal, action, resource).allowed;
  };
}

/** The cross-check form: converts each model resource (remembered by identity) and checks. */
export const rampartFactory: CheckerFactory = (model) => {
  const check = rampartChecker(model);
  const resources = new WeakMap<Resource, RampartResource>();
  return (user, action, resource) => {
    let converted = resources.get(resource);
    if (converted === undefined) {
      converted = toRampartResource(resource);
      resources.set(resource, converted);
    }
    return check(user, action, converted);
  };
};
