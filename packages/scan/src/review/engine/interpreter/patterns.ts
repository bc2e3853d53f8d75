/**
 * Assignment and destructuring: binding patterns, writes to object properties (property sinks such as
 * `innerHTML`, computed-key writes for prototype pollution), and CommonJS `exports`.
 */
import type * as t from '@babel/types';
import { CLEAN, isTainted, join, readTaints, tainted, withShape, type Value } from '../values.js';
import { literalString, unwrap } from './syntax.js';
import { Expressions } from './expressions.js';

export abstract class Patterns extends Expressions {
  protected bindPattern(pattern: t.Node, value: Value, kind: 'var' | 'let' | 'const' | 'assign'): void {
    switch (pattern.type) {
      case 'Identifier':
        if (kind === 'assign') this.assignIdentifier(pattern.name, value);
        else this.declare(pattern.name, value, kind);
        return;
      case 'ObjectPattern': {
        const used = new Set<string>();
        for (const property of pattern.properties) {
          if (property.type === 'RestElement') {
            const rest = new Map([...(value.props ?? [])].filter(([key]) => !used.has(key)));
            this.bindPattern(property.argument, { taints: withShape(value.taints, 'object'), props: rest }, kind);
            continue;
          }
          const key = !property.computed && property.key.type === 'Identifier' ? property.key.name : literalString(property.key) ?? (property.key.type === 'NumericLiteral' ? String(property.key.value) : undefined);
          const propValue = key === undefined ? tainted(readTaints(value.taints, '[]')) : this.getProp(value, key, property);
          if (key !== undefined) used.add(key);
          this.bindPattern(property.value, propValue, kind);
        }
        return;
      }
      case 'ArrayPattern':
        for (const [index, element] of pattern.elements.entries()) {
          if (element === null) continue;
          if (element.type === 'RestElement') {
            this.bindPattern(element.argument, value, kind);
            continue;
          }
          this.bindPattern(element, value.elements?.[index] ?? this.elementOf(value), kind);
        }
        return;
      case 'AssignmentPattern':
        this.bindPattern(pattern.left, join(value, this.expr(pattern.right)), kind);
        return;
      case 'RestElement':
        this.bindPattern(pattern.argument, value, kind);
        return;
      case 'MemberExpression':
      case 'OptionalMemberExpression':
        this.assignMember(pattern, value, pattern);
        return;
      case 'TSParameterProperty':
        this.bindPattern(pattern.parameter, value, kind);
        return;
      case 'TSAsExpression':
      case 'TSNonNullExpression':
      case 'TSSatisfiesExpression':
      case 'TSTypeAssertion':
      case 'ParenthesizedExpression':
        this.bindPattern(pattern.expression, value, kind);
        return;
      default:
        return;
    }
  }

  protected override assign(target: t.Node, value: Value): void {
    this.bindPattern(target, value, 'assign');
  }

  protected assignMember(target: t.MemberExpression | t.OptionalMemberExpression, value: Value, node: t.Node): void {
    const objectNode = unwrap(target.object);
    const key = !target.computed && target.property.type === 'Identifier' ? target.property.name : target.property.type === 'PrivateName' ? `#${target.property.id.name}` : literalString(target.property) ?? (target.property.type === 'NumericLiteral' ? String(target.property.value) : undefined);
    // CommonJS exports.
    if (objectNode.type === 'Identifier' && objectNode.name === 'module' && key === 'exports' && this.lookup('module') === undefined) {
      this.cjsDefault = value;
      return;
    }
    if (key !== undefined && this.isExportsObject(objectNode)) {
      this.exportValues.set(key, value);
      return;
    }
    const object = this.materialize(this.expr(objectNode));
    if (target.computed && key === undefined) {
      const keyValue = this.expr(target.property);
      this.checkComputedAssignment(objectNode, object, keyValue, value, node);
      if (object.props !== undefined) return;
      if (isTainted(value) && (objectNode.type === 'Identifier' || objectNode.type === 'ThisExpression')) this.assign(objectNode, join(object, value));
      return;
    }
    if (key === undefined) return;
    this.checkPropertySink(object, objectNode, key, value, node);
    if (object.ref?.kind === 'role' || object.ref?.kind === 'module' || object.ref?.kind === 'global') return;
    if (object.props !== undefined && object !== CLEAN) {
      const existing = object.props.get(key);
      object.props.set(key, existing !== undefined && this.depth > 0 && this.frame.fn !== undefined && !this.isFreshThis(objectNode) ? join(existing, value) : value);
      return;
    }
    if (objectNode.type === 'Identifier' || objectNode.type === 'MemberExpression') {
      const updated: Value = { taints: object.taints, props: new Map([[key, value]]), ...(object.ref === undefined ? {} : { ref: object.ref }) };
      this.assign(objectNode, updated);
    }
  }

  protected isFreshThis(node: t.Node): boolean {
    return node.type === 'ThisExpression' && this.frame.fn?.isConstructor === true;
  }

  protected isExportsObject(node: t.Node): boolean {
    if (node.type === 'Identifier') return node.name === 'exports' && this.lookup('exports') === undefined;
    return node.type === 'MemberExpression' && node.object.type === 'Identifier' && node.object.name === 'module' && !node.computed && node.property.type === 'Identifier' && node.property.name === 'exports';
  }
}
