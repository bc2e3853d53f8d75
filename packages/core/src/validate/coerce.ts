import { isPlainObject, setOwn, type JsonSchema } from './json-value.js';

/** RFC 8259 §6 number grammar, nothing more: no hex, no `Infinity`, no blanks, no `_` separators, no empty string. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** Longer digit strings are no number anyone sends in a query string; they stay strings and fail `type`. */
const MAX_NUMBER_TEXT = 40;
/** Coercion follows the schema and the value together; deeper than this it leaves the value for the validator. */
const MAX_DEPTH = 64;

type Definitions = Readonly<Record<string, JsonSchema>>;

/** Compiled `patternProperties` patterns. Keys come from compiled schemas only, never from input, so it stays small. */
const patternCache = new Map<string, RegExp>();

function matches(pattern: string, key: string): boolean {
  let regex = patternCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(pattern, 'u');
    patternCache.set(pattern, regex);
  }
  return regex.test(key);
}

function definitionsOf(schema: JsonSchema): Definitions {
  if (typeof schema === 'boolean') return {};
  const defs = schema.$defs;
  return isPlainObject(defs) ? (defs as Definitions) : {};
}

function resolve(schema: JsonSchema, defs: Definitions): JsonSchema {
  if (typeof schema === 'boolean' || typeof schema.$ref !== 'string') return schema;
  const name = schema.$ref.slice('#/$defs/'.length).replaceAll('~1', '/').replaceAll('~0', '~');
  return defs[name] ?? schema;
}

/** The JSON types a schema can accept at its own location (through `$ref`, `anyOf`, `oneOf`, `allOf`, enum, const). */
function acceptedTypes(schema: JsonSchema, defs: Definitions, into: Set<string>, depth: number): Set<string> {
  if (depth > MAX_DEPTH || typeof schema === 'boolean') return into;
  const type = schema.type;
  if (typeof type === 'string') into.add(type);
  else if (Array.isArray(type)) for (const item of type) if (typeof item === 'string') into.add(item);
  const literals = Array.isArray(schema.enum) ? schema.enum : 'const' in schema ? [schema.const] : [];
  for (const literal of literals) into.add(literal === null ? 'null' : Array.isArray(literal) ? 'array' : typeof literal);
  if (typeof schema.$ref === 'string') acceptedTypes(resolve(schema, defs), defs, into, depth + 1);
  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[keyword];
    if (Array.isArray(branches)) for (const branch of branches) acceptedTypes(branch as JsonSchema, defs, into, depth + 1);
  }
  return into;
}

function coerceString(text: string, types: ReadonlySet<string>): unknown {
  if (types.has('string')) return text;
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  if ((types.has('number') || types.has('integer')) && text.length <= MAX_NUMBER_TEXT && JSON_NUMBER.test(text)) {
    const number = Number(text);
    // 1e400 is Infinity: left a string, so `type` refuses it. -0 becomes 0, so `Object.is`, `1 / x` and keys agree.
    if (Number.isFinite(number)) return number === 0 ? 0 : number;
  }
  return text;
}

/** The one branch of a union that can take a value of this JSON type, or `undefined` when none or several can. */
function onlyBranchFor(branches: readonly JsonSchema[], jsonType: string, defs: Definitions): JsonSchema | undefined {
  let found: JsonSchema | undefined;
  for (const branch of branches) {
    if (!acceptedTypes(branch, defs, new Set(), 0).has(jsonType)) continue;
    if (found !== undefined) return undefined;
    found = branch;
  }
  return found;
}

function coerceValue(schema: JsonSchema, value: unknown, defs: Definitions, depth: number): unknown {
  if (depth > MAX_DEPTH || typeof schema === 'boolean') return value;
  const node = resolve(schema, defs);
  if (typeof node === 'boolean') return value;

  if (typeof value === 'string') {
    const types = acceptedTypes(node, defs, new Set(), 0);
    if (!types.has('string') && types.has('array') && !types.has('number') && !types.has('integer') && !types.has('boolean')) {
      // A query-string key given once arrives as a string where the schema wants a list of them.
      return coerceValue(node, [value], defs, depth + 1);
    }
    return coerceString(value, types);
  }

  let current = value;
  const allOf = node.allOf;
  if (Array.isArray(allOf)) for (const branch of allOf) current = coerceValue(branch as JsonSchema, current, defs, depth + 1);
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = node[keyword];
    if (!Array.isArray(branches) || current === null || typeof current !== 'object') continue;
    const branch = onlyBranchFor(branches as JsonSchema[], Array.isArray(current) ? 'array' : 'object', defs);
    if (branch !== undefined) current = coerceValue(branch, current, defs, depth + 1);
  }

  if (Array.isArray(current)) return coerceArray(node, current, defs, depth);
  if (isPlainObject(current)) return coerceObject(node, current, defs, depth);
  return current;
}

function coerceArray(node: Exclude<JsonSchema, boolean>, value: readonly unknown[], defs: Definitions, depth: number): unknown {
  const prefix = Array.isArray(node.prefixItems) ? (node.prefixItems as JsonSchema[]) : [];
  const rest = node.items as JsonSchema | undefined;
  let copy: unknown[] | undefined;
  for (let index = 0; index < value.length; index += 1) {
    const itemSchema = prefix[index] ?? rest;
    if (itemSchema === undefined) continue;
    const item = value[index];
    const coerced = coerceValue(itemSchema, item, defs, depth + 1);
    if (coerced !== item) {
      copy ??= [...value];
      copy[index] = coerced;
    }
  }
  return copy ?? value;
}

function coerceObject(node: Exclude<JsonSchema, boolean>, value: Record<string, unknown>, defs: Definitions, depth: number): unknown {
  const properties = isPlainObject(node.properties) ? (node.properties as Record<string, JsonSchema>) : {};
  const patterns = isPlainObject(node.patternProperties) ? Object.entries(node.patternProperties as Record<string, JsonSchema>) : [];
  const additional = node.additionalProperties as JsonSchema | undefined;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    let propertySchema: JsonSchema | undefined = Object.hasOwn(properties, key) ? properties[key] : undefined;
    propertySchema ??= patterns.find(([pattern]) => matches(pattern, key))?.[1];
    propertySchema ??= typeof additional === 'object' ? additional : undefined;
    if (propertySchema === undefined) continue;
    const item = value[key];
    const coerced = coerceValue(propertySchema, item, defs, depth + 1);
    if (coerced !== item) {
      if (copy === undefined) {
        // Same prototype as the input (form parsers build null-prototype objects), same own properties.
        copy = Object.getPrototypeOf(value) === null ? (Object.create(null) as Record<string, unknown>) : {};
        for (const name of Object.keys(value)) setOwn(copy, name, value[name]);
      }
      setOwn(copy, key, coerced);
    }
  }
  return copy ?? value;
}

/**
 * Builds the coercion a schema asks for: query-string and path-parameter strings become the numbers, booleans and
 * one-item arrays the schema expects, and nothing else does.
 *
 * Protects against loose conversions being turned into bypasses: only RFC 8259 number text converts (`"0x10"`, `" 1"`,
 * `""`, `"Infinity"`, `"1e400"` stay strings and fail `type`), only `"true"` / `"false"` become booleans, a location
 * that also accepts strings is never converted, and the input is never mutated (changed containers are copied, with
 * `__proto__` copied as a plain own property).
 */
export function createCoercion(schema: JsonSchema): (value: unknown) => unknown {
  const defs = definitionsOf(schema);
  return (value) => coerceValue(schema, value, defs, 0);
}
