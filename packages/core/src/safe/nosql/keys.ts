import type { NoSqlRefusal } from './errors.js';

/**
 * Keys that reach prototypes: `obj['__proto__'] = x` replaces a prototype, and a recursive merge that follows
 * `constructor` then `prototype` writes into `Object.prototype` for the whole process (mquery CVE-2020-35149,
 * mongoose CVE-2023-3696). Every later query and document then inherits the attacker's fields.
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Characters no field name needs and that layers between the check and the database remove or mangle: C0/C1 controls
 * (NUL ends a C string — BSON keys are C strings), format characters (zero-width space, BOM, bidi controls, which
 * "strip invisible characters" steps delete) and lone surrogates (replaced by U+FFFD when encoded as UTF-8).
 */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}]/u;
const INVISIBLE_OR_CONTROL_GLOBAL = /[\p{Cc}\p{Cf}\p{Cs}]/gu;
const EDGE_WHITESPACE = /^\s|\s$/u;

/** What a normalizing layer (NFKC, invisible-character stripping, trimming) would turn the key into. */
function canonicalKey(key: string): string {
  return key.normalize('NFKC').replace(INVISIBLE_OR_CONTROL_GLOBAL, '').trim();
}

export interface KeyRules {
  /** Accept `.` inside a key (a path the developer wrote, or a document stored with dotted names). */
  readonly allowDots: boolean;
}

/**
 * Classifies one key of untrusted input; `undefined` means it is an ordinary field name.
 *
 * Refuses `$` (operator) and `.` (path) outright, and also every key that is not either but would become one after a
 * common normalization: `＄ne` (U+FF04) and `﹩ne` (U+FE69) become `$ne` under NFKC, `\u0000$ne` and `\u200b$ne`
 * become `$ne` once invisible characters are stripped, ` $ne` once trimmed. Filters such as mongo-sanitize that test
 * `/^\$/` let all of these through.
 */
export function classifyUntrustedKey(key: string, rules: KeyRules): NoSqlRefusal | undefined {
  // With dots allowed, each segment is still a key: `grades.$` is the positional update operator, `a.$ne` an operator.
  if (rules.allowDots && key.includes('.')) return classifyFieldPath(key);
  return classifySegment(key);
}

function classifySegment(key: string): NoSqlRefusal | undefined {
  if (key.startsWith('$')) return 'NOSQL_OPERATOR_KEY';
  if (key.includes('.')) return 'NOSQL_DOTTED_KEY';
  if (PROTOTYPE_KEYS.has(key)) return 'NOSQL_PROTOTYPE_KEY';
  if (key.length === 0 || INVISIBLE_OR_CONTROL.test(key) || EDGE_WHITESPACE.test(key)) return 'NOSQL_DISGUISED_KEY';
  const canonical = canonicalKey(key);
  if (canonical === key) return undefined;
  if (canonical.startsWith('$')) return 'NOSQL_DISGUISED_KEY';
  if (canonical.includes('.')) return 'NOSQL_DISGUISED_KEY';
  if (PROTOTYPE_KEYS.has(canonical)) return 'NOSQL_DISGUISED_KEY';
  return undefined;
}

/**
 * Checks a field path written by the developer (`'profile.email'`): dots separate segments, and each segment must be
 * an ordinary untrusted-safe key, so a path can never smuggle an operator (`'$where'`, `'a.$ne'`), an empty segment
 * (`'a..b'`) or a prototype key even when it is, against advice, taken from input.
 */
export function classifyFieldPath(path: string): NoSqlRefusal | undefined {
  for (const segment of path.split('.')) {
    const refusal = classifySegment(segment);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

/** True for the keys that reach prototypes, in every layer (untrusted input and whole queries alike). */
export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}
