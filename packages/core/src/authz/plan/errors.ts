import { RampartError } from '../../errors.js';

/** Why a plan could not become SQL. Stable, part of the public API. */
export type AuthzPlanErrorCode =
  /** The filter reads a resource field or attribute the column mapping does not name. */
  | 'AUTHZ_PLAN_UNMAPPED_FIELD'
  /** The plan is not one `planResources` returns (a hand-built or deserialized object with an unknown shape). */
  | 'AUTHZ_PLAN_INVALID';

/**
 * Thrown while turning a plan into SQL, at build time, never per row: an unmapped attribute would otherwise have to be
 * guessed (silently true would leak rows, silently false would hide the bug). `field` names the field, from the policy.
 */
export class AuthzPlanError extends RampartError<AuthzPlanErrorCode> {
  /** `owner`, `tenant`, `id` or `attributes.<name>`: the field the mapping lacks. */
  readonly field: string | undefined;

  constructor(code: AuthzPlanErrorCode, message: string, field?: string) {
    super(code, `authz plan: ${message}`);
    this.field = field;
  }
}
