/** A JSON value: what a schema keyword, an annotation or a parsed body can hold. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON Schema 2020-12 schema: a boolean, or an object of keywords. */
export type JsonSchema = boolean | JsonSchemaObject;
export interface JsonSchemaObject {
  readonly [keyword: string]: JsonValue;
}

/** Whether `value` is a plain object (`{}` or `Object.create(null)`): not an array, a class instance or a proxy-like exotic. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Defines an own data property, whatever the name: `target[name] = value` with `name === '__proto__'` would replace
 * the prototype of `target` instead (the mechanism of prototype pollution).
 */
export function setOwn(target: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
}

/** Freezes a JSON tree in place and returns it, so a compiled schema cannot be changed after its checks ran. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * A deep copy of `value` if it is JSON (finite numbers, plain objects and arrays, no cycles), otherwise `undefined`:
 * schema annotations and `enum` values must survive `JSON.stringify` into an OpenAPI document unchanged.
 */
export function cloneJson(value: unknown, depth = 0): JsonValue | undefined {
  if (depth > 64) return undefined;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (Array.isArray(value)) {
    const copy: JsonValue[] = [];
    for (const item of value) {
      const cloned = cloneJson(item, depth + 1);
      if (cloned === undefined) return undefined;
      copy.push(cloned);
    }
    return copy;
  }
  if (isPlainObject(value)) {
    const copy: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) {
      const cloned = cloneJson(value[key], depth + 1);
      if (cloned === undefined) return undefined;
      setOwn(copy, key, cloned);
    }
    return copy;
  }
  return undefined;
}
