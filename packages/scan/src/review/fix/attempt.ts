/**
 * The shape every fixer shares: it gets the finding's call in its parsed file and either proposes edits or refuses
 * with a reason. Refusing is the normal outcome whenever the rewrite is not certain to keep the code's meaning: a fix
 * that changes what a program does is worse than a finding left for a person.
 */
import type * as t from '@babel/types';
import type { Finding } from '../types.js';
import type { LocatedCall } from './ast.js';
import type { OffsetEdit } from './text.js';

/** What a fixer knows: the finding, its file's text and AST, the call at the finding's range. */
export interface FixContext {
  readonly finding: Finding;
  readonly file: string;
  readonly text: string;
  readonly ast: t.File;
  readonly call: LocatedCall;
  /**
   * The AST of another reviewed file by its root-relative path (for an import one hop away, such as the module that
   * creates the database pool), or undefined when it cannot be read or parsed.
   */
  readonly related: (file: string) => t.File | undefined;
}

/** A fixer's answer: offset edits in the finding's file with a description, or why it will not fix. */
export type FixAttempt =
  | {
      readonly kind: 'fix';
      readonly description: string;
      readonly edits: readonly OffsetEdit[];
      /** The engine's own `finding.fix` is used when it has one, unless this fix knows better (set here). */
      readonly overridesEngineFix?: boolean;
    }
  | { readonly kind: 'refused'; readonly reason: string };

/** A refusal with its reason. */
export function refuse(reason: string): FixAttempt {
  return { kind: 'refused', reason };
}

/** A proposed fix. */
export function propose(description: string, edits: readonly OffsetEdit[], overridesEngineFix = false): FixAttempt {
  return overridesEngineFix ? { kind: 'fix', description, edits, overridesEngineFix } : { kind: 'fix', description, edits };
}

/** Replaces the source of `node`. */
export function replaceNode(node: t.Node, text: string): OffsetEdit {
  return { start: node.start ?? 0, end: node.end ?? 0, text };
}

/** Inserts text at an offset. */
export function insertAt(offset: number, text: string): OffsetEdit {
  return { start: offset, end: offset, text };
}
