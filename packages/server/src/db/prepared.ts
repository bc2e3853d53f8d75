import { CompiledQuery, type Compilable, type DialectAdapter, type Kysely } from 'kysely';
import { DurableSqliteAdapter } from './sqlite-driver.js';

/**
 * A query whose shape is fixed and whose values change per call, built with Kysely once per dialect instead of once
 * per request.
 *
 * Kysely builds an operation-node tree and compiles it to SQL on every call; on the login, refresh and authorization
 * paths that was an eighth of the event loop's work per request (docs/benchmarks.md). The first call builds the query
 * with a unique marker in place of each argument, compiles it, and keeps the SQL and the position of each marker among
 * the parameters; later calls put the arguments at those positions. Values still travel only as bound parameters — the
 * SQL text never contains an argument, so this changes nothing about injection safety.
 *
 * The builder must pass each argument straight into the query as a value (`where('id', '=', args.id)`; using it several
 * times is fine): an argument transformed in the builder (case, trimming, slicing), expanded into a list (`in`) or
 * written into the SQL text is refused with an error at first use,
 * rather than run with a stale value. Queries whose shape depends on the values (optional filters, lists) stay plain
 * Kysely.
 *
 * On the server's SQLite dialect the compiled statement also skips Kysely's executor when the connection is free or
 * held by the calling transaction (`DirectSqlite` in ./sqlite-driver.ts): same statement cache, queue and group commit.
 */
export class PreparedQuery<DB, Args extends Record<string, unknown>, Row> {
  readonly #build: (db: Kysely<DB>, args: Args) => Compilable<Row>;
  readonly #templates = new WeakMap<DialectAdapter, Template>();

  constructor(build: (db: Kysely<DB>, args: Args) => Compilable<Row>) {
    this.#build = build;
  }

  /** Every row. */
  async all(db: Kysely<DB>, args: Args): Promise<Row[]> {
    return (await this.#execute(db, args)).rows;
  }

  /** The first row, or `undefined`. */
  async first(db: Kysely<DB>, args: Args): Promise<Row | undefined> {
    return (await this.#execute(db, args)).rows[0];
  }

  /** Runs a write; resolves with the number of rows it changed. */
  async run(db: Kysely<DB>, args: Args): Promise<bigint> {
    return (await this.#execute(db, args)).changes;
  }

  /** The query for these arguments, compiled for `db`'s dialect (exposed for tests and `EXPLAIN`). */
  compile(db: Kysely<DB>, args: Args): CompiledQuery<Row> {
    const template = this.#templateFor(db, db.getExecutor().adapter);
    return CompiledQuery.raw(template.sql, bind(template, args));
  }

  /**
   * Runs the statement: on the SQLite dialect's direct path where it may (not through an instance with plugins, which
   * transform results inside Kysely's executor), else through Kysely.
   */
  async #execute(db: Kysely<DB>, args: Args): Promise<{ readonly rows: Row[]; readonly changes: bigint }> {
    const executor = db.getExecutor();
    const template = this.#templateFor(db, executor.adapter);
    const parameters = bind(template, args);
    const direct = executor.adapter instanceof DurableSqliteAdapter && executor.plugins.length === 0 ? executor.adapter.direct.run(db, template.sql, parameters) : undefined;
    if (direct !== undefined) {
      const result = await direct;
      return { rows: result.rows as Row[], changes: BigInt(result.changes) };
    }
    const result = await db.executeQuery<Row>(CompiledQuery.raw(template.sql, parameters));
    return { rows: result.rows, changes: result.numAffectedRows ?? 0n };
  }

  #templateFor(db: Kysely<DB>, adapter: DialectAdapter): Template {
    let template = this.#templates.get(adapter);
    if (template === undefined) {
      template = this.#template(db);
      this.#templates.set(adapter, template);
    }
    return template;
  }

  #template(db: Kysely<DB>): Template {
    const markers = new Map<string, string>();
    const probe = new Proxy({} as Args, {
      get: (_target, name) => {
        if (typeof name !== 'string') return undefined;
        let marker = markers.get(name);
        if (marker === undefined) {
          // Mixed case and outer spaces: a builder that lower-cases, upper-cases or trims an argument changes its marker,
          // and is refused below instead of running later calls with the first call's transformation skipped.
          marker = ` \u0000Rampart-Prepared-Argument:${name}:${String(markers.size)}\u0000 `;
          markers.set(name, marker);
        }
        return marker;
      },
    });
    const compiled = this.#build(db, probe).compile();
    const byMarker = new Map([...markers].map(([name, marker]) => [marker, name]));
    const seen = new Set<string>();
    const parameters: Slot[] = compiled.parameters.map((value) => {
      const name = typeof value === 'string' ? byMarker.get(value) : undefined;
      if (name === undefined) return { kind: 'constant', value };
      seen.add(name);
      return { kind: 'argument', name };
    });
    for (const [name, marker] of markers) {
      if (!seen.has(name) || compiled.sql.includes(marker)) {
        throw new Error(`prepared query: argument "${name}" does not reach the query as one bound value; use plain Kysely for this query`);
      }
    }
    return { sql: compiled.sql, parameters };
  }
}

function bind(template: Template, args: Record<string, unknown>): unknown[] {
  return template.parameters.map((slot) => (slot.kind === 'argument' ? args[slot.name] : slot.value));
}

type Slot = { readonly kind: 'argument'; readonly name: string } | { readonly kind: 'constant'; readonly value: unknown };

interface Template {
  readonly sql: string;
  readonly parameters: readonly Slot[];
}

/** Declares a {@link PreparedQuery}: `const byEmail = prepared((db, a: { email: string }) => db.selectFrom(…)…)`. */
export function prepared<DB, Args extends Record<string, unknown>, Row>(
  build: (db: Kysely<DB>, args: Args) => Compilable<Row>,
): PreparedQuery<DB, Args, Row> {
  return new PreparedQuery(build);
}
