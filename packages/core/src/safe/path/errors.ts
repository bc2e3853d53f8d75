import { RampartError } from '../../errors.js';

/** Stable codes of {@link PathError}; part of the public API. */
export type PathErrorCode =
  | 'PATH_TRAVERSAL'
  | 'PATH_ABSOLUTE'
  | 'PATH_ENCODED'
  | 'PATH_INVALID'
  | 'PATH_HIDDEN'
  | 'PATH_OUTSIDE_ROOT'
  | 'PATH_NOT_FOUND'
  | 'PATH_NOT_A_FILE'
  | 'PATH_TYPE_FORBIDDEN';

const MESSAGES: Readonly<Record<PathErrorCode, string>> = {
  PATH_TRAVERSAL: 'the path climbs out of its directory',
  PATH_ABSOLUTE: 'the path is absolute',
  PATH_ENCODED: 'the path still contains percent-escapes',
  PATH_INVALID: 'the path contains a character or name that is refused',
  PATH_HIDDEN: 'the path names a hidden file or directory',
  PATH_OUTSIDE_ROOT: 'the path resolves outside the root',
  PATH_NOT_FOUND: 'no such file',
  PATH_NOT_A_FILE: 'the path does not name a regular file',
  PATH_TYPE_FORBIDDEN: 'the file type is not allowed',
};

/**
 * Thrown when a user-supplied path is refused. The message is fixed per code plus a fixed `reason`: it never contains
 * the path, which is attacker input (and could carry CR/LF or markup into a log or a response).
 *
 * For a client, every code should look the same (answer 404): telling "outside the root" from "not found" tells an
 * attacker which of their probes hit a real file.
 */
export class PathError extends RampartError<PathErrorCode> {
  /** A short fixed phrase that narrows the code down (e.g. `dot segment`), safe to log. */
  readonly reason: string;

  constructor(code: PathErrorCode, reason: string, options?: ErrorOptions) {
    super(code, `${MESSAGES[code]} (${reason})`, options);
    this.reason = reason;
  }
}
