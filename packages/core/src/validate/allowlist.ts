import { ConfigurationError } from '../errors.js';
import { cloneJson, deepFreeze, isPlainObject, type JsonSchema, type JsonSchemaObject, type JsonValue } from './json-value.js';
import {
  ANNOTATION_KEYWORDS,
  APPLICATOR_KEYWORDS,
  BOUNDED_FORMATS,
  DIALECT,
  DROPPED_KEYWORDS,
  FORBIDDEN_PROPERTY_NAMES,
  JSON_TYPES,
  NUMBER_FORMATS,
  STRING_FORMATS,
  VALUE_KEYWORDS,
} from './keywords.js';
import { isBoundedPattern } from './pattern.js';

/**
 * The named loosenings of the allowlist rules. Each one is reported once, at build, as a `config.loosened` event when
 * `compile` is given an event sink.
 */
export interface AllowlistLoosening {
  /** Accept `type: 'string'` without `maxLength`, a bounding `format`, an anchored bounded `pattern`, `enum` or `const`. */
  readonly allowUnboundedStrings?: boolean;
  /** Accept `type: 'array'` without `maxItems` (and `uniqueItems` over more than 1000 items). */
  readonly allowUnboundedArrays?: boolean;
  /** Accept numbers without a lower and an upper bound, and integer bounds beyond ±(2^53 − 1). */
  readonly allowUnboundedNumbers?: boolean;
  /** Accept maps (`patternProperties`, `additionalProperties: <schema>`) without `maxProperties` and bounded names. */
  readonly allowUnboundedMaps?: boolean;
  /** Honour `additionalProperties: true` (and `unevaluatedProperties: true`): unknown properties reach the handler. */
  readonly allowAdditionalProperties?: boolean;
  /** Accept schemas that take any value (`{}`, `true`, `Type.Any()`, `Type.Unknown()`). */
  readonly allowAnyValue?: boolean;
}

/** The names of the loosenings, for `config.loosened` events. */
export const LOOSENINGS = [
  'allowUnboundedStrings',
  'allowUnboundedArrays',
  'allowUnboundedNumbers',
  'allowUnboundedMaps',
  'allowAdditionalProperties',
  'allowAnyValue',
] as const satisfies readonly (keyof AllowlistLoosening)[];

/** `uniqueItems` compares every pair of items: beyond this many the check itself is the denial of service. */
const MAX_UNIQUE_ITEMS = 1000;
const DEFINITION_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** A schema after the allowlist rules: self-contained (definitions under `$defs`), frozen, JSON only. */
export interface AllowlistedSchema {
  /** The schema, 2020-12 dialect, without `$schema`; references are `#/$defs/<name>`. */
  readonly schema: JsonSchema;
  /** Every property name the schema declares: the only object keys a client-facing pointer may name. */
  readonly declaredNames: ReadonlySet<string>;
  /** `x-…` extension keywords found, registered with the validator as annotations. */
  readonly extensions: ReadonlySet<string>;
}

interface Context {
  /** Schema location, as a JSON Pointer into the caller's schema, for configuration errors. */
  readonly path: string;
  /**
   * `value`: the schema decides which values are accepted, so the allowlist rules apply. `predicate`: the schema only
   * tests values (`not`, `contains`, `propertyNames`), so closing its objects would change its meaning.
   */
  readonly mode: 'value' | 'predicate';
  /**
   * The schema shares its instance with sibling schemas (it is inside `allOf`, or a branch beside the parent's own
   * properties): its objects stay open, and the outermost such schema closes them with `unevaluatedProperties: false`,
   * which sees the properties every branch evaluated.
   */
  readonly shared: boolean;
}

function pointerSegment(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

class AllowlistCompiler {
  private readonly rawDefinitions = new Map<string, unknown>();
  private readonly aliases = new Map<string, string>();
  private readonly referenced = new Map<string, string>();
  readonly declaredNames = new Set<string>();
  readonly extensions = new Set<string>();

  constructor(
    private readonly loosen: AllowlistLoosening,
    private readonly customFormats: ReadonlySet<string>,
  ) {}

  refuse(path: string, message: string, loosening?: keyof AllowlistLoosening): never {
    const hint = loosening === undefined ? '' : ` (or pass ${loosening}: true, by name)`;
    throw new ConfigurationError(`validate: schema at "${path === '' ? '#' : `#${path}`}": ${message}${hint}`);
  }

  compileRoot(schema: unknown): JsonSchema {
    if (isPlainObject(schema)) {
      const dialect = schema.$schema;
      if (dialect !== undefined && dialect !== DIALECT && dialect !== `${DIALECT}#`) {
        this.refuse('/$schema', `only the JSON Schema 2020-12 dialect is supported (OpenAPI 3.1's)`);
      }
      this.collectDefinitions(schema, '$defs');
      this.collectDefinitions(schema, 'definitions');
    }
    const definitions: Record<string, JsonSchema> = {};
    for (const [name, raw] of this.rawDefinitions) {
      definitions[name] = this.walk(raw, { path: `/$defs/${pointerSegment(name)}`, mode: 'value', shared: false });
    }
    const root = this.walk(schema, { path: '', mode: 'value', shared: false });
    for (const [name, path] of this.referenced) {
      if (!this.rawDefinitions.has(name)) this.refuse(path, `$ref to an unknown definition`);
    }
    if (this.rawDefinitions.size === 0) return deepFreeze(root);
    // A boolean root has nowhere to hold definitions; wrap it so references still resolve.
    const holder: Record<string, JsonValue> = typeof root === 'boolean' ? { allOf: [root] } : { ...root };
    holder.$defs = definitions;
    return deepFreeze(holder);
  }

  private collectDefinitions(schema: Record<string, unknown>, keyword: '$defs' | 'definitions'): void {
    const definitions = schema[keyword];
    if (definitions === undefined) return;
    if (!isPlainObject(definitions)) this.refuse(`/${keyword}`, `${keyword} must be an object of schemas`);
    for (const name of Object.keys(definitions)) {
      if (!DEFINITION_NAME.test(name)) this.refuse(`/${keyword}`, 'definition names must match [A-Za-z0-9_.-]{1,128}');
      if (this.rawDefinitions.has(name)) this.refuse(`/${keyword}/${pointerSegment(name)}`, 'definition declared twice');
      const definition = definitions[name];
      this.rawDefinitions.set(name, definition);
      // TypeBox's Type.Cyclic names each definition by `$id` and refers to it by that bare name.
      if (isPlainObject(definition) && typeof definition.$id === 'string') this.aliases.set(definition.$id, name);
    }
  }

  private resolveReference(reference: unknown, context: Context): string {
    const path = `${context.path}/$ref`;
    if (typeof reference !== 'string') this.refuse(path, '$ref must be a string');
    let name: string | undefined;
    const local = /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(reference);
    if (local?.[1] !== undefined) name = unescapePointer(local[1]);
    else if (this.aliases.has(reference)) name = this.aliases.get(reference);
    else if (this.rawDefinitions.has(reference)) name = reference;
    if (name === undefined) this.refuse(path, 'only references to root definitions ("#/$defs/<name>") are supported; remote and "#" references are not');
    if (context.shared && context.mode === 'value' && this.isObjectLike(this.rawDefinitions.get(name))) {
      this.refuse(path, 'a $ref to an object definition cannot share its instance with other schemas (allOf): a closed definition would refuse the other branches\' properties; inline the object instead');
    }
    if (!this.referenced.has(name)) this.referenced.set(name, path);
    return `#/$defs/${pointerSegment(name)}`;
  }

  private isObjectLike(schema: unknown): boolean {
    if (!isPlainObject(schema)) return false;
    const type = schema.type;
    if (type === 'object' || (Array.isArray(type) && type.includes('object'))) return true;
    return ['properties', 'patternProperties', 'additionalProperties', 'allOf', 'anyOf', 'oneOf', '$ref'].some((keyword) => keyword in schema);
  }

  private walkChild(schema: unknown, path: string, mode: Context['mode']): JsonSchema {
    return this.walk(schema, { path, mode, shared: false });
  }

  private walkList(value: unknown, keyword: string, context: Context, shared: boolean): JsonSchema[] {
    const path = `${context.path}/${keyword}`;
    if (!Array.isArray(value) || value.length === 0) this.refuse(path, `${keyword} must be a non-empty array of schemas`);
    return value.map((branch, index) => this.walk(branch, { path: `${path}/${index}`, mode: context.mode, shared }));
  }

  private walkMap(value: unknown, keyword: string, context: Context, checkName: (name: string) => void): Record<string, JsonSchema> {
    const path = `${context.path}/${keyword}`;
    if (!isPlainObject(value)) this.refuse(path, `${keyword} must be an object of schemas`);
    const out: Record<string, JsonSchema> = {};
    for (const name of Object.keys(value)) {
      checkName(name);
      out[name] = this.walkChild(value[name], `${path}/${pointerSegment(name)}`, context.mode);
    }
    return out;
  }

  private checkPattern(pattern: unknown, path: string): string {
    if (typeof pattern !== 'string') this.refuse(path, 'a pattern must be a string');
    try {
      // The validator compiles patterns with the `u` flag; a pattern that does not compile so is a build error here.
      new RegExp(pattern, 'u');
    } catch {
      this.refuse(path, 'the pattern is not a valid Unicode regular expression');
    }
    return pattern;
  }

  private copyValueKeyword(keyword: string, value: unknown, context: Context): JsonValue {
    const path = `${context.path}/${keyword}`;
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(value) ? value : [value];
        if (types.length === 0 || new Set(types).size !== types.length || !types.every((type) => typeof type === 'string' && JSON_TYPES.has(type))) {
          this.refuse(path, 'type must name JSON types (string, number, integer, boolean, null, object, array), each once');
        }
        return cloneJson(value) ?? null;
      }
      case 'enum':
        if (!Array.isArray(value) || value.length === 0) this.refuse(path, 'enum must be a non-empty array');
        return this.json(value, path);
      case 'const':
        return this.json(value, path);
      case 'pattern':
        return this.checkPattern(value, path);
      case 'format': {
        if (typeof value !== 'string' || !(STRING_FORMATS.has(value) || NUMBER_FORMATS.has(value) || this.customFormats.has(value))) {
          this.refuse(path, 'unknown format: formats must be ones ajv-formats checks, or given in options.formats');
        }
        return value;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        if (typeof value !== 'number' || !Number.isFinite(value)) this.refuse(path, `${keyword} must be a finite number`);
        return value;
      case 'multipleOf':
        if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) this.refuse(path, 'multipleOf must be a positive number');
        return value;
      case 'uniqueItems':
        if (typeof value !== 'boolean') this.refuse(path, 'uniqueItems must be a boolean');
        return value;
      case 'required': {
        if (!Array.isArray(value) || !value.every((name) => typeof name === 'string') || new Set(value).size !== value.length) {
          this.refuse(path, 'required must be an array of distinct property names');
        }
        for (const name of value) this.declareName(name, path);
        return [...value];
      }
      case 'dependentRequired': {
        if (!isPlainObject(value)) this.refuse(path, 'dependentRequired must be an object of name lists');
        for (const [name, list] of Object.entries(value)) {
          this.declareName(name, path);
          if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) this.refuse(path, 'dependentRequired lists must hold property names');
          for (const item of list) this.declareName(item, path);
        }
        return this.json(value, path);
      }
      default:
        // minLength, maxLength, minProperties, maxProperties, minItems, maxItems, minContains, maxContains
        if (!isNonNegativeInteger(value)) this.refuse(path, `${keyword} must be a non-negative whole number`);
        return value;
    }
  }

  private json(value: unknown, path: string): JsonValue {
    const cloned = cloneJson(value);
    if (cloned === undefined) this.refuse(path, 'the value must be JSON (finite numbers, plain objects and arrays)');
    return cloned;
  }

  private declareName(name: string, path: string): void {
    if (FORBIDDEN_PROPERTY_NAMES.has(name)) this.refuse(path, `"${name}" cannot be a property: on a plain object it is the prototype`);
    this.declaredNames.add(name);
  }

  walk(schema: unknown, context: Context): JsonSchema {
    if (typeof schema === 'boolean') {
      if (schema && context.mode === 'value' && this.loosen.allowAnyValue !== true) this.refuse(context.path, 'the schema `true` accepts any value', 'allowAnyValue');
      return schema;
    }
    if (!isPlainObject(schema)) this.refuse(context.path, 'a schema must be a plain object or a boolean');

    const ownObject = ['properties', 'patternProperties', 'additionalProperties'].some((keyword) => keyword in schema) || this.typeIncludes(schema.type, 'object');
    // Branches that meet this schema's own properties on one instance stay open; this schema closes them all.
    const combines = 'allOf' in schema || (('anyOf' in schema || 'oneOf' in schema) && ownObject);

    const out: Record<string, JsonValue> = {};
    let legacyTuple = false;
    for (const keyword of Object.keys(schema)) {
      const value = schema[keyword];
      const path = `${context.path}/${pointerSegment(keyword)}`;
      if (ANNOTATION_KEYWORDS.has(keyword) || keyword.startsWith('x-')) {
        if (keyword.startsWith('x-')) this.extensions.add(keyword);
        out[keyword] = this.json(value, path);
      } else if (DROPPED_KEYWORDS.has(keyword)) {
        continue;
      } else if (VALUE_KEYWORDS.has(keyword)) {
        out[keyword] = this.copyValueKeyword(keyword, value, context);
      } else if (APPLICATOR_KEYWORDS.has(keyword)) {
        switch (keyword) {
          case 'properties':
            out.properties = this.walkMap(value, keyword, context, (name) => {
              this.declareName(name, path);
            });
            break;
          case 'patternProperties':
            out.patternProperties = this.walkMap(value, keyword, context, (pattern) => this.checkPattern(pattern, path));
            break;
          case 'additionalProperties':
          case 'unevaluatedProperties':
            if (value === true) {
              if (this.loosen.allowAdditionalProperties !== true) this.refuse(path, `${keyword}: true lets unknown properties through (mass assignment)`, 'allowAdditionalProperties');
              out[keyword] = true;
            } else if (keyword === 'unevaluatedProperties' && value !== false) {
              this.refuse(path, 'unevaluatedProperties must be false');
            } else {
              out[keyword] = this.walkChild(value, path, context.mode);
            }
            break;
          case 'propertyNames':
            out.propertyNames = this.walkChild(value, path, 'predicate');
            break;
          case 'items':
            if (Array.isArray(value)) {
              // TypeBox's Type.Tuple emits the draft-2019 form; 2020-12 (and OpenAPI 3.1) spell it prefixItems.
              legacyTuple = true;
              out.prefixItems = value.map((item, index) => this.walkChild(item, `${path}/${index}`, context.mode));
            } else {
              out.items = this.walkChild(value, path, context.mode);
            }
            break;
          case 'additionalItems':
            break; // handled after the loop, once `items` is known
          case 'prefixItems':
            if (!Array.isArray(value)) this.refuse(path, 'prefixItems must be an array of schemas');
            out.prefixItems = value.map((item, index) => this.walkChild(item, `${path}/${index}`, context.mode));
            break;
          case 'contains':
          case 'not':
            out[keyword] = this.walkChild(value, path, 'predicate');
            break;
          case 'unevaluatedItems':
            if (value !== false) this.refuse(path, 'unevaluatedItems must be false');
            out.unevaluatedItems = false;
            break;
          case 'anyOf':
          case 'oneOf':
            out[keyword] = this.walkList(value, keyword, context, context.shared || combines);
            break;
          case 'allOf':
            out.allOf = this.walkList(value, keyword, context, true);
            break;
          case '$ref':
            out.$ref = this.resolveReference(value, context);
            break;
          default: // $defs, definitions
            if (context.path !== '') this.refuse(path, 'definitions must be declared at the root of the schema');
            break;
        }
      } else {
        this.refuse(path, `unknown keyword "${keyword}" (a validator would ignore it silently)`);
      }
    }

    if ('additionalItems' in schema) {
      if (!legacyTuple) this.refuse(`${context.path}/additionalItems`, 'additionalItems needs the draft-2019 array form of items; use prefixItems and items');
      const rest = schema.additionalItems;
      if (rest !== undefined) out.items = this.walkChild(rest, `${context.path}/additionalItems`, context.mode);
    }

    if (context.mode === 'value') this.enforce(out, context, combines);
    return out;
  }

  private typeIncludes(type: unknown, name: string): boolean {
    return type === name || (Array.isArray(type) && type.includes(name));
  }

  /** The allowlist rules, on one schema whose subschemas were already walked. */
  private enforce(out: Record<string, JsonValue>, context: Context, combines: boolean): void {
    const { path } = context;
    const constrained = ['type', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf'].some((keyword) => keyword in out);
    if (!constrained && this.loosen.allowAnyValue !== true) {
      this.refuse(path, 'the schema has no type, enum, const, $ref or composition, so it accepts any value', 'allowAnyValue');
    }

    if (combines && !context.shared && !('unevaluatedProperties' in out)) out.unevaluatedProperties = false;

    const literal = 'enum' in out || 'const' in out;
    const types: readonly JsonValue[] = out.type === undefined ? [] : Array.isArray(out.type) ? out.type : [out.type];
    for (const type of types) {
      if (literal) break;
      switch (type) {
        case 'string':
          this.enforceString(out, path);
          break;
        case 'integer':
        case 'number':
          this.enforceNumber(out, path, type);
          break;
        case 'array':
          this.enforceArray(out, path);
          break;
        case 'object':
          this.enforceObject(out, context, combines);
          break;
        default:
          break;
      }
    }
  }

  private enforceString(out: Record<string, JsonValue>, path: string): void {
    const format = out.format;
    const pattern = out.pattern;
    const bounded =
      out.maxLength !== undefined || (typeof format === 'string' && BOUNDED_FORMATS.has(format)) || (typeof pattern === 'string' && isBoundedPattern(pattern));
    if (!bounded && this.loosen.allowUnboundedStrings !== true) {
      this.refuse(path, 'a string needs maxLength, a bounding format (date, uuid, ipv4, ipv6, hostname), an anchored pattern without * + {n,}, enum or const', 'allowUnboundedStrings');
    }
  }

  private enforceNumber(out: Record<string, JsonValue>, path: string, type: 'integer' | 'number'): void {
    if (this.loosen.allowUnboundedNumbers === true || out.format === 'int32') return;
    const low = out.minimum ?? out.exclusiveMinimum;
    const high = out.maximum ?? out.exclusiveMaximum;
    if (low === undefined || high === undefined) this.refuse(path, `${type === 'integer' ? 'an integer' : 'a number'} needs a lower and an upper bound (minimum/exclusiveMinimum and maximum/exclusiveMaximum)`, 'allowUnboundedNumbers');
    if (type === 'integer' && (Math.abs(low as number) > Number.MAX_SAFE_INTEGER || Math.abs(high as number) > Number.MAX_SAFE_INTEGER)) {
      // Beyond 2^53 − 1 two different integers parse to one double: ids collide, limits are off by thousands.
      this.refuse(path, 'integer bounds must stay within ±(2^53 − 1); send larger integers as strings', 'allowUnboundedNumbers');
    }
  }

  private enforceArray(out: Record<string, JsonValue>, path: string): void {
    if (this.loosen.allowUnboundedArrays === true) return;
    const closedTuple = Array.isArray(out.prefixItems) && out.items === false;
    const maxItems = typeof out.maxItems === 'number' ? out.maxItems : closedTuple && Array.isArray(out.prefixItems) ? out.prefixItems.length : undefined;
    if (maxItems === undefined) this.refuse(path, 'an array needs maxItems (or prefixItems with items: false)', 'allowUnboundedArrays');
    if (out.uniqueItems === true && maxItems > MAX_UNIQUE_ITEMS) {
      this.refuse(path, `uniqueItems compares every pair of items: keep maxItems at ${MAX_UNIQUE_ITEMS} or less`, 'allowUnboundedArrays');
    }
  }

  private enforceObject(out: Record<string, JsonValue>, context: Context, combines: boolean): void {
    // Closed by default: an undeclared property is refused, not passed on (mass assignment). A schema sharing its
    // instance stays open here and is closed by the outermost combining schema's unevaluatedProperties.
    if (!('additionalProperties' in out) && !context.shared && !combines) out.additionalProperties = false;

    const additional = out.additionalProperties;
    const isMap = 'patternProperties' in out || (typeof additional === 'object' && additional !== null);
    if (!isMap || this.loosen.allowUnboundedMaps === true) return;
    const names = out.propertyNames;
    const patterns = isPlainObject(out.patternProperties) ? Object.keys(out.patternProperties) : [];
    const namesBounded =
      (isPlainObject(names) && this.boundsStrings(names)) ||
      (patterns.length > 0 && patterns.every((pattern) => isBoundedPattern(pattern)) && (additional === false || additional === undefined));
    if (out.maxProperties === undefined || !namesBounded) {
      this.refuse(context.path, 'a map (patternProperties or additionalProperties: <schema>) needs maxProperties and bounded names (propertyNames with maxLength, or anchored bounded patterns)', 'allowUnboundedMaps');
    }
  }

  private boundsStrings(schema: Record<string, unknown>): boolean {
    const format = schema.format;
    const pattern = schema.pattern;
    return (
      schema.maxLength !== undefined ||
      'enum' in schema ||
      'const' in schema ||
      (typeof format === 'string' && BOUNDED_FORMATS.has(format)) ||
      (typeof pattern === 'string' && isBoundedPattern(pattern))
    );
  }
}

/**
 * Applies the allowlist rules to a schema at build time and returns the schema the validator will run.
 *
 * Protects against mass assignment (objects are closed: `additionalProperties: false` is added where a schema says
 * nothing, and `true` is refused), against resource exhaustion and oversized values reaching storage (every string,
 * array, map and number must be bounded), against rules that silently do nothing (unknown keywords and formats are
 * refused), and against prototype tricks (`__proto__` cannot be declared). Throws `ConfigurationError` naming the
 * schema location and the named loosening that would accept it.
 */
export function allowlistSchema(schema: unknown, loosen: AllowlistLoosening = {}, customFormats: ReadonlySet<string> = new Set()): AllowlistedSchema {
  const compiler = new AllowlistCompiler(loosen, customFormats);
  const root = compiler.compileRoot(schema);
  return { schema: root, declaredNames: compiler.declaredNames, extensions: compiler.extensions };
}

export type { JsonSchema, JsonSchemaObject };
