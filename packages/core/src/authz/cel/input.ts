import type { CelLimits } from './limits.js';

export interface InputRefusal {
  readonly code: 'AUTHZ_INPUT_TOO_LARGE' | 'AUTHZ_INPUT_UNSUPPORTED';
  readonly detail: string;
}


/**
 * Checks a value a condition is about to read against the runtime input bounds, without recursion. The static cost
 * estimate assumed these bounds; checking them here is what turns the estimate into a bound on the actual work, so
 * a 10-million-element `tags` list or a megabyte string is refused before the CEL library iterates it.
 *
 * Plain data only (plain objects, arrays, `Map`s, byte arrays and primitives): class instances, null-prototype objects,
 * Sets, Dates and functions are refused; the library cannot read some of them, and getters or iteration protocols of
 * others could run arbitrary code during evaluation.
 */
export function checkInputBounds(root: unknown, limits: CelLimits): InputRefusal | undefined {
  let nodes = 0;
  const values: unknown[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop() ?? 1;
    nodes += 1;
    if (nodes > limits.maxInputNodes) return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: `more than ${limits.maxInputNodes} values` };
    switch (typeof value) {
      case 'string':
        if (value.length > limits.maxInputStringLength) {
          return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: `a string longer than ${limits.maxInputStringLength} characters` };
        }
        continue;
      case 'number':
      case 'bigint':
      case 'boolean':
      case 'undefined':
        continue;
      case 'object':
        break;
      default:
        return { code: 'AUTHZ_INPUT_UNSUPPORTED', detail: `a value of type ${typeof value}` };
    }
    if (value === null) continue;
    if (value instanceof Uint8Array) {
      if (value.length > limits.maxInputStringLength) return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: `bytes longer than ${limits.maxInputStringLength}` };
      continue;
    }
    if (depth > limits.maxInputDepth) return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: `values nested deeper than ${limits.maxInputDepth}` };
    if (Array.isArray(value)) {
      if (value.length > limits.maxInputListSize) return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: `a list longer than ${limits.maxInputListSize}` };
      for (const item of value as unknown[]) {
        values.push(item);
        depths.push(depth + 1);
      }
      continue;
    }
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === Map.prototype) {
      const map = value as Map<unknown, unknown>;
      if (map.size > limits.maxInputListSize) return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: `a map with more than ${limits.maxInputListSize} entries` };
      for (const [key, item] of map) {
        values.push(key, item);
        depths.push(depth + 1, depth + 1);
      }
      continue;
    }
    if (prototype !== Object.prototype) {
      // The CEL library reads plain objects and Maps; a null-prototype object or a class instance it cannot read.
      return { code: 'AUTHZ_INPUT_UNSUPPORTED', detail: prototype === null ? 'an object without prototype (use a plain object or a Map)' : 'an object that is not plain data' };
    }
    const keys = Object.keys(value);
    if (keys.length > limits.maxInputListSize) return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: `a map with more than ${limits.maxInputListSize} entries` };
    for (const key of keys) {
      if (key.length > limits.maxInputStringLength) return { code: 'AUTHZ_INPUT_TOO_LARGE', detail: 'a map key that is too long' };
      values.push((value as Record<string, unknown>)[key]);
      depths.push(depth + 1);
    }
  }
  return undefined;
}
