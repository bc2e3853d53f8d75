/**
 * Vulnerability classes as bits, so a taint can carry "already sanitized for SQL and XSS" as one number: a sanitizer
 * is specific to a class (encodeURIComponent does not make a SQL string safe), and the check at a sink is one AND.
 */
import { VULNERABILITY_CLASSES, type VulnerabilityClass } from '../types.js';

const BITS = new Map<VulnerabilityClass, number>(VULNERABILITY_CLASSES.map((name, index) => [name, 1 << index]));

/** Every class: a value sanitized this way (a number, a boolean) can no longer inject anything. */
export const ALL_CLASSES = (1 << VULNERABILITY_CLASSES.length) - 1;

/** The bit of one class. */
export function classBit(name: VulnerabilityClass): number {
  return BITS.get(name) ?? 0;
}

/** The bits of several classes, or all of them. */
export function classMask(names: 'all' | readonly VulnerabilityClass[]): number {
  if (names === 'all') return ALL_CLASSES;
  let mask = 0;
  for (const name of names) mask |= classBit(name);
  return mask;
}

/**
 * Classes that need a non-string value: NoSQL operator injection (`{ $ne: null }`), mass assignment and
 * prototype pollution through merges. Coercing to a string (`String(x)`, a template literal) makes a value safe for
 * them, and only for them.
 */
export const OBJECT_ONLY_CLASSES = classMask(['nosql-injection', 'mass-assignment']);
