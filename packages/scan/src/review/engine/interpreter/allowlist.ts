/**
 * Anchored character-class regular expressions as guards. `if (!/^[a-z0-9_-]{1,32}$/.test(x)) return;` leaves `x`
 * made only of the listed characters, and which characters are listed decides which injections stay possible: digits
 * and operators (`^[\d+\-*\/(). ]+$`) cannot name a function (CWE-94) but can still climb directories with `../`
 * (CWE-22); a class without quotes cannot close a SQL string (CWE-89).
 */
import { ALL_CLASSES, classMask } from '../classes.js';
import type { VulnerabilityClass } from '../../types.js';

/**
 * An anchored regular expression made only of character classes without wildcards (`/^[a-z0-9_-]{1,32}$/`): a value
 * that passes it cannot carry quotes, separators or operators.
 */
export function isAllowlistRegex(source: string): boolean {
  if (!source.startsWith('^') || !source.endsWith('$') || source.endsWith('\\$')) return false;
  const body = source.slice(1, -1);
  if (/(^|[^\\])\.|\\[SWDs]|\[\^|\|/.test(body)) return false;
  return !/[/'"`;<>]/.test(body.replace(/\\./g, ''));
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const ESCAPE_SETS: Readonly<Record<string, string>> = { d: DIGITS, w: `${LETTERS}${DIGITS}_`, s: ' \t\n\r\f\v' };

/** Which characters an escape inside or outside a class stands for (`\d`, `\.`), or undefined for one we do not read. */
function escapeSet(letter: string): string | undefined {
  if (letter in ESCAPE_SETS) return ESCAPE_SETS[letter];
  if (/[SWDbBpPuxck1-9]/.test(letter)) return undefined;
  if (letter === 'n') return '\n';
  if (letter === 'r') return '\r';
  if (letter === 't') return '\t';
  if (letter === '0') return '\0';
  return letter;
}

/** The characters a class body (between `[` and `]`) allows, or undefined when it is negated or unreadable. */
function classCharacters(body: string): string | undefined {
  if (body.startsWith('^')) return undefined;
  let chars = '';
  const items: string[] = [];
  for (let index = 0; index < body.length; index++) {
    const char = body[index] ?? '';
    if (char === '\\') {
      const set = escapeSet(body[index + 1] ?? '');
      if (set === undefined) return undefined;
      items.push(set);
      index++;
    } else {
      items.push(char);
    }
  }
  for (let index = 0; index < items.length; index++) {
    const item = items[index] ?? '';
    const next = items[index + 1];
    const end = items[index + 2];
    // A range `a-z`: only between two single characters.
    if (item.length === 1 && next === '-' && end !== undefined && end.length === 1) {
      for (let code = item.charCodeAt(0); code <= end.charCodeAt(0) && code - item.charCodeAt(0) < 256; code++) chars += String.fromCharCode(code);
      index += 2;
    } else {
      chars += item;
    }
  }
  return chars;
}

/**
 * Every character an anchored pattern of classes, escapes, literals, groups and quantifiers can match, or undefined
 * when the pattern has wildcards, alternation, negated classes or anything else that makes the set unknowable.
 */
export function allowedCharacters(source: string): string | undefined {
  if (!source.startsWith('^') || !source.endsWith('$') || source.endsWith('\\$')) return undefined;
  const body = source.slice(1, -1);
  let chars = '';
  for (let index = 0; index < body.length; index++) {
    const char = body[index] ?? '';
    if (char === '[') {
      const close = findClassEnd(body, index + 1);
      if (close === -1) return undefined;
      const set = classCharacters(body.slice(index + 1, close));
      if (set === undefined) return undefined;
      chars += set;
      index = close;
    } else if (char === '\\') {
      const set = escapeSet(body[index + 1] ?? '');
      if (set === undefined) return undefined;
      chars += set;
      index++;
    } else if (char === '{') {
      const close = body.indexOf('}', index);
      if (close === -1 || !/^\{\d*,?\d*\}$/.test(body.slice(index, close + 1))) return undefined;
      index = close;
    } else if (char === '.' || char === '|') {
      return undefined;
    } else if (char === '(') {
      if (body.startsWith('(?:', index)) index += 2;
      else if (body[index + 1] === '?') return undefined;
    } else if (!'+*?)'.includes(char)) {
      chars += char;
    }
  }
  return chars;
}

function findClassEnd(body: string, from: number): number {
  for (let index = from; index < body.length; index++) {
    if (body[index] === '\\') index++;
    else if (body[index] === ']' && index > from) return index;
  }
  return -1;
}

/** Characters that keep each class exploitable when a value may contain them. */
const DANGEROUS: readonly (readonly [string, readonly VulnerabilityClass[]])[] = [
  ['\'"`', ['sql-injection', 'code-injection', 'command-injection', 'xss']],
  ['\\', ['sql-injection', 'code-injection', 'command-injection', 'path-traversal', 'ldap-injection', 'open-redirect', 'ssrf']],
  ['<>', ['xss', 'command-injection']],
  [';|&$', ['command-injection']],
  [' \t', ['command-injection', 'sql-injection']],
  ['\n\r', ['log-injection', 'command-injection', 'sql-injection']],
  ['()*\0', ['ldap-injection']],
  ['.', ['path-traversal']],
  ['/', ['path-traversal', 'open-redirect', 'ssrf']],
  [':@', ['open-redirect', 'ssrf']],
  [`${LETTERS}_$[]!=`, ['code-injection']],
];

/** The classes a value is safe for once it passed `pattern.test(value)` (0 when the pattern cannot be read). */
export function allowlistMask(source: string): number {
  const chars = allowedCharacters(source);
  // `__proto__` and `constructor` are word characters: a word-only key can still reach the prototype.
  const protoKeys = chars === undefined || (chars.includes('_') && /[a-z]/i.test(chars)) ? classMask(['prototype-pollution']) : 0;
  if (isAllowlistRegex(source)) return ALL_CLASSES & ~protoKeys;
  if (chars === undefined || chars.length === 0) return 0;
  let unsafe: VulnerabilityClass[] = [];
  for (const [dangerous, classes] of DANGEROUS) {
    if (Array.from(dangerous).some((char) => chars.includes(char))) unsafe = [...unsafe, ...classes];
  }
  return ALL_CLASSES & ~classMask(unsafe) & ~protoKeys;
}
