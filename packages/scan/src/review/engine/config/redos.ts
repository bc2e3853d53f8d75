/**
 * Super-linear regular expressions (ReDoS, CWE-1333): backtracking engines such as V8's Irregexp take exponential
 * time on patterns where a quantified group can match the same text in many ways — a quantifier nested in a
 * quantified group with nothing that separates the iterations (`(a+)+`, `(\w+\s?)*`), or alternatives under a
 * quantifier that can start with the same character (`(a|ab)*`, `(\w|\d)+`). This is a structural check, not a
 * proof: it errs towards the classic shapes attackers exploit.
 */

interface Atom {
  readonly kind: 'char' | 'class' | 'group' | 'anchor';
  /** Source of a single-character matcher (`a`, `\d`, `[a-z]`, `.`). */
  readonly text: string;
  readonly min: number;
  readonly max: number;
  readonly alternatives?: readonly (readonly Atom[])[];
}

const SAMPLE = ['a', 'Z', '0', '_', ' ', '-', '.', ',', '/', ':', '@', '\t', '\n', '"', '<', 'é'];

function parseQuantifier(pattern: string, index: number): { min: number; max: number; next: number } {
  const char = pattern[index];
  let result = { min: 1, max: 1, next: index };
  if (char === '*') result = { min: 0, max: Infinity, next: index + 1 };
  else if (char === '+') result = { min: 1, max: Infinity, next: index + 1 };
  else if (char === '?') result = { min: 0, max: 1, next: index + 1 };
  else if (char === '{') {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(index));
    if (match !== null) {
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
      result = { min, max, next: index + match[0].length };
    }
  }
  if (result.next !== index && pattern[result.next] === '?') result.next++;
  return result;
}

/** Parses a pattern into alternatives of atoms; returns the index after the closing parenthesis. */
function parseSequence(pattern: string, start: number): { alternatives: Atom[][]; next: number } {
  const alternatives: Atom[][] = [[]];
  let index = start;
  while (index < pattern.length) {
    const char = pattern[index];
    if (char === ')') return { alternatives, next: index + 1 };
    if (char === '|') {
      alternatives.push([]);
      index++;
      continue;
    }
    let atom: Omit<Atom, 'min' | 'max'>;
    if (char === '(') {
      let bodyStart = index + 1;
      if (pattern[bodyStart] === '?') {
        const lookaround = /^\?(<?[=!]|:|<[A-Za-z_$][\w$]*>)/.exec(pattern.slice(bodyStart));
        bodyStart += lookaround?.[0].length ?? 1;
        if (lookaround?.[1] !== undefined && /[=!]/.test(lookaround[1])) {
          const inner = parseSequence(pattern, bodyStart);
          index = inner.next;
          continue;
        }
      }
      const inner = parseSequence(pattern, bodyStart);
      atom = { kind: 'group', text: '', alternatives: inner.alternatives };
      index = inner.next;
    } else if (char === '[') {
      let end = index + 1;
      if (pattern[end] === '^') end++;
      if (pattern[end] === ']') end++;
      while (end < pattern.length && pattern[end] !== ']') end += pattern[end] === '\\' ? 2 : 1;
      atom = { kind: 'class', text: pattern.slice(index, end + 1) };
      index = end + 1;
    } else if (char === '\\') {
      const escaped = pattern.slice(index, index + 2);
      atom = /\\[bB]/.test(escaped) ? { kind: 'anchor', text: escaped } : { kind: /\\[dDwWsS]/.test(escaped) ? 'class' : 'char', text: escaped };
      index += 2;
      if (/\\[ux]/.test(escaped)) {
        const hex = /^(\{[0-9a-fA-F]+\}|[0-9a-fA-F]{2,4})/.exec(pattern.slice(index));
        index += hex?.[0].length ?? 0;
        atom = { kind: 'char', text: 'a' };
      }
    } else if (char === '^' || char === '$') {
      atom = { kind: 'anchor', text: char };
      index++;
    } else {
      atom = { kind: char === '.' ? 'class' : 'char', text: char ?? '' };
      index++;
    }
    const quantifier = parseQuantifier(pattern, index);
    index = quantifier.next;
    alternatives[alternatives.length - 1]?.push({ ...atom, min: quantifier.min, max: quantifier.max });
  }
  return { alternatives, next: index };
}

function matcherOf(atom: Atom): RegExp | undefined {
  if (atom.kind === 'group' || atom.kind === 'anchor') return undefined;
  try {
    return new RegExp(`^(?:${atom.text})$`, 's');
  } catch {
    return undefined;
  }
}

/** Characters of the sample set the atom's first position can match. */
function firstChars(sequence: readonly Atom[]): Set<string> {
  const result = new Set<string>();
  for (const atom of sequence) {
    if (atom.kind === 'anchor') continue;
    if (atom.kind === 'group') {
      for (const alternative of atom.alternatives ?? []) for (const char of firstChars(alternative)) result.add(char);
    } else {
      const matcher = matcherOf(atom);
      for (const char of SAMPLE) if (matcher?.test(char) === true) result.add(char);
    }
    if (atom.min > 0) break;
  }
  return result;
}

function unbounded(atom: Atom): boolean {
  return atom.max === Infinity || atom.max > 16;
}

function containsUnboundedQuantifier(sequence: readonly Atom[]): Atom[] {
  const found: Atom[] = [];
  for (const atom of sequence) {
    if (atom.kind === 'group') {
      for (const alternative of atom.alternatives ?? []) {
        const inner = containsUnboundedQuantifier(alternative);
        if (unbounded(atom) || inner.length > 0) found.push(...(unbounded(atom) && inner.length === 0 ? [atom] : inner));
      }
    } else if (unbounded(atom)) {
      found.push(atom);
    }
  }
  return found;
}

/** True when some mandatory literal in the body cannot be matched by the inner repeated atoms (a separator). */
function hasSeparator(body: readonly Atom[], repeated: readonly Atom[]): boolean {
  for (const atom of body) {
    if (repeated.includes(atom) || atom.min === 0 || (atom.kind !== 'char' && atom.kind !== 'class')) continue;
    const separator = matcherOf(atom);
    if (separator === undefined) continue;
    const candidates = atom.kind === 'char' ? [atom.text.startsWith('\\') ? atom.text.slice(1) : atom.text] : SAMPLE.filter((char) => separator.test(char));
    const swallowed = candidates.some((char) =>
      repeated.some((inner) => (inner.kind === 'group' ? true : (matcherOf(inner)?.test(char) ?? true))),
    );
    if (!swallowed) return true;
  }
  return false;
}

function check(sequence: readonly Atom[]): string | undefined {
  for (const atom of sequence) {
    if (atom.kind !== 'group') continue;
    const alternatives = atom.alternatives ?? [];
    if (unbounded(atom)) {
      if (alternatives.length > 1) {
        const seen = new Set<string>();
        for (const alternative of alternatives) {
          for (const char of firstChars(alternative)) {
            if (seen.has(char)) return 'alternatives under a quantifier overlap';
          }
          for (const char of firstChars(alternative)) seen.add(char);
        }
      }
      for (const alternative of alternatives) {
        const repeated = containsUnboundedQuantifier(alternative);
        if (repeated.length > 0 && !hasSeparator(alternative, repeated)) return 'a quantifier is nested in a quantified group';
      }
    }
    for (const alternative of alternatives) {
      const inner = check(alternative);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** Why a pattern is super-linear, or undefined when the structural check finds nothing. */
export function redosReason(pattern: string): string | undefined {
  if (pattern.length > 2_000) return undefined;
  const parsed = parseSequence(pattern, 0);
  for (const alternative of parsed.alternatives) {
    const reason = check(alternative);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
