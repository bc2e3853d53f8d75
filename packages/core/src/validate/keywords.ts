/**
 * The JSON Schema 2020-12 vocabulary the allowlist compiler understands. A keyword outside these sets is refused at
 * build time: a validator silently ignoring a keyword it does not know (a typo such as `maxlength`, an OpenAPI 3.0
 * `nullable`) is a rule the developer believes in and nobody enforces.
 */

/** Annotations: copied to the emitted schema, never change what validates. */
export const ANNOTATION_KEYWORDS: ReadonlySet<string> = new Set([
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
  'contentMediaType',
  'contentEncoding',
]);

/** Validation keywords whose value is data (numbers, strings, lists), not a subschema. */
export const VALUE_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'enum',
  'const',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'required',
  'minProperties',
  'maxProperties',
  'dependentRequired',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minContains',
  'maxContains',
]);

/** Keywords holding subschemas that the compiler walks (and, for TypeBox's draft-2019 tuples, rewrites). */
export const APPLICATOR_KEYWORDS: ReadonlySet<string> = new Set([
  'properties',
  'patternProperties',
  'additionalProperties',
  'propertyNames',
  'unevaluatedProperties',
  'items',
  'prefixItems',
  'additionalItems',
  'contains',
  'unevaluatedItems',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  '$ref',
  '$defs',
  'definitions',
]);

/** Identifiers that are dropped: the compiler resolves references itself, and emits one self-contained document. */
export const DROPPED_KEYWORDS: ReadonlySet<string> = new Set(['$id', '$schema']);

/** The JSON Schema dialect every emitted schema declares (OpenAPI 3.1's default dialect). */
export const DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export const JSON_TYPES: ReadonlySet<string> = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);

/**
 * Formats checked by ajv-formats ("full" mode) that a schema may name. Left out on purpose: `regex` (it compiles a
 * client-supplied pattern), `url` (deprecated upstream, a backtracking-prone pattern), and `password` / `binary` (they
 * check nothing).
 */
export const STRING_FORMATS: ReadonlySet<string> = new Set([
  'date',
  'time',
  'date-time',
  'iso-time',
  'iso-date-time',
  'duration',
  'uri',
  'uri-reference',
  'uri-template',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uuid',
  'json-pointer',
  'json-pointer-uri-fragment',
  'relative-json-pointer',
  'byte',
]);

/** Number formats of OpenAPI (`int32`, …), checked by ajv-formats. */
export const NUMBER_FORMATS: ReadonlySet<string> = new Set(['int32', 'int64', 'float', 'double']);

/**
 * Formats whose ajv-formats check only accepts strings of a fixed maximum length, so they bound a string on their
 * own: `date` (10), `uuid` (45 with `urn:uuid:`), `ipv4` (15), `ipv6` (45) and `hostname` (253, RFC 1123). `date-time`
 * and `time` take any number of fraction digits and `email` / `uri` any length, so those need a `maxLength`.
 */
export const BOUNDED_FORMATS: ReadonlySet<string> = new Set(['date', 'uuid', 'ipv4', 'ipv6', 'hostname']);

/** Object member names that can never be declared: on a plain object they reach the prototype, not a property. */
export const FORBIDDEN_PROPERTY_NAMES: ReadonlySet<string> = new Set(['__proto__']);
