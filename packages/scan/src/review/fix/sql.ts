/**
 * SQL injection (CWE-89): a query whose text is built from values right at the call — `db.query("… " + id)`,
 * `` pool.query(`… '${name}'`) ``, `` db.prepare(`…${x}`).all() `` — becomes a parameterised query: each value
 * turns into a placeholder (`$1, $2` for pg, `?` for mysql/mysql2 and the SQLite drivers) and travels separately, so
 * the database never parses it as SQL. A value written inside quotes (`'${x}'`) loses its quotes.
 *
 * Refused, because the rewrite would not be certain to mean the same query: text assembled in earlier statements, a
 * call that already passes values or options, a value that is not in a value position (a table or column name, an
 * `ORDER BY` or `IN (…)` list, part of a longer string such as `'%${x}%'`), a driver that cannot be told from the
 * imports, SQL comments or existing placeholders in the text.
 */
import { dirname, posix } from 'node:path';
import type * as t from '@babel/types';
import { importedBinding, importedModules, isFunctionLiteral, sourceOf } from './ast.js';
import { insertAt, propose, refuse, replaceNode, type FixAttempt, type FixContext } from './attempt.js';
import { builtString, type BuiltString } from './parts.js';
import { quoteString, quoteTemplate, type OffsetEdit } from './text.js';

type Dialect = 'pg' | 'mysql' | 'sqlite';

/** Drivers whose query methods take SQL text plus a list of values, by their placeholder syntax. */
const DRIVERS: Readonly<Record<string, Dialect>> = {
  pg: 'pg',
  'pg-pool': 'pg',
  mysql: 'mysql',
  mysql2: 'mysql',
  'mysql2/promise': 'mysql',
  sqlite3: 'sqlite',
  'better-sqlite3': 'sqlite',
  sqlite: 'sqlite',
  'node:sqlite': 'sqlite',
};

/** Libraries whose `query`-like methods take options or named replacements rather than a values list. */
const LIBRARIES_WITH_OTHER_SIGNATURES = /^(sequelize|typeorm|knex|kysely|drizzle-orm|objection|bookshelf|postgres|slonik|mssql|oracledb|@prisma\/|@mikro-orm\/|@databases\/)/;

/** Methods taking `(sql, values?, callback?)`. */
const DIRECT_METHODS = new Set(['query', 'execute', 'run', 'get', 'all', 'each']);
/** Statement methods after `prepare(sql)` that take the parameters (better-sqlite3, sqlite3, node:sqlite). */
const STATEMENT_METHODS = new Set(['all', 'get', 'run', 'iterate', 'each']);

/**
 * After this text a value is a scalar operand: a comparison, `LIKE`, `LIMIT`/`OFFSET`, or an item of a `VALUES (…)`
 * list. Anywhere else (`SELECT ${cols}`, `FROM ${table}`, `ORDER BY ${col}`, `IN (${ids})`, `AND ${condition}`) the
 * value is SQL syntax, which a parameter cannot carry: the query would still run, meaning something else.
 */
const VALUE_POSITION = /(?:=|<>|!=|<=|>=|<|>|\bI?LIKE|\bLIMIT|\bOFFSET|\bVALUES\s*\((?:[^()]*,)?)\s*$/i;

function driverOf(modules: Iterable<string>): { dialects: Set<Dialect>; other: boolean } {
  const dialects = new Set<Dialect>();
  let other = false;
  for (const module of modules) {
    const dialect = DRIVERS[module];
    if (dialect !== undefined) dialects.add(dialect);
    if (LIBRARIES_WITH_OTHER_SIGNATURES.test(module)) other = true;
  }
  return { dialects, other };
}

/** `pool` in `pool.query`, `db` in `db.prepare`, `app` in `app.db.query`; undefined for `this.db` and the like. */
function receiverRoot(node: t.Node): string | undefined {
  let current = node;
  while (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression') current = current.object;
  return current.type === 'Identifier' ? current.name : undefined;
}

/** Candidate files for a relative import, as TypeScript resolves `./db.js` to `./db.ts`. */
function candidates(fromFile: string, specifier: string): string[] {
  const base = posix.normalize(posix.join(dirname(fromFile).split('\\').join('/'), specifier));
  const stem = base.replace(/\.(?:[cm]?js|jsx|[cm]?ts|tsx)$/, '');
  const extensions = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
  return [base, ...extensions.map((extension) => `${stem}${extension}`), ...extensions.map((extension) => `${base}/index${extension}`)];
}

/** The driver the query runs on: from the file's imports, or from the module its receiver is imported from. */
function dialectOf(context: FixContext, receiver: t.Node): { readonly dialect: Dialect } | { readonly refusal: string } {
  const own = driverOf(importedModules(context.ast));
  if (own.other) return { refusal: 'the file also uses a library whose query methods take options or named replacements' };
  let dialects = own.dialects;
  if (dialects.size === 0) {
    const root = receiverRoot(receiver);
    const binding = root === undefined ? undefined : importedBinding(context.ast, root);
    if (binding !== undefined && binding.module.startsWith('.')) {
      for (const candidate of candidates(context.file, binding.module)) {
        const related = context.related(candidate);
        if (related === undefined) continue;
        const theirs = driverOf(importedModules(related));
        if (theirs.other) return { refusal: `${candidate} also uses a library whose query methods take options or named replacements` };
        dialects = theirs.dialects;
        break;
      }
    }
  }
  const [only] = dialects;
  if (dialects.size === 1 && only !== undefined) return { dialect: only };
  return {
    refusal: dialects.size === 0
      ? 'the database driver cannot be told from the imports (pg, mysql2 or a SQLite driver), so neither are the placeholders'
      : 'the file imports more than one database driver, so the placeholder syntax is not certain',
  };
}

interface Parameterised {
  readonly text: string;
  readonly values: readonly t.Expression[];
}

/** Rewrites the text with placeholders, or explains why that would not mean the same query. */
function parameterise(built: BuiltString, dialect: Dialect): Parameterised | string {
  const { parts } = built;
  const values: t.Expression[] = [];
  let out = '';
  let quote: string | undefined;
  let quoteOpenedAt = -1;
  let skipClosingQuote = false;
  for (let index = 0; index < parts.length; index++) {
    const part = parts[index];
    if (part === undefined) continue;
    if (part.kind === 'text') {
      let text = part.value;
      if (skipClosingQuote) {
        text = text.slice(1);
        skipClosingQuote = false;
      }
      for (let k = 0; k < text.length; k++) {
        const char = text.charAt(k);
        const next = text.charAt(k + 1);
        if (dialect !== 'pg' && char === '?') return 'the SQL text already contains "?", which the driver would read as a placeholder';
        if (quote === undefined) {
          if (char === "'" || char === '"' || char === '`') {
            quote = char;
            quoteOpenedAt = out.length + k;
          } else if ((char === '-' && next === '-') || (char === '/' && next === '*')) {
            return 'the SQL text has a comment, so where each value lands is not certain';
          } else if (dialect === 'pg' && char === '$' && /[\d$]/.test(next)) {
            return 'the SQL text already has $n placeholders or dollar quoting';
          }
        } else if (char === '\\') {
          return 'a quoted string in the SQL text has a backslash, whose meaning depends on the server settings';
        } else if (char === quote) {
          if (next === quote) k++;
          else quote = undefined;
        }
      }
      out += text;
      continue;
    }
    const following = parts[index + 1];
    const placeholder = dialect === 'pg' ? `$${values.length + 1}` : '?';
    if (quote === "'") {
      const fillsTheString = quoteOpenedAt === out.length - 1 && following?.kind === 'text' && following.value.startsWith("'") && !following.value.startsWith("''");
      if (!fillsTheString) return "a value is part of a longer SQL string (such as '%${x}%'); build that string in code and pass it as one parameter";
      out = out.slice(0, -1) + placeholder;
      quote = undefined;
      skipClosingQuote = true;
    } else if (quote !== undefined) {
      return `a value sits inside a ${quote}-quoted identifier, which a parameter cannot replace`;
    } else {
      if (!VALUE_POSITION.test(out)) return 'a value is not in a value position (it is a name, a list or SQL syntax), so a parameter would change the query';
      if (following !== undefined && (following.kind === 'value' || !/^(?:\s|[),;]|$)/.test(following.value))) return 'a value is glued to other SQL text';
      out += placeholder;
    }
    values.push(part.node);
  }
  if (quote !== undefined) return 'the SQL text has an unbalanced quote';
  if (values.length === 0) return 'no value is built into the SQL text';
  return { text: out, values };
}

function literalFor(built: BuiltString, text: string): string {
  return built.style.kind === 'template' ? quoteTemplate(text) : quoteString(text, built.style.quote);
}

/** The `sql-injection` fix: placeholders plus a values list, for pg, mysql/mysql2 and the SQLite drivers. */
export function fixSqlInjection(context: FixContext): FixAttempt {
  const { node } = context.call;
  if (node.type === 'NewExpression') return refuse('the finding is not a query call');
  const callee = node.callee;
  if ((callee.type !== 'MemberExpression' && callee.type !== 'OptionalMemberExpression') || callee.computed || callee.property.type !== 'Identifier') {
    return refuse('the query is not run by a method call such as db.query(…)');
  }
  const method = callee.property.name;
  const args = node.arguments;
  if (args.some((arg) => arg.type === 'SpreadElement')) return refuse('the call spreads its arguments');
  const built = builtString(args[0]);
  if (built === undefined) {
    return refuse('the SQL text is not built in the call itself (it comes from a variable or another function); parameterise where it is assembled');
  }
  const driver = dialectOf(context, callee.object);
  if ('refusal' in driver) return refuse(driver.refusal);
  const { dialect } = driver;
  const query = parameterise(built, dialect);
  if (typeof query === 'string') return refuse(query);
  const arg0 = args[0];
  if (arg0 === undefined) return refuse('the call has no SQL text');
  const literal = literalFor(built, query.text);
  const valueTexts = query.values.map((value) => sourceOf(context.text, value));
  const placeholders = dialect === 'pg' ? query.values.map((_, index) => `$${index + 1}`).join(', ') : '?';
  const description = `Pass ${valueTexts.length === 1 ? 'the value' : `the ${valueTexts.length} values`} as query parameters (${placeholders}) instead of building ${valueTexts.length === 1 ? 'it' : 'them'} into the SQL text.`;

  if (method === 'prepare') return fixPrepared(context, arg0, literal, valueTexts, description);
  if (!DIRECT_METHODS.has(method)) return refuse(`${method}() takes no list of values to parameterise with`);
  if (args.length >= 2 && !isFunctionLiteral(args[1])) return refuse('the call already passes a second argument (values or options); merge the values by hand');
  return propose(description, [replaceNode(arg0, `${literal}, [${valueTexts.join(', ')}]`)]);
}

/** `db.prepare(sql).all()` → `db.prepare('… ?').all(value)`: the parameters go to the statement call chained on. */
function fixPrepared(context: FixContext, arg0: t.Node, literal: string, valueTexts: readonly string[], description: string): FixAttempt {
  const { node, ancestors } = context.call;
  const member = ancestors[ancestors.length - 1];
  const statementCall = ancestors[ancestors.length - 2];
  const chained = (member?.type === 'MemberExpression' || member?.type === 'OptionalMemberExpression') && member.object === node && !member.computed
    && member.property.type === 'Identifier' && STATEMENT_METHODS.has(member.property.name)
    && (statementCall?.type === 'CallExpression' || statementCall?.type === 'OptionalCallExpression') && statementCall.callee === member;
  if (!chained) return refuse('the prepared statement is run elsewhere; parameters can only be added when .all()/.get()/.run() follows prepare() in the same expression');
  const statementArgs = statementCall.arguments;
  const edits: OffsetEdit[] = [replaceNode(arg0, literal)];
  if (statementArgs.length === 0) {
    edits.push(insertAt((statementCall.end ?? 0) - 1, valueTexts.join(', ')));
  } else if (statementArgs.length === 1 && isFunctionLiteral(statementArgs[0])) {
    edits.push(insertAt(statementArgs[0]?.start ?? 0, `${valueTexts.join(', ')}, `));
  } else {
    return refuse('the statement call already passes parameters; merge the values by hand');
  }
  return propose(description, edits);
}
