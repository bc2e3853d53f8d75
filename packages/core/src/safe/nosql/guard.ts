import { ConfigurationError } from '../../errors.js';
import { NoSqlInjectionError, type PathSegment } from './errors.js';
import { isPrototypeKey } from './keys.js';
import { isPlainObject, resolveLimits, walk, type WalkLimits } from './walk.js';

/**
 * The ways a MongoDB query runs JavaScript on the server: `$where` (query), `$function` (expression), `$accumulator`
 * (`$group`, `$setWindowFields`) and the `mapReduce` command (its `map`, `reduce` and `finalize`). A string that reaches
 * one of them is code: `sleep(1000)` is a denial of service, `this.password.match(/^a/)` a blind-extraction oracle.
 */
export const SERVER_JAVASCRIPT_OPERATORS: readonly string[] = Object.freeze(['$where', '$function', '$accumulator', 'mapReduce']);

export interface GuardQueryOptions extends WalkLimits {
  /**
   * More operators or command names to refuse anywhere, e.g. `['$out', '$merge', '$lookup']` when a pipeline is
   * assembled from client-chosen stages. Compared case-insensitively, like the built-in list.
   */
  readonly alsoBan?: readonly string[];
}

// Operators are case-sensitive in MongoDB, but command names have aliases (`mapreduce`); folding case costs nothing.
const BUILT_IN = new Set(SERVER_JAVASCRIPT_OPERATORS.map((name) => name.toLowerCase()));

function isBinary(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

/** Plain data and the values a driver serializes as BSON scalars; anything else a driver would serialize field by field. */
function checkLeaf(value: unknown, path: readonly PathSegment[]): void {
  if (typeof value === 'function') throw new NoSqlInjectionError('NOSQL_SERVER_JAVASCRIPT', path);
  if (typeof value === 'symbol') throw new NoSqlInjectionError('NOSQL_UNEXPECTED_TYPE', path);
  if (typeof value !== 'object' || value === null) return;
  const bsonType = (value as { _bsontype?: unknown })._bsontype;
  // BSON `Code` is how a driver sends a function body: `$where: new Code('…')`.
  if (bsonType === 'Code') throw new NoSqlInjectionError('NOSQL_SERVER_JAVASCRIPT', path);
  if (typeof bsonType === 'string' || value instanceof Date || value instanceof RegExp || isBinary(value)) return;
  throw new NoSqlInjectionError('NOSQL_UNEXPECTED_TYPE', path);
}

function bannedSet(alsoBan: readonly string[] | undefined, caller: string): ReadonlySet<string> {
  if (alsoBan === undefined || alsoBan.length === 0) return new Set();
  const extra = new Set<string>();
  for (const name of alsoBan) {
    if (typeof name !== 'string' || name.length === 0) throw new ConfigurationError(`${caller}: alsoBan holds only non-empty operator names`);
    extra.add(name.toLowerCase());
  }
  return extra;
}

function guard(query: unknown, options: GuardQueryOptions, caller: string): void {
  const limits = resolveLimits(options, caller);
  const extra = bannedSet(options.alsoBan, caller);
  walk(query, limits, {
    key(key, path) {
      const folded = key.toLowerCase();
      if (BUILT_IN.has(folded)) throw new NoSqlInjectionError('NOSQL_SERVER_JAVASCRIPT', path);
      if (extra.has(folded)) throw new NoSqlInjectionError('NOSQL_BANNED_OPERATOR', path);
      if (isPrototypeKey(key)) throw new NoSqlInjectionError('NOSQL_PROTOTYPE_KEY', path);
    },
    leaf: checkLeaf,
  });
}

/**
 * Throws a {@link NoSqlInjectionError} if a query, update or command document built from untrusted parts contains
 * server-side JavaScript anywhere — `$where`, `$function`, `$accumulator`, `mapReduce`, a function value or a BSON
 * `Code` value — or a prototype key, or a value that is neither plain data nor a BSON scalar; returns it otherwise.
 *
 * Protects against code execution and denial of service on the database server (`{"$where": "sleep(1000)"}`) when
 * operators are legitimately present, so `assertNoOperators` cannot be used on the whole query: check the untrusted
 * parts with `assertNoOperators` or the builders, and the assembled query with `guardQuery`. Work is bounded by
 * `maxDepth` (32) and `maxNodes` (10 000).
 */
export function guardQuery<T>(query: T, options: GuardQueryOptions = {}): T {
  guard(query, options, 'guardQuery');
  return query;
}

/**
 * Like {@link guardQuery} for an aggregation pipeline, and checks its shape first: an array whose every stage is a
 * plain object with exactly one key, a `$` stage name (`NOSQL_MALFORMED_PIPELINE` otherwise).
 *
 * Protects against `$function` and `$accumulator` reaching the server through stages assembled from client input
 * (`{ $group: { _id: '$team', total: clientAccumulator } }`), and against stage objects that smuggle a second stage
 * or an operator next to the stage name.
 */
export function guardPipeline<T extends readonly unknown[]>(pipeline: T, options: GuardQueryOptions = {}): T {
  if (!Array.isArray(pipeline)) throw new NoSqlInjectionError('NOSQL_MALFORMED_PIPELINE', []);
  // The walk first: it bounds the work before the stages are looked at one by one.
  guard(pipeline, options, 'guardPipeline');
  const stages: readonly unknown[] = pipeline;
  stages.forEach((stage, index) => {
    if (!isPlainObject(stage)) throw new NoSqlInjectionError('NOSQL_MALFORMED_PIPELINE', [index]);
    const names = Reflect.ownKeys(stage);
    const [name] = names;
    if (names.length !== 1 || typeof name !== 'string' || !name.startsWith('$')) {
      throw new NoSqlInjectionError('NOSQL_MALFORMED_PIPELINE', [index]);
    }
  });
  return pipeline;
}
