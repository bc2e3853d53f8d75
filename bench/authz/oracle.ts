// The reference decision: the semantics every contender must reproduce, written as plainly as possible (a scan over
// every rule, a fresh walk of the hierarchy) so that it is obviously right rather than fast. It is the oracle of the
// cross-check, never timed.
import type { AuthzModel, Checker, Query, Resource, Rule, User } from './model.js';

/** Why the oracle decided as it did; the cross-check uses these to prove the stream exercises every path. */
export type Reason =
  | 'cross-tenant' // the resource belongs to another tenant: denied before any rule is read
  | 'denied' // a deny rule of one of the user's roles matches (deny overrides allow)
  | 'allowed-direct' // an allow rule of a directly assigned role matches, no deny does
  | 'allowed-inherited' // only allow rules of inherited roles match, no deny does
  | 'condition-unmet' // allow rules exist for this kind:action, but none of their conditions holds
  | 'no-grant'; // no rule of the user's roles mentions this kind:action: default deny

export interface Decision {
  readonly allow: boolean;
  readonly reason: Reason;
}

function holdsRoles(model: AuthzModel, user: User): Set<string> {
  const held = new Set<string>();
  const pending = [...user.roles];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (held.has(id)) continue;
    held.add(id);
    const role = model.roles.find((r) => r.id === id);
    if (role !== undefined) pending.push(...role.inherits);
  }
  return held;
}

function conditionHolds(rule: Rule, user: User, resource: Resource): boolean {
  switch (rule.condition) {
    case 'none':
      return true;
    case 'owner':
      return resource.owner === user.id;
    case 'draft':
      return resource.status === 'draft';
  }
}

/** Decides a query: tenant isolation, then default deny, role inheritance, conditions, deny overrides allow. */
export function decide(model: AuthzModel, user: User, action: string, resource: Resource): Decision {
  if (resource.tenant !== user.tenant) return { allow: false, reason: 'cross-tenant' };
  const held = holdsRoles(model, user);
  const relevant = model.rules.filter((rule) => held.has(rule.role) && rule.kind === resource.kind && rule.action === action);
  const matching = relevant.filter((rule) => conditionHolds(rule, user, resource));
  if (matching.some((rule) => rule.effect === 'deny')) return { allow: false, reason: 'denied' };
  const allows = matching.filter((rule) => rule.effect === 'allow');
  if (allows.length > 0) {
    return { allow: true, reason: allows.some((rule) => user.roles.includes(rule.role)) ? 'allowed-direct' : 'allowed-inherited' };
  }
  if (relevant.some((rule) => rule.effect === 'allow')) return { allow: false, reason: 'condition-unmet' };
  return { allow: false, reason: 'no-grant' };
}

/** The expected answer to one query of the stream. */
export function expected(model: AuthzModel, query: Query): boolean {
  return decide(model, query.user, query.action, query.resource).allow;
}

/** The oracle as a `Checker`, so it can stand in the cross-check like any contender. */
export function oracle(model: AuthzModel): Checker {
  return (user, action, resource) => decide(model, user, action, resource).allow;
}
