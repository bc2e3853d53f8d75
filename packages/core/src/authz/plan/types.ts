/** A resource column the filter reads: a root field of the resource, or one of its attributes. */
export type PlanField =
  | { readonly kind: 'owner' }
  | { readonly kind: 'tenant' }
  | { readonly kind: 'id' }
  | { readonly kind: 'attribute'; readonly name: string };

/** A value a filter compares with: always a bound parameter in SQL, never text. */
export type PlanScalar = string | number | boolean;

/**
 * What remains of a policy once everything known at plan time is evaluated away: a boolean filter over one resource
 * row. Two-valued: a comparison is false when the column is NULL (attribute absent, owner/id/tenant unset) or holds
 * a value of another type than the one compared with, so `not` never meets an SQL NULL.
 */
export type PlanFilter =
  | { readonly op: 'and'; readonly operands: readonly PlanFilter[] }
  | { readonly op: 'or'; readonly operands: readonly PlanFilter[] }
  | { readonly op: 'not'; readonly operand: PlanFilter }
  | { readonly op: 'isNull'; readonly field: PlanField }
  | { readonly op: 'eq' | 'lt' | 'le' | 'gt' | 'ge'; readonly field: PlanField; readonly value: PlanScalar }
  | { readonly op: 'in'; readonly field: PlanField; readonly values: readonly PlanScalar[] };

/** Why a plan allows no row at all. */
export type PlanDeniedReason =
  | 'invalid_request'
  | 'unknown_resource_kind'
  | 'unknown_action'
  | 'unknown_field'
  | 'scope_not_granted'
  | 'no_role_in_tenant'
  /** Roles apply, but no rule allows any row (or an unconditional deny covers every row). */
  | 'no_rule_matched'
  /** Only untranslatable conditions stood between the principal and some rows; the plan fails closed. */
  | 'condition_not_translatable';

/**
 * The answer of `planResources`: every row, no row, or the rows a filter selects. `untranslated` names the rules (and
 * derived roles) whose condition could not be turned into a filter and were treated as failing (an allow that does
 * not apply, a deny that applies): the plan then selects a subset of what `check()` allows, never more.
 */
export type ResourcePlan =
  | { readonly kind: 'always_allowed'; readonly untranslated: readonly string[] }
  | { readonly kind: 'always_denied'; readonly reason: PlanDeniedReason; readonly untranslated: readonly string[] }
  | { readonly kind: 'conditional'; readonly filter: PlanFilter; readonly untranslated: readonly string[] };
