import type { AuthzEvaluationError } from './errors.js';

/**
 * Plain data a condition may read from `principal.attributes`, `resource.attributes`: JSON values, plus `bigint` for
 * CEL `int`. Dates are not attribute values (pass ISO strings and use `timestamp(...)` in CEL, or epoch numbers), so
 * what a condition sees is exactly what a policy test file can write down.
 */
export type AttributeValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | readonly AttributeValue[]
  | { readonly [name: string]: AttributeValue };

export type Attributes = Readonly<Record<string, AttributeValue>>;

/**
 * Who is asking. Roles are **bound to a tenant**: `roles` apply in `tenant` only (or everywhere when neither the
 * principal nor the resource has a tenant), `tenantRoles` binds roles in other tenants, and `globalRoles` applies in
 * every tenant but only for roles the policy declares `global: true`. A role bound in tenant A grants nothing in B.
 */
export interface Principal {
  /** Stable, non-empty identifier (the `sub`), compared with `resource.owner` by ownership conditions. */
  readonly id: string;
  /** Roles bound in the principal's own `tenant`. */
  readonly roles?: readonly string[];
  /** The principal's home tenant. */
  readonly tenant?: string;
  /** Roles bound in other tenants, by tenant id (own properties only: `__proto__` is just an unknown tenant). */
  readonly tenantRoles?: Readonly<Record<string, readonly string[]>>;
  /** Roles bound in every tenant; only roles declared `global: true` in the policy count. */
  readonly globalRoles?: readonly string[];
  readonly attributes?: Attributes;
}

/** What is being accessed. `kind` selects the resource policy; the other fields are data for conditions. */
export interface Resource {
  readonly kind: string;
  readonly id?: string;
  /** The owning principal's id: derived roles such as `owner` compare it with `principal.id`. */
  readonly owner?: string;
  /** The tenant the resource belongs to. Taken from the stored row, never from the request. */
  readonly tenant?: string;
  readonly attributes?: Attributes;
}

/**
 * Everything about one check besides principal, action and resource: the fields being written (field-level
 * permissions), and the environment of the request (time, client IP, authentication strength, token scopes).
 * Build one per request and reuse it for every check of that request.
 */
export interface CheckContext {
  /**
   * The properties the request reads or writes (for `update`: the changed properties). When given, every field must
   * be allowed; when absent, the request counts as touching *every* field, so field-restricted allow rules do not
   * apply and field-restricted deny rules do.
   */
  readonly fields?: readonly string[];
  /** Request time for `request.time`; default: the authorizer's clock. */
  readonly time?: Date;
  /** The client IP as resolved by the trusted-proxy settings (`request.ip`). */
  readonly clientIp?: string;
  /** Whether the session passed multi-factor authentication (`request.mfa`). Default `false`. */
  readonly mfa?: boolean;
  /** NIST SP 800-63B authenticator assurance level 0–3 (`request.aal`). Default `0`. */
  readonly aal?: number;
  /**
   * OAuth scopes of the access token. When present, an action is allowed only if one of these scopes covers it (as
   * mapped by the policy's `scopes`) **and** the roles allow it: scopes narrow, never widen. Absent: no token
   * narrowing (a first-party session). An empty array allows nothing.
   */
  readonly scopes?: readonly string[];
}

/** Why a decision came out as it did. Stable, part of the public API and of audit events. */
export type DecisionReason =
  /** An allow rule matched and no deny rule did. */
  | 'rule_allowed'
  /** A deny rule matched (deny overrides allow). */
  | 'rule_denied'
  /** No rule matched: default deny. */
  | 'no_rule_matched'
  /** The principal holds no role in the resource's tenant (cross-tenant access, or no binding at all). */
  | 'no_role_in_tenant'
  /** The token's scopes do not cover the action. */
  | 'scope_not_granted'
  /** A requested field is not covered by any matching allow rule (or a field-level deny matched). */
  | 'field_not_allowed'
  /** A condition could not be evaluated (`error` says why); fail closed. */
  | 'condition_error'
  /** The policy set has no resource kind of that name. */
  | 'unknown_resource_kind'
  /** The resource kind declares no such action (wildcards in requests are not expanded: `*` is just unknown). */
  | 'unknown_action'
  /** A requested field is not declared for the resource kind. */
  | 'unknown_field'
  /** The principal, resource or context is malformed (empty id, roles that are not an array of strings, …). */
  | 'invalid_request';

/**
 * The answer of `check()`, ready to go into an audit event (`decisionAuditAttributes`). Decisions without timing are
 * frozen objects built when the policies load (one per rule and outcome), so a check allocates nothing for them.
 */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** Name of the policy document whose rule decided, or `undefined` (no rule matched, unknown kind, …). */
  readonly policy: string | undefined;
  /** Name of the deciding rule inside `policy` (`roles.editor.permissions[0]` for a role permission). */
  readonly rule: string | undefined;
  /** Version of the policy set that decided (see `CompiledPolicySet.version`). */
  readonly policyVersion: string;
  /** For `field_not_allowed`: the first declared field that was refused. */
  readonly field: string | undefined;
  /** For `condition_error`: what failed. */
  readonly error: AuthzEvaluationError | undefined;
  /** Evaluation time in nanoseconds, when the authorizer was created with `timing: true` (and always in `explain`). */
  readonly evaluationNs: number | undefined;
}
