/**
 * What the fixers need to know about a parsed file: the call a finding points at (and what encloses it), which module
 * an identifier was imported from, and whether a name is free. A fix is only made when these answers are certain.
 */
import type * as t from '@babel/types';

export type AnyCall = t.CallExpression | t.OptionalCallExpression | t.NewExpression;

/** A call found at a finding's range, with the nodes that enclose it (outermost first, its parent last). */
export interface LocatedCall {
  readonly node: AnyCall;
  readonly ancestors: readonly t.Node[];
}

const SKIPPED_KEYS = new Set(['loc', 'start', 'end', 'extra', 'leadingComments', 'trailingComments', 'innerComments', 'range', 'errors', 'tokens', 'comments']);

function isNode(value: unknown): value is t.Node {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** The child nodes of `node`, in source order. */
export function childrenOf(node: t.Node): t.Node[] {
  const children: t.Node[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (SKIPPED_KEYS.has(key)) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) children.push(item);
    } else if (isNode(value)) {
      children.push(value);
    }
  }
  return children.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
}

/** Visits every node under `root` (depth first), with its ancestors. */
export function walk(root: t.Node, visit: (node: t.Node, ancestors: readonly t.Node[]) => void): void {
  const stack: { node: t.Node; ancestors: readonly t.Node[] }[] = [{ node: root, ancestors: [] }];
  while (stack.length > 0) {
    const next = stack.pop();
    if (next === undefined) break;
    visit(next.node, next.ancestors);
    const ancestors = [...next.ancestors, next.node];
    const children = childrenOf(next.node);
    for (let index = children.length - 1; index >= 0; index--) {
      const child = children[index];
      if (child !== undefined) stack.push({ node: child, ancestors });
    }
  }
}

function isCall(node: t.Node): node is AnyCall {
  return node.type === 'CallExpression' || node.type === 'OptionalCallExpression' || node.type === 'NewExpression';
}

/**
 * The call a finding's `[start, end)` points at: the call spanning exactly that range, or else the innermost call
 * enclosing it (a configuration finding may point at the offending option, such as `'none'` in `algorithms`, inside
 * the call that passes it). Fixers check the call's shape themselves and refuse one they do not recognise.
 */
export function findCallAt(ast: t.File, start: number, end: number): LocatedCall | undefined {
  let current = ast as t.Node;
  const ancestors: t.Node[] = [];
  let innermost: LocatedCall | undefined;
  for (;;) {
    if (isCall(current)) {
      innermost = { node: current, ancestors: [...ancestors] };
      // A chained call can share the span's start with the call inside it; only an exact match ends the search.
      if (current.start === start && current.end === end && !childrenOf(current).some((child) => child.start === start && child.end === end && isCall(child))) return innermost;
    }
    const child: t.Node | undefined = childrenOf(current).find((candidate) => (candidate.start ?? 0) <= start && (candidate.end ?? 0) >= end);
    if (child === undefined) return innermost;
    ancestors.push(current);
    current = child;
  }
}

/** A string literal's value, or a template literal's when it has no substitutions. */
export function staticString(node: t.Node | null | undefined): string | undefined {
  if (node === null || node === undefined) return undefined;
  if (node.type === 'StringLiteral') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The name of a non-computed property key (`a` in `{ a: 1 }` or `{ 'a': 1 }`). */
export function keyName(key: t.Node): string | undefined {
  if (key.type === 'Identifier') return key.name;
  if (key.type === 'StringLiteral') return key.value;
  return undefined;
}

/** The property `name` of an object literal (the last one, as at run time), or undefined. */
export function propertyOf(object: t.ObjectExpression, name: string): t.ObjectProperty | undefined {
  let found: t.ObjectProperty | undefined;
  for (const property of object.properties) {
    if (property.type === 'ObjectProperty' && !property.computed && keyName(property.key) === name) found = property;
  }
  return found;
}

/** True for a function written in place: a callback argument, as opposed to a values array or options object. */
export function isFunctionLiteral(node: t.Node | undefined): boolean {
  return node?.type === 'ArrowFunctionExpression' || node?.type === 'FunctionExpression';
}

/** Where a name comes from: `import { exec } from 'child_process'` or `const { exec } = require('child_process')`. */
export interface ImportedBinding {
  readonly module: string;
  /** The exported name: `exec`, `default`, or `*` for a namespace / a whole `require()`. */
  readonly imported: string;
  /** The import declaration or the `{ … }` pattern of the require, where sibling names can be added. */
  readonly container: t.ImportDeclaration | t.ObjectPattern | t.VariableDeclarator;
}

function requiredModule(node: t.Node | null | undefined): string | undefined {
  if (node?.type !== 'CallExpression') return undefined;
  if (node.callee.type !== 'Identifier' || node.callee.name !== 'require') return undefined;
  return staticString(node.arguments[0]);
}

/** Every module the file imports or requires (anywhere in it), as written. */
export function importedModules(ast: t.File): Set<string> {
  const modules = new Set<string>();
  walk(ast, (node) => {
    if (node.type === 'ImportDeclaration' || node.type === 'ExportAllDeclaration') modules.add(node.source.value);
    else if (node.type === 'ExportNamedDeclaration' && node.source !== null && node.source !== undefined) modules.add(node.source.value);
    else if (node.type === 'CallExpression') {
      const required = requiredModule(node);
      if (required !== undefined) modules.add(required);
      if (node.callee.type === 'Import') {
        const dynamic = staticString(node.arguments[0]);
        if (dynamic !== undefined) modules.add(dynamic);
      }
    }
  });
  return modules;
}

/** Where `name` is bound by an import or a top-level `require`, when that is its only binding in the file. */
export function importedBinding(ast: t.File, name: string): ImportedBinding | undefined {
  if (bindingCount(ast, name) !== 1) return undefined;
  for (const statement of ast.program.body) {
    if (statement.type === 'ImportDeclaration') {
      if (statement.importKind === 'type') continue;
      for (const specifier of statement.specifiers) {
        if (specifier.local.name !== name) continue;
        const imported = specifier.type === 'ImportDefaultSpecifier'
          ? 'default'
          : specifier.type === 'ImportNamespaceSpecifier'
            ? '*'
            : keyName(specifier.imported);
        if (imported === undefined) return undefined;
        return { module: statement.source.value, imported, container: statement };
      }
    } else if (statement.type === 'VariableDeclaration') {
      for (const declarator of statement.declarations) {
        const module = requiredModule(declarator.init);
        if (module === undefined) continue;
        if (declarator.id.type === 'Identifier' && declarator.id.name === name) return { module, imported: '*', container: declarator };
        if (declarator.id.type !== 'ObjectPattern') continue;
        for (const property of declarator.id.properties) {
          if (property.type !== 'ObjectProperty' || property.computed || property.value.type !== 'Identifier' || property.value.name !== name) continue;
          const imported = keyName(property.key);
          return imported === undefined ? undefined : { module, imported, container: declarator.id };
        }
      }
    }
  }
  return undefined;
}

function patternNames(pattern: t.Node | null | undefined, names: string[]): void {
  if (pattern === null || pattern === undefined) return;
  switch (pattern.type) {
    case 'Identifier':
      names.push(pattern.name);
      return;
    case 'ObjectPattern':
      for (const property of pattern.properties) patternNames(property.type === 'RestElement' ? property.argument : property.value, names);
      return;
    case 'ArrayPattern':
      for (const element of pattern.elements) patternNames(element, names);
      return;
    case 'AssignmentPattern':
      patternNames(pattern.left, names);
      return;
    case 'RestElement':
      patternNames(pattern.argument, names);
      return;
    case 'TSParameterProperty':
      patternNames(pattern.parameter, names);
      return;
    default:
      return;
  }
}

/**
 * How many declarations of `name` the file has, in any scope: variables, functions, classes, parameters, catch
 * clauses, imports. A fix that adds or relies on a name needs exactly the binding it expects — shadowing would make
 * the rewritten call reach something else.
 */
export function bindingCount(ast: t.File, name: string): number {
  let count = 0;
  walk(ast, (node) => {
    const names: string[] = [];
    switch (node.type) {
      case 'VariableDeclarator':
        patternNames(node.id, names);
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ObjectMethod':
      case 'ClassMethod':
      case 'ClassPrivateMethod':
        if ((node.type === 'FunctionDeclaration' || node.type === 'FunctionExpression') && node.id !== null && node.id !== undefined) names.push(node.id.name);
        for (const param of node.params) patternNames(param, names);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        if (node.id !== null && node.id !== undefined) names.push(node.id.name);
        break;
      case 'CatchClause':
        patternNames(node.param, names);
        break;
      case 'ImportSpecifier':
      case 'ImportDefaultSpecifier':
      case 'ImportNamespaceSpecifier':
        names.push(node.local.name);
        break;
      case 'TSImportEqualsDeclaration':
        names.push(node.id.name);
        break;
      default:
        break;
    }
    count += names.filter((candidate) => candidate === name).length;
  });
  return count;
}

/** The source text of a node. */
export function sourceOf(text: string, node: t.Node): string {
  return text.slice(node.start ?? 0, node.end ?? 0);
}
