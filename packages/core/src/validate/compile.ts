import { Ajv2020, type Format, type ValidateFunction } from 'ajv/dist/2020.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { Static, TSchema } from 'typebox';
import { ConfigurationError } from '../errors.js';
import { securityEvent, type SecurityEventSink } from '../events.js';
import type { Failure, Success } from '../result.js';
import { allowlistSchema, LOOSENINGS, type AllowlistLoosening } from './allowlist.js';
import { createCoercion } from './coerce.js';
import { ValidationError } from './errors.js';
import { toIssues, type ValidationIssue } from './issues.js';
import type { JsonSchema } from './json-value.js';
import { NUMBER_FORMATS, STRING_FORMATS } from './keywords.js';
import { toJsonSchemaDocument, toOpenApiSchema, type OpenApiSchema } from './openapi.js';

export interface CompileOptions extends AllowlistLoosening {
  /**
   * Named: before validating, convert strings where the schema expects numbers, integers or booleans (RFC 8259 number
   * text, `"true"`, `"false"` only), and a lone string where it expects an array, on a copy; the input is never
   * changed. For query strings and path parameters, which only carry strings. Off by default.
   */
  readonly coerceFromStrings?: boolean;
  /**
   * Named loosening: collect every issue (up to `maxIssues`) instead of stopping at the first. A second validator runs
   * on refused values only, but it walks all of a refused value, so a hostile request costs more than a valid one.
   */
  readonly reportAllIssues?: boolean;
  /** Most issues reported when `reportAllIssues` is on. Default 20. */
  readonly maxIssues?: number;
  /** Extra string formats, by name: a RegExp or a predicate. They do not bound a string: add `maxLength`. */
  readonly formats?: Readonly<Record<string, RegExp | ((value: string) => boolean)>>;
  /** Receives one `config.loosened` event per named loosening, at compile time. */
  readonly events?: SecurityEventSink;
}

/** Why `check` refused a value: one stable reason, and the issues (see `ValidationIssue`). */
export interface ValidationFailure extends Failure<'validation_failed'> {
  readonly issues: readonly ValidationIssue[];
}

/** The outcome of `check`: the typed value (coerced, when asked), or the issues. */
export type CheckResult<T> = Success<T> | ValidationFailure;

const DEFAULT_MAX_ISSUES = 20;
const FORMAT_NAME = /^[a-z][a-z0-9-]{0,63}$/;

function ajvFormats(custom: CompileOptions['formats']): Record<string, Format> {
  const formats: Record<string, Format> = {};
  for (const name of [...STRING_FORMATS, ...NUMBER_FORMATS]) formats[name] = fullFormats[name as keyof typeof fullFormats];
  for (const [name, check] of Object.entries(custom ?? {})) {
    if (!FORMAT_NAME.test(name) || name in formats) throw new ConfigurationError(`validate: custom format "${name}" must be a new lower-case name`);
    if (!(check instanceof RegExp) && typeof check !== 'function') throw new ConfigurationError(`validate: custom format "${name}" must be a RegExp or a function`);
    formats[name] = check;
  }
  return formats;
}

function createAjv(allErrors: boolean, formats: Record<string, Format>): Ajv2020 {
  return new Ajv2020({
    allErrors,
    // Unknown keywords and ill-typed numbers are build errors; type and tuple shape are the allowlist's own rules.
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    // Ajv's default (for-in, `!== undefined`): property checks see what property reads in the handler see. Own-only
    // checks cost a quarter of the throughput and only matter for values that are not plain JSON data.
    ownProperties: false,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    validateFormats: true,
    formats,
    addUsedSchema: false,
  });
}

/**
 * Building an Ajv instance (meta-schemas, formats) costs ~10 ms; schemas without custom formats share one per mode, so
 * an API with hundreds of route schemas starts in well under a second. Schemas are compiled without `$id`, so nothing
 * one schema declares is visible to another.
 */
const shared = new Map<boolean, Ajv2020>();

function ajvFor(allErrors: boolean, customFormats: Record<string, Format> | undefined, extensions: ReadonlySet<string>): Ajv2020 {
  let ajv = customFormats === undefined ? shared.get(allErrors) : undefined;
  if (ajv === undefined) {
    ajv = createAjv(allErrors, customFormats ?? ajvFormats(undefined));
    if (customFormats === undefined) shared.set(allErrors, ajv);
  }
  // `x-…` extensions are annotations: registering one changes no other schema's validation.
  for (const keyword of extensions) if (ajv.getKeyword(keyword) === false) ajv.addKeyword(keyword);
  return ajv;
}

function compileWith(ajv: Ajv2020, schema: JsonSchema): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new ConfigurationError(`validate: the schema does not compile: ${error instanceof Error ? error.message : 'unknown error'}`, { cause: error });
  }
}

/**
 * A schema compiled once, at start-up, under the allowlist rules. `check` is the hot path: one generated validator call
 * and, on success, the value itself (or its coerced copy) without further allocation.
 */
export class CompiledSchema<T> {
  readonly #validate: ValidateFunction;
  readonly #explain: ValidateFunction;
  readonly #coerce: ((value: unknown) => unknown) | undefined;
  readonly #declaredNames: ReadonlySet<string>;
  readonly #maxIssues: number;
  readonly #schema: JsonSchema;

  /** @internal Use `compile`. */
  constructor(schema: unknown, options: CompileOptions) {
    const maxIssues = options.maxIssues ?? DEFAULT_MAX_ISSUES;
    if (!Number.isSafeInteger(maxIssues) || maxIssues < 1) throw new ConfigurationError('validate: maxIssues must be a positive whole number');
    // Checked before the schema, so a bad format name is reported as such rather than as an unknown format.
    const formats = options.formats === undefined ? undefined : ajvFormats(options.formats);
    const customFormats = new Set(Object.keys(options.formats ?? {}));
    const allowlisted = allowlistSchema(schema, options, customFormats);
    this.#schema = allowlisted.schema;
    this.#declaredNames = allowlisted.declaredNames;
    this.#validate = compileWith(ajvFor(false, formats, allowlisted.extensions), allowlisted.schema);
    const reportAll = options.reportAllIssues === true;
    this.#explain = reportAll ? compileWith(ajvFor(true, formats, allowlisted.extensions), allowlisted.schema) : this.#validate;
    this.#maxIssues = reportAll ? maxIssues : 1;
    this.#coerce = options.coerceFromStrings === true ? createCoercion(allowlisted.schema) : undefined;

    const events = options.events;
    if (events !== undefined) {
      for (const option of [...LOOSENINGS, 'reportAllIssues'] as const) {
        if (options[option] === true) events(securityEvent('config.loosened', undefined, { control: 'validate', option }));
      }
    }
  }

  /**
   * Validates `value` and returns it typed, or the issues; never throws. With `coerceFromStrings`, the value returned is
   * a converted copy and the input is left as it was.
   */
  check(value: unknown): CheckResult<T> {
    const input = this.#coerce === undefined ? value : this.#coerce(value);
    let valid: boolean;
    try {
      valid = this.#validate(input);
    } catch (error) {
      // A self-referencing or absurdly deep value under a recursive schema overflows the validator's stack, and a
      // custom format may throw: either way the value is refused, never thrown at the caller.
      return this.#unprocessable(error instanceof RangeError ? 'depth' : 'unprocessable');
    }
    if (valid) return { ok: true, value: input as T };
    return { ok: false, reason: 'validation_failed', issues: this.#issues(input) };
  }

  /** Type guard without coercion and without issues: for values built by the application itself. */
  is(value: unknown): value is T {
    try {
      return this.#validate(value);
    } catch {
      return false;
    }
  }

  /** Like `check`, but returns the value or throws a `ValidationError` carrying the issues. */
  assert(value: unknown): T {
    const result = this.check(value);
    if (!result.ok) throw new ValidationError(result.issues);
    return result.value;
  }

  /** The schema after the allowlist defaults, as a JSON Schema 2020-12 document (`$schema`, `$defs`). Frozen. */
  toJsonSchema(): JsonSchema {
    return toJsonSchemaDocument(this.#schema);
  }

  /** The same schema for OpenAPI 3.1: definitions moved to `components.schemas` and references rewritten to them. */
  toOpenApi(componentsPrefix?: string): OpenApiSchema {
    return toOpenApiSchema(this.#schema, componentsPrefix);
  }

  #issues(input: unknown): ValidationIssue[] {
    let errors = this.#validate.errors;
    if (this.#explain !== this.#validate) {
      try {
        this.#explain(input);
        errors = this.#explain.errors;
      } catch {
        // Keep the fail-fast validator's errors.
      }
    }
    return toIssues(errors ?? [], this.#declaredNames, this.#maxIssues);
  }

  #unprocessable(rule: 'depth' | 'unprocessable'): ValidationFailure {
    return { ok: false, reason: 'validation_failed', issues: [{ pointer: '', rule, instancePath: '', schemaPath: '#' }] };
  }
}

/**
 * Compiles a TypeBox (or plain JSON Schema 2020-12) schema once into an allowlist validator typed by `Static<S>`.
 *
 * Protects against mass assignment (unknown properties refused by default), type confusion (`{"$gt": ""}` where a
 * string is expected), oversized or unbounded input (every string, array, map and number bounded, enforced on the
 * schema at build time with a `ConfigurationError`), and loose coercion (off unless `coerceFromStrings` is named, strict when on). See `CompileOptions` for the named loosenings.
 */
export function compile<const S extends TSchema>(schema: S, options: CompileOptions = {}): CompiledSchema<Static<S>> {
  return new CompiledSchema<Static<S>>(schema, options);
}
