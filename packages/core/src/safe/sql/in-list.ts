import { SqlError } from './errors.js';
import { appendPart, appendParts, fragmentOf, partsOf, SqlFragment, type Part } from './fragment.js';
import { bindValue, type SqlValue } from './values.js';
import { checkList } from './template.js';

function membership(expression: SqlFragment, values: Iterable<SqlValue>, negate: boolean, helper: string): SqlFragment {
  if (!SqlFragment.isFragment(expression)) {
    throw new SqlError('SQL_NOT_A_TEMPLATE', `${helper} takes the column as a fragment, e.g. sql\`id\` or sql.identifier(name, allowlist)`);
  }
  const bound = [...checkList(values, helper)].map(bindValue);
  // `x IN ()` is a syntax error in PostgreSQL and MySQL, and an empty subquery has no portable type, so an empty list
  // becomes the truth value it stands for: nothing is IN an empty set, everything (even NULL) is NOT IN it.
  if (bound.length === 0) return fragmentOf([{ kind: 'text', text: negate ? '(1 = 1)' : '(1 = 0)' }]);
  const parts: Part[] = [{ kind: 'text', text: '(' }];
  appendParts(parts, partsOf(expression));
  appendPart(parts, { kind: 'text', text: negate ? ' NOT IN (' : ' IN (' });
  bound.forEach((value, index) => {
    if (index > 0) parts.push({ kind: 'text', text: ', ' });
    parts.push({ kind: 'value', value });
  });
  parts.push({ kind: 'text', text: '))' });
  return fragmentOf(parts);
}

/**
 * `(<expression> IN ($1, $2, …))`, one bound parameter per value; an empty list is `(1 = 0)`, never a syntax error
 * or an accidental match-all. Protects against list building by string concatenation (`ids.join(',')`), against a
 * string being iterated character by character when an array was expected (refused), and against oversized lists
 * (the dialect's parameter limit, or `compile`'s `maxParameters`, refuses with `SQL_TOO_MANY_PARAMETERS`).
 */
export function inList(expression: SqlFragment, values: Iterable<SqlValue>): SqlFragment {
  return membership(expression, values, false, 'sql.in');
}

/** `(<expression> NOT IN (…))`; an empty list is `(1 = 1)`. Same protections as {@link inList}. */
export function notInList(expression: SqlFragment, values: Iterable<SqlValue>): SqlFragment {
  return membership(expression, values, true, 'sql.notIn');
}
