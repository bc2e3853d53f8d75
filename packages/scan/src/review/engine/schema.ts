/**
 * Validation schemas (zod, joi, yup) as sanitizers. A field declared as a number, boolean, enum, UUID, e-mail or a
 * string constrained by a regular expression can carry no injection payload; a plain string field is still a string
 * (safe for NoSQL operator injection and mass assignment, not for SQL or shell text); unknown keys are stripped, so
 * the parsed object as a whole is not a mass-assignment risk. Kept deliberately simple: refinements and transforms
 * that the analysis cannot read make a field "any" (still untrusted).
 */
import { OBJECT_ONLY_CLASSES } from './classes.js';
import { asStrings, cleaned, CLEAN, objectValue, tainted, type SchemaShape, type Value } from './values.js';

/** Modules whose builders produce schemas. */
export const SCHEMA_MODULES = new Set(['zod', 'joi', 'yup', '@hapi/joi', 'valibot']);

const SAFE_BUILDERS = new Set(['number', 'boolean', 'enum', 'nativeEnum', 'literal', 'date', 'bigint', 'nan', 'null', 'undefined', 'bool', 'mixed_oneOf', 'picklist', 'integer']);
const STRING_BUILDERS = new Set(['string']);
const SAFE_REFINEMENTS = new Set([
  'uuid', 'guid', 'email', 'regex', 'matches', 'pattern', 'cuid', 'cuid2', 'ulid', 'datetime', 'isoDate', 'ip', 'int', 'integer',
  'positive', 'negative', 'nonnegative', 'alphanum', 'valid', 'oneOf', 'hex', 'base64', 'token', 'hostname', 'creditCard',
]);
const LOOSENING = new Set(['transform', 'passthrough', 'catchall', 'preprocess', 'custom', 'unknown', 'any', 'record']);

/** Methods of a schema that return the validated data (or a wrapper holding it). */
export const PARSE_METHODS = new Set(['parse', 'parseAsync', 'safeParse', 'safeParseAsync', 'validate', 'validateSync', 'validateAsync', 'cast', 'attempt']);

const SAFE: SchemaShape = { kind: 'safe' };
const STRING: SchemaShape = { kind: 'string' };
const ANY: SchemaShape = { kind: 'any' };

function fieldsOf(value: Value | undefined): Map<string, SchemaShape> {
  const fields = new Map<string, SchemaShape>();
  for (const [key, prop] of value?.props ?? []) fields.set(key, prop.ref?.kind === 'schema' ? prop.ref.schema : ANY);
  return fields;
}

/** A schema built by calling `method` on a schema module (`z.string()`, `Joi.object({...})`). */
export function schemaFromBuilder(method: string, args: readonly Value[]): SchemaShape | undefined {
  if (method === 'object' || method === 'strictObject' || method === 'keys') return { kind: 'object', fields: fieldsOf(args[0]) };
  if (method === 'array') {
    const items = args[0]?.ref?.kind === 'schema' ? args[0].ref.schema : ANY;
    return { kind: 'array', items };
  }
  if (SAFE_BUILDERS.has(method)) return SAFE;
  if (STRING_BUILDERS.has(method)) return STRING;
  if (LOOSENING.has(method) || method === 'alternatives' || method === 'union') return ANY;
  return undefined;
}

/** A schema refined by a chained method (`.uuid()`, `.max(3)`, `.passthrough()`). */
export function refineSchema(schema: SchemaShape, method: string, args: readonly Value[]): SchemaShape {
  if (SAFE_REFINEMENTS.has(method)) return schema.kind === 'object' || schema.kind === 'array' ? schema : SAFE;
  if (LOOSENING.has(method)) return ANY;
  if ((method === 'extend' || method === 'keys' || method === 'append') && schema.kind === 'object') {
    return { kind: 'object', fields: new Map([...schema.fields, ...fieldsOf(args[0])]) };
  }
  return schema;
}

/** The value a schema lets through when it parses `input`. */
export function applySchema(schema: SchemaShape, input: Value, read: (value: Value, key: string) => Value, depth = 0): Value {
  switch (schema.kind) {
    case 'safe':
      return CLEAN;
    case 'string':
      return tainted(cleaned(asStrings(input.taints), OBJECT_ONLY_CLASSES));
    case 'any':
      return input;
    case 'array': {
      const item = depth > 3 ? input : applySchema(schema.items, tainted(input.taints), read, depth + 1);
      return tainted(item.taints);
    }
    case 'object': {
      const props = new Map<string, Value>();
      for (const [key, field] of schema.fields) props.set(key, depth > 3 ? read(input, key) : applySchema(field, read(input, key), read, depth + 1));
      return objectValue(props);
    }
  }
}

/** What a parse method returns: the data itself, or a wrapper (`safeParse` → `{ data }`, joi → `{ value }`). */
export function parseResult(method: string, data: Value): Value {
  if (method === 'safeParse' || method === 'safeParseAsync') return objectValue(new Map([['data', data], ['success', CLEAN], ['error', CLEAN]]));
  return data;
}

/** For joi, `schema.validate(x)` returns `{ value, error }`; zod/yup return the data. */
export function joiValidateResult(data: Value): Value {
  return objectValue(new Map([['value', data], ['error', CLEAN]]));
}
