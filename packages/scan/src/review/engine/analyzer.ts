/**
 * The taint interpreter: walks one module's AST as an abstract interpreter over `Value`s, following untrusted input
 * from framework sources through assignments, calls, objects, classes and closures to the sinks the rules name.
 *
 * Functions are summarised with symbolic parameters (param i → return, → sink, → framework-object call) and call
 * sites substitute their arguments, so a helper in another file is followed through its summary from the previous
 * round. Inline callbacks and route handlers are analysed with their actual arguments (more precise, and they have
 * no other callers). Branches are joined (a sanitizer in one branch only does not clean the value after the `if`);
 * guards that exit (`if (!ALLOWED.includes(x)) return;`) narrow the value on the path that continues.
 */
import type * as t from '@babel/types';
import type { Finding, FlowStep, SourceRange } from '../types.js';
import type { SourceSpec } from '../rules/types.js';
import { ALL_CLASSES, classBit, OBJECT_ONLY_CLASSES } from './classes.js';
import type { CompiledRules, CompiledSanitizer, CompiledSink } from './compiled.js';
import { taintFinding } from './findings.js';
import {
  frameworkOfModule,
  handlerFramework,
  handlerRoles,
  NEXT_ROUTE_EXPORTS,
  roleOfType,
  ROUTE_METHODS,
  ROUTER_NAME,
  type Framework,
} from './frameworks.js';
import { Scope, type Binding, type ClassInfo, type FunctionInfo } from './functions.js';
import { isRelativeSpecifier, normalizeModule, resolveSpecifier } from './modules.js';
import type { ParsedModule } from './parse.js';
import { applySchema, joiValidateResult, PARSE_METHODS, parseResult, refineSchema, SCHEMA_MODULES, schemaFromBuilder } from './schema.js';
import {
  EMPTY_FUNCTION_SUMMARY,
  type ArgSummary,
  type ClassSummary,
  type ExportEntry,
  type FunctionSummary,
  type ModuleSummary,
  type ParamCall,
  type SinkHit,
} from './summary.js';
import { rangeOf, rawTextOf, textOf } from './text.js';
import {
  appendSteps,
  asStrings,
  cleaned,
  CLEAN,
  deepTaints,
  isTainted,
  join,
  joinAll,
  literalValue,
  objectValue,
  readTaints,
  tainted,
  unionTaints,
  withShape,
  withStep,
  type Ref,
  type Taint,
  type Value,
} from './values.js';

/** Per-function analysis state. */
interface Frame {
  readonly fn?: FunctionInfo;
  /** Symbolic parameters: record what reaches sinks for the summary. */
  readonly summaryMode: boolean;
  readonly returns: Value[];
  readonly sinks: SinkHit[];
  readonly paramCalls: ParamCall[];
  readonly thisValue: Value;
}

/** A call being evaluated. */
interface CallContext {
  readonly node: t.CallExpression | t.OptionalCallExpression | t.NewExpression | t.TaggedTemplateExpression;
  readonly isNew: boolean;
  readonly calleeValue: Value;
  readonly receiver?: Value;
  readonly receiverNode?: t.Node;
  readonly method?: string;
  readonly qname?: string;
  readonly args: readonly Value[];
  readonly argNodes: readonly t.Node[];
}

/** What call conditions look at. */
type ConditionInput = Pick<CallContext, 'args' | 'argNodes' | 'receiver'>;

/** A narrowing a guard makes: the expression and the classes it is now safe for. */
interface Narrowing {
  readonly node: t.Node;
  readonly mask: number;
}

interface PendingHandler {
  readonly value: Value;
  readonly framework: Framework;
  readonly site: t.Node;
}

const MAX_INLINE_DEPTH = 5;
const MAX_SUMMARY_ENTRIES = 48;
const NODE_BUDGET = 3_000_000;
const HTML_MARKUP = /<\/?[a-z!][^>]*>?/i;
const FIXED_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i;
const RELATIVE_PATH = /^\/[^/\\]/;
const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const STRING_METHODS = new Set([
  'trim', 'trimStart', 'trimEnd', 'trimLeft', 'trimRight', 'toLowerCase', 'toUpperCase', 'toLocaleLowerCase', 'toLocaleUpperCase',
  'toString', 'slice', 'substring', 'substr', 'padStart', 'padEnd', 'normalize', 'repeat', 'at', 'charAt', 'valueOf', 'toWellFormed',
  'join', 'format', 'toJSON', 'href', 'trimEnd',
]);
const CLEAN_METHODS = new Set([
  'includes', 'indexOf', 'lastIndexOf', 'startsWith', 'endsWith', 'test', 'has', 'some', 'every', 'localeCompare', 'search',
  'charCodeAt', 'codePointAt', 'findIndex', 'findLastIndex', 'isArray', 'hasOwnProperty', 'delete', 'clear', 'size', 'keys',
  'toFixed', 'getTime', 'valueOf', 'compare', 'equals', 'isValid', 'isEmpty', 'length', 'count', 'exists',
]);
const ELEMENT_METHODS = new Set(['filter', 'find', 'findLast', 'sort', 'reverse', 'flat', 'splice', 'slice', 'toSorted', 'toReversed', 'values', 'entries', 'pop', 'shift', 'match', 'matchAll', 'exec']);
const CALLBACK_METHODS = new Set(['map', 'flatMap', 'forEach', 'filter', 'find', 'findLast', 'some', 'every', 'reduce', 'reduceRight', 'then', 'catch', 'finally', 'sort']);

function isFunctionNode(node: t.Node | null | undefined): node is t.ArrowFunctionExpression | t.FunctionExpression {
  return node?.type === 'ArrowFunctionExpression' || node?.type === 'FunctionExpression';
}

function unwrap(node: t.Node): t.Node {
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
function qualifiedName(ref: Ref | undefined, member?: string): string | undefined {
  if (ref === undefined) return undefined;
  if (ref.kind === 'global') return [...ref.path, ...(member === undefined ? [] : [member])].join('.');
  if (ref.kind === 'module') {
    const path = [...ref.path, ...(member === undefined ? [] : [member])];
    return path.length === 0 ? ref.module : `${ref.module}:${path.join('.')}`;
  }
  return undefined;
}

function literalString(node: t.Node | undefined): string | undefined {
  if (node === undefined) return undefined;
  const inner = unwrap(node);
  if (inner.type === 'StringLiteral') return inner.value;
  if (inner.type === 'TemplateLiteral' && inner.expressions.length === 0) return inner.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** True when a statement always leaves the enclosing block (return, throw, continue, break). */
function exits(node: t.Statement | null | undefined): boolean {
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
        return object.type === 'Identifier' && object.name === 'process' && property.type === 'Identifier' && property.name === 'exit';
      }
      return false;
    }
    default:
      return false;
  }
}

export class ModuleAnalyzer {
  private readonly file: string;
  private readonly text: string;
  private readonly findings = new Map<string, Finding>();
  private readonly moduleScope = new Scope(undefined, true);
  private scope: Scope;
  private readonly functions: FunctionInfo[] = [];
  private readonly inlined = new Set<FunctionInfo>();
  private readonly frameworks = new Set<Framework>();
  /** Local names imported from external modules: for framework-typed parameters. */
  private readonly externalImports = new Map<string, { readonly module: string; readonly imported: string }>();
  private readonly deps = new Set<string>();
  private readonly exportLocals = new Map<string, string>();
  private readonly exportValues = new Map<string, Value>();
  private readonly exportEntries = new Map<string, ExportEntry>();
  private readonly stars: string[] = [];
  private readonly pending: PendingHandler[] = [];
  private cjsDefault: Value | undefined;
  private depth = 0;
  private frame: Frame;
  private refinementCount = 0;
  private inlineDepth = 0;
  private budget = NODE_BUDGET;
  private readonly classTemplates = new Map<ClassInfo, Map<string, Value>>();

  constructor(
    private readonly parsed: ParsedModule,
    private readonly rules: CompiledRules,
    private readonly imported: ReadonlyMap<string, ModuleSummary>,
    private readonly files: ReadonlySet<string>,
  ) {
    this.file = parsed.file;
    this.text = parsed.text;
    this.scope = this.moduleScope;
    this.frame = { summaryMode: false, returns: [], sinks: [], paramCalls: [], thisValue: CLEAN };
  }

  /** Runs the analysis: the module body, pending handlers, then every function nobody called. */
  run(): { summary: ModuleSummary; findings: Finding[] } {
    const body = this.parsed.ast.program.body;
    this.hoist(body, this.moduleScope);
    this.guarded(() => {
      this.statements(body);
    });
    this.queueFrameworkExports();
    this.drainPending();
    for (let index = 0; index < this.functions.length; index++) {
      const fn = this.functions[index];
      if (fn === undefined || fn.summary !== undefined || fn.handlerModes.size > 0 || this.inlined.has(fn)) continue;
      this.summaryOf(fn);
      this.drainPending();
    }
    const summary = this.buildSummary();
    return { summary, findings: [...this.findings.values()] };
  }

  private guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      // Deeply nested code can exhaust the stack or the work budget: the rest of the module is still analysed.
      if (!(error instanceof RangeError) && !(error instanceof BudgetExceeded)) throw error;
    }
  }

  // ---------------------------------------------------------------- findings and sinks

  private range(node: t.Node): SourceRange {
    return rangeOf(this.file, node);
  }

  private step(node: t.Node, message: string): FlowStep {
    return { range: this.range(node), message };
  }

  private report(sink: CompiledSink, taint: Taint, node: t.Node, label: string): void {
    const text = textOf(this.text, node);
    if (taint.param !== undefined) {
      if (this.frame.summaryMode) {
        this.addSinkHit({ ruleId: sink.rule.id, taint, range: this.range(node), text, label });
      }
      return;
    }
    this.emit(sink.rule.id, taint, this.range(node), text, label);
  }

  /**
   * Summary entries are deduplicated and bounded: in a call graph where every method calls the others, copying each
   * callee's entries into each caller would otherwise grow without limit.
   */
  private addSinkHit(hit: SinkHit): void {
    const list = this.frame.sinks;
    const taint = hit.taint;
    const key = `${hit.ruleId}|${hit.range.start.line}:${hit.range.start.column}|${hit.range.file}|${taint.param ?? ''}|${taint.path?.join('.') ?? ''}|${taint.clean}|${taint.shape}`;
    if (list.length >= MAX_SUMMARY_ENTRIES || !this.firstTime(list, key)) return;
    list.push(hit);
  }

  private addParamCall(call: ParamCall): void {
    const list = this.frame.paramCalls;
    const key = `${call.param}|${call.path.join('.')}|${call.method ?? call.property ?? ''}|${call.range.file}:${call.range.start.line}:${call.range.start.column}`;
    if (list.length >= MAX_SUMMARY_ENTRIES || !this.firstTime(list, key)) return;
    list.push(call);
  }

  private firstTime(list: object, key: string): boolean {
    let seen = entryKeys.get(list);
    if (seen === undefined) {
      seen = new Set();
      entryKeys.set(list, seen);
    }
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }

  private emit(ruleId: string, taint: Taint, range: SourceRange, text: string, label: string): void {
    const rule = this.rules.ruleById.get(ruleId);
    if (rule === undefined) return;
    const finding = taintFinding({
      rule,
      sourceKind: taint.kind,
      sourceConfidence: taint.confidence,
      steps: taint.steps,
      range,
      sinkText: text,
      sinkLabel: label,
    });
    const existing = this.findings.get(finding.fingerprint);
    if (existing === undefined || existing.flow.length > finding.flow.length) this.findings.set(finding.fingerprint, finding);
  }

  /** The taints of `value` a sink cares about, after sanitizers for its class and its shape filter. */
  private dangerous(sink: CompiledSink, value: Value): readonly Taint[] {
    const { spec } = sink;
    let taints: readonly Taint[];
    if (spec.argProperty !== undefined) {
      const prop = this.getProp(value, spec.argProperty);
      taints = spec.deep === true ? deepTaints(prop) : prop.taints;
      if (value.props === undefined && value.ref === undefined) taints = unionTaints(taints, value.taints);
    } else {
      taints = spec.deep === true ? deepTaints(value) : value.taints;
    }
    return taints.filter((taint) => (taint.clean & sink.bit) === 0 && (spec.shapes === undefined || spec.shapes.includes(taint.shape)));
  }

  private sinkLabel(sink: CompiledSink, ctx: CallContext | undefined, node: t.Node): string {
    const callee = ctx === undefined ? textOf(this.text, node) : `${textOf(this.text, ctx.node.type === 'TaggedTemplateExpression' ? ctx.node.tag : ctx.node.callee)}()`;
    return sink.spec.label === undefined ? callee : `${sink.spec.label} of ${callee}`;
  }

  /** Selected argument values of a call. */
  private selectArgs(selectors: readonly (number | 'last' | 'all')[], args: readonly Value[]): Value[] {
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

  private receiverMatches(sink: { readonly spec: { readonly role?: string; readonly modules?: readonly string[] }; readonly receiver?: RegExp }, receiver: Value | undefined, receiverNode: t.Node | undefined): boolean {
    const { spec } = sink;
    const ref = receiver?.ref;
    if (spec.role !== undefined) return ref?.kind === 'role' && ref.role === spec.role && ref.path.length === 0;
    if (ref?.kind === 'role') return false;
    if (spec.modules !== undefined && ref?.kind === 'module' && spec.modules.includes(ref.module)) return true;
    if (sink.receiver !== undefined) return receiverNode !== undefined && sink.receiver.test(rawTextOf(this.text, receiverNode));
    return spec.modules === undefined;
  }

  private conditionsHold(sink: CompiledSink, ctx: ConditionInput): boolean {
    const { when, unless } = sink.spec;
    if (when !== undefined && !when.every((condition) => this.condition(condition, ctx))) return false;
    if (unless?.some((condition) => this.condition(condition, ctx)) === true) return false;
    return true;
  }

  /** One call condition (see CallCondition). */
  private condition(condition: NonNullable<CompiledSink['spec']['when']>[number], ctx: ConditionInput): boolean {
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
      }
    }
    if (condition.context === 'html') {
      const receiverType = ctx.receiver?.ref?.kind === 'role' ? ctx.receiver.ref.contentType : undefined;
      if (receiverType !== 'html' && !ctx.args.some((arg) => arg.html === true)) return false;
    }
    return true;
  }

  private optionValue(value: Value | undefined, path: readonly string[]): Value | undefined {
    let current = value;
    for (const key of path) {
      current = current?.props?.get(key);
      if (current === undefined) return undefined;
    }
    return current;
  }

  /** Checks a call against every sink that names its callee. */
  private checkCallSinks(ctx: CallContext): void {
    const candidates: CompiledSink[] = [];
    if (ctx.qname !== undefined) {
      const byName = (ctx.isNew ? this.rules.sinkConstructors : this.rules.sinkFunctions).get(ctx.qname);
      if (byName !== undefined) candidates.push(...byName);
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
  private recordParamCall(ctx: CallContext): void {
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

  private argSummary(value: Value, depth = 0): ArgSummary {
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
  private checkPropertySink(object: Value, objectNode: t.Node, property: string, value: Value, node: t.Node): void {
    const sinks = this.rules.sinkProperties.get(property);
    if (sinks === undefined) return;
    for (const sink of sinks) {
      if (!this.receiverMatches(sink, object, objectNode)) {
        if (this.frame.summaryMode && sink.spec.role !== undefined) this.recordParamAssign(object, objectNode, property, value, node);
        continue;
      }
      if (sink.spec.when?.some((condition) => condition.context === 'html') === true) {
        const receiverType = object.ref?.kind === 'role' ? object.ref.contentType : undefined;
        if (receiverType !== 'html' && value.html !== true) continue;
      }
      const label = sink.spec.label === undefined ? textOf(this.text, node) : `${sink.spec.label} (${textOf(this.text, objectNode)}.${property})`;
      for (const taint of this.dangerous(sink, value)) this.report(sink, taint, node, label);
    }
  }

  private recordParamAssign(object: Value, objectNode: t.Node, property: string, value: Value, node: t.Node): void {
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

  // ---------------------------------------------------------------- scopes and bindings

  private hoist(statements: readonly t.Statement[], scope: Scope): void {
    for (const statement of statements) {
      let node: t.Node = statement;
      if ((node.type === 'ExportNamedDeclaration' || node.type === 'ExportDefaultDeclaration') && node.declaration !== null && node.declaration !== undefined) {
        node = node.declaration;
      }
      if (node.type === 'FunctionDeclaration' && node.id !== null && node.id !== undefined) {
        scope.declare(node.id.name, this.makeFunction(node, node.id.name, scope), this.depth);
      } else if (node.type === 'ImportDeclaration') {
        this.importDeclaration(node);
      } else if (node.type === 'ClassDeclaration' && node.id !== null && node.id !== undefined) {
        scope.declare(node.id.name, this.makeClass(node, node.id.name, scope), this.depth);
      }
    }
  }

  private importDeclaration(node: t.ImportDeclaration): void {
    const source = node.source.value;
    const resolved = resolveSpecifier(this.file, source, this.files);
    if (resolved !== undefined) this.deps.add(resolved);
    const external = isRelativeSpecifier(source) ? undefined : normalizeModule(source);
    if (external !== undefined) {
      const framework = frameworkOfModule(external.module);
      if (framework !== undefined && node.importKind !== 'type') this.frameworks.add(framework);
    }
    for (const specifier of node.specifiers) {
      const imported =
        specifier.type === 'ImportDefaultSpecifier'
          ? 'default'
          : specifier.type === 'ImportNamespaceSpecifier'
            ? '*'
            : specifier.imported.type === 'Identifier'
              ? specifier.imported.name
              : specifier.imported.value;
      const local = specifier.local.name;
      let value: Value;
      if (resolved !== undefined) {
        value = { taints: [], ref: { kind: 'local-module', file: resolved, path: [imported] } };
      } else if (external !== undefined) {
        this.externalImports.set(local, { module: external.module, imported });
        const path = imported === 'default' || imported === '*' ? external.path : [...external.path, imported];
        value = { taints: [], ref: { kind: 'module', module: external.module, path } };
      } else {
        value = CLEAN;
      }
      this.moduleScope.declare(local, value, 0);
    }
  }

  private requireValue(arg: t.Node | undefined): Value {
    const specifier = literalString(arg);
    if (specifier === undefined) return CLEAN;
    const resolved = resolveSpecifier(this.file, specifier, this.files);
    if (resolved !== undefined) {
      this.deps.add(resolved);
      return { taints: [], ref: { kind: 'local-module', file: resolved, path: [] } };
    }
    if (isRelativeSpecifier(specifier)) return CLEAN;
    const external = normalizeModule(specifier);
    const framework = frameworkOfModule(external.module);
    if (framework !== undefined) this.frameworks.add(framework);
    return { taints: [], ref: { kind: 'module', module: external.module, path: external.path } };
  }

  private lookup(name: string): Binding | undefined {
    return this.scope.lookup(name);
  }

  private declare(name: string, value: Value, kind: 'var' | 'let' | 'const' | 'param'): void {
    const scope = kind === 'var' ? this.scope.functionScope() : this.scope;
    scope.declare(name, value, this.depth);
  }

  private assignIdentifier(name: string, value: Value): void {
    const binding = this.lookup(name);
    if (binding === undefined) {
      this.scope.functionScope().declare(name, value, this.depth);
      return;
    }
    binding.value = this.depth <= binding.depth ? value : join(binding.value, value);
    if (binding.original !== undefined) binding.original.value = join(binding.original.value, value);
  }

  private withScope<T>(work: () => T, isFunction = false): T {
    const saved = this.scope;
    this.scope = new Scope(saved, isFunction);
    try {
      return work();
    } finally {
      this.scope = saved;
    }
  }

  // ---------------------------------------------------------------- functions and classes

  private makeFunction(node: t.Function, name: string, scope: Scope, cls?: ClassInfo, extra: { isConstructor?: boolean; isStatic?: boolean } = {}): Value {
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

  private makeClass(node: t.ClassDeclaration | t.ClassExpression, name: string, scope: Scope): Value {
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

  private decoratorName(decorator: t.Decorator): string | undefined {
    const expression = decorator.expression;
    const callee = expression.type === 'CallExpression' ? expression.callee : expression;
    return callee.type === 'Identifier' ? callee.name : undefined;
  }

  private findMethod(cls: ClassInfo, name: string, statics = false): FunctionInfo | undefined {
    for (let current: ClassInfo | undefined = cls, hops = 0; current !== undefined && hops < 8; hops++) {
      const found = (statics ? current.statics : current.methods).get(name);
      if (found !== undefined) return found;
      const parent: Ref | undefined = current.superClass?.ref;
      current = parent?.kind === 'class' ? parent.cls : undefined;
    }
    return undefined;
  }

  /** Fields every instance starts with: injected services (constructor parameter properties) and initialisers. */
  private classTemplate(cls: ClassInfo): Map<string, Value> {
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
  private instanceOfType(annotation: t.Node | null | undefined): Value | undefined {
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
  private summaryOf(fn: FunctionInfo): FunctionSummary {
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

  private symbolic(index: number): Value {
    return tainted([{ kind: '', param: index, path: [], confidence: 'high', shape: 'object', clean: 0, steps: [] }]);
  }

  private thisFor(fn: FunctionInfo, summaryMode: boolean): Value {
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
  private analyzeFunction(fn: FunctionInfo, args: readonly Value[] | undefined, thisValue: Value | undefined, summaryMode: boolean, shareWith?: Frame): FunctionSummary {
    const savedFrame = this.frame;
    const savedScope = this.scope;
    const savedDepth = this.depth;
    const frame: Frame = {
      fn,
      summaryMode,
      returns: [],
      sinks: shareWith?.sinks ?? [],
      paramCalls: shareWith?.paramCalls ?? [],
      thisValue: thisValue ?? this.thisFor(fn, summaryMode && args === undefined),
    };
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
      this.frame = savedFrame;
      this.scope = savedScope;
      this.depth = savedDepth;
    }
    if (args !== undefined) {
      return { returns: joinAll(frame.returns).taints, sinks: [], paramCalls: [] };
    }
    return this.summarize(fn, frame);
  }

  /** Concrete invocation: the value a call returns when the body is analysed with the actual arguments. */
  private invokeConcrete(fn: FunctionInfo, args: readonly Value[], thisValue: Value | undefined): Value {
    if (this.inlineDepth >= MAX_INLINE_DEPTH || fn.analyzing === true) return this.applySummary(this.summaryOf(fn), args, thisValue, undefined, fn.name);
    this.inlined.add(fn);
    this.inlineDepth++;
    fn.analyzing = true;
    const savedFrame = this.frame;
    let result = CLEAN;
    try {
      const frame: Frame = { fn, summaryMode: savedFrame.summaryMode, returns: [], sinks: savedFrame.sinks, paramCalls: savedFrame.paramCalls, thisValue: thisValue ?? this.thisFor(fn, false) };
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

  private bindParams(fn: FunctionInfo, args: readonly Value[] | undefined): void {
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

  /**
   * A parameter that is a framework object or source by its declaration: typed with a framework's request type,
   * or decorated by NestJS (`@Body()`, `@Query('id')`, `@Req()`).
   */
  private frameworkValue(param: t.Node): Value | undefined {
    const identifier = param.type === 'AssignmentPattern' ? param.left : param;
    if (identifier.type !== 'Identifier' && identifier.type !== 'ObjectPattern') return undefined;
    const decorators = identifier.decorators ?? (param as t.Identifier).decorators ?? [];
    for (const decorator of decorators) {
      const value = this.nestParameter(decorator, identifier);
      if (value !== undefined) return value;
    }
    const annotation = identifier.typeAnnotation;
    if (annotation?.type === 'TSTypeAnnotation') {
      const type = annotation.typeAnnotation;
      if (type.type === 'TSTypeReference') {
        const name = type.typeName.type === 'Identifier' ? type.typeName.name : type.typeName.right.name;
        const qualifier = type.typeName.type === 'TSQualifiedName' && type.typeName.left.type === 'Identifier' ? type.typeName.left.name : undefined;
        const imported = this.externalImports.get(qualifier ?? name);
        if (imported !== undefined) {
          const role = roleOfType(imported.module, qualifier === undefined ? (imported.imported === 'default' ? name : imported.imported) : name);
          if (role !== undefined) return this.roleValue(role);
        }
      }
    }
    return undefined;
  }

  private nestParameter(decorator: t.Decorator, param: t.Identifier | t.ObjectPattern): Value | undefined {
    const expression = decorator.expression;
    const callee = expression.type === 'CallExpression' ? expression.callee : expression;
    if (callee.type !== 'Identifier') return undefined;
    const binding = this.externalImports.get(callee.name);
    if (binding?.module !== '@nestjs/common') return undefined;
    const name = binding.imported;
    const argument = expression.type === 'CallExpression' ? literalString(expression.arguments[0]) : undefined;
    const kinds: Readonly<Record<string, readonly [string, string, 'object' | 'any' | 'string']>> = {
      Body: ['http.body', 'request body', 'object'],
      Query: ['http.query', 'query string', 'object'],
      Param: ['http.params', 'route parameter', 'string'],
      Headers: ['http.headers', 'request header', 'string'],
      Ip: ['http.ip', 'client address', 'string'],
    };
    if (name === 'Req' || name === 'Request') return this.roleValue('express.req');
    if (name === 'Res' || name === 'Response') return this.roleValue('express.res');
    const kind = kinds[name];
    if (kind === undefined) return undefined;
    const [sourceKind, label, wholeShape] = kind;
    const shape = argument !== undefined ? (wholeShape === 'string' ? 'string' : 'any') : wholeShape;
    const taint: Taint = {
      kind: sourceKind,
      confidence: 'high',
      shape,
      clean: 0,
      steps: [this.step(decorator, `${label} read (${textOf(this.text, decorator)})`)],
    };
    const dto = param.type === 'Identifier' && argument === undefined ? this.dtoValue(param, taint) : undefined;
    return dto ?? tainted([taint]);
  }

  /**
   * A NestJS DTO validated by class-validator: fields declared with a numeric, boolean, UUID, e-mail, enum or
   * pattern decorator are clean; `@IsString()` fields are strings; the object as a whole is whitelisted (not mass
   * assignment) when it declares any validated field.
   */
  private dtoValue(param: t.Identifier, taint: Taint): Value | undefined {
    const annotation = param.typeAnnotation;
    if (annotation?.type !== 'TSTypeAnnotation' || annotation.typeAnnotation.type !== 'TSTypeReference') return undefined;
    const typeName = annotation.typeAnnotation.typeName;
    if (typeName.type !== 'Identifier') return undefined;
    const ref = this.moduleScope.lookup(typeName.name)?.value.ref;
    if (ref?.kind !== 'class') return undefined;
    const safe = /^(IsInt|IsNumber|IsBoolean|IsUUID|IsEmail|IsEnum|IsIn|IsDate|IsPositive|IsNegative|Min|Max|Matches|IsAlphanumeric|IsNumberString|IsBooleanString|IsISO8601|IsMongoId|IsHexadecimal|IsAlpha|IsPort|IsDateString)$/;
    const props = new Map<string, Value>();
    let validated = false;
    for (const member of ref.cls.node.body.body) {
      if (member.type !== 'ClassProperty' || member.key.type !== 'Identifier') continue;
      const names = (member.decorators ?? []).map((decorator) => this.decoratorName(decorator) ?? '');
      if (names.length === 0) continue;
      validated = true;
      const field = readTaints([taint], member.key.name);
      if (names.some((name) => safe.test(name))) props.set(member.key.name, CLEAN);
      else if (names.includes('IsString')) props.set(member.key.name, tainted(cleaned(asStrings(field), OBJECT_ONLY_CLASSES)));
      else props.set(member.key.name, tainted(field));
    }
    if (!validated) return undefined;
    return objectValue(props, cleaned([taint], classBit('mass-assignment')));
  }

  private summarize(fn: FunctionInfo, frame: Frame): FunctionSummary {
    const returned = joinAll(frame.returns);
    const summary: {
      returns: readonly Taint[];
      sinks: SinkHit[];
      paramCalls: ParamCall[];
      returnProps?: Record<string, readonly Taint[]>;
      returnModule?: { module: string; path: readonly string[] };
      returnHtml?: boolean;
      fields?: Record<string, readonly Taint[]>;
    } = { returns: returned.taints, sinks: frame.sinks, paramCalls: frame.paramCalls };
    if (returned.props !== undefined && returned.props.size > 0) {
      const props: Record<string, readonly Taint[]> = {};
      for (const [key, value] of returned.props) if (isTainted(value) || value.props !== undefined) props[key] = deepTaints(value);
      summary.returnProps = props;
    }
    if (returned.ref?.kind === 'module') summary.returnModule = { module: returned.ref.module, path: returned.ref.path };
    if (returned.html === true) summary.returnHtml = true;
    if (fn.isConstructor === true && frame.thisValue.props !== undefined) {
      const fields: Record<string, readonly Taint[]> = {};
      for (const [key, value] of frame.thisValue.props) if (isTainted(value)) fields[key] = value.taints;
      summary.fields = fields;
    }
    return summary;
  }

  // ---------------------------------------------------------------- summaries at call sites

  /** Replaces a callee's symbolic parameters by the caller's arguments. */
  private substitute(taints: readonly Taint[], args: readonly Value[], thisValue: Value | undefined, hop: FlowStep | undefined): readonly Taint[] {
    let result: readonly Taint[] = [];
    for (const taint of taints) {
      if (taint.param === undefined) {
        result = unionTaints(result, [taint]);
        continue;
      }
      const base = taint.param === -1 ? thisValue : args[taint.param];
      if (base === undefined) continue;
      const value = this.getPath(base, taint.path ?? []);
      for (const actual of value.taints) {
        const shape = taint.shape === 'string' || actual.shape === 'string' ? 'string' : taint.shape === 'any' || actual.shape === 'any' ? 'any' : 'object';
        const steps = appendSteps(hop === undefined ? actual.steps : appendSteps(actual.steps, [hop]), taint.steps);
        result = unionTaints(result, [{ ...actual, shape, clean: actual.clean | taint.clean, steps }]);
      }
    }
    return result;
  }

  private applySummary(summary: FunctionSummary, args: readonly Value[], thisValue: Value | undefined, site: t.Node | undefined, name: string, file?: string): Value {
    const hop = site === undefined ? undefined : this.step(site, `passed to ${name}()${file === undefined || file === this.file ? '' : ` in ${file}`}`);
    for (const hit of summary.sinks) {
      const rule = this.rules.ruleById.get(hit.ruleId);
      if (rule === undefined) continue;
      const bit = classBit(rule.class);
      const spec = rule.kind === 'taint' ? rule.sinks : [];
      const shapes = spec.length > 0 && spec.every((item) => item.shapes !== undefined) ? new Set(spec.flatMap((item) => item.shapes ?? [])) : undefined;
      for (const taint of this.substitute([hit.taint], args, thisValue, hop)) {
        if ((taint.clean & bit) !== 0 || (shapes !== undefined && !shapes.has(taint.shape))) continue;
        if (taint.param === undefined) this.emit(hit.ruleId, taint, hit.range, hit.text, hit.label);
        else if (this.frame.summaryMode) this.addSinkHit({ ...hit, taint });
      }
    }
    for (const call of summary.paramCalls) this.applyParamCall(call, args, thisValue, hop);
    const returns = this.substitute(summary.returns, args, thisValue, undefined);
    let result: Value = tainted(returns);
    if (summary.returnProps !== undefined) {
      const props = new Map<string, Value>();
      for (const [key, taints] of Object.entries(summary.returnProps)) props.set(key, tainted(this.substitute(taints, args, thisValue, undefined)));
      result = objectValue(props, returns);
    }
    if (summary.returnModule !== undefined) result = { ...result, ref: { kind: 'module', module: summary.returnModule.module, path: summary.returnModule.path } };
    if (summary.returnHtml === true) result = { ...result, html: true };
    return result;
  }

  private argFromSummary(arg: ArgSummary, args: readonly Value[], thisValue: Value | undefined, hop: FlowStep | undefined): Value {
    const value: { taints: readonly Taint[]; html?: boolean; literal?: string | number | boolean; props?: Map<string, Value> } = {
      taints: this.substitute(arg.taints, args, thisValue, hop),
    };
    if (arg.html === true) value.html = true;
    if (arg.literal !== undefined) value.literal = arg.literal;
    if (arg.props !== undefined) value.props = new Map(Object.entries(arg.props).map(([key, prop]) => [key, this.argFromSummary(prop, args, thisValue, hop)]));
    return value;
  }

  private applyParamCall(call: ParamCall, args: readonly Value[], thisValue: Value | undefined, hop: FlowStep | undefined): void {
    const base = call.param === -1 ? thisValue : args[call.param];
    if (base === undefined) return;
    const receiver = this.getPath(base, call.path);
    const callArgs = call.args.map((arg) => this.argFromSummary(arg, args, thisValue, hop));
    if (receiver.ref?.kind === 'role') {
      const sinks = call.method !== undefined ? this.rules.sinkMethods.get(call.method) : this.rules.sinkProperties.get(call.property ?? '');
      for (const sink of sinks ?? []) {
        if (!this.receiverMatches(sink, receiver, undefined)) continue;
        // Conditions on argument text cannot be re-checked from a summary; literal and option conditions can.
        if (!this.conditionsHold(sink, { args: callArgs, argNodes: [], receiver })) continue;
        const selected = call.property !== undefined ? callArgs : this.selectArgs(sink.spec.args ?? [], callArgs);
        const label = sink.spec.label === undefined ? call.text : `${sink.spec.label} of ${call.receiverText}.${call.method ?? call.property ?? ''}`;
        for (const arg of selected) {
          for (const taint of this.dangerous(sink, arg)) {
            if (taint.param === undefined) this.emit(sink.rule.id, taint, call.range, call.text, label);
          }
        }
      }
      return;
    }
    if (!this.frame.summaryMode) return;
    for (const taint of receiver.taints) {
      if (taint.param === undefined) continue;
      this.addParamCall({ ...call, param: taint.param, path: taint.path ?? [], args: callArgs.map((arg) => this.argSummary(arg)) });
      return;
    }
  }

  /** Follows a summary access path (`body`, `get()`, `[]`) on a value. */
  private getPath(value: Value, path: readonly string[]): Value {
    let current = value;
    for (const segment of path) {
      if (segment.endsWith('()')) current = this.methodResult(current, segment.slice(0, -2), []);
      else if (segment === '[]') current = this.elementOf(current);
      else current = this.getProp(current, segment);
    }
    return current;
  }

  // ---------------------------------------------------------------- imports across files

  /** Turns a reference to another reviewed file's export into what its summary says it is. */
  private materialize(value: Value): Value {
    const ref = value.ref;
    if (ref?.kind !== 'local-module') return value;
    const summary = this.imported.get(ref.file);
    if (summary === undefined) return value;
    const [head, ...rest] = ref.path;
    let entry: ExportEntry | undefined;
    if (head === undefined) entry = summary.exports.default ?? this.namespaceEntry(summary);
    else if (head === '*') entry = this.namespaceEntry(summary);
    else if (head === 'default') entry = this.resolveExport(ref.file, 'default', 0) ?? this.namespaceEntry(summary);
    else entry = this.resolveExport(ref.file, head, 0);
    let file = ref.file;
    let name = head ?? 'default';
    for (const member of head === '*' ? rest : rest) {
      if (entry?.kind === 'object') {
        entry = entry.members[member];
        name = member;
      } else if (entry?.kind === 'reexport' && entry.file !== undefined) {
        file = entry.file;
        entry = this.resolveExport(entry.file, entry.name, 0);
      } else {
        return { taints: [], ref: { kind: 'local-module', file: ref.file, path: ref.path } };
      }
    }
    return entry === undefined ? value : this.entryValue(entry, name, file);
  }

  private namespaceEntry(summary: ModuleSummary): ExportEntry {
    const members: Record<string, ExportEntry> = {};
    for (const star of summary.stars) {
      const starred = this.imported.get(star);
      if (starred !== undefined) Object.assign(members, (this.namespaceEntry(starred) as { members: Record<string, ExportEntry> }).members);
    }
    for (const [key, entry] of Object.entries(summary.exports)) members[key] = entry;
    return { kind: 'object', members };
  }

  private resolveExport(file: string, name: string, hops: number): ExportEntry | undefined {
    if (hops > 8) return undefined;
    const summary = this.imported.get(file);
    if (summary === undefined) return undefined;
    const entry = summary.exports[name];
    if (entry?.kind === 'reexport') {
      if (entry.file !== undefined) return this.resolveExport(entry.file, entry.name, hops + 1);
      return entry;
    }
    if (entry !== undefined) return entry;
    for (const star of summary.stars) {
      const found = this.resolveExport(star, name, hops + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private entryValue(entry: ExportEntry, name: string, file: string, depth = 0): Value {
    switch (entry.kind) {
      case 'function':
        return { taints: [], ref: { kind: 'summary-function', summary: entry.summary, name, file } };
      case 'class':
        return { taints: [], ref: { kind: 'summary-class', summary: entry.summary, name, file } };
      case 'instance':
        return { taints: [], ref: { kind: 'summary-instance', summary: entry.summary, name: entry.name, file } };
      case 'value':
        return entry.module === undefined ? tainted(entry.taints) : { taints: entry.taints, ref: { kind: 'module', module: entry.module.module, path: entry.module.path } };
      case 'reexport':
        return entry.module === undefined ? CLEAN : { taints: [], ref: { kind: 'module', module: entry.module, path: entry.name === 'default' || entry.name === '*' ? [] : [entry.name] } };
      case 'object': {
        if (depth > 3) return CLEAN;
        const props = new Map<string, Value>();
        for (const [key, member] of Object.entries(entry.members)) props.set(key, this.entryValue(member, key, file, depth + 1));
        return objectValue(props);
      }
    }
  }

  // ---------------------------------------------------------------- framework objects and sources

  private roleValue(role: string, path: readonly string[] = []): Value {
    return { taints: [], ref: { kind: 'role', role, path } };
  }

  private sourceValue(spec: SourceSpec, node: t.Node | undefined): Value {
    if (spec.validated === true) return CLEAN;
    const steps = node === undefined ? [] : [this.step(node, `${spec.label} read (${textOf(this.text, node)})`)];
    return tainted([{ kind: spec.kind, confidence: spec.confidence, shape: spec.shape, clean: 0, steps }]);
  }

  private roleProperty(ref: Extract<Ref, { kind: 'role' }>, key: string, node: t.Node | undefined): Value {
    const sources = this.rules.sources.get(ref.role);
    const full = [...ref.path, key].join('.');
    const spec = sources?.properties.get(full);
    if (spec !== undefined) return this.sourceValue(spec, node);
    const member = this.rules.roleMembers.get(ref.role)?.get(full);
    if (member !== undefined) return this.roleValue(member);
    if (sources?.prefixes.has(full) === true) return this.roleValue(ref.role, [...ref.path, key]);
    return CLEAN;
  }

  private roleMethod(receiver: Value, ref: Extract<Ref, { kind: 'role' }>, method: string, ctx: CallContext | undefined): Value {
    const sources = this.rules.sources.get(ref.role);
    const full = [...ref.path, method].join('.');
    const spec = sources?.methods.get(full);
    if (spec !== undefined) return this.sourceValue(spec, ctx?.node);
    if ((method === 'on' || method === 'once' || method === 'addListener') && ctx !== undefined) {
      const event = literalString(ctx.argNodes[0]);
      const eventSpec = event === undefined ? undefined : sources?.events.get(event);
      const callback = ctx.args[1];
      if (eventSpec !== undefined && callback !== undefined) this.invokeCallback(callback, [this.sourceValue(eventSpec, ctx.node)], ctx.argNodes[1]);
      return receiver;
    }
    if (ref.path.length === 0 && this.rules.chains.get(ref.role)?.has(method) === true) {
      const contentType = ctx === undefined ? undefined : this.contentTypeOf(method, ctx);
      if (contentType === undefined) return receiver;
      const updated: Value = { taints: [], ref: { ...ref, contentType } };
      if (ctx?.receiverNode?.type === 'Identifier') {
        const binding = this.lookup(ctx.receiverNode.name);
        if (binding !== undefined) binding.value = updated;
      }
      return updated;
    }
    return CLEAN;
  }

  /** The content type a response method sets (`res.type('html')`, `setHeader('Content-Type', …)`). */
  private contentTypeOf(method: string, ctx: CallContext): 'html' | 'other' | undefined {
    let type: string | undefined;
    if (method === 'type' || method === 'contentType') type = literalString(ctx.argNodes[0]);
    else if (['set', 'header', 'setHeader', 'append'].includes(method) && /^content-type$/i.test(literalString(ctx.argNodes[0]) ?? '')) {
      type = literalString(ctx.argNodes[1]);
    } else if (method === 'writeHead') {
      for (const arg of ctx.args.slice(1)) {
        for (const [key, value] of arg.props ?? []) if (/^content-type$/i.test(key) && typeof value.literal === 'string') type = value.literal;
      }
    }
    if (type === undefined) return undefined;
    return /html/i.test(type) ? 'html' : 'other';
  }

  // ---------------------------------------------------------------- property reads

  private getProp(value: Value, key: string, node?: t.Node): Value {
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
    if (value.elements !== undefined && /^\d+$/.test(key)) return value.elements[Number(key)] ?? CLEAN;
    if (value.taints.length === 0) return CLEAN;
    return tainted(readTaints(value.taints, key));
  }

  private elementOf(value: Value): Value {
    if (value.elements !== undefined) return joinAll(value.elements);
    if (value.ref?.kind === 'role') {
      const spec = this.rules.sources.get(value.ref.role)?.iterate;
      return spec === undefined ? CLEAN : this.sourceValue(spec, undefined);
    }
    return tainted(readTaints(value.taints, '[]'));
  }

  // ---------------------------------------------------------------- statements

  private statements(list: readonly t.Statement[]): void {
    for (const statement of list) this.statement(statement);
  }

  private block(list: readonly t.Statement[]): void {
    this.withScope(() => {
      this.hoist(list, this.scope);
      this.statements(list);
    });
  }

  private tick(): void {
    if (--this.budget <= 0) throw new BudgetExceeded();
  }

  private statement(node: t.Statement): void {
    this.tick();
    switch (node.type) {
      case 'ExpressionStatement':
        this.expr(node.expression);
        return;
      case 'VariableDeclaration':
        this.variableDeclaration(node);
        return;
      case 'ReturnStatement':
        this.frame.returns.push(node.argument === null || node.argument === undefined ? CLEAN : this.expr(node.argument));
        return;
      case 'IfStatement':
        this.ifStatement(node);
        return;
      case 'BlockStatement':
        this.block(node.body);
        return;
      case 'ForStatement':
        this.withScope(() => {
          if (node.init !== null && node.init !== undefined) {
            if (node.init.type === 'VariableDeclaration') this.variableDeclaration(node.init);
            else this.expr(node.init);
          }
          this.loop(() => {
            if (node.test !== null && node.test !== undefined) this.expr(node.test);
            this.statement(node.body);
            if (node.update !== null && node.update !== undefined) this.expr(node.update);
          });
        });
        return;
      case 'ForInStatement':
      case 'ForOfStatement':
        this.forInOf(node);
        return;
      case 'WhileStatement':
      case 'DoWhileStatement':
        this.loop(() => {
          this.expr(node.test);
          this.statement(node.body);
        });
        return;
      case 'TryStatement':
        this.depth++;
        this.block(node.block.body);
        if (node.handler !== null && node.handler !== undefined) {
          const { handler } = node;
          this.withScope(() => {
            if (handler.param !== null && handler.param !== undefined) this.bindPattern(handler.param, CLEAN, 'let');
            this.block(handler.body.body);
          });
        }
        this.depth--;
        if (node.finalizer !== null && node.finalizer !== undefined) this.block(node.finalizer.body);
        return;
      case 'SwitchStatement':
        this.expr(node.discriminant);
        this.depth++;
        this.withScope(() => {
          for (const switchCase of node.cases) {
            if (switchCase.test !== null && switchCase.test !== undefined) this.expr(switchCase.test);
            this.hoist(switchCase.consequent, this.scope);
            this.statements(switchCase.consequent);
          }
        });
        this.depth--;
        return;
      case 'ThrowStatement':
        this.expr(node.argument);
        return;
      case 'LabeledStatement':
        this.statement(node.body);
        return;
      case 'FunctionDeclaration':
        return;
      case 'ClassDeclaration':
        return;
      case 'ExportNamedDeclaration':
        this.exportNamed(node);
        return;
      case 'ExportDefaultDeclaration':
        this.exportDefault(node);
        return;
      case 'ExportAllDeclaration': {
        const resolved = resolveSpecifier(this.file, node.source.value, this.files);
        if (resolved !== undefined) {
          this.deps.add(resolved);
          this.stars.push(resolved);
        }
        return;
      }
      case 'TSExportAssignment':
        this.cjsDefault = this.expr(node.expression);
        return;
      case 'TSModuleDeclaration':
        if (node.body.type === 'TSModuleBlock') this.block(node.body.body);
        return;
      case 'TSEnumDeclaration':
        this.declare(node.id.name, CLEAN, 'const');
        return;
      default:
        return;
    }
  }

  private loop(body: () => void): void {
    this.depth++;
    // Twice, so values assigned late in one iteration reach uses early in the next.
    body();
    body();
    this.depth--;
  }

  private forInOf(node: t.ForInStatement | t.ForOfStatement): void {
    const right = this.expr(node.right);
    let item: Value;
    if (node.type === 'ForInStatement') {
      item = tainted(asStrings(readTaints(deepTaints(right), '[key]')));
    } else {
      item = this.elementOf(right);
    }
    this.loop(() => {
      this.withScope(() => {
        const left = node.left;
        if (left.type === 'VariableDeclaration') {
          const declarator = left.declarations[0];
          if (declarator !== undefined) this.bindPattern(declarator.id, item, left.kind === 'var' ? 'var' : 'let');
        } else {
          this.assign(left, item);
        }
        this.statement(node.body);
      });
    });
  }

  private variableDeclaration(node: t.VariableDeclaration): void {
    const kind = node.kind === 'var' ? 'var' : node.kind === 'const' ? 'const' : 'let';
    for (const declarator of node.declarations) {
      let value = declarator.init === null || declarator.init === undefined ? CLEAN : this.expr(declarator.init);
      if (declarator.id.type === 'Identifier' && value.taints.length > 0) {
        value = { ...value, taints: withStep(value.taints, this.step(declarator, `assigned to ${declarator.id.name}`)) };
      }
      this.bindPattern(declarator.id, value, kind);
    }
  }

  private ifStatement(node: t.IfStatement): void {
    this.expr(node.test);
    const whenTrue = this.narrowings(node.test, true);
    const whenFalse = this.narrowings(node.test, false);
    this.depth++;
    this.withScope(() => {
      this.applyNarrowings(whenTrue);
      this.statement(node.consequent);
    });
    if (node.alternate !== null && node.alternate !== undefined) {
      const alternate = node.alternate;
      this.withScope(() => {
        this.applyNarrowings(whenFalse);
        this.statement(alternate);
      });
    }
    this.depth--;
    const consequentExits = exits(node.consequent);
    const alternateExits = exits(node.alternate);
    if (consequentExits && !alternateExits) this.applyNarrowings(whenFalse);
    else if (alternateExits && !consequentExits) this.applyNarrowings(whenTrue);
  }

  // ---------------------------------------------------------------- guards

  /** What is known about values when `test` is `truthy`. */
  private narrowings(test: t.Node, truthy: boolean): Narrowing[] {
    const node = unwrap(test);
    switch (node.type) {
      case 'UnaryExpression':
        return node.operator === '!' ? this.narrowings(node.argument, !truthy) : [];
      case 'LogicalExpression':
        if (node.operator === '&&' && truthy) return [...this.narrowings(node.left, true), ...this.narrowings(node.right, true)];
        if (node.operator === '||' && !truthy) return [...this.narrowings(node.left, false), ...this.narrowings(node.right, false)];
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

  private binaryNarrowings(node: t.BinaryExpression, truthy: boolean): Narrowing[] {
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
    const literal = literalString(right) ?? (right.type === 'NumericLiteral' ? String(right.value) : undefined);
    const other = literal === undefined ? literalString(left) : undefined;
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

  private intersect(left: readonly Narrowing[], right: readonly Narrowing[]): Narrowing[] {
    const result: Narrowing[] = [];
    for (const a of left) {
      const key = textOf(this.text, a.node);
      for (const b of right) if (textOf(this.text, b.node) === key && (a.mask & b.mask) !== 0) result.push({ node: a.node, mask: a.mask & b.mask });
    }
    return result;
  }

  private negatedCallNarrowings(node: t.CallExpression): Narrowing[] {
    // `!FORBIDDEN.includes(key)` where the list names __proto__/constructor: the key is not a prototype key.
    const callee = node.callee;
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

  /** Narrowings when a predicate call returns true: allowlists, validators, anchored regexes, containment checks. */
  private callNarrowings(node: t.CallExpression): Narrowing[] {
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
      if (method === 'test' && receiver.ref?.kind === 'regex' && argument !== undefined && isAllowlistRegex(receiver.ref.source)) {
        return [{ node: argument, mask: ALL_CLASSES }];
      }
      if (method === 'startsWith' && argument !== undefined) {
        const prefix = literalString(argument);
        if (prefix === undefined || prefix.length > 1) return [{ node: callee.object, mask: classBit('path-traversal') | (prefix !== undefined && FIXED_ORIGIN.test(prefix) ? classBit('open-redirect') | classBit('ssrf') : 0) }];
      }
    } else {
      qname = qualifiedName(this.materialize(this.exprQuiet(callee)).ref);
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
  private exprQuiet(node: t.Node): Value {
    const inner = unwrap(node);
    if (inner.type === 'Identifier') return this.identifier(inner);
    if (inner.type === 'MemberExpression' && inner.object.type === 'Identifier' && !inner.computed && inner.property.type === 'Identifier') {
      return this.getProp(this.materialize(this.identifier(inner.object)), inner.property.name);
    }
    if (inner.type === 'RegExpLiteral') return { taints: [], ref: { kind: 'regex', source: inner.pattern, flags: inner.flags } };
    if (inner.type === 'ArrayExpression') return this.expr(inner);
    return this.expr(inner);
  }

  private applyNarrowings(list: readonly Narrowing[]): void {
    for (const narrowing of list) {
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
          this.applyNarrowings([{ node: node.object, mask: classBit('ssrf') | classBit('open-redirect') }]);
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
  private memberKey(node: t.Node): string | undefined {
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

  // ---------------------------------------------------------------- patterns and assignment

  private bindPattern(pattern: t.Node, value: Value, kind: 'var' | 'let' | 'const' | 'assign'): void {
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

  private assign(target: t.Node, value: Value): void {
    this.bindPattern(target, value, 'assign');
  }

  private assignMember(target: t.MemberExpression | t.OptionalMemberExpression, value: Value, node: t.Node): void {
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
      this.checkComputedAssignment(objectNode, keyValue, node);
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

  private isFreshThis(node: t.Node): boolean {
    return node.type === 'ThisExpression' && this.frame.fn?.isConstructor === true;
  }

  private isExportsObject(node: t.Node): boolean {
    if (node.type === 'Identifier') return node.name === 'exports' && this.lookup('exports') === undefined;
    return node.type === 'MemberExpression' && node.object.type === 'Identifier' && node.object.name === 'module' && !node.computed && node.property.type === 'Identifier' && node.property.name === 'exports';
  }

  /**
   * `obj[key] = value` with an attacker-chosen key: prototype pollution when the object itself came from another
   * attacker-keyed lookup (`obj[a][b] = v`), or inside a recursive merge that walks the untrusted object's keys.
   */
  private checkComputedAssignment(objectNode: t.Node, key: Value, node: t.Node): void {
    const sinks = this.rules.sinkProperties.get('[computed]');
    if (sinks === undefined) return;
    const nested = (objectNode.type === 'MemberExpression' && objectNode.computed && isTainted(this.exprQuiet(objectNode.property))) || this.insideRecursiveMerge();
    if (!nested) return;
    for (const sink of sinks) {
      const label = sink.spec.label ?? 'property assignment';
      for (const taint of this.dangerous(sink, key)) this.report(sink, taint, node, `${label} ${textOf(this.text, node)}`);
    }
  }

  /** The current function calls itself with a computed member (`merge(target[key], source[key])`). */
  private insideRecursiveMerge(): boolean {
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

  // ---------------------------------------------------------------- expressions

  private identifier(node: t.Identifier): Value {
    const binding = this.lookup(node.name);
    if (binding !== undefined) return binding.value;
    if (node.name === 'undefined' || node.name === 'NaN' || node.name === 'Infinity') return CLEAN;
    return { taints: [], ref: { kind: 'global', path: [node.name] } };
  }

  private expr(node: t.Node): Value {
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

  private jsx(node: t.JSXElement | t.JSXFragment): void {
    // React escapes text children; only the embedded expressions (calls with side effects) matter.
    for (const child of node.children) {
      if (child.type === 'JSXExpressionContainer' && child.expression.type !== 'JSXEmptyExpression') this.expr(child.expression);
      else if (child.type === 'JSXElement' || child.type === 'JSXFragment') this.jsx(child);
    }
  }

  /** Template literals and `+`: strings that carry their parts' taint; a fixed origin or path prefix is recorded. */
  private template(literals: readonly string[], values: readonly Value[]): Value {
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

  private binary(node: t.BinaryExpression): Value {
    const left = node.left.type === 'PrivateName' ? CLEAN : this.expr(node.left);
    const right = this.expr(node.right);
    if (node.operator !== '+') return CLEAN;
    return this.concat(left, right);
  }

  private concat(left: Value, right: Value): Value {
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

  private member(node: t.MemberExpression | t.OptionalMemberExpression): Value {
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
      if (object.elements !== undefined) return joinAll(object.elements);
      if (object.props !== undefined) return join(tainted(readTaints(object.taints, '[]')), joinAll([...object.props.values()]));
      return object.taints.length === 0 && object.ref?.kind !== 'role' ? CLEAN : object.ref?.kind === 'role' ? CLEAN : tainted(readTaints(object.taints, '[]'));
    }
    const key = node.property.type === 'Identifier' ? node.property.name : node.property.type === 'PrivateName' ? `#${node.property.id.name}` : undefined;
    return key === undefined ? CLEAN : this.getProp(object, key, node);
  }

  private object(node: t.ObjectExpression): Value {
    const props = new Map<string, Value>();
    let taints: readonly Taint[] = [];
    for (const property of node.properties) {
      if (property.type === 'SpreadElement') {
        const spread = this.materialize(this.expr(property.argument));
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

  private assignment(node: t.AssignmentExpression): Value {
    const right = this.expr(node.right);
    if (node.operator === '=') {
      this.assign(node.left, right);
      return right;
    }
    const left = this.expr(node.left);
    const value = node.operator === '+=' ? this.concat(left, right) : node.operator === '||=' || node.operator === '??=' || node.operator === '&&=' ? join(left, right) : CLEAN;
    this.assign(node.left, value);
    return value;
  }

  private taggedTemplate(node: t.TaggedTemplateExpression): Value {
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

  private memberQname(node: t.MemberExpression): string | undefined {
    const object = this.materialize(this.exprQuiet(node.object));
    const name = !node.computed && node.property.type === 'Identifier' ? node.property.name : undefined;
    return name === undefined ? undefined : qualifiedName(object.ref, name);
  }

  // ---------------------------------------------------------------- calls

  private call(node: t.CallExpression | t.OptionalCallExpression | t.NewExpression, isNew: boolean): Value {
    const callee = unwrap(node.callee);
    if (!isNew && callee.type === 'Identifier' && callee.name === 'require' && this.lookup('require') === undefined) return this.requireValue(node.arguments[0]);
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
    return this.callResolved(ctx) ?? this.builtin(ctx);
  }

  private sanitizersFor(qname: string | undefined, method: string | undefined, receiver: Value | undefined, receiverNode: t.Node | undefined): CompiledSanitizer[] {
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
  private applySanitizers(ctx: CallContext): Value | undefined {
    const name = ctx.isNew && ctx.qname !== undefined ? `new ${ctx.qname}` : ctx.qname;
    const candidates = this.sanitizersFor(name, ctx.isNew ? undefined : ctx.method, ctx.receiver, ctx.receiverNode);
    for (const sanitizer of candidates) {
      const { spec } = sanitizer;
      if (spec.mode === 'guard') return CLEAN;
      if (sanitizer.pattern !== undefined && !this.replacePatternMatches(sanitizer.pattern, ctx)) continue;
      const input = spec.arg === 'receiver' ? ctx.receiver : ctx.args[spec.arg ?? 0];
      if (spec.mode === 'argument') {
        const target = spec.arg === 'receiver' ? ctx.receiverNode : ctx.argNodes[spec.arg ?? 0];
        if (target !== undefined) this.applyNarrowings([{ node: target, mask: sanitizer.mask }]);
        return CLEAN;
      }
      if (input === undefined) return CLEAN;
      if (sanitizer.mask === ALL_CLASSES) return CLEAN;
      return tainted(cleaned(input.taints, sanitizer.mask));
    }
    return undefined;
  }

  private replacePatternMatches(pattern: RegExp, ctx: CallContext): boolean {
    const first = ctx.args[0];
    const source = first?.ref?.kind === 'regex' ? first.ref.source : typeof first?.literal === 'string' ? first.literal : undefined;
    if (source === undefined) return false;
    if (first?.ref?.kind === 'regex' && !first.ref.flags.includes('g') && ctx.method === 'replace') return false;
    return pattern.test(source);
  }

  /** Route registrations: analyse the handlers with framework objects as parameters. */
  private registerHandlers(ctx: CallContext): boolean {
    const { method, receiver, receiverNode } = ctx;
    if (ctx.qname === 'http:createServer' || ctx.qname === 'https:createServer' || ctx.qname === 'http2:createServer') {
      for (const arg of ctx.args) this.queueHandler(arg, 'node', ctx.node);
      return false;
    }
    if (method === undefined || receiver === undefined || receiverNode === undefined) return false;
    if (method === 'route' && ctx.args[0]?.props !== undefined) {
      const options = ctx.args[0];
      let found = false;
      for (const key of ['handler', 'preHandler', 'onRequest', 'preValidation']) {
        const handler = options.props?.get(key);
        if (handler !== undefined) {
          this.queueHandler(handler, 'fastify', ctx.node);
          found = true;
        }
      }
      return found;
    }
    if (method === 'addHook' && typeof ctx.args[0]?.literal === 'string') {
      for (const arg of ctx.args.slice(1)) this.queueHandler(arg, 'fastify', ctx.node);
      return true;
    }
    if (!ROUTE_METHODS.has(method)) return false;
    if (isTainted(receiver)) return false;
    const first = ctx.argNodes[0];
    const firstIsPath = first !== undefined && ['StringLiteral', 'TemplateLiteral', 'RegExpLiteral', 'ArrayExpression'].includes(unwrap(first).type);
    if (method === 'on') {
      if (literalString(first) !== 'request') return false;
      for (const arg of ctx.args.slice(1)) this.queueHandler(arg, 'node', ctx.node);
      return true;
    }
    const receiverRef = receiver.ref;
    const fromFramework = receiverRef?.kind === 'module' && frameworkOfModule(receiverRef.module) !== undefined;
    const routerLike = ROUTER_NAME.test(rawTextOf(this.text, receiverNode).split('.').pop() ?? '') || (receiverNode.type === 'CallExpression' && /\.route\s*\(/.test(rawTextOf(this.text, receiverNode)));
    if (!(firstIsPath || fromFramework || (method === 'use' && routerLike) || (routerLike && ctx.args.length >= 2))) return false;
    let registered = false;
    for (const [index, arg] of ctx.args.entries()) {
      if (index === 0 && firstIsPath) continue;
      const handlers = (arg.elements ?? [arg]).map((item) => this.materialize(item));
      for (const handler of handlers) {
        if (handler.ref === undefined || !['function', 'summary-function'].includes(handler.ref.kind)) continue;
        const params = handler.ref.kind === 'function' ? handler.ref.fn.node.params.map((param) => (param.type === 'Identifier' ? param.name : '')) : [];
        this.queueHandler(handler, handlerFramework(this.frameworks, params), ctx.node);
        registered = true;
      }
    }
    return registered;
  }

  private queueHandler(value: Value, framework: Framework, site: t.Node): void {
    const materialized = this.materialize(value);
    if (materialized.ref?.kind !== 'function' && materialized.ref?.kind !== 'summary-function') return;
    this.pending.push({ value: materialized, framework, site });
  }

  /** Next.js: App Router `export async function GET(request)` and Pages API default exports are handlers. */
  private queueFrameworkExports(): void {
    for (const [exported, local] of this.exportLocals) {
      const value = this.moduleScope.lookup(local)?.value;
      if (value === undefined) continue;
      if (NEXT_ROUTE_EXPORTS.has(exported)) this.queueHandler(value, 'next', this.parsed.ast);
      else if (exported === 'default' && /(^|\/)pages\/api\//.test(this.file)) this.queueHandler(value, 'next-pages', this.parsed.ast);
    }
    const defaultValue = this.exportValues.get('default');
    if (defaultValue !== undefined && /(^|\/)pages\/api\//.test(this.file)) this.queueHandler(defaultValue, 'next-pages', this.parsed.ast);
  }

  private drainPending(): void {
    while (this.pending.length > 0) {
      const handler = this.pending.shift();
      if (handler === undefined) break;
      const roles = handlerRoles(handler.framework).map((role) => (role === undefined ? CLEAN : this.roleValue(role)));
      const ref = handler.value.ref;
      if (ref?.kind === 'function') {
        if (ref.fn.handlerModes.has(handler.framework)) continue;
        ref.fn.handlerModes.add(handler.framework);
        this.guarded(() => {
          this.analyzeFunction(ref.fn, roles, undefined, false);
        });
      } else if (ref?.kind === 'summary-function') {
        this.applySummary(ref.summary, roles, undefined, handler.site, ref.name, ref.file);
      }
    }
  }

  /** Calls to code the analysis can see: local functions, classes, methods, and summaries from other files. */
  private callResolved(ctx: CallContext): Value | undefined {
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

  private construct(cls: ClassInfo, ctx: CallContext): Value {
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
  private invokeCallback(callback: Value, args: readonly Value[], node: t.Node | undefined): Value {
    const ref = callback.ref;
    if (ref?.kind === 'function') {
      if (node !== undefined && isFunctionNode(unwrap(node))) return this.invokeConcrete(ref.fn, args, undefined);
      return this.applySummary(this.summaryOf(ref.fn), args, undefined, node, ref.fn.name);
    }
    if (ref?.kind === 'summary-function') return this.applySummary(ref.summary, args, undefined, node, ref.name, ref.file);
    return CLEAN;
  }

  /** Library functions and methods whose effect on taint is known, and a conservative default for the rest. */
  private builtin(ctx: CallContext): Value {
    const { qname, method, receiver, args } = ctx;
    const all = (): Value => tainted(joinAll(args).taints);
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
      case 'Symbol':
      case 'Date':
      case 'Date.now':
      case 'Math.random':
        return CLEAN;
      default:
        break;
    }
    if (method !== undefined && receiver !== undefined) return this.methodCall(ctx, receiver, method);
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

  private schemaModuleIsJoi(ctx: CallContext): boolean {
    return /joi/i.test(ctx.receiverNode === undefined ? '' : rawTextOf(this.text, ctx.receiverNode)) || this.externalImports.has('Joi') || [...this.externalImports.values()].some((item) => item.module === 'joi' || item.module === '@hapi/joi');
  }

  private methodCall(ctx: CallContext, receiver: Value, method: string): Value {
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
    if (ELEMENT_METHODS.has(method)) return receiver.elements !== undefined ? { taints: receiver.taints, elements: receiver.elements } : tainted(receiver.taints);
    if (STRING_METHODS.has(method)) {
      const html = receiver.html === true;
      const taints = asStrings(method === 'join' ? (receiver.elements === undefined ? receiver.taints : joinAll(receiver.elements).taints) : receiver.taints);
      return html ? { taints, html } : tainted(taints);
    }
    return this.methodResult(receiver, method, args);
  }

  private assignQuietly(node: t.Node, value: Value): void {
    if (node.type === 'Identifier') {
      const binding = this.lookup(node.name);
      if (binding !== undefined) binding.value = join(binding.value, value);
    } else if (node.type === 'MemberExpression') {
      this.assignMember(node, value, node);
    }
  }

  /** What an unknown method returns: derived from the receiver (a symbolic parameter records the call in its path). */
  private methodResult(receiver: Value, method: string, args: readonly Value[]): Value {
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

  // ---------------------------------------------------------------- exports

  private exportNamed(node: t.ExportNamedDeclaration): void {
    const declaration = node.declaration;
    if (declaration !== null && declaration !== undefined) {
      this.statement(declaration);
      if (declaration.type === 'VariableDeclaration') {
        for (const declarator of declaration.declarations) for (const name of patternNames(declarator.id)) this.exportLocals.set(name, name);
      } else if ((declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') && declaration.id !== null && declaration.id !== undefined) {
        this.exportLocals.set(declaration.id.name, declaration.id.name);
      } else if (declaration.type === 'TSEnumDeclaration') {
        this.exportLocals.set(declaration.id.name, declaration.id.name);
      }
      return;
    }
    const source = node.source?.value;
    const resolved = source === undefined ? undefined : resolveSpecifier(this.file, source, this.files);
    if (resolved !== undefined) this.deps.add(resolved);
    for (const specifier of node.specifiers) {
      const exported = specifier.exported.type === 'Identifier' ? specifier.exported.name : specifier.exported.value;
      if (specifier.type === 'ExportSpecifier') {
        const local = specifier.local.name;
        if (source === undefined) this.exportLocals.set(exported, local);
        else if (resolved !== undefined) this.exportEntries.set(exported, { kind: 'reexport', file: resolved, name: local });
        else if (!isRelativeSpecifier(source)) this.exportEntries.set(exported, { kind: 'reexport', module: normalizeModule(source).module, name: local });
      } else if (specifier.type === 'ExportNamespaceSpecifier' && resolved !== undefined) {
        this.exportEntries.set(exported, { kind: 'reexport', file: resolved, name: '*' });
      }
    }
  }

  private exportDefault(node: t.ExportDefaultDeclaration): void {
    const declaration = node.declaration;
    if ((declaration.type === 'FunctionDeclaration' || declaration.type === 'ClassDeclaration') && declaration.id !== null && declaration.id !== undefined) {
      this.exportLocals.set('default', declaration.id.name);
      return;
    }
    if (declaration.type === 'FunctionDeclaration') {
      this.exportValues.set('default', this.makeFunction(declaration, 'default', this.scope));
      return;
    }
    if (declaration.type === 'ClassDeclaration') {
      this.exportValues.set('default', this.makeClass(declaration, 'default', this.scope));
      return;
    }
    if (declaration.type === 'TSDeclareFunction') return;
    this.exportValues.set('default', this.expr(declaration));
  }

  private buildSummary(): ModuleSummary {
    const exports: Record<string, ExportEntry> = {};
    const add = (name: string, value: Value): void => {
      const entry = this.entryFor(value, 0);
      if (entry !== undefined) exports[name] = entry;
    };
    for (const [exported, local] of this.exportLocals) {
      const value = this.moduleScope.lookup(local)?.value;
      if (value !== undefined) add(exported, value);
    }
    for (const [exported, value] of this.exportValues) add(exported, value);
    for (const [exported, entry] of this.exportEntries) exports[exported] = entry;
    if (this.cjsDefault !== undefined) {
      add('default', this.cjsDefault);
      for (const [key, value] of this.cjsDefault.props ?? []) if (exports[key] === undefined) add(key, value);
    }
    return { exports, stars: this.stars, deps: [...this.deps].sort() };
  }

  private entryFor(value: Value, depth: number): ExportEntry | undefined {
    const ref = value.ref;
    switch (ref?.kind) {
      case 'function':
        return { kind: 'function', summary: this.summaryOf(ref.fn) };
      case 'class':
        return { kind: 'class', summary: this.classSummary(ref.cls) };
      case 'instance':
        return { kind: 'instance', summary: this.classSummary(ref.cls), name: ref.cls.name };
      case 'summary-function':
        return { kind: 'function', summary: ref.summary };
      case 'summary-class':
        return { kind: 'class', summary: ref.summary };
      case 'summary-instance':
        return { kind: 'instance', summary: ref.summary, name: ref.name };
      case 'local-module':
        return { kind: 'reexport', file: ref.file, name: ref.path[0] ?? 'default' };
      case 'module':
        return { kind: 'value', taints: value.taints, module: { module: ref.module, path: ref.path } };
      default:
        break;
    }
    if (value.props !== undefined && value.props.size > 0 && depth < 3) {
      const members: Record<string, ExportEntry> = {};
      for (const [key, member] of value.props) {
        const entry = this.entryFor(member, depth + 1);
        if (entry !== undefined) members[key] = entry;
      }
      return { kind: 'object', members };
    }
    if (isTainted(value)) return { kind: 'value', taints: value.taints };
    return undefined;
  }

  private classSummary(cls: ClassInfo): ClassSummary {
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

/** Thrown when a module exceeds the work budget (pathological generated code): analysis of it stops, others go on. */
class BudgetExceeded extends Error {}

const recursiveMergeCache = new WeakMap<t.Node, boolean>();
const entryKeys = new WeakMap<object, Set<string>>();

function patternNames(pattern: t.Node): string[] {
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

/** The value after a guard proved it safe for `mask`. */
function narrowValue(value: Value, mask: number): Value {
  if (mask === ALL_CLASSES) return value.ref === undefined ? CLEAN : { taints: [], ref: value.ref };
  const result: { taints: readonly Taint[]; props?: Map<string, Value>; ref?: Ref; html?: boolean } = { taints: cleaned(value.taints, mask) };
  if (value.props !== undefined) result.props = new Map([...value.props].map(([key, prop]) => [key, narrowValue(prop, mask)]));
  if (value.ref !== undefined) result.ref = value.ref;
  return result;
}

/**
 * An anchored regular expression made only of character classes without wildcards (`/^[a-z0-9_-]{1,32}$/`): a value
 * that passes it cannot carry quotes, separators or operators.
 */
export function isAllowlistRegex(source: string): boolean {
  if (!source.startsWith('^') || !source.endsWith('$') || source.endsWith('\\$')) return false;
  const body = source.slice(1, -1);
  if (/(^|[^\\])\.|\\[SWDs]|\[\^|\|/.test(body)) return false;
  return !/[/'"`;<>]/.test(body.replace(/\\./g, ''));
}
