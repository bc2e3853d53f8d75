/**
 * Whether a `pattern` alone bounds the length of the strings it accepts: anchored at both ends (`^…$`, with no
 * top-level `|` that would unanchor one side) and without an unbounded quantifier (`*`, `+`, `{n,}`) outside a
 * character class. Without those three quantifiers a regular expression can only match strings of bounded length,
 * and the anchors make the whole string match. Conservative by design: a bounded pattern it cannot see as bounded is
 * refused at build time, and the fix is a `maxLength` next to it; an unbounded pattern is never taken as bounded.
 */
export function isBoundedPattern(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$') || escapedAt(pattern, pattern.length - 1)) return false;
  let inClass = false;
  let groupDepth = 0;
  for (let i = 1; i < pattern.length - 1; i += 1) {
    const char = pattern[i];
    if (char === '\\') {
      i += 1;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    switch (char) {
      case '[':
        inClass = true;
        break;
      case '(':
        groupDepth += 1;
        break;
      case ')':
        groupDepth -= 1;
        break;
      case '|':
        if (groupDepth === 0) return false;
        break;
      case '*':
      case '+':
        return false;
      case '{':
        if (/^\{\d*,\}/.test(pattern.slice(i, i + 24))) return false;
        break;
      default:
        break;
    }
  }
  return !inClass && groupDepth === 0;
}

/** Whether the character at `index` is escaped by an odd run of backslashes before it. */
function escapedAt(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i -= 1) backslashes += 1;
  return backslashes % 2 === 1;
}
