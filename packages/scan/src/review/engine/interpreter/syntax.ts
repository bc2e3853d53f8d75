/**
 * Syntax helpers the interpreter shares: unwrapping TypeScript-only wrappers, literal strings, qualified callee names,
 * statements that always leave a block, and the small vocabularies of string and array methods whose effect on taint
 * is known.
 */
import type * as t from '@babel/types';
import type { Ref } from '../values.js';

/** Markup in a string literal: sending the string is an HTML response. */
export const HTML_MARKUP = /<\/?[a-z!][^>]*>?/i;
/** A URL prefix with a fixed scheme and host: what follows cannot change where a request or redirect goes. */
export const FIXED_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i;
/** A site-relative path prefix (`/x`, not `//host`): a redirect to it stays on the site. */
export const RELATIVE_PATH = /^\/[^/\\]/;
/** Keys that reach an object's prototype (CWE-1321). */
export const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Methods that return a string derived from the receiver (taint kept, shape string). */
export const STRING_METHODS = new Set([
  'trim', 'trimStart', 'trimEnd', 'trimLeft', 'trimRight', 'toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase',
  'toString', 'slice', 'substring', 'substr', 'padStart', 'padEnd', 'normalize', 'repeat', 'at', 'charAt', 'valueOf', 'toWellFormed',
  'join', 'format', 'toJSON', 'href', 'trimEnd',
]);
/** Methods whose result carries no attacker data (booleans, numbers, positions). */
export const CLEAN_METHODS = new Set([
  'includes', 'indexOf', 'lastIndexOf', 'startsWith', 'endsWith', 'test', 'has', 'some', 'every', 'localeCompare', 'search',
  'charCodeAt', 'codePointAt', 'findIndex', 'findLastIndex', 'isArray', 'hasOwnProperty', 'delete', 'clear', 'size', 'keys',
  'toFixed', 'getTime', 'valueOf', 'compare', 'equals', 'isValid', 'isEmpty', 'length', 'count', 'exists',
]);
/** Array methods that return the receiver's elements. */
export const ELEMENT_METHODS = new Set(['filter', 'find', 'findLast', 'sort', 'reverse', 'flat', 'splice', 'slice', 'toSorted', 'toReversed', 'values', 'entries', 'pop', 'shift', 'match', 'matchAll', 'exec']);
/** Methods that call a callback with the receiver's elements (or a promise's value). */
export const CALLBACK_METHODS = new Set(['map', 'flatMap', 'forEach', 'filter', 'find', 'findLast', 'some', 'every', 'reduce', 'reduceRight', 'then', 'catch', 'finally', 'sort']);

/** An inline function expression (arrow or `function`), as passed to a call. */
export function isFunctionNode(node: t.Node | null | undefined): node is t.ArrowFunctionExpression | t.FunctionExpression {
  return node?.type === 'ArrowFunctionExpression' || node?.type === 'FunctionExpression';
}

/** The expression under TypeScript-only wrappers (`x as T`, `x!`, `<T>x`, parentheses), which do not change values. */
export function unwrap(node: t.Node): t.Node {
  let current = node;
  while (
    current.type === 'TSAsExpression' ||
    current.type === 'TSSatisfiesExpression' ||
    current.type === 'TSNonNullExpression' ||
    current.type === 'TSTypeAssertion' ||
    current.type === 'ParenthesizedExpression' ||
    current.type === 'TypeCastExpression' ||
    current.type === 'TSInstantiationExpression'
  ) {
    current = current.expression;
  }
  return current;
}

/** The qualified name rules use for a callee ref (see CalleePattern). */
export function qualifiedName(ref: Ref | undefined, member?: string): string | undefined {
  if (ref === undefined) return undefined;
  if (ref.kind === 'global') return [...ref.path, ...(member === undefined ? [] : [member])].join('.');
  if (ref.kind === 'module') {
    const path = [...ref.path, ...(member === undefined ? [] : [member])];
    return path.length === 0 ? ref.module : `${ref.module}:${path.join('.')}`;
  }
  return undefined;
}

/** The string a node spells literally (a string literal or a template without interpolations). */
export function literalString(node: t.Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  const inner = unwrap(node);
  if (inner.type === 'StringLiteral') return inner.value;
  if (inner.type === 'TemplateLiteral' && inner.expressions.length === 0) return inner.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** True when a statement always leaves the enclosing block (return, throw, continue, break). */
export function exits(node: t.Statement | null | undefined): boolean {
  if (node === null || node === undefined) return false;
  switch (node.type) {
    case 'ReturnStatement':
    case 'ThrowStatement':
    case 'ContinueStatement':
    case 'BreakStatement':
      return true;
    case 'BlockStatement':
      return node.body.some((statement) => exits(statement));
    case 'IfStatement':
      return exits(node.consequent) && exits(node.alternate);
    case 'ExpressionStatement': {
      const expression = unwrap(node.expression);
      if (expression.type === 'CallExpression' && expression.callee.type === 'MemberExpression') {
        const { object, property } = expression.callee;
        // `process.exit()`, and `ctx.throw(404)` (Koa, http-errors style), which throws.
        if (property.type === 'Identifier' && property.name === 'throw') return true;
        return object.type === 'Identifier' && object.name === 'process' && property.type === 'Identifier' && property.name === 'exit';
      }
      return false;
    }
    default:
      return false;
  }
}

/** The names a binding pattern declares (`const { a, b: [c] } = …` → a, c). */
export function patternNames(pattern: t.Node): string[] {
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name];
    case 'ObjectPattern':
      return pattern.properties.flatMap((property) => (property.type === 'RestElement' ? patternNames(property.argument) : patternNames(property.value)));
    case 'ArrayPattern':
      return pattern.elements.flatMap((element) => (element === null ? [] : patternNames(element)));
    case 'AssignmentPattern':
      return patternNames(pattern.left);
    case 'RestElement':
      return patternNames(pattern.argument);
    default:
      return [];
  }
}
