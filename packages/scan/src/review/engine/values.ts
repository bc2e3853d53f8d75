/**
 * The abstract values the interpreter computes: which untrusted sources a value may carry (taints), per-property
 * taint for objects, and what the value statically is (a module export, a framework object, a local function…).
 */
import type { Confidence, FlowStep } from '../types.js';
import type { TaintShape } from '../rules/types.js';
import { classBit } from './classes.js';
import type { ClassInfo, FunctionInfo } from './functions.js';
import type { ClassSummary, FunctionSummary } from './summary.js';

/**
 * One way a value may be attacker-controlled. Either a real source (`kind` such as `http.body`) or, inside a
 * function being summarised, a symbolic parameter (`param` index, -1 for `this`, plus the property path read from it).
 * Plain data: taints are stored in module summaries that cross threads.
 */
export interface Taint {
  /** Source kind (`http.query`, `argv`, …); empty for a symbolic parameter. */
  readonly kind: string;
  readonly param?: number;
  readonly path?: readonly string[];
  readonly confidence: Confidence;
  readonly shape: TaintShape;
  /** Bits of the classes this value has been sanitized for (see classes.ts). */
  readonly clean: number;
  /** Where the value went so far, source first. */
  readonly steps: readonly FlowStep[];
}

/** What a value statically is, when the interpreter can tell. */
export type Ref =
  | { readonly kind: 'global'; readonly path: readonly string[] }
  | { readonly kind: 'module'; readonly module: string; readonly path: readonly string[] }
  | { readonly kind: 'local-module'; readonly file: string; readonly path: readonly string[] }
  | { readonly kind: 'role'; readonly role: string; readonly path: readonly string[]; readonly contentType?: 'html' | 'other' }
  | { readonly kind: 'function'; readonly fn: FunctionInfo }
  | { readonly kind: 'class'; readonly cls: ClassInfo }
  | { readonly kind: 'instance'; readonly cls: ClassInfo }
  | { readonly kind: 'summary-function'; readonly summary: FunctionSummary; readonly name: string; readonly file: string }
  | { readonly kind: 'summary-class'; readonly summary: ClassSummary; readonly name: string; readonly file: string }
  | { readonly kind: 'summary-instance'; readonly summary: ClassSummary; readonly name: string; readonly file: string }
  | { readonly kind: 'schema'; readonly schema: SchemaShape }
  /** An import from a relative file outside the review: known only by its exported name (`escapeFilterValue`). */
  | { readonly kind: 'unresolved'; readonly name: string }
  | { readonly kind: 'regex'; readonly source: string; readonly flags: string };

/** What a validation schema (zod, joi, yup) lets through: see schema.ts. */
export type SchemaShape =
  | { readonly kind: 'safe' }
  | { readonly kind: 'string' }
  | { readonly kind: 'any' }
  | { readonly kind: 'object'; readonly fields: ReadonlyMap<string, SchemaShape> }
  | { readonly kind: 'array'; readonly items: SchemaShape };

/** An abstract value. `props` is mutable on objects the analysed code creates, so aliasing behaves like JS. */
export interface Value {
  readonly taints: readonly Taint[];
  props?: Map<string, Value>;
  readonly ref?: Ref;
  /** A string built with HTML markup around it: sending it is an HTML response. */
  readonly html?: boolean;
  /** A known constant (string literals, numbers, booleans) for option checks and content types. */
  readonly literal?: string | number | boolean;
  /** Elements of a known array literal (for `[a, b] = …` and `ALLOWED.includes`). */
  readonly elements?: readonly Value[];
  /**
   * Read with an attacker-chosen key (`obj[key]`, `node = node[part]`): it may be `Object.prototype` itself, so a
   * write into it pollutes every object (CWE-1321).
   */
  readonly protoReach?: boolean;
  /** Made by `Object.create(null)`: no prototype, so `__proto__` is an ordinary key on it. */
  readonly nullProto?: boolean;
}

/** The value nothing untrusted reaches. Never mutated. */
export const CLEAN: Value = Object.freeze({ taints: Object.freeze([]) });

const MAX_TAINTS = 6;
const MAX_STEPS = 14;
const MAX_PATH = 5;
const MAX_JOIN_DEPTH = 3;

/** A literal value. */
export function literalValue(literal: string | number | boolean): Value {
  return { taints: [], literal };
}

/** A value that only carries these taints. */
export function tainted(taints: readonly Taint[]): Value {
  return taints.length === 0 ? CLEAN : { taints };
}

export function isTainted(value: Value): boolean {
  return value.taints.length > 0;
}

function taintKey(taint: Taint): string {
  return `${taint.kind}|${taint.param ?? ''}|${taint.path?.join('.') ?? ''}|${taint.clean}|${taint.shape}`;
}

/** Union of taint lists, first occurrence wins (its steps are the shortest story), bounded. */
export function unionTaints(a: readonly Taint[], b: readonly Taint[]): readonly Taint[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const seen = new Set(a.map(taintKey));
  const result = [...a];
  for (const taint of b) {
    if (result.length >= MAX_TAINTS) break;
    const key = taintKey(taint);
    if (!seen.has(key)) {
      seen.add(key);
      result.push(taint);
    }
  }
  return result;
}

/** Adds a flow step to every taint (bounded: the first steps and the last ones are kept). */
export function withStep(taints: readonly Taint[], step: FlowStep | undefined): readonly Taint[] {
  if (step === undefined || taints.length === 0) return taints;
  return taints.map((taint) => ({ ...taint, steps: appendSteps(taint.steps, [step]) }));
}

/** Concatenates step lists within the bound. */
export function appendSteps(a: readonly FlowStep[], b: readonly FlowStep[]): readonly FlowStep[] {
  if (b.length === 0) return a;
  const joined = [...a, ...b];
  if (joined.length <= MAX_STEPS) return joined;
  return [...joined.slice(0, 3), ...joined.slice(joined.length - (MAX_STEPS - 3))];
}

/** Marks taints as sanitized for the given class bits. */
export function cleaned(taints: readonly Taint[], mask: number): readonly Taint[] {
  if (mask === 0 || taints.length === 0) return taints;
  return taints.map((taint) => ({ ...taint, clean: taint.clean | mask }));
}

/** The class bit of log injection (see classes.ts), for decoded(). */
const LOG_INJECTION = classBit('log-injection');
/**
 * Percent-decoding turns `%0A` into a line break: the raw request target was safe to log (HTTP parsers reject CR/LF
 * in it), the decoded value is not (CWE-117).
 */
export function decoded(taints: readonly Taint[]): readonly Taint[] {
  const bit = LOG_INJECTION;
  return taints.map((taint) => ((taint.clean & bit) === 0 ? taint : { ...taint, clean: taint.clean & ~bit }));
}

/** The same taints, now known to be strings (after concatenation, template literals, string methods). */
export function asStrings(taints: readonly Taint[]): readonly Taint[] {
  if (taints.length === 0 || taints.every((taint) => taint.shape === 'string')) return taints;
  return taints.map((taint) => (taint.shape === 'string' ? taint : { ...taint, shape: 'string' as const }));
}

/** The same taints with another shape (JSON.parse makes objects again). */
export function withShape(taints: readonly Taint[], shape: TaintShape): readonly Taint[] {
  return taints.map((taint) => (taint.shape === shape ? taint : { ...taint, shape }));
}

/** Reading property `segment` of a tainted value: symbolic parameters extend their path, sources become fields. */
export function readTaints(taints: readonly Taint[], segment: string): readonly Taint[] {
  if (taints.length === 0) return taints;
  return taints.map((taint) => {
    const shape: TaintShape = taint.shape === 'object' ? 'any' : taint.shape;
    if (taint.param === undefined) return shape === taint.shape ? taint : { ...taint, shape };
    const path = taint.path ?? [];
    return { ...taint, shape, path: path.length >= MAX_PATH ? path : [...path, segment] };
  });
}

/** The least upper bound of two values: union of taints, per-property join, a ref only if both agree. */
export function join(a: Value, b: Value, depth = 0): Value {
  if (a === b) return a;
  if (a === CLEAN && b.props === undefined && b.ref === undefined) return b.literal === undefined ? b : tainted(b.taints);
  if (b === CLEAN && a.props === undefined && a.ref === undefined) return a.literal === undefined ? a : tainted(a.taints);
  const taints = unionTaints(a.taints, b.taints);
  let props: Map<string, Value> | undefined;
  if ((a.props !== undefined || b.props !== undefined) && depth < MAX_JOIN_DEPTH) {
    props = new Map(a.props);
    for (const [key, value] of b.props ?? []) {
      const existing = props.get(key);
      props.set(key, existing === undefined ? value : join(existing, value, depth + 1));
    }
  }
  const ref = a.ref ?? b.ref;
  const result: { taints: readonly Taint[]; props?: Map<string, Value>; ref?: Ref; html?: boolean; protoReach?: boolean; nullProto?: boolean } = { taints };
  if (props !== undefined) result.props = props;
  if (ref !== undefined) result.ref = ref;
  if (a.html === true || b.html === true) result.html = true;
  if (a.protoReach === true || b.protoReach === true) result.protoReach = true;
  if (a.nullProto === true && b.nullProto === true) result.nullProto = true;
  return result;
}

/** Joins many values. */
export function joinAll(values: readonly Value[]): Value {
  let result = CLEAN;
  for (const value of values) result = join(result, value);
  return result;
}

/**
 * Every taint in a value, its properties and elements (bounded depth): what reaches a sink that serialises a whole
 * object (a NoSQL filter, an ORM `create`).
 */
export function deepTaints(value: Value, depth = 0): readonly Taint[] {
  let taints = value.taints;
  if (depth >= 4) return taints;
  for (const prop of value.props?.values() ?? []) taints = unionTaints(taints, deepTaints(prop, depth + 1));
  for (const element of value.elements ?? []) taints = unionTaints(taints, deepTaints(element, depth + 1));
  return taints;
}

/** A fresh mutable object value. */
export function objectValue(props: Map<string, Value>, taints: readonly Taint[] = []): Value {
  return { taints, props };
}
