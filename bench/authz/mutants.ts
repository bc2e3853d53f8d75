// Deliberately wrong engines. Each drops one rule of the semantics; the cross-check over the query stream must catch
// every one of them, which is the proof that "every contender agrees with the oracle" means something.
import { effectiveRoles, type AuthzModel, type Checker, type Rule } from './model.js';

export const FLAWS = [
  'no-tenant-isolation',
  'no-inheritance',
  'owner-condition-ignored',
  'draft-condition-ignored',
  'allow-overrides-deny',
  'default-allow',
] as const;
export type Flaw = (typeof FLAWS)[number];

/** A checker with exactly one flaw (see `FLAWS`), otherwise the oracle's semantics. */
export function flawedChecker(model: AuthzModel, flaw: Flaw): Checker {
  const byPermission = new Map<string, Rule[]>();
  for (const rule of model.rules) {
    const key = `${rule.kind}:${rule.action}`;
    const list = byPermission.get(key);
    if (list === undefined) byPermission.set(key, [rule]);
    else list.push(rule);
  }
  const held = new Map(model.users.map((user) => [user.id, flaw === 'no-inheritance' ? new Set(user.roles) : effectiveRoles(model, user)]));
  return (user, action, resource) => {
    if (flaw !== 'no-tenant-isolation' && resource.tenant !== user.tenant) return false;
    const roles = held.get(user.id) ?? new Set<string>();
    const relevant = (byPermission.get(`${resource.kind}:${action}`) ?? []).filter((rule) => roles.has(rule.role));
    if (flaw === 'default-allow' && relevant.length === 0) return true;
    const matching = relevant.filter(
      (rule) =>
        rule.condition === 'none' ||
        (rule.condition === 'owner' && (flaw === 'owner-condition-ignored' || resource.owner === user.id)) ||
        (rule.condition === 'draft' && (flaw === 'draft-condition-ignored' || resource.status === 'draft')),
    );
    const allowed = matching.some((rule) => rule.effect === 'allow');
    if (flaw === 'allow-overrides-deny') return allowed;
    return allowed && !matching.some((rule) => rule.effect === 'deny');
  };
}
