import { ConfigurationError } from '../../errors.js';
import { NoSqlInjectionError } from './errors.js';
import { classifyFieldPath } from './keys.js';
import {
  checkString,
  coerce,
  resolveMaxLength,
  type FilterPrimitive,
  type FilterValueKind,
  type FilterValueOf,
  type FilterValueOptions,
} from './values.js';

/** `{ field: { $eq: value } }` for each field: every value compared as data. */
export type EqFilter<T> = { readonly [P in keyof T]: { readonly $eq: FilterPrimitive } };

/** The expected kind per field; fields left out must already hold a string, a finite number or a boolean. */
export type FieldKinds<T> = { readonly [P in keyof T]?: FilterValueKind };

function checkField(field: string): void {
  const refusal = classifyFieldPath(field);
  if (refusal !== undefined) throw new NoSqlInjectionError(refusal, [field]);
}

function primitive(value: unknown, kind: FilterValueKind | undefined, maxLength: number, field: string): FilterPrimitive {
  if (kind !== undefined) return coerce(value, kind, maxLength, [field]);
  if (typeof value === 'string') return checkString(value, maxLength, [field]);
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return value;
  throw new NoSqlInjectionError('NOSQL_TYPE_MISMATCH', [field]);
}

/**
 * Builds an equality filter from field paths you write and values you do not trust:
 * `eqFilter({ username: body.username, tenantId }, { username: 'string' })` →
 * `{ username: { $eq: 'alice' }, tenantId: { $eq: 't1' } }`.
 *
 * Protects against operator injection by construction: every value is coerced to a primitive (see
 * `sanitizeFilterValue`) and wrapped in `$eq`, so an object, array, `null` or RegExp from the request is refused with
 * a {@link NoSqlInjectionError}, and a string such as `'{"$ne": null}'` is compared as text. Field paths may be dotted
 * (`'profile.email'`) but no segment may be an operator, empty, invisible or a prototype key. The same shape as
 * Mongoose's `sanitizeFilter`, for any driver.
 */
export function eqFilter<T extends Readonly<Record<string, unknown>>>(
  values: T,
  kinds: FieldKinds<T> = {},
  options: FilterValueOptions = {},
): EqFilter<T> {
  const maxLength = resolveMaxLength(options, 'eqFilter');
  const filter: Record<string, { readonly $eq: FilterPrimitive }> = {};
  for (const field of Object.keys(values)) {
    checkField(field);
    filter[field] = { $eq: primitive(values[field], kinds[field], maxLength, field) };
  }
  return filter as EqFilter<T>;
}

export interface InFilterOptions extends FilterValueOptions {
  /** Most values accepted in the list. Default 100: each one is a comparison the database must run. */
  readonly maxItems?: number;
}

export const DEFAULT_MAX_IN_ITEMS = 100;

/**
 * Builds `{ field: { $in: [...] } }` from an untrusted list (`roles[]=a&roles[]=b`), or from a single value, which a
 * query-string parser produces when the parameter appears once.
 *
 * Protects against operators hidden inside the list (`[{"$ne": null}]`, `[{"$regex": ".*"}]`): each item is coerced to
 * a primitive of `kind` or the whole list is refused; the list length is bounded by `maxItems`.
 */
export function inFilter<F extends string, K extends FilterValueKind>(
  field: F,
  values: unknown,
  kind: K,
  options: InFilterOptions = {},
): { readonly [P in F]: { readonly $in: readonly FilterValueOf<K>[] } } {
  checkField(field);
  const maxLength = resolveMaxLength(options, 'inFilter');
  const maxItems = options.maxItems ?? DEFAULT_MAX_IN_ITEMS;
  if (!Number.isSafeInteger(maxItems) || maxItems < 1) throw new ConfigurationError('inFilter: maxItems must be a positive whole number');
  const list: readonly unknown[] = Array.isArray(values) ? values : [values];
  if (list.length > maxItems) throw new NoSqlInjectionError('NOSQL_TOO_MANY_NODES', [field]);
  const items = list.map((item, index) => coerce(item, kind, maxLength, [field, index]) as FilterValueOf<K>);
  const filter: Record<string, { readonly $in: readonly FilterValueOf<K>[] }> = { [field]: { $in: items } };
  return filter as { readonly [P in F]: { readonly $in: readonly FilterValueOf<K>[] } };
}

/**
 * Wraps an untrusted value as `{ $literal: value }` for aggregation expressions (`$expr`, `$project`, `$addFields`).
 *
 * Protects against field-path and variable injection in expressions: there a string starting with `$` is not text but
 * a reference, so `{ $expr: { $eq: ['$password', userValue] } }` with `userValue = '$password'` compares the field
 * with itself and matches every document. With `literal(userValue, 'string')` it is compared as text.
 */
export function literal<K extends FilterValueKind>(value: unknown, kind: K, options: FilterValueOptions = {}): { readonly $literal: FilterValueOf<K> } {
  return { $literal: coerce(value, kind, resolveMaxLength(options, 'literal'), []) as FilterValueOf<K> };
}
