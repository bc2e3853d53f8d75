/**
 * The interpreter's foundation: per-module state (scopes, the current function frame, exports, pending handlers),
 * reporting findings and summary entries, and the bounds that keep analysis of pathological code finite.
 *
 * The interpreter is built in layers, one module per concern, each extending the one below: sinks → summaries →
 * linking (imports/exports) → sources (framework objects) → guards → expressions → patterns → calls → definitions
 * (functions and classes) → statements. A layer calls upward only through the abstract methods declared here.
 */
import type * as t from '@babel/types';
import type { Finding, FlowStep, SourceRange } from '../../types.js';
import type { CompiledRules, CompiledSanitizer, CompiledSink } from '../compiled.js';
import { taintFinding } from '../findings.js';
import type { Framework } from '../frameworks.js';
import { Scope, type Binding, type ClassInfo, type FunctionInfo } from '../functions.js';
import type { ParsedModule } from '../parse.js';
import type { ClassSummary, ExportEntry, FunctionSummary, ModuleSummary, ParamCall, SinkHit } from '../summary.js';
import { rangeOf, textOf } from '../text.js';
import { CLEAN, join, tainted, type Taint, type Value } from '../values.js';

/** Per-function analysis state. */
export interface Frame {
  readonly fn?: FunctionInfo;
  /** Symbolic parameters: record what reaches sinks for the summary. */
  readonly summaryMode: boolean;
  readonly returns: Value[];
  readonly sinks: SinkHit[];
  readonly paramCalls: ParamCall[];
  readonly thisValue: Value;
}

/** A call being evaluated. */
export interface CallContext {
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
export type ConditionInput = Pick<CallContext, 'args' | 'argNodes' | 'receiver' | 'receiverNode'>;

/** A narrowing a guard makes: the expression and the classes it is now safe for. */
export interface Narrowing {
  readonly node: t.Node;
  readonly mask: number;
  /** A prefix test (`x.startsWith('/')`, `!x.startsWith('//')`), combined with others into a local-path check. */
  readonly prefix?: { readonly starts: boolean; readonly value: string };
}

/** A function registered as a handler, analysed once the module body has run. */
export interface PendingHandler {
  readonly value: Value;
  readonly framework: Framework;
  readonly site: t.Node;
}

export const MAX_INLINE_DEPTH = 5;
const MAX_SUMMARY_ENTRIES = 48;
const NODE_BUDGET = 3_000_000;

/** Thrown when a module exceeds the work budget (pathological generated code): analysis of it stops, others go on. */
export class BudgetExceeded extends Error {}

const entryKeys = new WeakMap<object, Set<string>>();

export abstract class AnalyzerCore {
  protected readonly file: string;
  protected readonly text: string;
  protected readonly findings = new Map<string, Finding>();
  protected readonly moduleScope = new Scope(undefined, true);
  protected scope: Scope;
  protected readonly functions: FunctionInfo[] = [];
  protected readonly inlined = new Set<FunctionInfo>();
  protected readonly frameworks = new Set<Framework>();
  /** Local names imported from external modules: for framework-typed parameters. */
  protected readonly externalImports = new Map<string, { readonly module: string; readonly imported: string }>();
  protected readonly deps = new Set<string>();
  protected readonly exportLocals = new Map<string, string>();
  protected readonly exportValues = new Map<string, Value>();
  protected readonly exportEntries = new Map<string, ExportEntry>();
  protected readonly stars: string[] = [];
  protected readonly pending: PendingHandler[] = [];
  protected cjsDefault: Value | undefined;
  protected depth = 0;
  /** Inside a logical assignment (`??=`, `||=`, `&&=`): the write happens only when the property is unset. */
  protected conditionalWrite = false;
  protected frame: Frame;
  protected refinementCount = 0;
  protected inlineDepth = 0;
  protected budget = NODE_BUDGET;
  protected readonly classTemplates = new Map<ClassInfo, Map<string, Value>>();

  constructor(
    protected readonly parsed: ParsedModule,
    protected readonly rules: CompiledRules,
    protected readonly imported: ReadonlyMap<string, ModuleSummary>,
    protected readonly files: ReadonlySet<string>,
  ) {
    this.file = parsed.file;
    this.text = parsed.text;
    this.scope = this.moduleScope;
    this.frame = { summaryMode: false, returns: [], sinks: [], paramCalls: [], thisValue: CLEAN };
  }

  protected guarded(work: () => void): void {
    try {
      work();
    } catch (error) {
      // Deeply nested code can exhaust the stack or the work budget: the rest of the module is still analysed.
      if (!(error instanceof RangeError) && !(error instanceof BudgetExceeded)) throw error;
    }
  }

  protected range(node: t.Node): SourceRange {
    return rangeOf(this.file, node);
  }

  protected step(node: t.Node, message: string): FlowStep {
    return { range: this.range(node), message };
  }

  protected tick(): void {
    if (--this.budget <= 0) throw new BudgetExceeded();
  }

  protected report(sink: CompiledSink, taint: Taint, node: t.Node, label: string): void {
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
  protected addSinkHit(hit: SinkHit): void {
    const list = this.frame.sinks;
    const taint = hit.taint;
    const key = `${hit.ruleId}|${hit.range.start.line}:${hit.range.start.column}|${hit.range.file}|${taint.param ?? ''}|${taint.path?.join('.') ?? ''}|${taint.clean}|${taint.shape}`;
    if (list.length >= MAX_SUMMARY_ENTRIES || !this.firstTime(list, key)) return;
    list.push(hit);
  }

  protected addParamCall(call: ParamCall): void {
    const list = this.frame.paramCalls;
    const key = `${call.param}|${call.path.join('.')}|${call.method ?? call.property ?? ''}|${call.range.file}:${call.range.start.line}:${call.range.start.column}`;
    if (list.length >= MAX_SUMMARY_ENTRIES || !this.firstTime(list, key)) return;
    list.push(call);
  }

  protected firstTime(list: object, key: string): boolean {
    let seen = entryKeys.get(list);
    if (seen === undefined) {
      seen = new Set();
      entryKeys.set(list, seen);
    }
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }

  protected emit(ruleId: string, taint: Taint, range: SourceRange, text: string, label: string): void {
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

  protected lookup(name: string): Binding | undefined {
    return this.scope.lookup(name);
  }

  protected declare(name: string, value: Value, kind: 'var' | 'let' | 'const' | 'param'): void {
    const scope = kind === 'var' ? this.scope.functionScope() : this.scope;
    scope.declare(name, value, this.depth);
  }

  protected assignIdentifier(name: string, value: Value): void {
    const binding = this.lookup(name);
    if (binding === undefined) {
      this.scope.functionScope().declare(name, value, this.depth);
      return;
    }
    binding.value = this.depth <= binding.depth ? value : join(binding.value, value);
    if (binding.original !== undefined) binding.original.value = join(binding.original.value, value);
  }

  protected withScope<T>(work: () => T, isFunction = false): T {
    const saved = this.scope;
    this.scope = new Scope(saved, isFunction);
    try {
      return work();
    } finally {
      this.scope = saved;
    }
  }

  protected roleValue(role: string, path: readonly string[] = []): Value {
    return { taints: [], ref: { kind: 'role', role, path } };
  }

  protected symbolic(index: number): Value {
    return tainted([{ kind: '', param: index, path: [], confidence: 'high', shape: 'object', clean: 0, steps: [] }]);
  }

  // Implemented by the layers above: expressions, calls, definitions, statements.
  protected abstract exprQuiet(node: t.Node): Value;
  protected abstract identifier(node: t.Identifier): Value;
  protected abstract expr(node: t.Node): Value;
  protected abstract getProp(value: Value, key: string, node?: t.Node): Value;
  protected abstract elementOf(value: Value): Value;
  protected abstract assign(target: t.Node, value: Value): void;
  protected abstract call(node: t.CallExpression | t.OptionalCallExpression | t.NewExpression, isNew: boolean): Value;
  protected abstract sanitizersFor(qname: string | undefined, method: string | undefined, receiver: Value | undefined, receiverNode: t.Node | undefined): CompiledSanitizer[];
  protected abstract callResolved(ctx: CallContext): Value | undefined;
  protected abstract invokeCallback(callback: Value, args: readonly Value[], node: t.Node | undefined): Value;
  protected abstract methodResult(receiver: Value, method: string, args: readonly Value[]): Value;
  protected abstract makeFunction(node: t.Function, name: string, scope: Scope, cls?: ClassInfo, extra?: { isConstructor?: boolean; isStatic?: boolean }): Value;
  protected abstract makeClass(node: t.ClassDeclaration | t.ClassExpression, name: string, scope: Scope): Value;
  protected abstract decoratorName(decorator: t.Decorator): string | undefined;
  protected abstract findMethod(cls: ClassInfo, name: string, statics?: boolean): FunctionInfo | undefined;
  protected abstract classTemplate(cls: ClassInfo): Map<string, Value>;
  protected abstract summaryOf(fn: FunctionInfo): FunctionSummary;
  protected abstract analyzeFunction(fn: FunctionInfo, args: readonly Value[] | undefined, thisValue: Value | undefined, summaryMode: boolean, shareWith?: Frame): FunctionSummary;
  protected abstract invokeConcrete(fn: FunctionInfo, args: readonly Value[], thisValue: Value | undefined): Value;
  protected abstract classSummary(cls: ClassInfo): ClassSummary;
  protected abstract statements(list: readonly t.Statement[]): void;
  protected abstract statement(node: t.Statement): void;
}
