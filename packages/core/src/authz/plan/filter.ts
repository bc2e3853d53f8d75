import type { PlanField, PlanFilter, PlanScalar } from './types.js';

/** A filter during planning: the public AST plus the two constants that simplification removes. */
export type Filter = PlanFilter | typeof TRUE | typeof FALSE;

export const TRUE = Object.freeze({ op: 'true' as const });
export const FALSE = Object.freeze({ op: 'false' as const });

function keyOf(filter: Filter): string {
  return JSON.stringify(filter);
}

function junction(op: 'and' | 'or', operands: readonly Filter[]): Filter {
  const absorbing = op === 'and' ? FALSE : TRUE;
  const flat: PlanFilter[] = [];
  const seen = new Set<string>();
  for (const operand of operands) {
    if (operand === absorbing || operand.op === absorbing.op) return absorbing;
    if (operand.op === 'true' || operand.op === 'false') continue;
    const parts = operand.op === op ? operand.operands : [operand];
    for (const part of parts) {
      const key = keyOf(part);
      if (seen.has(key)) continue;
      seen.add(key);
      flat.push(part);
    }
  }
  if (flat.length === 0) return op === 'and' ? TRUE : FALSE;
  if (flat.length === 1) return flat[0] ?? absorbing;
  return Object.freeze({ op, operands: Object.freeze(flat) });
}

export function and(...operands: readonly Filter[]): Filter {
  return junction('and', operands);
}

export function or(...operands: readonly Filter[]): Filter {
  return junction('or', operands);
}

export function not(operand: Filter): Filter {
  if (operand.op === 'true') return FALSE;
  if (operand.op === 'false') return TRUE;
  if (operand.op === 'not') return operand.operand;
  return Object.freeze({ op: 'not', operand });
}

export function isNull(field: PlanField): Filter {
  return Object.freeze({ op: 'isNull', field });
}

export function present(field: PlanField): Filter {
  return not(isNull(field));
}

export function compare(op: 'eq' | 'lt' | 'le' | 'gt' | 'ge', field: PlanField, value: PlanScalar): Filter {
  return Object.freeze({ op, field, value });
}

export function oneOf(field: PlanField, values: readonly PlanScalar[]): Filter {
  const unique = [...new Map(values.map((v) => [`${typeof v}:${String(v)}`, v])).values()];
  if (unique.length === 0) return FALSE;
  if (unique.length === 1) return compare('eq', field, unique[0] ?? '');
  return Object.freeze({ op: 'in', field, values: Object.freeze(unique) });
}

/**
 * A CEL boolean as two filters over the row: where it is `true` and where it is `false`; elsewhere it is an error
 * (CEL's logic is Kleene's with error as unknown: `false && error` is `false`, `true && error` is an error).
 * For an untranslatable part both are lower bounds (`FALSE`): the plan then treats it as an error, which denies.
 */
export interface Tri {
  readonly whenTrue: Filter;
  readonly whenFalse: Filter;
}

export const KNOWN_TRUE: Tri = Object.freeze({ whenTrue: TRUE, whenFalse: FALSE });
export const KNOWN_FALSE: Tri = Object.freeze({ whenTrue: FALSE, whenFalse: TRUE });
export const KNOWN_ERROR: Tri = Object.freeze({ whenTrue: FALSE, whenFalse: FALSE });

export function triAnd(a: Tri, b: Tri): Tri {
  return { whenTrue: and(a.whenTrue, b.whenTrue), whenFalse: or(a.whenFalse, b.whenFalse) };
}

export function triOr(a: Tri, b: Tri): Tri {
  return { whenTrue: or(a.whenTrue, b.whenTrue), whenFalse: and(a.whenFalse, b.whenFalse) };
}

export function triNot(a: Tri): Tri {
  return { whenTrue: a.whenFalse, whenFalse: a.whenTrue };
}

/** `a` then, only if `a` is false, `b`: the engine's left-to-right loops, where an error stops the loop. */
export function triOrElse(a: Tri, b: Tri): Tri {
  return { whenTrue: or(a.whenTrue, and(a.whenFalse, b.whenTrue)), whenFalse: and(a.whenFalse, b.whenFalse) };
}

/** `a` then, only if `a` is true, `b` (a rule's roles, then its condition). */
export function triAndThen(a: Tri, b: Tri): Tri {
  return { whenTrue: and(a.whenTrue, b.whenTrue), whenFalse: or(a.whenFalse, and(a.whenTrue, b.whenFalse)) };
}

export function triOf(value: boolean): Tri {
  return value ? KNOWN_TRUE : KNOWN_FALSE;
}
