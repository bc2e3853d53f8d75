import type { ConditionProgram } from '../cel/condition.js';
import type { Decision } from '../model.js';
import type { CompiledRule } from '../policy/types.js';
import { prebuiltDecision } from './decision.js';
import type { VerdictTable } from './verdicts.js';

/** Up to this many roles, role membership is a byte per role; beyond, a set (memory stays linear in the rules). */
const DENSE_ROLE_LIMIT = 4096;

/** Which bound roles (by index) satisfy something, inheritance already expanded. */
export class RoleMembership {
  readonly #dense: Uint8Array | undefined;
  readonly #sparse: ReadonlySet<number> | undefined;

  constructor(members: Iterable<number>, roleCount: number) {
    if (roleCount <= DENSE_ROLE_LIMIT) {
      const dense = new Uint8Array(roleCount);
      for (const member of members) dense[member] = 1;
      this.#dense = dense;
    } else {
      this.#sparse = new Set(members);
    }
  }

  has(role: number): boolean {
    return this.#dense !== undefined ? this.#dense[role] === 1 : this.#sparse?.has(role) === true;
  }
}

export interface RuntimeDerivedRole {
  readonly index: number;
  readonly name: string;
  /** Names the derived role in condition errors. */
  readonly label: string;
  readonly policy: string;
  readonly parents: RoleMembership;
  /** The same roles as a list of indexes. */
  readonly parentIndexes: readonly number[];
  readonly condition: ConditionProgram;
}

export interface RuntimeRule {
  readonly info: CompiledRule;
  /** `info.name`, kept on the rule: condition errors name it without touching `info` on the hot path. */
  readonly label: string;
  /** Position in document order across the set: the lower one decides when several rules allow. */
  readonly order: number;
  /** Bound roles that satisfy the rule directly or by inheritance; `undefined` when only derived roles or `*` do. */
  readonly roles: RoleMembership | undefined;
  /** The same roles as a list of indexes. */
  readonly roleIndexes: readonly number[];
  readonly anyRole: boolean;
  readonly derived: readonly RuntimeDerivedRole[];
  /** By field index of the kind: 1 when the rule names the field. `undefined`: the rule covers every field. */
  readonly fields: Uint8Array | undefined;
  readonly condition: ConditionProgram | undefined;
  /** The prebuilt decision this rule returns (allow or deny). */
  readonly decision: Decision;
}

/** Everything a check needs for one resource kind and action, built at load. */
export interface ActionPlan {
  readonly kind: string;
  readonly action: string;
  /** Deny rules, document order. */
  readonly denies: readonly RuntimeRule[];
  /**
   * Role index → the first unconditional, all-fields allow rule that role satisfies: RBAC decided by one array read
   * per bound role, no CEL. A holey array: V8 keeps it compact when few roles are granted.
   */
  readonly directAllow: readonly (RuntimeRule | undefined)[];
  /** The first unconditional, all-fields allow rule for `*` (any role in the tenant). */
  readonly anyRoleAllow: RuntimeRule | undefined;
  /** Allow rules that need more than a role lookup (a condition, a derived role, a field list), document order. */
  readonly otherAllows: readonly RuntimeRule[];
  /** Every allow rule, document order (for `explain`). */
  readonly allows: readonly RuntimeRule[];
  /** Token scopes that cover this action. */
  readonly scopes: ReadonlySet<string>;
  /** Public view, evaluation order: denies, then allows. */
  readonly rules: readonly CompiledRule[];
  /** Where this plan's row starts in the index's verdict table (`plan number × role count`). */
  readonly verdictRow: number;
}

export interface KindPlan {
  readonly kind: string;
  readonly actions: ReadonlyMap<string, ActionPlan>;
  readonly fieldIndex: ReadonlyMap<string, number>;
  readonly fields: readonly string[];
  /** By field index: the `field_not_allowed` decision naming that field. */
  readonly fieldDenied: readonly Decision[];
}

/** Decisions that no rule makes, prebuilt per policy set. */
export interface FixedDecisions {
  readonly noRuleMatched: Decision;
  readonly noRoleInTenant: Decision;
  readonly scopeNotGranted: Decision;
  readonly unknownResourceKind: Decision;
  readonly unknownAction: Decision;
  readonly unknownField: Decision;
  readonly invalidRequest: Decision;
}

export interface RuntimeIndex {
  readonly version: string;
  readonly kinds: ReadonlyMap<string, KindPlan>;
  /** Every action name of every kind → its number in `planNumbers`. */
  readonly actionNumbers: ReadonlyMap<string, number>;
  /** Kind name → its number in `kindList`. */
  readonly kindNumbers: ReadonlyMap<string, number>;
  readonly kindList: readonly KindPlan[];
  /** Every plan, numbered; `plans[n].verdictRow === n × roleCount`. */
  readonly plans: readonly ActionPlan[];
  /**
   * `planNumbers[kindNumber × actionNumbers.size + actionNumber]`: the plan's number, or -1 when the kind lacks the
   * action. A check that names no fields or scopes reaches the verdict table through this and two hot maps, without
   * touching the kind's or the plan's objects.
   */
  readonly planNumbers: Int32Array;
  readonly roleCount: number;
  readonly roleIndex: ReadonlyMap<string, number>;
  readonly roleNames: readonly string[];
  /** By role index: 1 when the role may be bound globally. */
  readonly roleGlobal: Uint8Array;
  /** By role index: the role and its ancestors, as indexes. */
  readonly ancestors: readonly ReadonlySet<number>[];
  readonly derived: readonly RuntimeDerivedRole[];
  readonly decisions: FixedDecisions;
  /** Precomputed decisions by plan and role (see verdicts.ts); `undefined` for policy sets too large to tabulate. */
  readonly verdicts: VerdictTable | undefined;
}

export function fixedDecisions(version: string): FixedDecisions {
  return {
    noRuleMatched: prebuiltDecision('no_rule_matched', version),
    noRoleInTenant: prebuiltDecision('no_role_in_tenant', version),
    scopeNotGranted: prebuiltDecision('scope_not_granted', version),
    unknownResourceKind: prebuiltDecision('unknown_resource_kind', version),
    unknownAction: prebuiltDecision('unknown_action', version),
    unknownField: prebuiltDecision('unknown_field', version),
    invalidRequest: prebuiltDecision('invalid_request', version),
  };
}

/** Builds the plan of one kind and action from its rules (already in document order). */
export function buildActionPlan(kind: string, action: string, rules: readonly RuntimeRule[], scopes: ReadonlySet<string>, verdictRow: number): ActionPlan {
  const denies = rules.filter((rule) => rule.info.effect === 'deny');
  const allows = rules.filter((rule) => rule.info.effect === 'allow');
  const directAllow: (RuntimeRule | undefined)[] = [];
  let anyRoleAllow: RuntimeRule | undefined;
  const otherAllows: RuntimeRule[] = [];
  for (const rule of allows) {
    const direct = rule.condition === undefined && rule.fields === undefined;
    if (!direct || rule.derived.length > 0) otherAllows.push(rule);
    if (!direct) continue;
    if (rule.anyRole) anyRoleAllow ??= rule;
    for (const role of rule.roleIndexes) directAllow[role] ??= rule;
  }
  return Object.freeze({
    kind,
    action,
    denies,
    directAllow,
    anyRoleAllow,
    otherAllows,
    allows,
    scopes,
    rules: Object.freeze([...denies, ...allows].map((rule) => rule.info)),
    verdictRow,
  });
}
