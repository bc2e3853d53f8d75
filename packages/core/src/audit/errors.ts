import { RampartError } from '../errors.js';

/** Why an audit operation was refused. Stable, part of the public API. */
export type AuditErrorCode =
  /** The event holds a value RFC 8785 cannot represent losslessly (NaN, ±Infinity, a lone surrogate, a bigint, a
   * function, `undefined`, a class instance, a cycle): hashing it would commit to something other than the input. */
  | 'AUDIT_UNREPRESENTABLE'
  /** A stored entry is not the canonical form of a well-shaped audit entry. */
  | 'AUDIT_MALFORMED_ENTRY'
  /** A seq or tree size outside the committed log. */
  | 'AUDIT_OUT_OF_RANGE'
  /** The store does not hold a gap-free log (rows missing or renumbered); run `verify()`. */
  | 'AUDIT_STORE_CORRUPT'
  /** The log is closed. */
  | 'AUDIT_CLOSED'
  /** The entry's content was removed by retention (`AuditLog.prune`); its hashes remain. */
  | 'AUDIT_PRUNED'
  /** The store cannot do this (e.g. prune: it has no `appendPruning`). */
  | 'AUDIT_UNSUPPORTED'
  /** A batch failed to commit; the log refuses further appends until reopened, so no entry is acknowledged out of
   * order with its chain. */
  | 'AUDIT_FAILED';

/** Thrown or rejected by the audit log; `code` says why. Messages name positions, never entry contents. */
export class AuditError extends RampartError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string, options?: ErrorOptions) {
    super(code, `audit: ${message}`, options);
  }
}
