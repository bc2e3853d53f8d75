import { RampartError } from '../../errors.js';
import type { AuthzPolicyError } from '../errors.js';

/** Why a reload kept the previous policy set. Stable, part of the public API. */
export type PolicyReloadErrorCode =
  /** The documents were read but refused by `compilePolicies` (`policyError` says where and why). */
  | 'AUTHZ_RELOAD_POLICY_REFUSED'
  /** The documents could not be read: the folder or a file is unreadable, too large, not UTF-8, links outside the
   * folder, there are none, or the `load` function failed. */
  | 'AUTHZ_RELOAD_SOURCE_FAILED'
  /** The store is closed. */
  | 'AUTHZ_RELOAD_CLOSED';

/**
 * A reload that changed nothing: the previous policy set stays active. For operators (the message names files and
 * JSON pointers, never document contents); `policyError` is the compiler's own error with `source`, `path`, `cycle`.
 */
export class PolicyReloadError extends RampartError<PolicyReloadErrorCode> {
  /** For `AUTHZ_RELOAD_POLICY_REFUSED`: the error that refused the set. */
  readonly policyError: AuthzPolicyError | undefined;

  constructor(code: PolicyReloadErrorCode, message: string, options?: ErrorOptions & { readonly policyError?: AuthzPolicyError }) {
    super(code, `authz reload: ${message}`, options);
    this.policyError = options?.policyError;
  }
}
