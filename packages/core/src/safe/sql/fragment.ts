import { ConfigurationError } from '../../errors.js';
import { checkDialect, MAX_PARAMETERS, placeholder, quoteIdentifier, type SqlDialect } from './dialect.js';
import { SqlError } from './errors.js';
import { toParameter, type BoundValue, type SqlParameter } from './values.js';

/**
 * One piece of a fragment. Only `text` reaches the SQL text verbatim, and only trusted code creates it (template
 * strings, `sql.raw` constants, the builder's own keywords); values become placeholders; identifiers are allowlisted
 * names quoted per dialect; `dialect` holds alternatives where the dialects need different SQL.
 */
export type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly value: BoundValue }
  | { readonly kind: 'identifier'; readonly names: readonly string[] }
  | { readonly kind: 'dialect'; readonly variants: Readonly<Record<SqlDialect, readonly Part[]>> };

/** What a driver executes: the SQL text with placeholders, and the values bound to them in order. */
export interface CompiledSql {
  readonly text: string;
  /** A fresh array for every compile (drivers take a mutable array); never concatenated into `text`. */
  readonly values: SqlParameter[];
}

/** The same query split around its placeholders, as a tagged-template call expects it (Kysely's `sql`). */
export interface SqlTemplate {
  readonly strings: TemplateStringsArray;
  readonly values: SqlParameter[];
}

export interface CompileOptions {
  /**
   * A lower bound on parameters than the dialect's limit ({@link MAX_PARAMETERS}), e.g. to cap the size of `IN`
   * lists an endpoint may build. A higher one is refused: the wire protocol cannot carry it.
   */
  readonly maxParameters?: number;
}

const CONSTRUCT = Symbol('SqlFragment.construct');
let readParts: (fragment: SqlFragment) => readonly Part[];

/**
 * An immutable piece of SQL whose values are kept apart from its text until a driver binds them.
 *
 * Protects against SQL injection by construction: the only text a fragment can hold comes from template literals in
 * the source, `sql.raw` constants and allowlisted identifiers, while every interpolated value becomes a placeholder
 * (`$1` or `?`). Fragments cannot be built from outside this module (the constructor needs a private token), cannot
 * be changed after they are built, and refuse to be turned into strings, so `'… ' + fragment` fails loudly instead of
 * silently dropping the values.
 */
export class SqlFragment {
  readonly #parts: readonly Part[];

  static {
    readParts = (fragment) => fragment.#parts;
  }

  /** @internal Build fragments with the `sql` tag and its helpers. */
  constructor(token: symbol, parts: readonly Part[]) {
    if (token !== CONSTRUCT) {
      throw new SqlError('SQL_NOT_A_TEMPLATE', 'SQL fragments are built with the sql tag, not with new SqlFragment()');
    }
    this.#parts = parts;
    Object.freeze(this);
  }

  /** True for fragments built by this module (a look-alike object from JSON or another copy of the library is not). */
  static isFragment(value: unknown): value is SqlFragment {
    return typeof value === 'object' && value !== null && #parts in value;
  }

  /**
   * Renders the fragment for one dialect: `$1, $2, …` for PostgreSQL, `?` for SQLite and MySQL, identifiers quoted
   * as the dialect requires. Throws `SQL_TOO_MANY_PARAMETERS` beyond the dialect's limit (or `maxParameters`).
   */
  compile(dialect: SqlDialect, options: CompileOptions = {}): CompiledSql {
    const { strings, values } = render(this.#parts, checkDialect(dialect), parameterLimit(dialect, options.maxParameters));
    let text = strings[0] ?? '';
    for (let i = 1; i < strings.length; i += 1) text += placeholder(dialect, i) + (strings[i] ?? '');
    return Object.freeze({ text, values });
  }

  /**
   * Renders the fragment as a template-strings array and its values, to hand to another tagged template that binds
   * values itself (Kysely's `sql`, see `toKysely`). Identifiers are quoted for `dialect`; no value enters the strings.
   */
  toTemplate(dialect: SqlDialect, options: CompileOptions = {}): SqlTemplate {
    const { strings, values } = render(this.#parts, checkDialect(dialect), parameterLimit(dialect, options.maxParameters));
    const template = Object.freeze(Object.assign([...strings], { raw: Object.freeze([...strings]) })) as TemplateStringsArray;
    return Object.freeze({ strings: template, values });
  }

  /** Refuses implicit string conversion: a fragment concatenated into a string would lose its bound values. */
  [Symbol.toPrimitive](): never {
    throw new SqlError('SQL_FRAGMENT_STRINGIFIED', 'an SQL fragment cannot be converted to a string; interpolate it into sql`…` instead');
  }

  /** Refuses explicit string conversion, for the same reason as {@link SqlFragment[Symbol.toPrimitive]}. */
  toString(): never {
    return this[Symbol.toPrimitive]();
  }

  /** `console.log` and `util.inspect` show what {@link SqlFragment.toJSON} shows: no values. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SqlFragment ${JSON.stringify(this.toJSON())}`;
  }

  /** For logs: the PostgreSQL text and the number of values, never the values themselves (they may be secrets). */
  toJSON(): { readonly text: string; readonly valueCount: number } {
    const { strings } = render(this.#parts, 'postgres', Number.POSITIVE_INFINITY);
    let text = strings[0] ?? '';
    for (let i = 1; i < strings.length; i += 1) text += placeholder('postgres', i) + (strings[i] ?? '');
    return { text, valueCount: strings.length - 1 };
  }
}

/** @internal Creates a fragment from parts that this module's own helpers produced. */
export function fragmentOf(parts: readonly Part[]): SqlFragment {
  return new SqlFragment(CONSTRUCT, Object.freeze(parts));
}

/** @internal The parts of a fragment, for composing it into another one. */
export function partsOf(fragment: SqlFragment): readonly Part[] {
  return readParts(fragment);
}

/** Appends parts, merging adjacent text so compiling walks as few parts as possible. */
export function appendParts(target: Part[], parts: readonly Part[]): void {
  for (const part of parts) appendPart(target, part);
}

export function appendPart(target: Part[], part: Part): void {
  if (part.kind === 'text') {
    if (part.text === '') return;
    const last = target.at(-1);
    if (last?.kind === 'text') {
      target[target.length - 1] = { kind: 'text', text: last.text + part.text };
      return;
    }
  }
  target.push(part);
}

function parameterLimit(dialect: SqlDialect, requested: number | undefined): number {
  const limit = MAX_PARAMETERS[dialect];
  if (requested === undefined) return limit;
  if (!Number.isSafeInteger(requested) || requested < 0 || requested > limit) {
    throw new ConfigurationError(`maxParameters must be an integer from 0 to ${limit} for ${dialect}`);
  }
  return requested;
}

function render(parts: readonly Part[], dialect: SqlDialect, limit: number): { strings: string[]; values: SqlParameter[] } {
  const strings: string[] = [];
  const values: SqlParameter[] = [];
  let current = '';
  const emit = (pieces: readonly Part[]): void => {
    for (const part of pieces) {
      switch (part.kind) {
        case 'text':
          current += part.text;
          break;
        case 'identifier':
          current += part.names.map((name) => quoteIdentifier(name, dialect)).join('.');
          break;
        case 'value':
          if (values.length >= limit) {
            throw new SqlError('SQL_TOO_MANY_PARAMETERS', `the query binds more than ${limit} parameters, the limit for ${dialect}`);
          }
          values.push(toParameter(part.value, dialect));
          strings.push(current);
          current = '';
          break;
        case 'dialect':
          emit(part.variants[dialect]);
          break;
      }
    }
  };
  emit(parts);
  strings.push(current);
  return { strings, values };
}
