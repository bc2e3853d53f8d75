/**
 * Function and module summaries: what a function does with its parameters (returns them, passes them to a sink, calls
 * a framework object's method with them), as plain data. Summaries are what make the analysis inter-procedural and
 * cross-file: a call site substitutes its arguments into the callee's summary instead of re-reading the callee.
 */
import type { SourceRange } from '../types.js';
import type { Taint } from './values.js';

/** A parameter-derived value reaching a sink inside the function: reported when a caller passes untrusted data. */
export interface SinkHit {
  readonly ruleId: string;
  /** A symbolic taint (`param` set) with the sanitizers applied on the way and the steps inside the function. */
  readonly taint: Taint;
  readonly range: SourceRange;
  /** The sink call's source text, for messages and fingerprints. */
  readonly text: string;
  /** What the sink is, for the flow's last step ("SQL text of pool.query()"). */
  readonly label: string;
}

/** Data passed to a call, summarised: enough to re-check a framework sink once the receiver is known. */
export interface ArgSummary {
  readonly taints: readonly Taint[];
  readonly html?: boolean;
  readonly literal?: string | number | boolean;
  readonly props?: Readonly<Record<string, ArgSummary>>;
}

/**
 * A method call (`res.send(x)`) or property assignment (`ctx.body = x`) on a parameter: a sink once a caller passes a
 * framework object (a route registration passing `res`, a handler passing `res` to a helper).
 */
export interface ParamCall {
  readonly param: number;
  readonly path: readonly string[];
  readonly method?: string;
  readonly property?: string;
  readonly args: readonly ArgSummary[];
  readonly range: SourceRange;
  readonly text: string;
  readonly receiverText: string;
}

/** What calling a function does, in terms of its parameters (index -1 is `this`). */
export interface FunctionSummary {
  readonly returns: readonly Taint[];
  readonly returnProps?: Readonly<Record<string, readonly Taint[]>>;
  /** The function returns a value made by an external module (`new Pool()`), so receivers keep their origin. */
  readonly returnModule?: { readonly module: string; readonly path: readonly string[] };
  readonly returnHtml?: boolean;
  readonly sinks: readonly SinkHit[];
  readonly paramCalls: readonly ParamCall[];
  /** For constructors: what each `this` field holds afterwards. */
  readonly fields?: Readonly<Record<string, readonly Taint[]>>;
  /** For constructors: fields holding instances of other classes (dependency injection), by class export. */
  readonly injected?: Readonly<Record<string, { readonly file: string; readonly name: string }>>;
}

export interface ClassSummary {
  readonly methods: Readonly<Record<string, FunctionSummary>>;
  readonly statics: Readonly<Record<string, FunctionSummary>>;
  readonly ctor?: FunctionSummary;
}

/** One export of a module. */
export type ExportEntry =
  | { readonly kind: 'function'; readonly summary: FunctionSummary }
  | { readonly kind: 'class'; readonly summary: ClassSummary }
  | { readonly kind: 'instance'; readonly summary: ClassSummary; readonly name: string }
  | { readonly kind: 'object'; readonly members: Readonly<Record<string, ExportEntry>> }
  | { readonly kind: 'value'; readonly taints: readonly Taint[]; readonly module?: { readonly module: string; readonly path: readonly string[] } }
  | { readonly kind: 'reexport'; readonly file?: string; readonly module?: string; readonly name: string };

/** What a module offers to the modules that import it. */
export interface ModuleSummary {
  readonly exports: Readonly<Record<string, ExportEntry>>;
  /** Files re-exported with `export * from`. */
  readonly stars: readonly string[];
  /** Reviewed files this module imports: when none of their summaries changed, this module's analysis is reused. */
  readonly deps: readonly string[];
}

export const EMPTY_FUNCTION_SUMMARY: FunctionSummary = Object.freeze({ returns: [], sinks: [], paramCalls: [] });

/** True when two rounds produced the same summary (the fixpoint test). */
export function summariesEqual(a: ModuleSummary, b: ModuleSummary): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
