import { RampartError } from '../../errors.js';

/** Why untrusted input or a query was refused. Stable codes, part of the public API. */
export type NoSqlRefusal =
  /** A key starts with `$`: MongoDB reads it as a query operator, not a field name. */
  | 'NOSQL_OPERATOR_KEY'
  /** A key contains `.`: MongoDB reads it as a path into nested documents or array positions. */
  | 'NOSQL_DOTTED_KEY'
  /** A key that a later layer could turn into an operator or a path (lookalike, control or invisible character, edge whitespace, empty, symbol). */
  | 'NOSQL_DISGUISED_KEY'
  /** `__proto__`, `constructor` or `prototype`: prototype pollution through a merge or copy of the input. */
  | 'NOSQL_PROTOTYPE_KEY'
  /** A value no JSON parser produces (function, RegExp, symbol, class instance, accessor property). */
  | 'NOSQL_UNEXPECTED_TYPE'
  /** Nested deeper than the limit (also how a cyclic structure is stopped). */
  | 'NOSQL_TOO_DEEP'
  /** More objects, arrays and values than the limit. */
  | 'NOSQL_TOO_MANY_NODES'
  /** Not a primitive of the expected kind (an object where a string was expected is the operator-injection case). */
  | 'NOSQL_TYPE_MISMATCH'
  /** A string longer than the limit. */
  | 'NOSQL_VALUE_TOO_LONG'
  /** A string with a lone UTF-16 surrogate: BSON stores UTF-8, so distinct inputs would collapse to one stored value. */
  | 'NOSQL_MALFORMED_STRING'
  /** Server-side JavaScript: `$where`, `$function`, `$accumulator`, `mapReduce`, a function or a BSON `Code` value. */
  | 'NOSQL_SERVER_JAVASCRIPT'
  /** An operator the caller banned with `alsoBan`. */
  | 'NOSQL_BANNED_OPERATOR'
  /** An aggregation pipeline that is not an array of one-operator stage objects. */
  | 'NOSQL_MALFORMED_PIPELINE';

const MESSAGES: Readonly<Record<NoSqlRefusal, string>> = {
  NOSQL_OPERATOR_KEY: 'Untrusted input contains a query operator key',
  NOSQL_DOTTED_KEY: 'Untrusted input contains a dotted (path) key',
  NOSQL_DISGUISED_KEY: 'Untrusted input contains a key with lookalike, invisible or control characters',
  NOSQL_PROTOTYPE_KEY: 'Untrusted input contains a prototype key',
  NOSQL_UNEXPECTED_TYPE: 'Untrusted input contains a value of a type that is not plain data',
  NOSQL_TOO_DEEP: 'Input is nested too deeply',
  NOSQL_TOO_MANY_NODES: 'Input has too many members',
  NOSQL_TYPE_MISMATCH: 'A filter value is not of the expected primitive type',
  NOSQL_VALUE_TOO_LONG: 'A filter value is too long',
  NOSQL_MALFORMED_STRING: 'A filter value is not well-formed Unicode',
  NOSQL_SERVER_JAVASCRIPT: 'The query uses server-side JavaScript',
  NOSQL_BANNED_OPERATOR: 'The query uses a banned operator',
  NOSQL_MALFORMED_PIPELINE: 'The aggregation pipeline is malformed',
};

/** One step into a structure: an object key or an array index. */
export type PathSegment = string | number;

const MAX_SEGMENT_CHARS = 40;
const MAX_PATH_SEGMENTS = 12;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/** Printable ASCII stays; everything else (control, invisible, lookalike) becomes `\uXXXX` so a log shows what it is. */
function escapeForDevelopers(text: string): string {
  let out = '';
  for (const char of text.slice(0, MAX_SEGMENT_CHARS)) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0x20 && code < 0x7f && char !== '"' && char !== '\\') out += char;
    else if (code > 0xffff) out += `\\u{${code.toString(16)}}`;
    else out += `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return text.length > MAX_SEGMENT_CHARS ? `${out}…` : out;
}

/**
 * Renders a path as `input.user["$ne"][0]` for developers and logs: bounded in length, with every character outside
 * printable ASCII escaped, so a refusal can be diagnosed without writing raw attacker text (newlines, ANSI escapes,
 * lookalikes) into a log line.
 */
export function describePath(path: readonly PathSegment[]): string {
  const shown = path.length > MAX_PATH_SEGMENTS ? path.slice(0, MAX_PATH_SEGMENTS) : path;
  let out = 'input';
  for (const segment of shown) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `["${escapeForDevelopers(segment)}"]`;
  }
  return path.length > MAX_PATH_SEGMENTS ? `${out}…` : out;
}

/**
 * The refusal of a NoSQL guard. `message` is fixed per `code` and never contains input, so it is safe to log anywhere;
 * `path` says where the problem is, sanitized and truncated, for developers and logs — do not send it to clients.
 */
export class NoSqlInjectionError extends RampartError<NoSqlRefusal> {
  /** Where in the input the refusal happened, e.g. `input.password["$ne"]`; non-printable and non-ASCII escaped. */
  readonly path: string;

  constructor(code: NoSqlRefusal, path: readonly PathSegment[], options?: ErrorOptions) {
    super(code, MESSAGES[code], options);
    this.path = describePath(path);
  }
}
