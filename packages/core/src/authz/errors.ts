import { RampartError } from '../errors.js';

/** Why a policy set was refused when it loaded. Stable, part of the public API. */
export type AuthzPolicyErrorCode =
  /** The YAML or JSON text does not parse (or uses a forbidden construct: duplicate keys, too many aliases). */
  | 'AUTHZ_POLICY_SYNTAX'
  /** The document does not match the policy schema. */
  | 'AUTHZ_POLICY_INVALID'
  /** A role, resource kind, rule, scope or policy name is defined twice. */
  | 'AUTHZ_POLICY_DUPLICATE'
  /** A name refers to nothing: an unknown role, derived role, resource kind, action or field. */
  | 'AUTHZ_POLICY_UNKNOWN_REFERENCE'
  /** Role inheritance forms a cycle; `cycle` names it. */
  | 'AUTHZ_ROLE_CYCLE'
  /** A CEL condition does not parse, refers to unknown variables or fields, or calls a function outside the allowlist. */
  | 'AUTHZ_CONDITION_INVALID'
  /** A CEL condition is longer, deeper or (by its static cost estimate) more expensive than the limits allow. */
  | 'AUTHZ_CONDITION_TOO_COSTLY';

/**
 * Thrown while policies load: the set is refused as a whole, so a broken file never becomes a half-loaded policy (and
 * a hot reload keeps the previous set). Policies are written by operators, not clients: the message names the file
 * (`source`), the JSON pointer inside it (`path`) and, for a role cycle, the roles on the cycle (`cycle`).
 */
export class AuthzPolicyError extends RampartError<AuthzPolicyErrorCode> {
  /** The document the error is in (a file name or the `source` given when loading), when known. */
  readonly source: string | undefined;
  /** JSON pointer to the offending value inside the document (`/resources/document/rules/2/condition`). */
  readonly path: string;
  /** For `AUTHZ_ROLE_CYCLE`: the roles on the cycle, first role repeated at the end (`['a', 'b', 'a']`). */
  readonly cycle: readonly string[] | undefined;

  constructor(
    code: AuthzPolicyErrorCode,
    message: string,
    where: { readonly source?: string | undefined; readonly path?: string; readonly cycle?: readonly string[] } = {},
    options?: ErrorOptions,
  ) {
    const location = `${where.source ?? '<policy>'}${where.path === undefined || where.path === '' ? '' : `#${where.path}`}`;
    super(code, `authz: ${location}: ${message}`, options);
    this.source = where.source;
    this.path = where.path ?? '';
    this.cycle = where.cycle;
  }
}

/** Why a condition could not be evaluated. Stable, part of the public API. */
export type AuthzEvaluationErrorCode =
  /** The CEL evaluation failed (missing attribute, no such overload, division by zero, …). */
  | 'AUTHZ_CONDITION_FAILED'
  /** The condition returned something other than a boolean. */
  | 'AUTHZ_CONDITION_NOT_BOOLEAN'
  /** A value the condition reads exceeds the runtime bounds (list size, string length, depth, node count). */
  | 'AUTHZ_INPUT_TOO_LARGE'
  /** A value the condition reads is not plain data (a class instance, a function, a symbol, a Date in attributes). */
  | 'AUTHZ_INPUT_UNSUPPORTED';

/**
 * A condition could not be evaluated for one check. The decision that carries it is always a **deny** with reason
 * `condition_error`: a condition that cannot be decided never grants, and a deny rule that cannot be decided denies.
 * The message names the rule and the kind of failure only; `detail` holds the library's own message, truncated, for
 * developers (it can contain attribute names from the policy, never attribute values from the request).
 */
export class AuthzEvaluationError extends RampartError<AuthzEvaluationErrorCode> {
  /** `policy/rule` (or `derived role <name>`) whose condition failed. */
  readonly rule: string;
  /** The CEL library's message or the bound that was exceeded, at most 200 characters. Not for clients. */
  readonly detail: string;

  constructor(code: AuthzEvaluationErrorCode, rule: string, detail: string, options?: ErrorOptions) {
    super(code, `authz: the condition of ${rule} could not be evaluated (${code})`, options);
    this.rule = rule;
    this.detail = detail.length > 200 ? `${detail.slice(0, 199)}…` : detail;
  }
}
