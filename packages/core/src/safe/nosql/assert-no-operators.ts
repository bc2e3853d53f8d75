import { ConfigurationError } from '../../errors.js';
import { NoSqlInjectionError } from './errors.js';
import { classifyUntrustedKey, type KeyRules } from './keys.js';
import { resolveLimits, walk, type WalkLimits } from './walk.js';

/** A class whose instances are accepted as opaque values, such as `Date` or the driver's `ObjectId`. */
export type AllowedClass = abstract new (...args: never[]) => object;

export interface NoOperatorsOptions extends WalkLimits {
  /**
   * Named loosening: accept `.` inside keys, for documents stored with dotted field names (allowed since MongoDB 5).
   * Each dot-separated segment is still checked, so `a.$ne` and `grades.$` stay refused. Never set it for input that
   * ends up in a filter: there a dotted key queries a nested field the API did not mean to expose.
   */
  readonly allowDottedKeys?: boolean;
  /**
   * Named loosening: accept instances of these classes as opaque leaf values (not walked), e.g. `[Date, ObjectId]` when
   * the input was parsed with EJSON. `RegExp`, `Function`, `Object`, `Array`, `Map` and BSON `Code`/`BSONRegExp` are
   * refused at configuration: a regular expression in a filter is a `$regex`, code is `$where`, and the others would
   * admit everything.
   */
  readonly allowInstancesOf?: readonly AllowedClass[];
}

const NEVER_ALLOWED: ReadonlySet<unknown> = new Set<unknown>([RegExp, Function, Object, Array, Map]);
const BSON_EXECUTABLE = new Set(['Code', 'BSONRegExp']);

function isRegExp(value: object): boolean {
  // Tag check, not instanceof: a RegExp from another realm (vm, worker message) is still a pattern to the driver.
  return Object.prototype.toString.call(value) === '[object RegExp]';
}

function bsonTypeOf(prototype: unknown): unknown {
  if (typeof prototype !== 'object' || prototype === null) return undefined;
  return (prototype as { _bsontype?: unknown })._bsontype;
}

function checkAllowedClasses(classes: readonly AllowedClass[]): readonly AllowedClass[] {
  for (const allowed of classes) {
    if (typeof allowed !== 'function') throw new ConfigurationError('assertNoOperators: allowInstancesOf holds only classes');
    const bsonType = bsonTypeOf(allowed.prototype);
    if (NEVER_ALLOWED.has(allowed) || (typeof bsonType === 'string' && BSON_EXECUTABLE.has(bsonType))) {
      throw new ConfigurationError(`assertNoOperators: instances of ${allowed.name} cannot be allowed in untrusted input`);
    }
  }
  return classes;
}

/**
 * Throws a {@link NoSqlInjectionError} unless `untrusted` is plain data, and returns it unchanged otherwise, so it can
 * wrap the input where it is used: `collection.find({ ...assertNoOperators(body), tenantId })`.
 *
 * Protects against MongoDB operator injection through parsed input — `{"password": {"$ne": null}}` from a JSON body,
 * `password[$ne]=x` from a query-string parser, `{"$where": "sleep(1000)"}` — at any depth and inside arrays
 * (`{"$or": [...]}`); against dotted keys that reach nested fields (`{"profile.resetToken": …}`); against keys that a
 * later layer turns into operators (`＄ne`, `\u0000$ne`, ` $ne`, zero-width characters); against prototype keys
 * (`__proto__`, `constructor`, `prototype`); and against values no JSON parser produces (functions, RegExp, class
 * instances, getters). Unlike mongo-sanitize it refuses instead of deleting keys, so the application never runs a
 * query that differs silently from the one it wrote. Work is bounded by `maxDepth` (32) and `maxNodes` (10 000).
 */
export function assertNoOperators<T>(untrusted: T, options: NoOperatorsOptions = {}): T {
  const limits = resolveLimits(options, 'assertNoOperators');
  const allowed = checkAllowedClasses(options.allowInstancesOf ?? []);
  const rules: KeyRules = { allowDots: options.allowDottedKeys === true };
  walk(untrusted, limits, {
    key(key, path) {
      const refusal = classifyUntrustedKey(key, rules);
      if (refusal !== undefined) throw new NoSqlInjectionError(refusal, path);
    },
    leaf(value, path) {
      if (value === null || value === undefined) return;
      const type = typeof value;
      if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return;
      if (typeof value === 'object' && !isRegExp(value) && allowed.some((allowedClass) => value instanceof allowedClass)) return;
      throw new NoSqlInjectionError('NOSQL_UNEXPECTED_TYPE', path);
    },
  });
  return untrusted;
}
