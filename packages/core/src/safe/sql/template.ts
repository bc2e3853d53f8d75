import { SqlError } from './errors.js';
import { appendPart, appendParts, fragmentOf, partsOf, SqlFragment, type Part } from './fragment.js';
import { bindValue, type SqlValue } from './values.js';

/** What may be interpolated into `sql`…``: a value (bound as a parameter) or another fragment (composed as SQL). */
export type SqlInput = SqlValue | SqlFragment;

/**
 * True only for the strings array a JavaScript engine passes to a tag function: it is frozen and carries a frozen
 * `raw` array of the same length. An array built at runtime from request data has neither, so `sql([userText])`
 * cannot pass user text off as template text.
 */
export function isTemplateStrings(value: unknown): value is TemplateStringsArray {
  if (!Array.isArray(value) || !Object.isFrozen(value)) return false;
  const raw: unknown = (value as { raw?: unknown }).raw;
  return Array.isArray(raw) && Object.isFrozen(raw) && raw.length === value.length && value.every((s) => typeof s === 'string');
}

/** Appends one interpolated input: a fragment's parts are inlined, anything else is validated and bound. */
export function appendInput(target: Part[], input: unknown): void {
  if (SqlFragment.isFragment(input)) appendParts(target, partsOf(input));
  else target.push({ kind: 'value', value: bindValue(input) });
}

/**
 * The `sql` tag: template text is trusted SQL, every `${…}` is a bound value or a nested fragment.
 *
 * Protects against SQL injection: interpolations never become SQL text, whatever they contain (quotes, comments,
 * `;`, `UNION`, unicode look-alikes, backslashes), and a call that is not a real tagged template is refused.
 */
export function sqlTag(strings: TemplateStringsArray, ...values: readonly SqlInput[]): SqlFragment {
  if (!isTemplateStrings(strings) || strings.length !== values.length + 1) {
    throw new SqlError('SQL_NOT_A_TEMPLATE', 'sql must be used as a tagged template: sql`select … where id = ${id}`');
  }
  const parts: Part[] = [];
  strings.forEach((text, index) => {
    appendPart(parts, { kind: 'text', text });
    if (index < values.length) appendInput(parts, values[index]);
  });
  return fragmentOf(parts);
}

/** A string type that is a literal (`'now()'`), not the general `string` a request value would have. */
export type ConstantString<T extends string> = string extends T ? never : T;

/**
 * Trusted SQL text that cannot be written as a template (a keyword chosen by the code, a constant shared between
 * queries). Accepts only a string whose type is a literal (`sql.raw('NULLS LAST')`) or an interpolation-free template
 * (`sql.raw`now()``); a `string`-typed variable does not type-check, and a template with `${}` is refused at runtime.
 * Protects against the one escape hatch becoming the injection: never pass anything derived from input, not even
 * after "cleaning" it.
 */
export function raw(text: TemplateStringsArray): SqlFragment;
export function raw<T extends string>(text: ConstantString<T>): SqlFragment;
export function raw(text: unknown, ...rest: readonly unknown[]): SqlFragment {
  if (rest.length > 0) {
    throw new SqlError('SQL_RAW_NOT_CONSTANT', 'sql.raw takes constant text only; interpolate values with sql`…${value}…`');
  }
  let constant: string;
  if (typeof text === 'string') constant = text;
  else if (isTemplateStrings(text) && text.length === 1 && text[0] !== undefined) constant = text[0];
  else throw new SqlError('SQL_RAW_NOT_CONSTANT', 'sql.raw takes a constant string or a template without interpolations');
  if (constant.includes('\0')) throw new SqlError('SQL_RAW_NOT_CONSTANT', 'sql.raw text must not contain NUL');
  return fragmentOf(constant === '' ? [] : [{ kind: 'text', text: constant }]);
}

/** An empty fragment: composes to nothing (an optional `WHERE` clause that is absent). */
export const empty: SqlFragment = fragmentOf([]);

const COMMA = fragmentOf([{ kind: 'text', text: ', ' }]);

/**
 * Refuses a string where a list was expected: a string is iterable, so `sql.in(column, req.query.ids)` with
 * `?ids=1,2` would otherwise bind one parameter per character.
 */
export function checkList(items: unknown, helper: string): Iterable<unknown> {
  if (typeof items === 'string' || items === null || typeof items !== 'object' || !(Symbol.iterator in items)) {
    throw new SqlError('SQL_VALUE_UNSUPPORTED', `${helper} takes an array (or other iterable) of values`, { received: items });
  }
  return items as Iterable<unknown>;
}

/**
 * Joins values and fragments with a separator fragment (default `, `): values are bound, fragments inlined. An empty
 * list gives an empty fragment. Protects against building lists by string concatenation (`ids.join(',')`).
 */
export function join(items: Iterable<SqlInput>, separator: SqlFragment = COMMA): SqlFragment {
  const list = checkList(items, 'sql.join');
  if (!SqlFragment.isFragment(separator)) {
    throw new SqlError('SQL_NOT_A_TEMPLATE', 'the sql.join separator must be a fragment, e.g. sql` AND `');
  }
  const separatorParts = partsOf(separator);
  const parts: Part[] = [];
  let first = true;
  for (const item of list) {
    if (!first) appendParts(parts, separatorParts);
    appendInput(parts, item);
    first = false;
  }
  return fragmentOf(parts);
}
