/**
 * A string built in one expression — a template literal or a `+` chain that starts with a string — split into its
 * literal text and the values spliced into it. SQL and shell fixes rewrite exactly these; text assembled over several
 * statements is not followed (the fix would have to be certain about code it cannot see in one place).
 */
import type * as t from '@babel/types';

export type StringPart =
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'value'; readonly node: t.Expression };

export interface BuiltString {
  /** Literal text and values in order; adjacent text parts are merged. */
  readonly parts: readonly StringPart[];
  /** How the original was written: a template literal, or a concatenation whose first string used this quote. */
  readonly style: { readonly kind: 'template' } | { readonly kind: 'concat'; readonly quote: "'" | '"' };
}

function templateParts(node: t.TemplateLiteral, parts: StringPart[]): boolean {
  for (let index = 0; index < node.quasis.length; index++) {
    const cooked: string | null | undefined = node.quasis[index]?.value.cooked;
    if (typeof cooked !== 'string') return false; // an invalid escape: not a string we can reason about
    parts.push({ kind: 'text', value: cooked });
    const expression = node.expressions[index];
    // Babel types a template's substitutions as expressions or TS types; only template literal *types* hold the latter.
    if (expression !== undefined) parts.push({ kind: 'value', node: expression as t.Expression });
  }
  return true;
}

/** The left spine of a `+` chain: `(("a" + b) + "c") + d` → `"a"`, b, `"c"`, d. */
function concatLeaves(node: t.Expression): t.Expression[] {
  const leaves: t.Expression[] = [];
  let current: t.Expression = node;
  while (current.type === 'BinaryExpression' && current.operator === '+' && current.left.type !== 'PrivateName') {
    leaves.unshift(current.right);
    current = current.left;
  }
  leaves.unshift(current);
  return leaves;
}

function merge(parts: readonly StringPart[]): StringPart[] {
  const merged: StringPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (part.kind === 'text' && last?.kind === 'text') merged[merged.length - 1] = { kind: 'text', value: last.value + part.value };
    else merged.push(part);
  }
  return merged;
}

/**
 * Splits a string expression into text and values, or undefined when it is not a string built right here: a template
 * literal with substitutions, or a `+` chain whose first operand is a string (so every `+` in it concatenates).
 */
export function builtString(node: t.Node | undefined): BuiltString | undefined {
  if (node === undefined) return undefined;
  if (node.type === 'TemplateLiteral') {
    const parts: StringPart[] = [];
    return templateParts(node, parts) ? { parts: merge(parts), style: { kind: 'template' } } : undefined;
  }
  if (node.type !== 'BinaryExpression' || node.operator !== '+') return undefined;
  const leaves = concatLeaves(node);
  const first = leaves[0];
  if (first?.type !== 'StringLiteral' && first?.type !== 'TemplateLiteral') return undefined;
  const parts: StringPart[] = [];
  let quote: "'" | '"' | undefined;
  for (const leaf of leaves) {
    if (leaf.type === 'StringLiteral') {
      parts.push({ kind: 'text', value: leaf.value });
      const raw = (leaf.extra as { raw?: unknown } | undefined)?.raw;
      if (quote === undefined && typeof raw === 'string') quote = raw.startsWith('"') ? '"' : "'";
    } else if (leaf.type === 'TemplateLiteral') {
      if (!templateParts(leaf, parts)) return undefined;
    } else {
      parts.push({ kind: 'value', node: leaf });
    }
  }
  return { parts: merge(parts), style: { kind: 'concat', quote: quote ?? "'" } };
}
