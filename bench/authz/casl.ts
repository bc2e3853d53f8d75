// The abstract model in CASL. CASL has no role hierarchy and no tenants: an app flattens the user's roles (assigned
// and inherited) into one Ability at login and keeps it, and scopes it to the user's tenant itself. Both are done
// here once, up front, the cheapest way for CASL: the tenant check is one string comparison in front of `can()`
// rather than a `{ tenant }` condition on every rule, so unconditional rules stay on CASL's fast path.
import { AbilityBuilder, createMongoAbility, type MongoAbility, type MongoQuery } from '@casl/ability';
import { effectiveRoles, type AuthzModel, type Checker, type Condition, type Resource, type Rule, type User } from './model.js';

/** Actions are strings; subjects are resource objects, typed by their `kind`. */
export type BenchAbility = MongoAbility<[string, string | Resource], MongoQuery<Resource>>;

function conditions(condition: Condition, user: User): MongoQuery<Resource> | undefined {
  switch (condition) {
    case 'none':
      return undefined;
    case 'owner':
      return { owner: user.id };
    case 'draft':
      return { status: 'draft' };
  }
}

const detectSubjectType = (resource: string | Resource): string => (typeof resource === 'string' ? resource : resource.kind);

/**
 * One user's Ability: every rule of every role the user holds. CASL lets the last matching rule win, so all grants
 * come first and all denies (`cannot`) after them: any matching deny then overrides any matching grant.
 */
export function buildAbility(model: AuthzModel, user: User, rulesByRole: ReadonlyMap<string, readonly Rule[]>): BenchAbility {
  const builder = new AbilityBuilder<BenchAbility>(createMongoAbility);
  const seen = new Set<string>();
  const rules = [...effectiveRoles(model, user)].flatMap((role) => rulesByRole.get(role) ?? []).filter((rule) => {
    // The same rule reached through two roles would only make CASL test it twice.
    const key = `${rule.kind}|${rule.action}|${rule.effect}|${rule.condition}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  for (const rule of rules) {
    if (rule.effect === 'allow') builder.can(rule.action, rule.kind, conditions(rule.condition, user));
  }
  for (const rule of rules) {
    if (rule.effect === 'deny') builder.cannot(rule.action, rule.kind, conditions(rule.condition, user));
  }
  return builder.build({ detectSubjectType });
}

/** The CASL contender: the cached per-user abilities and the check an app would run with them. */
export interface CaslContender {
  readonly abilities: ReadonlyMap<string, BenchAbility>;
  /** Tenant check, then `ability.can(action, resource)`; an unknown user is denied. */
  readonly can: Checker;
}

/** Builds (and caches) one Ability per user of the model. */
export function buildCasl(model: AuthzModel): CaslContender {
  const rulesByRole = new Map<string, Rule[]>();
  for (const rule of model.rules) {
    const list = rulesByRole.get(rule.role);
    if (list === undefined) rulesByRole.set(rule.role, [rule]);
    else list.push(rule);
  }
  const abilities = new Map(model.users.map((user) => [user.id, buildAbility(model, user, rulesByRole)]));
  const can: Checker = (user, action, resource) => {
    if (resource.tenant !== user.tenant) return false;
    const ability = abilities.get(user.id);
    return ability !== undefined && ability.can(action, resource);
  };
  return { abilities, can };
}
