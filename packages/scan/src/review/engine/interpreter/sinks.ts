/**
 * Sink checks: whether a call or a property write is one of the rules' sinks, whether its conditions hold, and which
 * taints reaching it are dangerous (after sanitizers for the sink's class and its shape filter). Inside a summary, sinks
 * reached by parameters and framework-object calls on parameters are recorded for callers to re-check.
 */
import type * as t from '@babel/types';
import { classBit } from '../classes.js';
import type { CompiledSink } from '../compiled.js';
import type { ArgSummary } from '../summary.js';
import { rawTextOf, textOf } from '../text.js';
import { deepTaints, isTainted, unionTaints, type Taint, type Value } from '../values.js';
import { literalString } from './syntax.js';
import type { CallContext, ConditionInput } from './core.js';
import { AnalyzerCore } from './core.js';

const recursiveMergeCache = new WeakMap<t.Node, boolean>();

export abstract class SinkChecks extends AnalyzerCore {
  /** The taints of `value` a sink cares about, after sanitizers for its class and its shape filter. */
  protected dangerous(sink: CompiledSink, value: Value): readonly Taint[] {
    const { spec } = sink;
    let taints: readonly Taint[];
    if (spec.argProperty !== undefined) {
      const prop = this.getProp(value, spec.argProperty);
      taints = spec.deep === true ? deepTaints(prop) : prop.taints;
      // A string is not an object with the property: `find(slug)` has no `$where`.
      if (spec.argPropertyOnly === true && value.props === undefined) taints = taints.filter((taint) => taint.shape !== 'string');
      if (spec.argPropertyOnly !== true && value.props === undefined && value.ref === undefined) taints = unionTaints(taints, value.taints);
    } else {
      taints = spec.deep === true ? deepTaints(value) : value.taints;
    }
    return taints.filter((taint) => (taint.clean & sink.bit) === 0 && (spec.shapes === undefined || spec.shapes.includes(taint.shape)));
  }

  protected sinkLabel(sink: CompiledSink, ctx: CallContext | undefined, node: t.Node): string {
    const callee = ctx === undefined ? textOf(this.text, node) : `${textOf(this.text, ctx.node.type === 'TaggedTemplateExpression' ? ctx.node.tag : ctx.node.callee)}()`;
    return sink.spec.label === undefined ? callee : `${sink.spec.label} of ${callee}`;
  }

  /** Selected argument values of a call. */
  protected selectArgs(selectors: readonly (number | 'last' | 'all')[], args: readonly Value[]): Value[] {
    const result: Value[] = [];
    for (const selector of selectors) {
      if (selector === 'all') result.push(...args);
      else if (selector === 'last') {
        const last = args[args.length - 1];
        if (last !== undefined) result.push(last);
      } else {
        const arg = args[selector];
        if (arg !== undefined) result.push(arg);
      }
    }
    return result;
  }

  protected receiverMatches(sink: { readonly spec: { readonly role?: string; readonly modules?: readonly string[] }; readonly receiver?: RegExp }, receiver: Value | undefined, receiverNode: t.Node | undefined): boolean {
    const { spec } = sink;
    const ref = receiver?.ref;
    if (spec.role !== undefined) return ref?.kind === 'role' && ref.role === spec.role && ref.path.length === 0;
    if (ref?.kind === 'role') return false;
    if (spec.modules !== undefined && ref?.kind === 'module' && spec.modules.includes(ref.module)) return true;
    if (sink.receiver !== undefined) return receiverNode !== undefined && sink.receiver.test(rawTextOf(this.text, receiverNode));
    return spec.modules === undefined;
  }

  protected conditionsHold(sink: CompiledSink, ctx: ConditionInput): boolean {
    const { when, unless } = sink.spec;
    if (when !== undefined && !when.every((condition) => this.condition(condition, ctx))) return false;
    if (unless?.some((condition) => this.condition(condition, ctx)) === true) return false;
    return true;
  }

  /** One call condition (see CallCondition). */
  protected condition(condition: NonNullable<CompiledSink['spec']['when']>[number], ctx: ConditionInput): boolean {
    if (condition.minArgs !== undefined && ctx.argNodes.length < condition.minArgs) return false;
    if (condition.argLiteral !== undefined) {
      const literal = literalString(ctx.argNodes[condition.argLiteral.arg]) ?? ctx.args[condition.argLiteral.arg]?.literal;
      if (typeof literal !== 'string' || !new RegExp(condition.argLiteral.matches, 'i').test(literal)) return false;
    }
    if (condition.argText !== undefined) {
      const node = ctx.argNodes[condition.argText.arg];
      if (node === undefined || !new RegExp(condition.argText.matches, 'i').test(rawTextOf(this.text, node))) return false;
    }
    if (condition.option !== undefined || condition.receiverOption !== undefined) {
      const option = condition.option ?? { ...(condition.receiverOption ?? { key: '', is: 'present' as const }), arg: 0 };
      const index = option.arg === 'last' ? ctx.args.length - 1 : option.arg === 'all' ? 0 : option.arg;
      const value = this.optionValue(condition.option === undefined ? ctx.receiver : ctx.args[index], option.key.split('.'));
      switch (option.is) {
        case 'present':
          if (value === undefined) return false;
          break;
        case 'absent':
          if (value !== undefined) return false;
          break;
        case 'truthy':
          if (value === undefined || (value.literal !== undefined ? !value.literal : !isTainted(value) && value.ref === undefined && value.props === undefined)) return false;
          break;
        case 'falsy':
          if (value?.literal === undefined || Boolean(value.literal)) return false;
          break;
        case 'contains':
          if (!(value?.elements ?? []).some((item) => String(item.literal).toLowerCase() === option.value?.toLowerCase())) return false;
          break;
        case 'matches':
          // Only literals can be tested from abstract values; configuration checks see the source text.
          if (typeof value?.literal !== 'string' || !new RegExp(option.value ?? '', 'i').test(value.literal)) return false;
          break;
      }
    }
    if (condition.receiverCall !== undefined) {
      const made = madeBy(ctx.receiver, ctx.receiverNode);
      if (made === undefined || !new RegExp(condition.receiverCall.matches, 'i').test(made)) return false;
    }
    if (condition.context === 'html') {
      const receiverType = ctx.receiver?.ref?.kind === 'role' ? ctx.receiver.ref.contentType : undefined;
      if (receiverType !== 'html' && !ctx.args.some((arg) => arg.html === true)) return false;
    }
    return true;
  }

  protected optionValue(value: Value | undefined, path: readonly string[]): Value | undefined {
    let current = value;
    for (const key of path) {
      current = current?.props?.get(key);
      if (current === undefined) return undefined;
    }
    return current;
  }

  /** Checks a call against every sink that names its callee. */
  protected checkCallSinks(ctx: CallContext): void {
    const candidates: CompiledSink[] = [];
    if (ctx.qname !== undefined) {
      const byName = (ctx.isNew ? this.rules.sinkConstructors : this.rules.sinkFunctions).get(ctx.qname);
      if (byName !== undefined) candidates.push(...byName);
    }
    if (ctx.isNew && isApplicationClass(ctx.calleeValue) && ctx.node.type !== 'TaggedTemplateExpression') {
      const callee = rawTextOf(this.text, ctx.node.callee);
      for (const sink of this.rules.sinkConstructors.get('*') ?? []) if (sink.receiver?.test(callee) !== false) candidates.push(sink);
    }
    if (ctx.method !== undefined && !ctx.isNew) {
      for (const sink of this.rules.sinkMethods.get(ctx.method) ?? []) {
        if (this.receiverMatches(sink, ctx.receiver, ctx.receiverNode)) candidates.push(sink);
      }
      this.recordParamCall(ctx);
    }
    for (const sink of candidates) {
      if (!this.conditionsHold(sink, ctx)) continue;
      if (sink.rule.class === 'xss' && ctx.receiver?.ref?.kind === 'role' && ctx.receiver.ref.contentType === 'other') continue;
      const label = this.sinkLabel(sink, ctx, ctx.node);
      for (const arg of this.selectArgs(sink.spec.args ?? [], ctx.args)) {
        for (const taint of this.dangerous(sink, arg)) this.report(sink, taint, ctx.node, label);
      }
    }
  }

  /** A framework-sink-shaped call on a symbolic parameter (`res.send(x)` in a helper given `res`). */
  protected recordParamCall(ctx: CallContext): void {
    if (!this.frame.summaryMode || ctx.method === undefined || !this.rules.roleSinkMethods.has(ctx.method)) return;
    const receiver = ctx.receiver;
    if (receiver === undefined || ctx.receiverNode === undefined) return;
    for (const taint of receiver.taints) {
      if (taint.param === undefined) continue;
      this.addParamCall({
        param: taint.param,
        path: taint.path ?? [],
        method: ctx.method,
        args: ctx.args.map((arg) => this.argSummary(arg)),
        range: this.range(ctx.node),
        text: textOf(this.text, ctx.node),
        receiverText: textOf(this.text, ctx.receiverNode),
      });
      return;
    }
  }

  protected argSummary(value: Value, depth = 0): ArgSummary {
    const summary: { taints: readonly Taint[]; html?: boolean; literal?: string | number | boolean; props?: Record<string, ArgSummary> } = { taints: value.taints };
    if (value.html === true) summary.html = true;
    if (value.literal !== undefined) summary.literal = value.literal;
    if (value.props !== undefined && depth < 2) {
      const props: Record<string, ArgSummary> = {};
      for (const [key, prop] of value.props) props[key] = this.argSummary(prop, depth + 1);
      summary.props = props;
    }
    return summary;
  }

  /** A property assignment sink (`el.innerHTML = x`, `ctx.body = x`). */
  protected checkPropertySink(object: Value, objectNode: t.Node, property: string, value: Value, node: t.Node): void {
    const sinks = this.rules.sinkProperties.get(property);
    if (sinks === undefined) return;
    for (const sink of sinks) {
      if (!this.receiverMatches(sink, object, objectNode)) {
        if (this.frame.summaryMode && sink.spec.role !== undefined) this.recordParamAssign(object, objectNode, property, value, node);
        continue;
      }
      if (sink.spec.when?.some((condition) => condition.context === 'html') === true) {
        const receiverType = object.ref?.kind === 'role' ? object.ref.contentType : undefined;
        // A response declared as another type (`@Header('content-type', 'text/xml')`) is not HTML, markup or not.
        if (receiverType === 'other' || (receiverType !== 'html' && value.html !== true)) continue;
      }
      const label = sink.spec.label === undefined ? textOf(this.text, node) : `${sink.spec.label} (${textOf(this.text, objectNode)}.${property})`;
      for (const taint of this.dangerous(sink, value)) this.report(sink, taint, node, label);
    }
  }

  protected recordParamAssign(object: Value, objectNode: t.Node, property: string, value: Value, node: t.Node): void {
    for (const taint of object.taints) {
      if (taint.param === undefined) continue;
      this.addParamCall({
        param: taint.param,
        path: taint.path ?? [],
        property,
        args: [this.argSummary(value)],
        range: this.range(node),
        text: textOf(this.text, node),
        receiverText: textOf(this.text, objectNode),
      });
      return;
    }
  }

  /**
   * `obj[key] = value` with an attacker-chosen key: prototype pollution when the object itself came from another
   * attacker-keyed lookup (`obj[a][b] = v`), or inside a recursive merge that walks the untrusted object's keys.
   */
  protected checkComputedAssignment(objectNode: t.Node, object: Value, key: Value, value: Value, node: t.Node): void {
    const sinks = this.rules.sinkProperties.get('[computed]');
    if (sinks === undefined || this.conditionalWrite || object.nullProto === true) return;
    // `obj[a][b] = v` and `node = node[part]; node[last] = v`: the object written may be a prototype, whatever `v` is.
    const nested = object.protoReach === true || (objectNode.type === 'MemberExpression' && objectNode.computed && this.keyedByInput(objectNode));
    // A recursive merge walking the input's keys: the pollution is the write of the input's values.
    const merging = isTainted(value) && this.insideRecursiveMerge();
    if (!nested && !merging) return;
    for (const sink of sinks) {
      const label = sink.spec.label ?? 'property assignment';
      for (const taint of this.dangerous(sink, key)) this.report(sink, taint, node, `${label} ${textOf(this.text, node)}`);
    }
  }

  /** `outer[key]` with an attacker-chosen key on an object that has a prototype. */
  private keyedByInput(member: t.MemberExpression): boolean {
    const bit = classBit('prototype-pollution');
    if (!this.exprQuiet(member.property).taints.some((taint) => (taint.clean & bit) === 0)) return false;
    return this.exprQuiet(member.object).nullProto !== true;
  }

  /** The current function calls itself with a computed member (`merge(target[key], source[key])`). */
  protected insideRecursiveMerge(): boolean {
    const fn = this.frame.fn;
    if (fn === undefined) return false;
    const cached = recursiveMergeCache.get(fn.node);
    if (cached !== undefined) return cached;
    const name = fn.node.type === 'FunctionDeclaration' || fn.node.type === 'FunctionExpression' ? fn.node.id?.name ?? fn.name : fn.name.split('.').pop() ?? fn.name;
    const source = this.text.slice(fn.node.start ?? 0, fn.node.end ?? 0);
    const pattern = new RegExp(`\\b${name.replace(/[^\w$]/g, '')}\\s*\\([^)]*\\[[^\\]]+\\]`);
    const result = name !== '' && pattern.test(source);
    recursiveMergeCache.set(fn.node, result);
    return result;
  }
}

/** A class the application defines or imports from its own (possibly unreviewed) files, not a global or a package. */
function isApplicationClass(value: Value): boolean {
  const kind = value.ref?.kind;
  return kind === 'class' || kind === 'summary-class' || kind === 'unresolved';
}

/** The method whose result the receiver is (`db.prepare(sql)` → `prepare`), from its origin or its source text. */
function madeBy(receiver: Value | undefined, receiverNode: t.Node | undefined): string | undefined {
  const ref = receiver?.ref;
  if (ref?.kind === 'module' && ref.path.length >= 2 && ref.path[ref.path.length - 1] === '()') return ref.path[ref.path.length - 2];
  if (receiverNode?.type === 'CallExpression' && receiverNode.callee.type === 'MemberExpression' && receiverNode.callee.property.type === 'Identifier') {
    return receiverNode.callee.property.name;
  }
  return undefined;
}
