/**
 * Expressions: literals, templates and concatenation (HTML markup, fixed origins), member reads from objects,
 * framework objects and other modules' exports, object and array literals, tagged templates.
 */
import type * as t from '@babel/types';
import { ALL_CLASSES, classBit } from '../classes.js';
import { rawTextOf } from '../text.js';
import { asStrings, cleaned, CLEAN, decoded, isTainted, join, joinAll, literalValue, objectValue, readTaints, tainted, unionTaints, withShape, type Taint, type Value } from '../values.js';
import { FIXED_ORIGIN, HTML_MARKUP, literalString, qualifiedName, RELATIVE_PATH } from './syntax.js';
import type { CallContext } from './core.js';
import { Guards } from './guards.js';

export abstract class Expressions extends Guards {
  protected override identifier(node: t.Identifier): Value {
    const binding = this.lookup(node.name);
    if (binding !== undefined) return binding.value;
    if (node.name === 'undefined' || node.name === 'NaN' || node.name === 'Infinity') return CLEAN;
    return { taints: [], ref: { kind: 'global', path: [node.name] } };
  }

  protected override expr(node: t.Node): Value {
    this.tick();
    switch (node.type) {
      case 'Identifier':
        return this.identifier(node);
      case 'StringLiteral':
        return literalValue(node.value);
      case 'NumericLiteral':
      case 'BooleanLiteral':
        return literalValue(node.value);
      case 'NullLiteral':
      case 'BigIntLiteral':
      case 'DecimalLiteral':
      case 'MetaProperty':
      case 'Super':
      case 'Import':
      case 'PrivateName':
        return CLEAN;
      case 'RegExpLiteral':
        return { taints: [], ref: { kind: 'regex', source: node.pattern, flags: node.flags } };
      case 'ThisExpression':
        return this.frame.thisValue;
      case 'TemplateLiteral':
        return this.template(node.quasis.map((quasi) => quasi.value.cooked ?? quasi.value.raw), node.expressions.map((expression) => this.expr(expression)));
      case 'TaggedTemplateExpression':
        return this.taggedTemplate(node);
      case 'MemberExpression':
      case 'OptionalMemberExpression':
        return this.member(node);
      case 'CallExpression':
      case 'OptionalCallExpression':
        return this.call(node, false);
      case 'NewExpression':
        return this.call(node, true);
      case 'AssignmentExpression':
        return this.assignment(node);
      case 'BinaryExpression':
        return this.binary(node);
      case 'LogicalExpression': {
        const left = this.expr(node.left);
        this.depth++;
        const right = this.withScope(() => {
          if (node.operator === '&&') this.applyNarrowings(this.narrowings(node.left, true));
          if (node.operator === '||') this.applyNarrowings(this.narrowings(node.left, false));
          return this.expr(node.right);
        });
        this.depth--;
        return node.operator === '&&' ? right : join(left, right);
      }
      case 'ConditionalExpression': {
        this.expr(node.test);
        this.depth++;
        const whenTrue = this.withScope(() => {
          this.applyNarrowings(this.narrowings(node.test, true));
          return this.expr(node.consequent);
        });
        const whenFalse = this.withScope(() => {
          this.applyNarrowings(this.narrowings(node.test, false));
          return this.expr(node.alternate);
        });
        this.depth--;
        return join(whenTrue, whenFalse);
      }
      case 'UnaryExpression':
        this.expr(node.argument);
        return CLEAN;
      case 'UpdateExpression':
        return CLEAN;
      case 'SequenceExpression': {
        let last = CLEAN;
        for (const expression of node.expressions) last = this.expr(expression);
        return last;
      }
      case 'AwaitExpression':
        return this.expr(node.argument);
      case 'YieldExpression':
        if (node.argument !== null && node.argument !== undefined) this.expr(node.argument);
        return CLEAN;
      case 'ParenthesizedExpression':
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'TSTypeAssertion':
      case 'TypeCastExpression':
      case 'TSInstantiationExpression':
        return this.expr(node.expression);
      case 'ObjectExpression':
        return this.object(node);
      case 'ArrayExpression': {
        const elements: Value[] = [];
        let taints: readonly Taint[] = [];
        for (const element of node.elements) {
          if (element === null) continue;
          if (element.type === 'SpreadElement') {
            const spread = this.expr(element.argument);
            taints = unionTaints(taints, spread.elements === undefined ? spread.taints : joinAll(spread.elements).taints);
            continue;
          }
          const value = this.expr(element);
          elements.push(value);
          taints = unionTaints(taints, value.taints);
        }
        return { taints, elements };
      }
      case 'ArrowFunctionExpression':
      case 'FunctionExpression':
        return this.makeFunction(node, node.type === 'FunctionExpression' ? node.id?.name ?? 'function' : 'arrow function', this.scope);
      case 'ClassExpression':
        return this.makeClass(node, node.id?.name ?? 'class', this.scope);
      case 'JSXElement':
      case 'JSXFragment':
        this.jsx(node);
        return CLEAN;
      default:
        return CLEAN;
    }
  }

  protected jsx(node: t.JSXElement | t.JSXFragment): void {
    // React escapes text children; only the embedded expressions (calls with side effects) matter, and attributes
    // that write raw markup (`dangerouslySetInnerHTML={{ __html: x }}`), which are property sinks.
    if (node.type === 'JSXElement') {
      const name = node.openingElement.name;
      for (const attribute of node.openingElement.attributes) {
        if (attribute.type === 'JSXSpreadAttribute') {
          this.expr(attribute.argument);
          continue;
        }
        const container = attribute.value;
        if (container?.type !== 'JSXExpressionContainer' || container.expression.type === 'JSXEmptyExpression') continue;
        const value = this.expr(container.expression);
        if (attribute.name.type === 'JSXIdentifier') this.checkPropertySink(CLEAN, name, attribute.name.name, value, attribute);
      }
    }
    for (const child of node.children) {
      if (child.type === 'JSXExpressionContainer' && child.expression.type !== 'JSXEmptyExpression') this.expr(child.expression);
      else if (child.type === 'JSXElement' || child.type === 'JSXFragment') this.jsx(child);
    }
  }

  /** Template literals and `+`: strings that carry their parts' taint; a fixed origin or path prefix is recorded. */
  protected template(literals: readonly string[], values: readonly Value[]): Value {
    let taints: readonly Taint[] = [];
    let html = false;
    for (const value of values) {
      taints = unionTaints(taints, asStrings(value.taints));
      if (value.html === true) html = true;
    }
    if (literals.some((literal) => HTML_MARKUP.test(literal))) html = true;
    if (taints.length === 0) {
      if (values.length === 0) return literalValue(literals.join(''));
      return html ? { taints: [], html } : CLEAN;
    }
    const first = literals[0] ?? '';
    let mask = 0;
    if (FIXED_ORIGIN.test(first)) mask |= classBit('ssrf') | classBit('open-redirect');
    else if (RELATIVE_PATH.test(first)) mask |= classBit('open-redirect');
    taints = cleaned(taints, mask);
    return html ? { taints, html } : { taints };
  }

  protected binary(node: t.BinaryExpression): Value {
    const left = node.left.type === 'PrivateName' ? CLEAN : this.expr(node.left);
    const right = this.expr(node.right);
    if (node.operator !== '+') return CLEAN;
    return this.concat(left, right);
  }

  protected concat(left: Value, right: Value): Value {
    if (!isTainted(left) && !isTainted(right)) {
      if (left.literal !== undefined && right.literal !== undefined) return literalValue(String(left.literal) + String(right.literal));
      const html = left.html === true || right.html === true || (typeof left.literal === 'string' && HTML_MARKUP.test(left.literal)) || (typeof right.literal === 'string' && HTML_MARKUP.test(right.literal));
      return html ? { taints: [], html, ...(typeof left.literal === 'string' ? { literal: left.literal } : {}) } : typeof left.literal === 'string' ? { taints: [], literal: left.literal } : CLEAN;
    }
    const prefix = typeof left.literal === 'string' ? left.literal : '';
    const literals = [prefix, typeof right.literal === 'string' ? right.literal : ''];
    const result = this.template(literals, [isTainted(left) ? left : CLEAN, right]);
    if (left.html === true && result.html !== true) return { ...result, html: true };
    return result;
  }

  protected member(node: t.MemberExpression | t.OptionalMemberExpression): Value {
    if (this.refinementCount > 0) {
      const key = this.memberKey(node);
      if (key !== undefined) {
        const refined = this.lookup(key);
        if (refined !== undefined) return refined.value;
      }
    }
    const object = this.materialize(this.expr(node.object));
    if (node.computed) {
      const keyValue = this.expr(node.property);
      const key = literalString(node.property) ?? (typeof keyValue.literal === 'string' || typeof keyValue.literal === 'number' ? String(keyValue.literal) : undefined);
      if (key !== undefined) return this.getProp(object, key, node);
      let result: Value;
      if (object.elements !== undefined) result = joinAll(object.elements);
      else if (object.props !== undefined) result = join(tainted(readTaints(object.taints, '[]')), joinAll([...object.props.values()]));
      else result = object.taints.length === 0 || object.ref?.kind === 'role' ? CLEAN : tainted(readTaints(object.taints, '[]'));
      return mayReachPrototype(object, keyValue) ? { ...result, protoReach: true } : result;
    }
    const key = node.property.type === 'Identifier' ? node.property.name : node.property.type === 'PrivateName' ? `#${node.property.id.name}` : undefined;
    return key === undefined ? CLEAN : this.getProp(object, key, node);
  }

  protected object(node: t.ObjectExpression): Value {
    const props = new Map<string, Value>();
    let taints: readonly Taint[] = [];
    let spreads = 0;
    for (const property of node.properties) {
      if (property.type === 'SpreadElement') {
        const spread = this.materialize(this.expr(property.argument));
        // `{ ...user, ...req.body }`: a later spread overwrites the fields of the record spread before it.
        if (spreads++ > 0 && isTainted(spread)) this.checkPropertySink(CLEAN, property, '[spread-over]', tainted(spread.taints), property);
        taints = unionTaints(taints, withShape(spread.taints, 'object'));
        for (const [key, value] of spread.props ?? []) props.set(key, value);
        continue;
      }
      const key = !property.computed && property.key.type === 'Identifier' ? property.key.name : literalString(property.key) ?? (property.key.type === 'NumericLiteral' ? String(property.key.value) : undefined);
      if (property.type === 'ObjectMethod') {
        if (key !== undefined) props.set(key, this.makeFunction(property, key, this.scope));
        continue;
      }
      if (property.computed && key === undefined) this.expr(property.key);
      const value = this.expr(property.value);
      if (key === undefined) taints = unionTaints(taints, value.taints);
      else props.set(key, value);
    }
    return objectValue(props, taints);
  }

  protected assignment(node: t.AssignmentExpression): Value {
    const right = this.expr(node.right);
    if (node.operator === '=') {
      this.assign(node.left, right);
      return right;
    }
    const left = this.expr(node.left);
    const logical = node.operator === '||=' || node.operator === '??=' || node.operator === '&&=';
    const value = node.operator === '+=' ? this.concat(left, right) : logical ? join(left, right) : CLEAN;
    // `obj[key] ??= {}` writes only when the key is missing, and `__proto__` is never missing: not a pollution write.
    this.conditionalWrite = logical;
    try {
      this.assign(node.left, value);
    } finally {
      this.conditionalWrite = false;
    }
    return value;
  }

  protected taggedTemplate(node: t.TaggedTemplateExpression): Value {
    const tag = this.materialize(this.expr(node.tag));
    const values = node.quasi.expressions.map((expression) => this.expr(expression));
    const qname = qualifiedName(tag.ref) ?? (node.tag.type === 'MemberExpression' ? this.memberQname(node.tag) : undefined);
    for (const sanitizer of qname === undefined ? [] : this.rules.sanitizerTags.get(qname) ?? []) {
      if (sanitizer.mask === ALL_CLASSES) return CLEAN;
      return tainted(cleaned(joinAll(values).taints, sanitizer.mask));
    }
    if (node.tag.type === 'MemberExpression') {
      const method = !node.tag.computed && node.tag.property.type === 'Identifier' ? node.tag.property.name : undefined;
      if (method !== undefined) {
        for (const sanitizer of this.rules.sanitizerTags.get(method) ?? []) {
          if (sanitizer.receiver === undefined || sanitizer.receiver.test(rawTextOf(this.text, node.tag.object))) return tainted(cleaned(joinAll(values).taints, sanitizer.mask));
        }
      }
    }
    const ctx: CallContext = { node, isNew: false, calleeValue: tag, args: [CLEAN, ...values], argNodes: [node.quasi, ...node.quasi.expressions], ...(qname === undefined ? {} : { qname }) };
    const sinks = qname === undefined ? undefined : this.rules.sinkTags.get(qname);
    for (const sink of sinks ?? []) {
      const label = this.sinkLabel(sink, ctx, node);
      for (const value of values) for (const taint of this.dangerous(sink, value)) this.report(sink, taint, node, label);
    }
    if (tag.ref?.kind === 'function' || tag.ref?.kind === 'summary-function') return this.callResolved(ctx) ?? CLEAN;
    return this.template(node.quasi.quasis.map((quasi) => quasi.value.cooked ?? ''), values);
  }

  protected memberQname(node: t.MemberExpression): string | undefined {
    const object = this.materialize(this.exprQuiet(node.object));
    const name = !node.computed && node.property.type === 'Identifier' ? node.property.name : undefined;
    return name === undefined ? undefined : qualifiedName(object.ref, name);
  }

  protected override getProp(value: Value, key: string, node?: t.Node): Value {
    const ref = value.ref;
    if (ref !== undefined) {
      switch (ref.kind) {
        case 'role':
          return this.roleProperty(ref, key, node);
        case 'global': {
          const path = [...ref.path, key];
          const joined = path.join('.');
          const global = this.rules.sources.get('global');
          const spec = global?.properties.get(joined) ?? global?.properties.get(ref.path.join('.'));
          if (spec !== undefined) return this.sourceValue(spec, node);
          return { taints: [], ref: { kind: 'global', path: path.length > 4 ? ref.path : path } };
        }
        case 'module':
          return { taints: [], ref: { kind: 'module', module: ref.module, path: ref.path.length > 4 ? ref.path : [...ref.path, key] } };
        case 'unresolved':
          return { taints: [], ref: { kind: 'unresolved', name: key } };
        case 'local-module':
          return this.materialize({ taints: [], ref: { kind: 'local-module', file: ref.file, path: [...ref.path, key] } });
        case 'class': {
          const fn = this.findMethod(ref.cls, key, true);
          if (fn !== undefined) return { taints: [], ref: { kind: 'function', fn } };
          break;
        }
        case 'summary-class': {
          const summary = ref.summary.statics[key];
          if (summary !== undefined) return { taints: [], ref: { kind: 'summary-function', summary, name: `${ref.name}.${key}`, file: ref.file } };
          return CLEAN;
        }
        case 'summary-instance': {
          const summary = ref.summary.methods[key];
          if (summary !== undefined) return { taints: [], ref: { kind: 'summary-function', summary, name: `${ref.name}.${key}`, file: ref.file } };
          const field = ref.summary.ctor?.fields?.[key];
          return field === undefined ? CLEAN : tainted(field);
        }
        default:
          break;
      }
    }
    const prop = value.props?.get(key);
    if (prop !== undefined) return prop;
    if (ref?.kind === 'instance') {
      const fn = this.findMethod(ref.cls, key);
      if (fn !== undefined) return { taints: [], ref: { kind: 'function', fn } };
    }
    if (key === 'length') return CLEAN;
    // `new URL(req.url).searchParams` decodes the query: see decoded().
    if (key === 'searchParams' && value.taints.length > 0) return tainted(decoded(readTaints(value.taints, key)));
    if (value.elements !== undefined && /^\d+$/.test(key)) return value.elements[Number(key)] ?? CLEAN;
    if (value.taints.length === 0) return CLEAN;
    return tainted(readTaints(value.taints, key));
  }

  protected override elementOf(value: Value): Value {
    if (value.elements !== undefined) return joinAll(value.elements);
    if (value.ref?.kind === 'role') {
      const spec = this.rules.sources.get(value.ref.role)?.iterate;
      return spec === undefined ? CLEAN : this.sourceValue(spec, undefined);
    }
    return tainted(readTaints(value.taints, '[]'));
  }
}

/**
 * A read with an attacker-chosen key (one not proven free of `__proto__`/`constructor`) from an object that has a
 * prototype: the result may be `Object.prototype` itself.
 */
function mayReachPrototype(object: Value, key: Value): boolean {
  if (object.ref?.kind === 'role' || object.nullProto === true) return false;
  const bit = classBit('prototype-pollution');
  return key.taints.some((taint) => (taint.clean & bit) === 0);
}
