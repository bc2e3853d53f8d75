import type { SqlFragment } from '../../safe/sql/fragment.js';
import { sql } from '../../safe/sql/sql.js';
import { AuthzPlanError } from './errors.js';
import type { PlanField, PlanFilter, PlanScalar, ResourcePlan } from './types.js';

/** The SQL type of an attribute column: what the filter's values are compared as. */
export type PlanColumnType = 'string' | 'number' | 'boolean';

/** An attribute column: a name (a text column) or a name and its type. */
export type PlanAttributeColumn = string | { readonly column: string; readonly type: PlanColumnType };

/**
 * Where the resource's fields live in the table. Column names are the code's own choice (never request input); each
 * goes through `sql.identifier` with itself as the allowlist, so it is quoted and checked, never pasted. A dotted
 * name (`d.owner_id`) qualifies the column with a table alias. `owner`, `tenant` and `id` are text columns; an
 * attribute column holds one type, and NULL means the attribute is absent.
 */
export interface PlanColumns {
  readonly owner?: string;
  readonly tenant?: string;
  readonly id?: string;
  readonly attributes?: Readonly<Record<string, PlanAttributeColumn>>;
}

const COLUMN_TYPES: ReadonlySet<string> = new Set<PlanColumnType>(['string', 'number', 'boolean']);
const COMPARATORS = { eq: ' = ', lt: ' < ', le: ' <= ', gt: ' > ', ge: ' >= ' } as const;

function fieldName(field: PlanField): string {
  return field.kind === 'attribute' ? `attributes.${field.name}` : field.kind;
}

function columnOf(field: PlanField, columns: PlanColumns): { readonly column: SqlFragment; readonly type: PlanColumnType } {
  let mapped: PlanAttributeColumn | undefined;
  if (field.kind === 'attribute') {
    const attributes = columns.attributes;
    mapped = attributes !== undefined && Object.hasOwn(attributes, field.name) ? attributes[field.name] : undefined;
  } else {
    mapped = Object.hasOwn(columns, field.kind) ? columns[field.kind] : undefined;
  }
  if (mapped === undefined) throw new AuthzPlanError('AUTHZ_PLAN_UNMAPPED_FIELD', `no column is mapped for ${fieldName(field)}`, fieldName(field));
  const name = typeof mapped === 'string' ? mapped : mapped.column;
  const type: string = typeof mapped === 'string' ? 'string' : mapped.type;
  if (typeof name !== 'string' || !COLUMN_TYPES.has(type)) {
    throw new AuthzPlanError('AUTHZ_PLAN_INVALID', `the column mapping for ${fieldName(field)} is malformed`, fieldName(field));
  }
  return { column: sql.identifier(name, name.split('.')), type: type as PlanColumnType };
}

function typeOf(value: PlanScalar): PlanColumnType | undefined {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isFinite(value) ? 'number' : undefined;
    case 'boolean':
      return 'boolean';
    default:
      return undefined;
  }
}

/** Without narrowing: a plan may come from JSON, whatever its static type says. */
function isList(value: unknown): boolean {
  return Array.isArray(value);
}

const NOTHING = sql`(1 = 0)`;
const EVERYTHING = sql`(1 = 1)`;

function toSql(filter: PlanFilter, columns: PlanColumns, depth: number): SqlFragment {
  if (depth > 256) throw new AuthzPlanError('AUTHZ_PLAN_INVALID', 'the filter nests too deeply');
  switch (filter.op) {
    case 'and':
    case 'or': {
      if (!isList(filter.operands) || filter.operands.length === 0) throw new AuthzPlanError('AUTHZ_PLAN_INVALID', `an empty ${filter.op}`);
      const parts = filter.operands.map((operand) => toSql(operand, columns, depth + 1));
      return sql`(${sql.join(parts, filter.op === 'and' ? sql` AND ` : sql` OR `)})`;
    }
    case 'not':
      return sql`(NOT ${toSql(filter.operand, columns, depth + 1)})`;
    case 'isNull':
      return sql`(${columnOf(filter.field, columns).column} IS NULL)`;
    case 'eq':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge': {
      const { column, type } = columnOf(filter.field, columns);
      // A value of another type than the column's is never equal, never ordered: CEL's semantics, not SQL's coercion.
      if (typeOf(filter.value) !== type || (type === 'boolean' && filter.op !== 'eq')) return NOTHING;
      return sql`(${column} IS NOT NULL AND ${column}${sql.raw(COMPARATORS[filter.op])}${filter.value})`;
    }
    case 'in': {
      const { column, type } = columnOf(filter.field, columns);
      if (!isList(filter.values)) throw new AuthzPlanError('AUTHZ_PLAN_INVALID', 'an in-list that is not a list');
      const values = filter.values.filter((value) => typeOf(value) === type);
      return values.length === 0 ? NOTHING : sql`(${column} IS NOT NULL AND ${sql.in(column, values)})`;
    }
    default:
      throw new AuthzPlanError('AUTHZ_PLAN_INVALID', 'an unknown filter operation');
  }
}

/**
 * Turns a plan into an SQL condition for `sql\`SELECT … FROM documents WHERE ${where}\``: `(1 = 1)`, `(1 = 0)`, or
 * the filter with every value a bound parameter and every column an allowlisted identifier (`@rampart/core/safe/sql`).
 *
 * Protects against SQL injection through attribute values and principal data (a principal id of `' OR '1'='1` is a
 * parameter), and against a filter that silently widens: a field the mapping does not name throws
 * `AuthzPlanError('AUTHZ_PLAN_UNMAPPED_FIELD')` here, when the query is built, instead of being read as true.
 * Comparisons are false on NULL, so `NOT` never turns an absent attribute into a match.
 */
export function planToSql(plan: ResourcePlan, columns: PlanColumns): SqlFragment {
  switch (plan.kind) {
    case 'always_allowed':
      return EVERYTHING;
    case 'always_denied':
      return NOTHING;
    case 'conditional':
      return toSql(plan.filter, columns, 0);
    default:
      throw new AuthzPlanError('AUTHZ_PLAN_INVALID', 'not a plan from planResources');
  }
}
