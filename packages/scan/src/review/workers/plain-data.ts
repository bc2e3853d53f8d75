import { createHash } from 'node:crypto';

/**
 * A JSON encoding for the plain data that crosses threads (summaries, rule sets): what `structuredClone` carries
 * that JSON alone does not (Map, Set, undefined, non-finite numbers, RegExp, Date) is tagged. Decoding builds only
 * plain objects, arrays and those built-ins — never a class instance, never code — and writes keys with
 * `Object.fromEntries`, so a `__proto__` key stays a key and cannot reach a prototype (CWE-1321).
 */

/** Thrown for a value the encoding does not carry (a function, a class instance, a typed array): it is not cached. */
export class UnencodableValueError extends Error {
  readonly code = 'REVIEW_UNENCODABLE';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_DEPTH = 256;

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Encodes `value` as JSON-safe data; object keys are sorted so equal data encodes to equal text. */
export function encodePlain(value: unknown, depth = 0): Json {
  if (depth > MAX_DEPTH) throw new UnencodableValueError('value nested too deeply');
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (value === undefined) return { $u: 1 };
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $n: String(value) };
  if (typeof value !== 'object') throw new UnencodableValueError(`cannot encode a ${typeof value}`);
  if (Array.isArray(value)) return Array.from(value, (item: unknown) => encodePlain(item, depth + 1));
  if (value instanceof Map) return { $map: [...value].map(([k, v]: [unknown, unknown]) => [encodePlain(k, depth + 1), encodePlain(v, depth + 1)]) };
  if (value instanceof Set) return { $set: [...value].map((item: unknown) => encodePlain(item, depth + 1)) };
  if (value instanceof RegExp) return { $re: [value.source, value.flags] };
  if (value instanceof Date) return { $date: value.getTime() };
  if (!isPlainObject(value)) throw new UnencodableValueError(`cannot encode an instance of ${value.constructor.name}`);
  const keys = Object.keys(value).sort();
  const record = value as Record<string, unknown>;
  if (keys.some((key) => key.startsWith('$'))) return { $obj: keys.map((key) => [key, encodePlain(record[key], depth + 1)]) };
  return Object.fromEntries(keys.map((key) => [key, encodePlain(record[key], depth + 1)]));
}

/** Thrown for encoded data that is not what `encodePlain` writes (a corrupt or foreign cache file). */
export class MalformedPlainDataError extends Error {
  readonly code = 'REVIEW_MALFORMED_DATA';
}

function pairs(value: unknown): [unknown, unknown][] {
  if (!Array.isArray(value)) throw new MalformedPlainDataError('expected an array of pairs');
  return value.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new MalformedPlainDataError('expected a pair');
    return [pair[0], pair[1]] as [unknown, unknown];
  });
}

/** The inverse of `encodePlain`; throws `MalformedPlainDataError` on anything it would not have written. */
export function decodePlain(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new MalformedPlainDataError('data nested too deeply');
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number') return value;
  if (Array.isArray(value)) return value.map((item: unknown) => decodePlain(item, depth + 1));
  if (typeof value !== 'object') throw new MalformedPlainDataError(`unexpected ${typeof value}`);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const tag = keys.length === 1 ? keys[0] : undefined;
  if (tag?.startsWith('$') === true) {
    const body = record[tag];
    switch (tag) {
      case '$u':
        return undefined;
      case '$n':
        if (body === 'NaN') return Number.NaN;
        if (body === 'Infinity') return Number.POSITIVE_INFINITY;
        if (body === '-Infinity') return Number.NEGATIVE_INFINITY;
        throw new MalformedPlainDataError('bad number');
      case '$map':
        return new Map(pairs(body).map(([k, v]) => [decodePlain(k, depth + 1), decodePlain(v, depth + 1)]));
      case '$set':
        if (!Array.isArray(body)) throw new MalformedPlainDataError('bad set');
        return new Set(body.map((item: unknown) => decodePlain(item, depth + 1)));
      case '$re':
        if (!Array.isArray(body) || typeof body[0] !== 'string' || typeof body[1] !== 'string') throw new MalformedPlainDataError('bad regexp');
        try {
          return new RegExp(body[0], body[1]);
        } catch {
          throw new MalformedPlainDataError('bad regexp');
        }
      case '$date':
        if (typeof body !== 'number') throw new MalformedPlainDataError('bad date');
        return new Date(body);
      case '$obj':
        return Object.fromEntries(pairs(body).map(([k, v]) => {
          if (typeof k !== 'string') throw new MalformedPlainDataError('bad object key');
          return [k, decodePlain(v, depth + 1)];
        }));
      default:
        throw new MalformedPlainDataError(`unknown tag ${tag}`);
    }
  }
  if (keys.some((key) => key.startsWith('$'))) throw new MalformedPlainDataError('untagged $ key');
  return Object.fromEntries(keys.map((key) => [key, decodePlain(record[key], depth + 1)]));
}

/** SHA-256 of the encoding: equal plain data gives an equal digest. Throws `UnencodableValueError`. */
export function digestPlain(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(encodePlain(value))).digest('hex');
}
