/**
 * Guards: what a condition proves about values on each branch — allowlists, anchored regexes, type checks, path
 * containment, prototype-key checks and guard-mode sanitizers — and the narrowed bindings that carry it.
 */
import type * as t from '@babel/types';
import { ALL_CLASSES, classBit, OBJECT_ONLY_CLASSES } from '../classes.js';
import type { Binding } from '../functions.js';
import { textOf } from '../text.js';
import { cleaned, CLEAN, isTainted, type Ref, type Taint, type Value } from '../values.js';
import { allowlistMask } from './allowlist.js';
import { FIXED_ORIGIN, isFunctionNode, literalString, PROTO_KEYS, qualifiedName, unwrap } from './syntax.js';
import type { Narrowing } from './core.js';
import { FrameworkSources } from './sources.js';

export abstract class Guards extends FrameworkSources {
  /** What is known about values when `test` is `truthy`. */
  protected narrowings(test: t.Node, truthy: boolean, hops = 0): Narrowing[] {
    const node = unwrap(test);
    switch (node.type) {
      case 'Identifier': {
        // `const isLocal = …; if (isLocal)`: the alias proves what its condition proves.
        const condition = this.lookup(node.name)?.condition;
        return condition === undefined || hops > 3 ? [] : this.narrowings(condition, truthy, hops + 1);
      }
      case 'UnaryExpression':
        return node.operator === '!' ? this.narrowings(node.argument, !truthy, hops) : [];
      case 'LogicalExpression':
        if (node.operator === '&&' && truthy) return withLocalPaths([...this.narrowings(node.left, true, hops), ...this.narrowings(node.right, true, hops)], this.text);
        if (node.operator === '||' && !truthy) return withLocalPaths([...this.narrowings(node.left, false, hops), ...this.narrowings(node.right, false, hops)], this.text);
        // Either side may hold: only what both sides prove (`x !== 'a' && x !== 'b'` false → x is 'a' or 'b').
        if (node.operator === '&&' || node.operator === '||') return this.intersect(this.narrowings(node.left, truthy), this.narrowings(node.right, truthy));
        return [];
      case 'BinaryExpression':
        return this.binaryNarrowings(node, truthy);
      case 'CallExpression':
        return truthy ? this.callNarrowings(node) : this.negatedCallNarrowings(node);
      default:
        return [];
    }
  }

  protected binaryNarrowings(node: t.BinaryExpression, truthy: boolean): Narrowing[] {
    const { operator } = node;
    const left = unwrap(node.left);
    const right = unwrap(node.right);
    const equal = operator === '===' || operator === '==';
    const notEqual = operator === '!==' || operator === '!=';
    if (!equal && !notEqual) {
      // `ALLOWED.indexOf(x) !== -1`, `> -1`, `>= 0`
      if (left.type === 'CallExpression' && right.type !== 'PrivateName') {
        const bound = right.type === 'UnaryExpression' && right.argument.type === 'NumericLiteral' ? -right.argument.value : right.type === 'NumericLiteral' ? right.value : undefined;
        const found = (operator === '>' && bound === -1) || (operator === '>=' && bound === 0);
        const missing = operator === '<' && bound === 0;
        if ((found && truthy) || (missing && !truthy)) return this.callNarrowings(left);
      }
      return [];
    }
    const holds = equal === truthy;
    if (left.type === 'UnaryExpression' && left.operator === 'typeof') {
      const type = literalString(right);
      if (!holds || type === undefined) return [];
      if (type === 'number' || type === 'boolean' || type === 'bigint') return [{ node: left.argument, mask: ALL_CLASSES }];
      if (type === 'string') return [{ node: left.argument, mask: OBJECT_ONLY_CLASSES }];
      return [];
    }
    const literal = this.constantOf(right);
    const other = literal === undefined ? this.constantOf(left) : undefined;
    const subject = literal !== undefined ? left : other !== undefined ? right : undefined;
    const constant = literal ?? other;
    if (subject === undefined || constant === undefined) {
      if (left.type === 'CallExpression' && right.type === 'UnaryExpression' && right.argument.type === 'NumericLiteral' && right.argument.value === 1) {
        // `ALLOWED.indexOf(x) !== -1` / `=== -1`
        if (!holds) return this.callNarrowings(left);
      }
      return [];
    }
    if (holds) return [{ node: subject, mask: ALL_CLASSES }];
    if (PROTO_KEYS.has(constant)) return [{ node: subject, mask: classBit('prototype-pollution') }];
    return [];
  }

  /** A literal, or a name bound to a literal (`const CDN_ORIGIN = 'https://cdn.example.com'`). */
  private constantOf(node: t.Node): string | undefined {
    const literal = literalString(node) ?? (node.type === 'NumericLiteral' ? String(node.value) : undefined);
    if (literal !== undefined || node.type !== 'Identifier') return literal;
    const value = this.lookup(node.name)?.value;
    return value !== undefined && !isTainted(value) && typeof value.literal === 'string' ? value.literal : undefined;
  }

  protected intersect(left: readonly Narrowing[], right: readonly Narrowing[]): Narrowing[] {
    const result: Narrowing[] = [];
    for (const a of left) {
      const key = textOf(this.text, a.node);
      for (const b of right) if (textOf(this.text, b.node) === key && (a.mask & b.mask) !== 0) result.push({ node: a.node, mask: a.mask & b.mask });
    }
    return result;
  }

  protected negatedCallNarrowings(node: t.CallExpression): Narrowing[] {
    // `!FORBIDDEN.includes(key)` where the list names __proto__/constructor: the key is not a prototype key.
    const callee = node.callee;
    if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && !callee.computed) {
      if (callee.property.name === 'some') return this.elementNarrowings(callee.object, node.arguments[0], false);
      const prefix = callee.property.name === 'startsWith' ? literalString(node.arguments[0]) : undefined;
      if (prefix !== undefined) return [{ node: callee.object, mask: 0, prefix: { starts: false, value: prefix } }];
    }
    if (callee.type === 'MemberExpression' && callee.property.type === 'Identifier' && ['includes', 'has'].includes(callee.property.name)) {
      const receiver = this.expr(callee.object);
      const arg = node.arguments[0];
      if (arg !== undefined && (receiver.elements ?? []).some((item) => typeof item.literal === 'string' && PROTO_KEYS.has(item.literal))) {
        return [{ node: arg, mask: classBit('prototype-pollution') }];
      }
    }
    if (callee.type === 'Identifier' && callee.name === 'isNaN' && node.arguments[0] !== undefined) return [{ node: node.arguments[0], mask: ALL_CLASSES }];
    if (callee.type === 'MemberExpression' && callee.object.type === 'Identifier' && callee.object.name === 'Number' && callee.property.type === 'Identifier' && callee.property.name === 'isNaN' && node.arguments[0] !== undefined) {
      return [{ node: node.arguments[0], mask: ALL_CLASSES }];
    }
    return [];
  }

  /**
   * `!parts.some((p) => p === '__proto__' || …)` and `parts.every((p) => ALLOWED.has(p))`: what the predicate proves
   * about its parameter holds for every element of the array.
   */
  private elementNarrowings(array: t.Node, callback: t.Node | undefined, truthy: boolean): Narrowing[] {
    if (!isFunctionNode(callback) || callback.params[0]?.type !== 'Identifier') return [];
    const param = callback.params[0].name;
    const body = callback.body.type === 'BlockStatement' ? returnedExpression(callback.body) : callback.body;
    if (body === undefined) return [];
    let mask = -1;
    for (const narrowing of this.narrowings(body, truthy)) {
      const target = unwrap(narrowing.node);
      if (target.type === 'Identifier' && target.name === param) mask = mask === -1 ? narrowing.mask : mask | narrowing.mask;
    }
    return mask <= 0 ? [] : [{ node: array, mask }];
  }

  /** `Object.hasOwn(obj, key)`, `obj.hasOwnProperty(key)`: the key names an own property, not the prototype. */
  private ownKeyNarrowings(node: t.CallExpression, qname: string | undefined, method: string | undefined, receiver: Value | undefined): Narrowing[] {
    const [first, second] = node.arguments;
    const bit = classBit('prototype-pollution');
    if (qname === 'Object.hasOwn' && second !== undefined) return [{ node: second, mask: bit }];
    if (method === 'hasOwnProperty' && first !== undefined && receiver !== undefined && !isTainted(receiver)) return [{ node: first, mask: bit }];
    if (method === 'call' && second !== undefined && /hasOwnProperty$/.test(textOf(this.text, unwrap(node.callee)).replace(/\.call$/, ''))) return [{ node: second, mask: bit }];
    return [];
  }

  /** Narrowings when a predicate call returns true: allowlists, validators, anchored regexes, containment checks. */
  protected callNarrowings(node: t.CallExpression): Narrowing[] {
    const callee = unwrap(node.callee);
    const argument = node.arguments[0];
    let receiver: Value | undefined;
    let method: string | undefined;
    let qname: string | undefined;
    if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
      receiver = this.materialize(this.exprQuiet(callee.object));
      method = callee.property.type === 'Identifier' && !callee.computed ? callee.property.name : literalString(callee.property);
      qname = method === undefined ? undefined : qualifiedName(receiver.ref, method);
      if (method === undefined) return [];
      if ((method === 'includes' || method === 'has') && argument !== undefined && !isTainted(receiver) && receiver.ref?.kind !== 'role') {
        return [{ node: argument, mask: ALL_CLASSES }];
      }
      if (method === 'test' && receiver.ref?.kind === 'regex' && argument !== undefined) {
        const mask = allowlistMask(receiver.ref.source);
        return mask === 0 ? [] : [{ node: argument, mask }];
      }
      if (method === 'startsWith' && argument !== undefined) {
        const prefix = literalString(argument);
        if (prefix === undefined || prefix.length > 1) return [{ node: callee.object, mask: classBit('path-traversal') | (prefix !== undefined && FIXED_ORIGIN.test(prefix) ? classBit('open-redirect') | classBit('ssrf') : 0) }];
        return [{ node: callee.object, mask: 0, prefix: { starts: true, value: prefix } }];
      }
      if (method === 'every') return this.elementNarrowings(callee.object, argument, true);
      const own = this.ownKeyNarrowings(node, qualifiedName(receiver.ref, method), method, receiver);
      if (own.length > 0) return own;
    } else {
      const ref = this.materialize(this.exprQuiet(callee)).ref;
      qname = ref?.kind === 'unresolved' ? ref.name : qualifiedName(ref);
    }
    const result: Narrowing[] = [];
    for (const sanitizer of this.sanitizersFor(qname, method, receiver, callee.type === 'MemberExpression' ? callee.object : undefined)) {
      if (sanitizer.spec.mode !== 'guard') continue;
      const target = sanitizer.spec.arg === 'receiver' && callee.type === 'MemberExpression' ? callee.object : node.arguments[typeof sanitizer.spec.arg === 'number' ? sanitizer.spec.arg : 0];
      if (target !== undefined) result.push({ node: target, mask: sanitizer.mask });
    }
    return result;
  }

  /** Evaluates an expression for guard matching without recording sinks twice. */
  protected override exprQuiet(node: t.Node): Value {
    const inner = unwrap(node);
    if (inner.type === 'Identifier') return this.identifier(inner);
    if (inner.type === 'MemberExpression' && inner.object.type === 'Identifier' && !inner.computed && inner.property.type === 'Identifier') {
      return this.getProp(this.materialize(this.identifier(inner.object)), inner.property.name);
    }
    if (inner.type === 'RegExpLiteral') return { taints: [], ref: { kind: 'regex', source: inner.pattern, flags: inner.flags } };
    if (inner.type === 'ArrayExpression') return this.expr(inner);
    return this.expr(inner);
  }

  protected applyNarrowings(list: readonly Narrowing[]): void {
    for (const narrowing of list) {
      if (narrowing.mask === 0) continue;
      const node = unwrap(narrowing.node);
      if (node.type === 'Identifier') {
        const binding = this.lookup(node.name);
        if (binding === undefined) continue;
        const narrowed = narrowValue(binding.value, narrowing.mask);
        const shadow: Binding = { value: narrowed, depth: this.depth, original: binding.original ?? binding };
        this.scope.vars.set(node.name, shadow);
      } else if (node.type === 'MemberExpression' || node.type === 'OptionalMemberExpression') {
        // An allowlisted host (`ALLOWED.has(url.hostname)`) makes the URL itself safe to fetch or redirect to.
        const property = !node.computed && node.property.type === 'Identifier' ? node.property.name : undefined;
        if (property !== undefined && ['host', 'hostname', 'origin'].includes(property) && narrowing.mask === ALL_CLASSES) {
          const object = unwrap(node.object);
          // `ALLOWED.has(new URL(raw).hostname)` clears the string the URL was parsed from.
          const parsed = object.type === 'NewExpression' && object.callee.type === 'Identifier' && object.callee.name === 'URL' ? object.arguments[0] : undefined;
          this.applyNarrowings([{ node: parsed ?? node.object, mask: classBit('ssrf') | classBit('open-redirect') }]);
        }
        const key = this.memberKey(node);
        if (key === undefined) continue;
        const current = this.expr(node);
        this.scope.vars.set(key, { value: narrowValue(current, narrowing.mask), depth: this.depth });
        this.refinementCount++;
      }
    }
  }

  /** A stable key for a member chain (`#req.query.sort`), for narrowings of properties. */
  protected memberKey(node: t.Node): string | undefined {
    const parts: string[] = [];
    let current = unwrap(node);
    while (current.type === 'MemberExpression' || current.type === 'OptionalMemberExpression') {
      const name = !current.computed && current.property.type === 'Identifier' ? current.property.name : literalString(current.property);
      if (name === undefined) return undefined;
      parts.unshift(name);
      current = unwrap(current.object);
    }
    if (current.type === 'Identifier') parts.unshift(current.name);
    else if (current.type === 'ThisExpression') parts.unshift('this');
    else return undefined;
    return `#${parts.join('.')}`;
  }
}

/** The value after a guard proved it safe for `mask`. */
export function narrowValue(value: Value, mask: number): Value {
  if (mask === ALL_CLASSES) return value.ref === undefined ? CLEAN : { taints: [], ref: value.ref };
  const result: { taints: readonly Taint[]; props?: Map<string, Value>; ref?: Ref; html?: boolean; elements?: readonly Value[] } = { taints: cleaned(value.taints, mask) };
  if (value.props !== undefined) result.props = new Map([...value.props].map(([key, prop]) => [key, narrowValue(prop, mask)]));
  if (value.elements !== undefined) result.elements = value.elements.map((element) => narrowValue(element, mask));
  if (value.ref !== undefined) result.ref = value.ref;
  if (value.html === true) result.html = true;
  return result;
}

/** The expression a callback body returns when it is a single `return` (`(p) => { return p === 'x'; }`). */
function returnedExpression(body: t.BlockStatement): t.Expression | undefined {
  const [only] = body.body;
  return body.body.length === 1 && only?.type === 'ReturnStatement' && only.argument !== null && only.argument !== undefined ? only.argument : undefined;
}

/**
 * `x.startsWith('/') && !x.startsWith('//') && !x.startsWith('/\\')`: a path on this site. Browsers read `//host` and
 * `/\\host` as another host (CWE-601), so both must be refused for the value to be safe to redirect to.
 */
function withLocalPaths(list: Narrowing[], text: string): Narrowing[] {
  const facts = list.filter((narrowing) => narrowing.prefix !== undefined);
  if (facts.length < 3) return list;
  const result = [...list];
  const bySubject = new Map<string, Narrowing[]>();
  for (const fact of facts) {
    const key = textOf(text, fact.node);
    bySubject.set(key, [...(bySubject.get(key) ?? []), fact]);
  }
  for (const group of bySubject.values()) {
    const has = (starts: boolean, value: string): boolean => group.some((fact) => fact.prefix?.starts === starts && fact.prefix.value === value);
    const first = group[0];
    if (first !== undefined && has(true, '/') && has(false, '//') && has(false, '/\\')) result.push({ node: first.node, mask: classBit('open-redirect') });
  }
  return result;
}
