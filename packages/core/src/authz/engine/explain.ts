import { AuthzEvaluationError } from '../errors.js';
import type { CheckContext, Decision, Principal, Resource } from '../model.js';
import type { RuntimeIndex, RuntimeRule } from './runtime-index.js';
import type { CheckState } from './state.js';

/** Outcome of one condition in a trace. */
export type ConditionOutcome = 'absent' | 'true' | 'false' | 'error' | 'not_evaluated';

/** How a rule's field list relates to the request. */
export type FieldsOutcome =
  /** The rule has no field list: it covers every field. */
  | 'unrestricted'
  /** The request names no fields, so it counts as touching all of them: a field-restricted allow does not apply, a deny does. */
  | 'request_touches_all'
  /** Every requested field is in the rule's list. */
  | 'all_requested'
  /** Some requested fields are in the rule's list. */
  | 'some_requested'
  /** No requested field is in the rule's list. */
  | 'none_requested';

/** One rule as `explain()` saw it. */
export interface RuleTrace {
  readonly rule: string;
  readonly policy: string;
  readonly effect: 'allow' | 'deny';
  /** Whether this rule's decision is the one `check()` returned. */
  readonly decisive: boolean;
  /** How the principal satisfies the rule's roles, if at all. */
  readonly roleMatch: 'role' | 'any_role' | 'derived_role' | 'none';
  /** The bound role or derived role through which the rule applies. */
  readonly matchedRole: string | undefined;
  readonly fields: FieldsOutcome;
  /** `not_evaluated` when roles did not match (the condition is irrelevant then). */
  readonly condition: ConditionOutcome;
  readonly error: AuthzEvaluationError | undefined;
  /** Roles, fields and condition all match: the rule applies to this request. */
  readonly matched: boolean;
}

/** A derived role as `explain()` saw it. */
export interface DerivedRoleTrace {
  readonly name: string;
  readonly outcome: 'no_parent_role' | 'true' | 'false' | 'error';
  readonly error: AuthzEvaluationError | undefined;
}

/** The full trace of one check. */
export interface Explanation {
  /** Exactly what `check()` returns for the same input, with its evaluation time. */
  readonly decision: Decision;
  readonly policyVersion: string;
  readonly kind: string;
  readonly action: string;
  /** Roles bound in the resource's tenant that the policy declares. */
  readonly boundRoles: readonly string[];
  /** Bound roles and everything they inherit. */
  readonly effectiveRoles: readonly string[];
  readonly derivedRoles: readonly DerivedRoleTrace[];
  /** Scopes that cover the action, and whether the token's scopes (if any) include one of them. */
  readonly scopes: { readonly covering: readonly string[]; readonly tokenScopes: readonly string[] | undefined; readonly granted: boolean };
  /** Every rule for the kind and action, in evaluation order (denies, then allows). Empty when the request never reached the rules. */
  readonly rules: readonly RuleTrace[];
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}

function attempt(evaluate: () => boolean): { outcome: 'true' | 'false' | 'error'; error: AuthzEvaluationError | undefined } {
  try {
    return { outcome: evaluate() ? 'true' : 'false', error: undefined };
  } catch (error) {
    if (error instanceof AuthzEvaluationError) return { outcome: 'error', error };
    throw error;
  }
}

function fieldsOutcome(rule: RuntimeRule, state: CheckState, requested: readonly string[] | undefined): FieldsOutcome {
  if (rule.fields === undefined) return 'unrestricted';
  if (requested === undefined) return 'request_touches_all';
  let hits = 0;
  for (let i = 0; i < state.fieldCount; i += 1) if (rule.fields[state.fields[i] ?? 0] === 1) hits += 1;
  if (hits === 0) return 'none_requested';
  return hits === state.fieldCount ? 'all_requested' : 'some_requested';
}

/** Builds the trace for `explain()`; the decision was already made by the engine and is only attached. */
export function explainCheck(
  index: RuntimeIndex,
  state: CheckState,
  decision: Decision,
  principal: Principal,
  action: string,
  resource: Resource,
  context: CheckContext | undefined,
): Explanation {
  const base = {
    decision,
    policyVersion: index.version,
    kind: isRecord(resource) && typeof resource.kind === 'string' ? resource.kind : '',
    action: typeof action === 'string' ? action : '',
  };
  const kind = index.kinds.get(base.kind);
  const plan = kind?.actions.get(base.action);
  const tokenScopes: readonly unknown[] | undefined = Array.isArray(context?.scopes) ? context.scopes : undefined;
  const covering = plan === undefined ? [] : [...plan.scopes].sort();
  const scopes = {
    covering,
    tokenScopes: tokenScopes?.filter((s): s is string => typeof s === 'string'),
    granted: tokenScopes === undefined || tokenScopes.some((s) => typeof s === 'string' && covering.includes(s)),
  };
  const nothing = { ...base, boundRoles: [], effectiveRoles: [], derivedRoles: [], scopes, rules: [] };
  if (decision.reason === 'invalid_request' || kind === undefined || plan === undefined) return nothing;
  const requested = context?.fields;
  if ((requested !== undefined && !state.bindFields(requested, kind.fieldIndex)) || !state.bindRoles(principal, resource)) return nothing;
  state.begin(principal, resource, base.action, context);
  const boundRoles = [...new Set(Array.from(state.bound.subarray(0, state.boundCount), (role) => index.roleNames[role] ?? ''))].sort();

  const derivedRoles: DerivedRoleTrace[] = index.derived.map((derived) => {
    if (!state.hasParentRole(derived)) return { name: derived.name, outcome: 'no_parent_role', error: undefined };
    const { outcome, error } = attempt(() => state.derivedHolds(derived));
    return { name: derived.name, outcome, error };
  });
  const derivedOutcome = new Map(derivedRoles.map((d) => [d.name, d.outcome]));

  const rules: RuleTrace[] = [...plan.denies, ...plan.allows].map((rule) => {
    let roleMatch: RuleTrace['roleMatch'] = 'none';
    let matchedRole: string | undefined;
    for (let i = 0; i < state.boundCount && roleMatch === 'none'; i += 1) {
      const role = state.bound[i] ?? 0;
      if (rule.roles?.has(role) === true) {
        roleMatch = 'role';
        matchedRole = index.roleNames[role];
      }
    }
    if (roleMatch === 'none' && rule.anyRole) roleMatch = 'any_role';
    if (roleMatch === 'none') {
      const derived = rule.derived.find((d) => derivedOutcome.get(d.name) === 'true');
      if (derived !== undefined) {
        roleMatch = 'derived_role';
        matchedRole = derived.name;
      }
    }
    const fields = fieldsOutcome(rule, state, requested);
    const fieldsMatch =
      rule.info.effect === 'deny' ? fields !== 'none_requested' : fields === 'unrestricted' || fields === 'all_requested' || fields === 'some_requested';
    let condition: ConditionOutcome = rule.condition === undefined ? 'absent' : 'not_evaluated';
    let error: AuthzEvaluationError | undefined;
    if (roleMatch !== 'none' && rule.condition !== undefined) {
      const program = rule.condition;
      const result = attempt(() => program.evaluate(state, rule.label));
      condition = result.outcome;
      error = result.error;
    }
    const matched = roleMatch !== 'none' && fieldsMatch && (condition === 'absent' || condition === 'true');
    return {
      rule: rule.info.name,
      policy: rule.info.policy,
      effect: rule.info.effect,
      decisive: decision.rule === rule.info.name && decision.policy === rule.info.policy,
      roleMatch,
      matchedRole,
      fields,
      condition,
      error,
      matched,
    };
  });
  return { ...base, boundRoles, effectiveRoles: state.effectiveRoleNames(), derivedRoles, scopes, rules };
}
