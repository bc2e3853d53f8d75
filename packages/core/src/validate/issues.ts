/** One reason a value was refused, as a client may see it: where, and which rule. */
export interface ClientIssue {
  /**
   * RFC 6901 JSON Pointer to the refused location. It names only property names the schema declares and array
   * indexes: an undeclared key (the attacker's own text) is never repeated; the pointer stops at its parent.
   */
  readonly pointer: string;
  /** The JSON Schema keyword that refused the value: `type`, `maxLength`, `required`, `additionalProperties`, … */
  readonly rule: string;
}

/** One reason a value was refused, with what a developer needs; only `pointer` and `rule` are meant for clients. */
export interface ValidationIssue extends ClientIssue {
  /** The validator's full instance path, for logs: control and invisible characters escaped, at most 200 characters. */
  readonly instancePath: string;
  /** Where the rule is in the compiled schema (`#/properties/email/maxLength`): schema internals, for developers. */
  readonly schemaPath: string;
  /** For `additionalProperties` / `unevaluatedProperties`, the undeclared name, escaped and truncated like `instancePath`. */
  readonly property?: string;
}

/** The subset of Ajv's `ErrorObject` read here. */
export interface ValidatorError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly params: Readonly<Record<string, unknown>>;
}

const MAX_LOGGED = 200;
/** C0/C1 controls, bidi controls and other format characters: they can rewrite a log line or a terminal. */
const UNSAFE_FOR_LOGS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

/** Escapes characters that could forge or hide log content and truncates, so developer fields are safe to log. */
export function sanitizeForLog(text: string): string {
  const escaped = text.replace(UNSAFE_FOR_LOGS, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
  return escaped.length > MAX_LOGGED ? `${escaped.slice(0, MAX_LOGGED)}…` : escaped;
}

function escapeSegment(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The longest prefix of `instancePath` whose object keys the schema declares (array indexes always pass). */
function clientPointer(instancePath: string, declaredNames: ReadonlySet<string>): string {
  if (instancePath === '') return '';
  let pointer = '';
  for (const raw of instancePath.slice(1).split('/')) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!ARRAY_INDEX.test(segment) && !declaredNames.has(segment)) break;
    pointer += `/${raw}`;
  }
  return pointer;
}

function ruleName(keyword: string): string {
  // Ajv reports a `false` subschema as "false schema"; the rule a client can act on is that nothing is accepted there.
  return keyword === 'false schema' ? 'false' : keyword;
}

/**
 * Turns validator errors into issues: a client-safe pointer and rule, plus developer detail. Errors from inside a failed
 * `anyOf` / `oneOf` are folded into the combinator's own issue (which branch "should" have matched is a guess),
 * duplicates are dropped, and at most `maxIssues` are kept.
 */
export function toIssues(errors: readonly ValidatorError[], declaredNames: ReadonlySet<string>, maxIssues: number): ValidationIssue[] {
  const combinators = errors.filter((error) => error.keyword === 'anyOf' || error.keyword === 'oneOf').map((error) => `${error.schemaPath}/`);
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (combinators.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    let pointer = clientPointer(error.instancePath, declaredNames);
    let property: string | undefined;
    const missing = error.params.missingProperty;
    if ((error.keyword === 'required' || error.keyword === 'dependentRequired') && typeof missing === 'string' && pointer === error.instancePath && declaredNames.has(missing)) {
      pointer = `${pointer}/${escapeSegment(missing)}`;
    }
    const extra = error.params.additionalProperty ?? error.params.unevaluatedProperty ?? error.params.propertyName;
    if (typeof extra === 'string') property = sanitizeForLog(extra);
    const rule = ruleName(error.keyword);
    const key = `${pointer}\u0000${rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({
      pointer,
      rule,
      instancePath: sanitizeForLog(error.instancePath),
      schemaPath: error.schemaPath,
      ...(property === undefined ? {} : { property }),
    });
    if (issues.length >= maxIssues) break;
  }
  if (issues.length === 0) issues.push({ pointer: '', rule: 'schema', instancePath: '', schemaPath: '#' });
  return issues;
}

/** The client-safe part of issues: `{ pointer, rule }` only, for a problem body or an API error response. */
export function clientIssues(issues: readonly ClientIssue[]): ClientIssue[] {
  return issues.map(({ pointer, rule }) => ({ pointer, rule }));
}
