import { deepFreeze, isPlainObject, type JsonSchema, type JsonValue } from './json-value.js';
import { DIALECT } from './keywords.js';

/** A schema ready for an OpenAPI 3.1 document: the operation's schema, and the components its references point to. */
export interface OpenApiSchema {
  /** The Schema Object to put in the operation (request body, parameter, response). */
  readonly schema: JsonSchema;
  /** Schema Objects to merge into `components.schemas`, keyed by definition name; empty without definitions. */
  readonly components: Readonly<Record<string, JsonSchema>>;
}

const LOCAL_DEFINITION = '#/$defs/';

function rewriteReferences(value: JsonValue, prefix: string): JsonValue {
  if (Array.isArray(value)) return value.map((item: JsonValue) => rewriteReferences(item, prefix));
  if (!isPlainObject(value)) return value;
  const out: Record<string, JsonValue> = {};
  for (const [key, child] of Object.entries(value as Record<string, JsonValue>)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith(LOCAL_DEFINITION)) {
      out[key] = `${prefix}${child.slice(LOCAL_DEFINITION.length)}`;
    } else if (key === 'enum' || key === 'const' || key === 'default' || key === 'examples') {
      out[key] = child; // data, not schema: a `$ref` member there is a value to keep as it is
    } else {
      out[key] = rewriteReferences(child, prefix);
    }
  }
  return out;
}

/** The compiled schema as a standalone JSON Schema 2020-12 document (with `$schema`), definitions under `$defs`. */
export function toJsonSchemaDocument(schema: JsonSchema): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  return deepFreeze({ $schema: DIALECT, ...schema });
}

/**
 * The compiled schema for OpenAPI 3.1 (whose Schema Object is the JSON Schema 2020-12 dialect). Definitions move to
 * `components.schemas` and references follow them, because inside an OpenAPI document `#/$defs/…` would resolve
 * against the document root, not against the schema.
 */
export function toOpenApiSchema(schema: JsonSchema, componentsPrefix = '#/components/schemas/'): OpenApiSchema {
  if (typeof schema === 'boolean') return deepFreeze({ schema, components: {} });
  const { $defs: definitions, ...rest } = schema;
  const components: Record<string, JsonSchema> = {};
  if (isPlainObject(definitions)) {
    for (const [name, definition] of Object.entries(definitions as Record<string, JsonValue>)) {
      components[name] = rewriteReferences(definition, componentsPrefix) as JsonSchema;
    }
  }
  return deepFreeze({ schema: rewriteReferences(rest, componentsPrefix) as JsonSchema, components });
}
