import { ConfigurationError } from '../../errors.js';
import { NoSqlInjectionError, type PathSegment } from './errors.js';

/** Bounds on the work a walk may do; the same defaults as `parseJson` in `http/body`. */
export interface WalkLimits {
  /** Deepest nesting of objects and arrays accepted (`{}` is 1). Default 32. */
  readonly maxDepth?: number;
  /** Most values (objects, arrays, primitives) accepted in total. Default 10 000. */
  readonly maxNodes?: number;
}

export const DEFAULT_MAX_DEPTH = 32;
export const DEFAULT_MAX_NODES = 10_000;

function limit(value: number | undefined, fallback: number, name: string, caller: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`${caller}: ${name} must be a positive whole number`);
  return value;
}

/** Reads and checks the limits once, when a guard is called or configured; a bad limit is a configuration error. */
export function resolveLimits(options: WalkLimits, caller: string): Required<WalkLimits> {
  return {
    maxDepth: limit(options.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth', caller),
    maxNodes: limit(options.maxNodes, DEFAULT_MAX_NODES, 'maxNodes', caller),
  };
}

export interface Visitor {
  /** Every own string key of a plain object, with the path that ends in it. Throws to refuse. */
  key(key: string, path: readonly PathSegment[]): void;
  /** Every value that is neither a plain object nor an array (primitives, functions, class instances). Throws to refuse. */
  leaf(value: unknown, path: readonly PathSegment[]): void;
  /** Every plain object before its keys are visited. Throws to refuse. */
  object?(value: object, path: readonly PathSegment[]): void;
}

/** Plain data as JSON.parse and query-string parsers build it: `{}` literals, `Object.create(null)` objects. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

interface Frame {
  readonly value: unknown;
  readonly path: readonly PathSegment[];
  readonly depth: number;
}

/**
 * Visits every key and value of a structure without recursion, so hostile nesting cannot overflow the stack, and
 * within limits, so a huge or cyclic structure is refused after bounded work. It sees what a database driver would
 * serialize: every own key, enumerable or not. Symbol keys and accessor properties are refused here — a getter can
 * answer the check with one value and the driver with another.
 */
export function walk(root: unknown, limits: Required<WalkLimits>, visitor: Visitor): void {
  const stack: Frame[] = [{ value: root, path: [], depth: 0 }];
  let nodes = 0;
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    nodes += 1;
    if (nodes > limits.maxNodes) throw new NoSqlInjectionError('NOSQL_TOO_MANY_NODES', frame.path);
    const { value, path, depth } = frame;
    if (Array.isArray(value)) {
      if (depth + 1 > limits.maxDepth) throw new NoSqlInjectionError('NOSQL_TOO_DEEP', path);
      const items: readonly unknown[] = value;
      if (nodes + stack.length + items.length > limits.maxNodes) throw new NoSqlInjectionError('NOSQL_TOO_MANY_NODES', path);
      for (let index = items.length - 1; index >= 0; index -= 1) {
        stack.push({ value: items[index], path: [...path, index], depth: depth + 1 });
      }
    } else if (isPlainObject(value)) {
      if (depth + 1 > limits.maxDepth) throw new NoSqlInjectionError('NOSQL_TOO_DEEP', path);
      visitor.object?.(value, path);
      const keys = Reflect.ownKeys(value);
      if (nodes + stack.length + keys.length > limits.maxNodes) throw new NoSqlInjectionError('NOSQL_TOO_MANY_NODES', path);
      const children: Frame[] = [];
      for (const key of keys) {
        if (typeof key === 'symbol') throw new NoSqlInjectionError('NOSQL_DISGUISED_KEY', [...path, '[symbol]']);
        const childPath = [...path, key];
        visitor.key(key, childPath);
        const descriptor = Object.getOwnPropertyDescriptor(value, key);
        if (descriptor === undefined || !('value' in descriptor)) throw new NoSqlInjectionError('NOSQL_UNEXPECTED_TYPE', childPath);
        const child: unknown = descriptor.value;
        children.push({ value: child, path: childPath, depth: depth + 1 });
      }
      for (const child of children.reverse()) stack.push(child);
    } else {
      visitor.leaf(value, path);
    }
  }
}
