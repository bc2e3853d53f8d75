import { RampartError } from '../errors.js';
import type { ValidationIssue } from './issues.js';

/**
 * Thrown by `CompiledSchema.assert` when a value does not match its schema. The message and `issues` name locations
 * and rules only, never the rejected value, so the error can be logged, and its `issues` mapped to a problem with
 * `validationProblem` without echoing attacker input.
 */
export class ValidationError extends RampartError<'VALIDATION_FAILED'> {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    const first = issues[0];
    const where = first === undefined ? '' : `: ${first.rule} at "${first.pointer === '' ? '/' : first.pointer}"`;
    const more = issues.length > 1 ? ` and ${issues.length - 1} more` : '';
    super('VALIDATION_FAILED', `validation failed${where}${more}`);
    this.issues = issues;
  }
}
