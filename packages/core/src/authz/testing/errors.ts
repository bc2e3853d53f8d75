import { RampartError } from '../../errors.js';

/** Why a policy-test file was refused. Stable, part of the public API. */
export type PolicyTestErrorCode =
  /** The YAML or JSON text does not parse, or uses a forbidden construct (duplicate keys, too many aliases, a tag). */
  | 'AUTHZ_TEST_SYNTAX'
  /** The file does not match the policy-test schema, or a case contradicts itself (`expect: allow` with a deny reason). */
  | 'AUTHZ_TEST_INVALID'
  /** A case names a principal or resource fixture the file does not declare. */
  | 'AUTHZ_TEST_UNKNOWN_FIXTURE'
  /** Two cases of one suite share a name, or two files share a suite name. */
  | 'AUTHZ_TEST_DUPLICATE'
  /** The folder or a file in it cannot be read (missing, too large, a link leading outside the folder). */
  | 'AUTHZ_TEST_UNREADABLE';

/**
 * Thrown while policy-test files load. Test files are written by policy authors, not clients: the message names the
 * file (`source`) and a JSON pointer into it (`path`), never the file's contents.
 */
export class PolicyTestError extends RampartError<PolicyTestErrorCode> {
  /** The file (or the `source` given) the error is in. */
  readonly source: string;
  /** JSON pointer to the offending value inside the file (`/tests/3/principal`), `''` for the whole file. */
  readonly path: string;

  constructor(code: PolicyTestErrorCode, message: string, where: { readonly source: string; readonly path?: string }, options?: ErrorOptions) {
    const path = where.path ?? '';
    super(code, `authz tests: ${where.source}${path === '' ? '' : `#${path}`}: ${message}`, options);
    this.source = where.source;
    this.path = path;
  }
}
