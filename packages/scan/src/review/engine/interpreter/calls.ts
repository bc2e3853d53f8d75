/**
 * Calls: sanitizer calls, sinks, route registrations, calls into code the analysis can see (local functions,
 * classes, other files' summaries), and the known effect of library and built-in functions on taint.
 */
import type * as t from '@babel/types';
import { ALL_CLASSES, classBit, OBJECT_ONLY_CLASSES } from '../classes.js';
import type { CompiledSanitizer } from '../compiled.js';
import type { ClassInfo } from '../functions.js';
import { applySchema, joiValidateResult, PARSE_METHODS, parseResult, refineSchema, SCHEMA_MODULES, schemaFromBuilder } from '../schema.js';
import { rawTextOf } from '../text.js';
import { asStrings, cleaned, CLEAN, deepTaints, isTainted, join, joinAll, readTaints, tainted, unionTaints, withShape, decoded, type Value } from '../values.js';
import { CALLBACK_METHODS, CLEAN_METHODS, ELEMENT_METHODS, isFunctionNode, literalString, qualifiedName, STRING_METHODS, unwrap } from './syntax.js';
import type { CallContext } from './core.js';
import { Patterns } from './patterns.js';

export abstract class Calls extends Patterns {
  protected override call(node: t.CallExpression | t.OptionalCallExpression | t.NewExpression, isNew: boolean): Value {
    const callee = unwrap(node.callee);
    if (!isNew && callee.type === 'Identifier' && this.isRequire(callee.name)) return this.requireValue(node.arguments[0]);
    if (callee.type === 'Import') return this.requireValue(node.arguments[0]);
    let receiver: Value | undefined;
    let receiverNode: t.Node | undefined;
    let method: string | undefined;
    let calleeValue: Value = CLEAN;
    if (callee.type === 'MemberExpression' || callee.type === 'OptionalMemberExpression') {
      receiverNode = unwrap(callee.object);
      receiver = this.materialize(this.expr(callee.object));
      method = !callee.computed && callee.property.type === 'Identifier' ? callee.property.name : callee.property.type === 'PrivateName' ? `#${callee.property.id.name}` : literalString(callee.property);
      if (method !== undefined && receiver.ref?.kind !== 'role') calleeValue = this.getProp(receiver, method);
    } else {
      calleeValue = this.materialize(this.expr(callee));
    }
    const args: Value[] = [];
    const argNodes: t.Node[] = [];
    for (const arg of node.arguments) {
      if (arg.type === 'SpreadElement') {
        const spread = this.expr(arg.argument);
        args.push(spread.elements === undefined ? spread : joinAll(spread.elements));
      } else if (arg.type === 'ArgumentPlaceholder') {
        args.push(CLEAN);
      } else {
        args.push(this.expr(arg));
      }
      argNodes.push(arg);
    }
    const qname = method === undefined ? qualifiedName(calleeValue.ref) : qualifiedName(receiver?.ref, method) ?? qualifiedName(calleeValue.ref);
    const ctx: CallContext = {
      node,
      isNew,
      calleeValue,
      args,
      argNodes,
      ...(receiver === undefined ? {} : { receiver }),
      ...(receiverNode === undefined ? {} : { receiverNode }),
      ...(method === undefined ? {} : { method }),
      ...(qname === undefined ? {} : { qname }),
    };
    const sanitized = this.applySanitizers(ctx);
    if (sanitized !== undefined) return sanitized;
    this.checkCallSinks(ctx);
    if (receiver?.ref?.kind === 'role' && method !== undefined) return this.roleMethod(receiver, receiver.ref, method, ctx);
    if (this.registerHandlers(ctx)) return receiver ?? CLEAN;
    const result = this.callResolved(ctx) ?? this.builtin(ctx);
    const stored = this.storedData(ctx);
    return stored === undefined ? result : join(result, stored);
  }

  /** `require`, or a `require` made by `createRequire(import.meta.url)` in an ES module. */
  private isRequire(name: string): boolean {
    if (name !== 'require') return false;
    const ref = this.lookup(name)?.value.ref;
    return ref === undefined || (ref.kind === 'module' && ref.module === 'module' && ref.path[0] === 'createRequire');
  }

  protected override sanitizersFor(qname: string | undefined, method: string | undefined, receiver: Value | undefined, receiverNode: t.Node | undefined): CompiledSanitizer[] {
    const result: CompiledSanitizer[] = [];
    if (qname !== undefined) result.push(...(this.rules.sanitizerFunctions.get(qname) ?? []));
    if (method !== undefined) {
      for (const sanitizer of this.rules.sanitizerMethods.get(method) ?? []) {
        if (this.receiverMatches(sanitizer, receiver, receiverNode)) result.push(sanitizer);
      }
    }
    return result;
  }

  /** Sanitizer calls: the cleaned value, or undefined when the call is not a sanitizer. */
  protected applySanitizers(ctx: CallContext): Value | undefined {
    const qname = ctx.qname ?? (ctx.calleeValue.ref?.kind === 'unresolved' ? ctx.calleeValue.ref.name : undefined);
    const name = ctx.isNew && qname !== undefined ? `new ${qname}` : qname;
    const candidates = this.sanitizersFor(name, ctx.isNew ? undefined : ctx.method, ctx.receiver, ctx.receiverNode);
    // One call may sanitize for several classes at once (`s.replace(/[.*+?^${}()|[\]\\]/g, …)` escapes both regex
    // and LDAP metacharacters): the masks of every matching sanitizer add up.
    let input: Value | undefined;
    let mask = 0;
    let matched = false;
    for (const sanitizer of candidates) {
      const { spec } = sanitizer;
      if (spec.mode === 'guard') return CLEAN;
      if (sanitizer.pattern !== undefined && !this.replacePatternMatches(sanitizer.pattern, ctx)) continue;
      if (spec.mode === 'argument') {
        const target = spec.arg === 'receiver' ? ctx.receiverNode : ctx.argNodes[spec.arg ?? 0];
        if (target !== undefined) this.applyNarrowings([{ node: target, mask: sanitizer.mask }]);
        return CLEAN;
      }
      if (!matched) input = spec.arg === 'receiver' ? ctx.receiver : ctx.args[spec.arg ?? 0];
      matched = true;
      mask |= sanitizer.mask;
    }
    if (!matched) return undefined;
    if (input === undefined || mask === ALL_CLASSES) return CLEAN;
    return tainted(cleaned(input.taints, mask));
  }

  protected replacePatternMatches(pattern: RegExp, ctx: CallContext): boolean {
    const first = ctx.args[0];
    const source = first?.ref?.kind === 'regex' ? first.ref.source : typeof first?.literal === 'string' ? first.literal : undefined;
    if (source === undefined) return false;
    if (first?.ref?.kind === 'regex' && !first.ref.flags.includes('g') && ctx.method === 'replace') return false;
    return pattern.test(source);
  }

  /** Calls to code the analysis can see: local functions, classes, methods, and summaries from other files. */
  protected override callResolved(ctx: CallContext): Value | undefined {
    const { calleeValue, receiver } = ctx;
    const ref = calleeValue.ref;
    if (ctx.isNew) {
      if (ref?.kind === 'class') return this.construct(ref.cls, ctx);
      if (ref?.kind === 'summary-class') {
        const instance: Value = { taints: [], ref: { kind: 'summary-instance', summary: ref.summary, name: ref.name, file: ref.file } };
        if (ref.summary.ctor !== undefined) this.applySummary(ref.summary.ctor, ctx.args, instance, ctx.node, `new ${ref.name}`, ref.file);
        return instance;
      }
      return undefined;
    }
    if (ref?.kind === 'function') {
      const inline = ctx.node.type !== 'TaggedTemplateExpression' && isFunctionNode(unwrap(ctx.node.callee));
      const thisValue = receiver !== undefined && ref.fn.node.type !== 'ArrowFunctionExpression' ? receiver : undefined;
      if (inline) return this.invokeConcrete(ref.fn, ctx.args, thisValue);
      return this.applySummary(this.summaryOf(ref.fn), ctx.args, thisValue, ctx.node, ref.fn.name);
    }
    if (ref?.kind === 'summary-function') return this.applySummary(ref.summary, ctx.args, receiver, ctx.node, ref.name, ref.file);
    if (ref?.kind === 'class') return this.construct(ref.cls, ctx);
    return undefined;
  }

  protected construct(cls: ClassInfo, ctx: CallContext): Value {
    const instance: Value = { taints: [], ref: { kind: 'instance', cls }, props: new Map(this.classTemplate(cls)) };
    if (cls.ctor !== undefined) {
      const summary = this.summaryOf(cls.ctor);
      this.applySummary({ ...summary, returns: [] }, ctx.args, instance, ctx.node, `new ${cls.name}`);
      for (const [key, taints] of Object.entries(summary.fields ?? {})) {
        instance.props?.set(key, tainted(this.substitute(taints, ctx.args, instance, this.step(ctx.node, `stored in ${cls.name}.${key}`))));
      }
    }
    return instance;
  }

  /** Invokes a callback argument with the values a library would pass it. */
  protected override invokeCallback(callback: Value, args: readonly Value[], node: t.Node | undefined): Value {
    const ref = callback.ref;
    if (ref?.kind === 'function') {
      if (node !== undefined && isFunctionNode(unwrap(node))) return this.invokeConcrete(ref.fn, args, undefined);
      return this.applySummary(this.summaryOf(ref.fn), args, undefined, node, ref.fn.name);
    }
    if (ref?.kind === 'summary-function') return this.applySummary(ref.summary, args, undefined, node, ref.name, ref.file);
    return CLEAN;
  }

  /** Library functions and methods whose effect on taint is known, and a conservative default for the rest. */
  protected builtin(ctx: CallContext): Value {
    const { qname, method, receiver, args } = ctx;
    const all = (): Value => tainted(joinAll(args).taints);
    if (method === undefined || !CALLBACK_METHODS.has(method)) this.runInlineCallbacks(ctx);
    if (receiver?.ref?.kind === 'schema' && method !== undefined) {
      const schema = receiver.ref.schema;
      if (PARSE_METHODS.has(method)) {
        const data = applySchema(schema, args[0] ?? CLEAN, (value, key) => this.getProp(value, key));
        return method === 'validate' && this.schemaModuleIsJoi(ctx) ? joiValidateResult(data) : parseResult(method, data);
      }
      return { taints: [], ref: { kind: 'schema', schema: refineSchema(schema, method, args) } };
    }
    if (receiver?.ref?.kind === 'module' && SCHEMA_MODULES.has(receiver.ref.module) && method !== undefined) {
      const schema = schemaFromBuilder(method, args);
      if (schema !== undefined) return { taints: [], ref: { kind: 'schema', schema } };
    }
    switch (qname) {
      case 'JSON.parse':
        return tainted(withShape(cleaned(args[0]?.taints ?? [], 0).map((taint) => ({ ...taint, clean: taint.clean & ~OBJECT_ONLY_CLASSES })), 'object'));
      case 'JSON.stringify':
        return tainted(cleaned(asStrings(deepTaints(args[0] ?? CLEAN)), classBit('log-injection') | OBJECT_ONLY_CLASSES));
      case 'Object.keys':
        return tainted(asStrings(readTaints(deepTaints(args[0] ?? CLEAN), '[key]')));
      case 'Object.values':
      case 'Object.entries':
        return tainted(deepTaints(args[0] ?? CLEAN));
      case 'Object.assign': {
        const target = args[0];
        if (target?.props !== undefined) {
          for (const source of args.slice(1)) for (const [key, value] of source.props ?? []) target.props.set(key, value);
        }
        return { ...(target ?? CLEAN), taints: unionTaints(target?.taints ?? [], joinAll(args.slice(1).map((arg) => ({ taints: withShape(arg.taints, 'object') }))).taints) };
      }
      case 'util:promisify':
        // `promisify(exec)` runs the same command: the promisified function is the sink it wraps.
        return args[0] ?? CLEAN;
      case 'Object.freeze':
      case 'Promise.resolve':
      case 'structuredClone':
        return args[0] ?? CLEAN;
      case 'Promise.all':
      case 'Promise.allSettled':
      case 'Promise.race':
      case 'Promise.any':
      case 'Array.from':
      case 'Array.of':
        return all();
      case 'Set':
      case 'Map':
        // `new Set(['__proto__', …])` keeps its literal members for allowlist and deny-list guards.
        return args[0]?.elements === undefined ? all() : { taints: all().taints, elements: args[0].elements };
      case 'decodeURIComponent':
      case 'decodeURI':
      case 'unescape':
      case 'querystring:parse':
      case 'querystring:unescape':
      case 'querystring:decode':
      case 'qs:parse':
      case 'URLSearchParams':
        return tainted(decoded(all().taints));
      case 'URL':
        if (ctx.isNew && args.length >= 2) {
          // `new URL(path, request.url)`: resolved against the request's own URL, the host comes from the request
          // unless `path` is absolute — so the base adds no redirect or SSRF risk of its own.
          const base = args[1] ?? CLEAN;
          const sameSite = base.taints.map((taint) => (taint.kind === 'http.url' ? { ...taint, clean: taint.clean | classBit('open-redirect') | classBit('ssrf') } : taint));
          return tainted(unionTaints(args[0]?.taints ?? [], sameSite));
        }
        break;
      case 'Object.create':
        if (ctx.argNodes[0]?.type === 'NullLiteral') return { taints: [], props: new Map(), nullProto: true };
        break;
      case 'Symbol':
      case 'Date':
      case 'Date.now':
      case 'Math.random':
        return CLEAN;
      default:
        break;
    }
    if (method !== undefined && receiver !== undefined) return this.methodCall(ctx, receiver, method);
    if (ctx.calleeValue.ref?.kind === 'module') {
      const body = this.requestStreamRead(ctx);
      if (body !== undefined) return body;
    }
    if (ctx.calleeValue.ref?.kind === 'module' || ctx.calleeValue.ref?.kind === 'global') {
      // An external function we know nothing about: assume it returns something derived from its inputs.
      const result = all();
      if (ctx.calleeValue.ref.kind === 'module') {
        // Keep a constructed object's literal options (`new XMLParser({ processEntities: false })`) for sink conditions.
        const options = ctx.isNew ? ctx.args.find((arg) => arg.props !== undefined)?.props : undefined;
        return { ...result, ref: { kind: 'module', module: ctx.calleeValue.ref.module, path: [...ctx.calleeValue.ref.path, '()'] }, ...(options === undefined ? {} : { props: options }) };
      }
      return result;
    }
    return all();
  }

  protected schemaModuleIsJoi(ctx: CallContext): boolean {
    return /joi/i.test(ctx.receiverNode === undefined ? '' : rawTextOf(this.text, ctx.receiverNode)) || this.externalImports.has('Joi') || [...this.externalImports.values()].some((item) => item.module === 'joi' || item.module === '@hapi/joi');
  }

  /**
   * Inline callbacks given to a library (`new Promise((resolve) => exec(cmd, …))`, `fs.readFile(p, (err, data) => …)`)
   * run later with the library's values, but with the variables of the code around them: they are analysed in place,
   * so a sink inside sees what the enclosing function holds.
   */
  private runInlineCallbacks(ctx: CallContext): void {
    for (const [index, node] of ctx.argNodes.entries()) {
      const ref = ctx.args[index]?.ref;
      if (!isFunctionNode(node) || ref?.kind !== 'function' || ref.fn.handlerModes.size > 0 || this.inlined.has(ref.fn)) continue;
      this.depth++;
      this.invokeCallback(ctx.args[index] ?? CLEAN, [], node);
      this.depth--;
    }
  }

  /**
   * A library function given the request stream (`text(req)` from node:stream/consumers, raw-body, get-stream) reads
   * the request body: its result is the body source the framework object yields when iterated.
   */
  private requestStreamRead(ctx: CallContext): Value | undefined {
    for (const arg of ctx.args) {
      if (arg.ref?.kind !== 'role' || arg.ref.path.length > 0) continue;
      const spec = this.rules.sources.get(arg.ref.role)?.iterate;
      if (spec !== undefined) return this.sourceValue(spec, ctx.node);
    }
    return undefined;
  }

  protected methodCall(ctx: CallContext, receiver: Value, method: string): Value {
    const { args, argNodes } = ctx;
    if (CALLBACK_METHODS.has(method) && args.some((arg) => arg.ref?.kind === 'function' || arg.ref?.kind === 'summary-function')) {
      const element = method === 'then' || method === 'catch' || method === 'finally' ? receiver : this.elementOf(receiver);
      const index = args.findIndex((arg) => arg.ref?.kind === 'function' || arg.ref?.kind === 'summary-function');
      const callback = args[index] ?? CLEAN;
      this.depth++;
      const callbackArgs = method === 'reduce' || method === 'reduceRight' ? [join(args[1] ?? CLEAN, element), element] : [element, CLEAN];
      const returned = this.invokeCallback(callback, callbackArgs, argNodes[index]);
      this.depth--;
      if (method === 'map' || method === 'flatMap' || method === 'then' || method === 'reduce' || method === 'reduceRight') return method === 'then' ? returned : tainted(unionTaints(returned.taints, method === 'reduce' ? args[1]?.taints ?? [] : []));
      if (method === 'forEach' || method === 'some' || method === 'every') return CLEAN;
      return receiver.elements !== undefined ? { taints: receiver.taints } : tainted(receiver.taints);
    }
    if (receiver.ref?.kind === 'module' && receiver.ref.module !== '') {
      const result = tainted(unionTaints(receiver.taints, joinAll(args).taints));
      return { ...result, ref: { kind: 'module', module: receiver.ref.module, path: [...receiver.ref.path, method, '()'].slice(0, 6) } };
    }
    if (receiver.ref?.kind === 'global') return tainted(joinAll(args).taints);
    if (CLEAN_METHODS.has(method)) return CLEAN;
    if (method === 'push' || method === 'unshift' || method === 'add' || method === 'set' || method === 'append') {
      if (ctx.receiverNode !== undefined && args.some(isTainted) && receiver.ref?.kind !== 'instance') {
        const added = joinAll(method === 'set' ? args.slice(1) : args);
        const updated: Value = { ...receiver, taints: unionTaints(receiver.taints, added.taints), ...(receiver.elements === undefined ? {} : { elements: [...receiver.elements, added] }) };
        this.assignQuietly(ctx.receiverNode, updated);
      }
      return CLEAN;
    }
    if (method === 'concat') return tainted(unionTaints(receiver.taints, joinAll(args).taints));
    if (method === 'replace' || method === 'replaceAll') return tainted(asStrings(unionTaints(receiver.taints, args[1]?.taints ?? [])));
    if (method === 'split') return tainted(asStrings(receiver.taints));
    // `/^(\w+)\[(\w+)\]$/.exec(name)`: the captures come from the string matched, not from the pattern.
    if (method === 'exec' && receiver.ref?.kind === 'regex') return tainted(asStrings(args[0]?.taints ?? []));
    if (ELEMENT_METHODS.has(method)) return receiver.elements !== undefined ? { taints: receiver.taints, elements: receiver.elements } : tainted(receiver.taints);
    if (STRING_METHODS.has(method)) {
      const html = receiver.html === true;
      const taints = asStrings(method === 'join' ? (receiver.elements === undefined ? receiver.taints : joinAll(receiver.elements).taints) : receiver.taints);
      return html ? { taints, html } : tainted(taints);
    }
    return this.methodResult(receiver, method, args);
  }

  protected assignQuietly(node: t.Node, value: Value): void {
    if (node.type === 'Identifier') {
      const binding = this.lookup(node.name);
      if (binding !== undefined) binding.value = join(binding.value, value);
    } else if (node.type === 'MemberExpression') {
      this.assignMember(node, value, node);
    }
  }

  /** What an unknown method returns: derived from the receiver (a symbolic parameter records the call in its path). */
  protected override methodResult(receiver: Value, method: string, args: readonly Value[]): Value {
    if (receiver.ref?.kind === 'role') return this.roleMethod(receiver, receiver.ref, method, undefined);
    const fn = receiver.props?.get(method);
    if (fn?.ref?.kind === 'function') return this.applySummary(this.summaryOf(fn.ref.fn), args, receiver, undefined, fn.ref.fn.name);
    if (receiver.taints.length === 0) return CLEAN;
    const symbolic = receiver.taints.map((taint) => {
      if (taint.param === undefined) return taint;
      const path = taint.path ?? [];
      return { ...taint, path: path.length >= 5 ? path : [...path, `${method}()`] };
    });
    return tainted(symbolic);
  }
}

