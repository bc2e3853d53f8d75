/**
 * Functions and classes: creating them, analysing a body with symbolic parameters (a summary) or with actual
 * arguments (handlers and inline callbacks), constructors and injected fields, and class summaries for importers.
 */
import type * as t from '@babel/types';
import { Scope, type ClassInfo, type FunctionInfo } from '../functions.js';
import { EMPTY_FUNCTION_SUMMARY, type ClassSummary, type FunctionSummary } from '../summary.js';
import { CLEAN, joinAll, type Ref, type Value } from '../values.js';
import { BudgetExceeded, MAX_INLINE_DEPTH, type Frame } from './core.js';
import { Calls } from './calls.js';

export abstract class Definitions extends Calls {
  protected override makeFunction(node: t.Function, name: string, scope: Scope, cls?: ClassInfo, extra: { isConstructor?: boolean; isStatic?: boolean } = {}): Value {
    const fn: FunctionInfo = {
      node,
      name,
      scope,
      handlerModes: new Set(),
      ...(cls === undefined ? {} : { cls }),
      ...extra,
      ...(node.type === 'ArrowFunctionExpression' ? { lexicalThis: this.frame.thisValue } : {}),
    };
    this.functions.push(fn);
    return { taints: [], ref: { kind: 'function', fn } };
  }

  protected override makeClass(node: t.ClassDeclaration | t.ClassExpression, name: string, scope: Scope): Value {
    const decorators = (node.decorators ?? []).map((decorator) => this.decoratorName(decorator)).filter((item): item is string => item !== undefined);
    const cls: ClassInfo = { node, name, scope, methods: new Map(), statics: new Map(), decorators };
    if (node.superClass !== null && node.superClass !== undefined) {
      const superNode = node.superClass;
      if (superNode.type === 'Identifier') cls.superClass = this.scope.lookup(superNode.name)?.value ?? { taints: [], ref: { kind: 'global', path: [superNode.name] } };
    }
    for (const member of node.body.body) {
      if (member.type !== 'ClassMethod' && member.type !== 'ClassPrivateMethod') continue;
      const key = member.key.type === 'Identifier' ? member.key.name : member.key.type === 'PrivateName' ? `#${member.key.id.name}` : member.key.type === 'StringLiteral' ? member.key.value : undefined;
      if (key === undefined) continue;
      if (member.type === 'ClassMethod' && member.kind === 'constructor') {
        const ctorValue = this.makeFunction(member, `${name}.constructor`, scope, cls, { isConstructor: true });
        if (ctorValue.ref?.kind === 'function') cls.ctor = ctorValue.ref.fn;
        continue;
      }
      const fnValue = this.makeFunction(member, `${name}.${key}`, scope, cls, { isStatic: member.static });
      if (fnValue.ref?.kind === 'function') (member.static ? cls.statics : cls.methods).set(key, fnValue.ref.fn);
    }
    return { taints: [], ref: { kind: 'class', cls } };
  }

  protected override decoratorName(decorator: t.Decorator): string | undefined {
    const expression = decorator.expression;
    const callee = expression.type === 'CallExpression' ? expression.callee : expression;
    return callee.type === 'Identifier' ? callee.name : undefined;
  }

  protected override findMethod(cls: ClassInfo, name: string, statics = false): FunctionInfo | undefined {
    for (let current: ClassInfo | undefined = cls, hops = 0; current !== undefined && hops < 8; hops++) {
      const found = (statics ? current.statics : current.methods).get(name);
      if (found !== undefined) return found;
      const parent: Ref | undefined = current.superClass?.ref;
      current = parent?.kind === 'class' ? parent.cls : undefined;
    }
    return undefined;
  }

  /** Fields every instance starts with: injected services (constructor parameter properties) and initialisers. */
  protected override classTemplate(cls: ClassInfo): Map<string, Value> {
    const cached = this.classTemplates.get(cls);
    if (cached !== undefined) return cached;
    const fields = new Map<string, Value>();
    this.classTemplates.set(cls, fields);
    const savedScope = this.scope;
    this.scope = cls.scope;
    try {
      for (const member of cls.node.body.body) {
        if (member.type === 'ClassProperty' && !member.static && member.key.type === 'Identifier') {
          if (member.value !== null && member.value !== undefined) fields.set(member.key.name, this.expr(member.value));
          else {
            const typed = this.instanceOfType(member.typeAnnotation);
            if (typed !== undefined) fields.set(member.key.name, typed);
          }
        }
        if (member.type === 'ClassMethod' && member.kind === 'constructor') {
          for (const param of member.params) {
            if (param.type !== 'TSParameterProperty' || param.parameter.type !== 'Identifier') continue;
            const typed = this.instanceOfType(param.parameter.typeAnnotation);
            if (typed !== undefined) fields.set(param.parameter.name, typed);
          }
        }
      }
    } finally {
      this.scope = savedScope;
    }
    return fields;
  }

  /** An instance of the class a type annotation names (dependency injection: `private repo: UserRepository`). */
  protected instanceOfType(annotation: t.Node | null | undefined): Value | undefined {
    if (annotation?.type !== 'TSTypeAnnotation') return undefined;
    const type = annotation.typeAnnotation;
    if (type.type !== 'TSTypeReference' || type.typeName.type !== 'Identifier') return undefined;
    const binding = this.moduleScope.lookup(type.typeName.name);
    if (binding === undefined) return undefined;
    const value = this.materialize(binding.value);
    const ref = value.ref;
    if (ref?.kind === 'class') return { taints: [], ref: { kind: 'instance', cls: ref.cls }, props: new Map(this.classTemplate(ref.cls)) };
    if (ref?.kind === 'summary-class') return { taints: [], ref: { kind: 'summary-instance', summary: ref.summary, name: ref.name, file: ref.file } };
    if (ref?.kind === 'module') return { taints: [], ref: { kind: 'module', module: ref.module, path: [...ref.path, '()'] } };
    return undefined;
  }

  /** The summary of a function, analysing it with symbolic parameters the first time. */
  protected override summaryOf(fn: FunctionInfo): FunctionSummary {
    if (fn.summary !== undefined) return fn.summary;
    if (fn.analyzing === true) return EMPTY_FUNCTION_SUMMARY;
    fn.analyzing = true;
    let summary = EMPTY_FUNCTION_SUMMARY;
    try {
      summary = this.analyzeFunction(fn, undefined, undefined, true);
    } catch (error) {
      if (!(error instanceof RangeError) && !(error instanceof BudgetExceeded)) throw error;
    } finally {
      fn.analyzing = false;
    }
    fn.summary = summary;
    return summary;
  }

  protected thisFor(fn: FunctionInfo, summaryMode: boolean): Value {
    if (fn.lexicalThis !== undefined) return fn.lexicalThis;
    if (fn.cls === undefined) return summaryMode ? this.symbolic(-1) : CLEAN;
    // With a symbolic `this`, plain field initialisers must not hide what callers stored (`this.cmd = input`):
    // only injected services and module objects are known for every instance.
    const template = fn.isStatic === true ? [] : [...this.classTemplate(fn.cls)];
    const props = new Map(summaryMode && fn.isConstructor !== true ? template.filter(([, value]) => value.ref !== undefined) : template);
    const ref: Ref = fn.isStatic === true ? { kind: 'class', cls: fn.cls } : { kind: 'instance', cls: fn.cls };
    return { taints: summaryMode && fn.isConstructor !== true ? this.symbolic(-1).taints : [], props, ref };
  }

  /**
   * Analyses a function body. With `args`, the parameters are those values (handlers, inline callbacks); without,
   * they are symbolic and the result is a summary. Returns the summary (empty in concrete mode).
   */
  protected override analyzeFunction(fn: FunctionInfo, args: readonly Value[] | undefined, thisValue: Value | undefined, summaryMode: boolean, shareWith?: Frame): FunctionSummary {
    const savedFrame = this.frame;
    const frame: Frame = {
      fn,
      summaryMode,
      returns: [],
      sinks: shareWith?.sinks ?? [],
      paramCalls: shareWith?.paramCalls ?? [],
      thisValue: thisValue ?? this.thisFor(fn, summaryMode && args === undefined),
    };
    try {
      this.runBody(fn, frame, args);
    } finally {
      this.frame = savedFrame;
    }
    if (args !== undefined) {
      return { returns: joinAll(frame.returns).taints, sinks: [], paramCalls: [] };
    }
    return this.summarize(fn, frame);
  }

  /** Concrete invocation: the value a call returns when the body is analysed with the actual arguments. */
  protected override invokeConcrete(fn: FunctionInfo, args: readonly Value[], thisValue: Value | undefined): Value {
    if (this.inlineDepth >= MAX_INLINE_DEPTH || fn.analyzing === true) return this.applySummary(this.summaryOf(fn), args, thisValue, undefined, fn.name);
    this.inlined.add(fn);
    this.inlineDepth++;
    fn.analyzing = true;
    const savedFrame = this.frame;
    let result = CLEAN;
    try {
      const frame: Frame = { fn, summaryMode: savedFrame.summaryMode, returns: [], sinks: savedFrame.sinks, paramCalls: savedFrame.paramCalls, thisValue: thisValue ?? this.thisFor(fn, false) };
      this.runBody(fn, frame, args);
      result = joinAll(frame.returns);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    } finally {
      this.frame = savedFrame;
      this.inlineDepth--;
      fn.analyzing = false;
    }
    return result;
  }

  /**
   * Runs `fn`'s body in `frame` (which becomes the current frame; the caller restores its own) in a fresh scope one
   * level deeper, its parameters bound to `args` (symbolic without), its returns collected in `frame.returns`.
   */
  private runBody(fn: FunctionInfo, frame: Frame, args: readonly Value[] | undefined): void {
    const savedScope = this.scope;
    const savedDepth = this.depth;
    this.frame = frame;
    this.scope = new Scope(fn.scope, true);
    this.depth = savedDepth + 1;
    try {
      this.bindParams(fn, args);
      const body = fn.node.body;
      if (body.type === 'BlockStatement') {
        this.hoist(body.body, this.scope);
        this.statements(body.body);
      } else {
        frame.returns.push(this.expr(body));
      }
    } finally {
      this.scope = savedScope;
      this.depth = savedDepth;
    }
  }

  protected bindParams(fn: FunctionInfo, args: readonly Value[] | undefined): void {
    const { params } = fn.node;
    for (const [index, param] of params.entries()) {
      let node: t.Node = param;
      let propertyName: string | undefined;
      if (node.type === 'TSParameterProperty') {
        node = node.parameter;
        if (node.type === 'Identifier') propertyName = node.name;
        else if (node.left.type === 'Identifier') propertyName = node.left.name;
      }
      let value: Value;
      if (node.type === 'RestElement') {
        value = args === undefined ? this.symbolic(index) : joinAll(args.slice(index));
        this.bindPattern(node.argument, value, 'let');
        continue;
      }
      const framework = this.frameworkValue(node);
      if (framework !== undefined) value = framework;
      else if (args !== undefined) value = args[index] ?? CLEAN;
      else value = this.symbolic(index);
      this.bindPattern(node, value, 'let');
      if (propertyName !== undefined && fn.isConstructor === true) {
        const thisValue = this.frame.thisValue;
        if (thisValue.props !== undefined && !thisValue.props.has(propertyName)) thisValue.props.set(propertyName, value);
      }
    }
  }

  protected override classSummary(cls: ClassInfo): ClassSummary {
    const methods: Record<string, FunctionSummary> = {};
    const statics: Record<string, FunctionSummary> = {};
    for (let current: ClassInfo | undefined = cls, hops = 0; current !== undefined && hops < 8; hops++) {
      for (const [key, fn] of current.methods) if (methods[key] === undefined) methods[key] = this.summaryOf(fn);
      for (const [key, fn] of current.statics) if (statics[key] === undefined) statics[key] = this.summaryOf(fn);
      const parent: Ref | undefined = current.superClass?.ref;
      current = parent?.kind === 'class' ? parent.cls : undefined;
    }
    const summary: { methods: Record<string, FunctionSummary>; statics: Record<string, FunctionSummary>; ctor?: FunctionSummary } = { methods, statics };
    if (cls.ctor !== undefined) summary.ctor = this.summaryOf(cls.ctor);
    return summary;
  }
}
