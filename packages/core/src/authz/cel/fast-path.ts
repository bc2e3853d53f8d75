import type { CelExpr } from './ast.js';
import { readRootField, type ConditionFrame } from './frame.js';
import type { CelLimits } from './limits.js';
import { isRootVariable, rootFieldType } from './variables.js';

/**
 * "The fast path cannot decide this": the condition is evaluated by the CEL library instead. It stands for a CEL
 * error as much as for a value the fast path does not model, and CEL's commutative `&&`/`||` make that safe: `false
 * && <anything>` is `false` and `true || <anything>` is `true` whatever the other side would have been.
 */
export const FALLBACK: unique symbol = Symbol('authz.fallback');

type Value = string | number | boolean | null | object | typeof FALLBACK;
type Fn = (frame: ConditionFrame) => Value;

/** A compiled node; `timestamp` nodes yield milliseconds and only compare with other `timestamp` nodes. */
interface Node {
  readonly type: 'value' | 'bool' | 'timestamp';
  readonly fn: Fn;
}

/** Compiled fast path of a whole condition: `true`/`false`, or {@link FALLBACK}. */
export type FastCondition = (frame: ConditionFrame) => boolean | typeof FALLBACK;

const fallback: Fn = () => FALLBACK;
/** Constants ignore the frame; this stands in for one when a literal list is folded at compile time. */
const NO_FRAME = Object.freeze({}) as ConditionFrame;
const UNSUPPORTED: Node = { type: 'value', fn: fallback };

/** Objects the CEL library reads as maps, and the fast path reads directly (null-prototype objects fall back). */
function isPlainObject(value: object): boolean {
  return Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * CEL heterogeneous equality (cel-spec "Equality") for the values the fast path models: values of different types are
 * unequal, numbers compare by value (`1 == 1.0`), `NaN` equals nothing. Lists and maps fall back.
 */
function equals(a: Value, b: Value): boolean | typeof FALLBACK {
  if (a === FALLBACK || b === FALLBACK) return FALLBACK;
  if ((typeof a === 'object' && a !== null) || (typeof b === 'object' && b !== null)) return FALLBACK;
  if (a === null || b === null) return a === b;
  if (typeof a !== typeof b) return false;
  return a === b;
}

class FastPathCompiler {
  readonly #limits: CelLimits;
  readonly #timestampLiteral: (text: string) => number | undefined;

  constructor(limits: CelLimits, timestampLiteral: (text: string) => number | undefined) {
    this.#limits = limits;
    this.#timestampLiteral = timestampLiteral;
  }

  /** A value read from the input, in the form the fast path compares: anything else falls back. */
  #admit(value: unknown): Value {
    switch (typeof value) {
      case 'string':
        return value.length <= this.#limits.maxInputStringLength ? value : FALLBACK;
      case 'number':
      case 'boolean':
        return value;
      case 'object':
        return value;
      default:
        return FALLBACK;
    }
  }

  compile(expr: CelExpr): Node {
    switch (expr.kind) {
      case 'const':
        return this.#constant(expr.value);
      case 'select':
        return expr.testOnly ? this.#has(expr) : this.#select(expr);
      case 'call':
        return this.#call(expr);
      default:
        return UNSUPPORTED;
    }
  }

  #constant(value: Extract<CelExpr, { kind: 'const' }>['value']): Node {
    switch (value.type) {
      case 'string':
      case 'bool':
      case 'double': {
        const v = value.value;
        return { type: value.type === 'bool' ? 'bool' : 'value', fn: () => v };
      }
      case 'null':
        return { type: 'value', fn: () => null };
      case 'int': {
        if (value.value > BigInt(Number.MAX_SAFE_INTEGER) || value.value < BigInt(Number.MIN_SAFE_INTEGER)) return UNSUPPORTED;
        const v = Number(value.value);
        return { type: 'value', fn: () => v };
      }
      default:
        return UNSUPPORTED;
    }
  }

  #select(expr: Extract<CelExpr, { kind: 'select' }>): Node {
    const operand = expr.operand;
    const field = expr.field;
    if (operand.kind === 'ident') {
      if (!isRootVariable(operand.name)) return UNSUPPORTED;
      const root = operand.name;
      const type = rootFieldType(root, field);
      if (type === undefined || field === 'roles') return UNSUPPORTED;
      if (type === 'timestamp') return { type: 'timestamp', fn: (frame) => frame.nowMs() };
      return { type: type === 'bool' ? 'bool' : 'value', fn: (frame) => this.#admit(readRootField(frame, root, field)) };
    }
    const inner = this.compile(operand);
    if (inner.type !== 'value' || inner.fn === fallback) return UNSUPPORTED;
    const read = inner.fn;
    return {
      type: 'value',
      fn: (frame) => {
        const value = read(frame);
        if (typeof value !== 'object' || value === null || !isPlainObject(value) || !Object.hasOwn(value, field)) return FALLBACK;
        return this.#admit((value as Record<string, unknown>)[field]);
      },
    };
  }

  #has(expr: Extract<CelExpr, { kind: 'select' }>): Node {
    const operand = expr.operand;
    // Root variables always carry every declared field (the analysis refused undeclared ones).
    if (operand.kind === 'ident' && isRootVariable(operand.name)) return { type: 'bool', fn: () => true };
    const inner = this.compile(operand);
    if (inner.type !== 'value' || inner.fn === fallback) return UNSUPPORTED;
    const read = inner.fn;
    const field = expr.field;
    return {
      type: 'bool',
      fn: (frame) => {
        const value = read(frame);
        if (typeof value !== 'object' || value === null || !isPlainObject(value)) return FALLBACK;
        // As the library decides it: a field holding `null` (or `undefined`) counts as absent.
        return Object.hasOwn(value, field) && (value as Record<string, unknown>)[field] != null;
      },
    };
  }

  #call(expr: Extract<CelExpr, { kind: 'call' }>): Node {
    if (expr.target !== undefined) return UNSUPPORTED;
    const args = expr.args;
    switch (expr.function) {
      case '_&&_':
      case '_||_':
        return this.#logic(expr.function === '_&&_', args);
      case '!_': {
        const [operand] = args;
        if (operand === undefined) return UNSUPPORTED;
        const fn = this.compile(operand).fn;
        if (fn === fallback) return UNSUPPORTED;
        return { type: 'bool', fn: (frame) => { const v = fn(frame); return typeof v === 'boolean' ? !v : FALLBACK; } };
      }
      case '_==_':
      case '_!=_':
        return this.#equality(expr.function === '_!=_', args);
      case '_<_':
      case '_<=_':
      case '_>_':
      case '_>=_':
        return this.#ordering(expr.function, args);
      case '@in':
        return this.#in(args);
      case '_?_:_':
        return this.#conditional(args);
      case 'timestamp': {
        const [text] = args;
        if (text?.kind !== 'const' || text.value.type !== 'string') return UNSUPPORTED;
        const ms = this.#timestampLiteral(text.value.value);
        return ms === undefined ? UNSUPPORTED : { type: 'timestamp', fn: () => ms };
      }
      default:
        return UNSUPPORTED;
    }
  }

  #logic(isAnd: boolean, args: readonly CelExpr[]): Node {
    const [left, right] = args;
    if (left === undefined || right === undefined) return UNSUPPORTED;
    const l = this.compile(left).fn;
    const r = this.compile(right).fn;
    if (l === fallback && r === fallback) return UNSUPPORTED;
    // CEL's `&&`/`||` are commutative over errors: the absorbing value on either side decides.
    const absorbing = !isAnd;
    return {
      type: 'bool',
      fn: (frame) => {
        const a = l(frame);
        if (a === absorbing) return absorbing;
        const b = r(frame);
        if (b === absorbing) return absorbing;
        return typeof a === 'boolean' && typeof b === 'boolean' ? !absorbing : FALLBACK;
      },
    };
  }

  #equality(negate: boolean, args: readonly CelExpr[]): Node {
    const [left, right] = args;
    if (left === undefined || right === undefined) return UNSUPPORTED;
    const l = this.compile(left);
    const r = this.compile(right);
    if (l.fn === fallback || r.fn === fallback) return UNSUPPORTED;
    if ((l.type === 'timestamp') !== (r.type === 'timestamp')) return UNSUPPORTED;
    const a = l.fn;
    const b = r.fn;
    if (l.type === 'timestamp') return { type: 'bool', fn: (frame) => (a(frame) === b(frame)) !== negate };
    return {
      type: 'bool',
      fn: (frame) => {
        const result = equals(a(frame), b(frame));
        return result === FALLBACK ? FALLBACK : result !== negate;
      },
    };
  }

  #ordering(operator: string, args: readonly CelExpr[]): Node {
    const [left, right] = args;
    if (left === undefined || right === undefined) return UNSUPPORTED;
    const l = this.compile(left);
    const r = this.compile(right);
    if (l.fn === fallback || r.fn === fallback || (l.type === 'timestamp') !== (r.type === 'timestamp')) return UNSUPPORTED;
    const a = l.fn;
    const b = r.fn;
    // Numbers (and timestamps, as milliseconds) only: string order in CEL is by code point, not by UTF-16 unit.
    const compare = (x: Value, y: Value): boolean | typeof FALLBACK => {
      if (typeof x !== 'number' || typeof y !== 'number') return FALLBACK;
      switch (operator) {
        case '_<_':
          return x < y;
        case '_<=_':
          return x <= y;
        case '_>_':
          return x > y;
        default:
          return x >= y;
      }
    };
    return { type: 'bool', fn: (frame) => compare(a(frame), b(frame)) };
  }

  #in(args: readonly CelExpr[]): Node {
    const [left, right] = args;
    if (left === undefined || right === undefined) return UNSUPPORTED;
    // `"admin" in principal.roles`: a role lookup, not a list scan.
    if (
      left.kind === 'const' &&
      left.value.type === 'string' &&
      right.kind === 'select' &&
      !right.testOnly &&
      right.field === 'roles' &&
      right.operand.kind === 'ident' &&
      right.operand.name === 'principal'
    ) {
      const role = left.value.value;
      return { type: 'bool', fn: (frame) => frame.hasEffectiveRole(role) };
    }
    const l = this.compile(left);
    if (l.fn === fallback || l.type === 'timestamp') return UNSUPPORTED;
    const needle = l.fn;
    if (right.kind === 'list') {
      const items: Value[] = [];
      for (const element of right.elements) {
        if (element.kind !== 'const') return UNSUPPORTED;
        const item = this.#constant(element.value);
        if (item.fn === fallback) return UNSUPPORTED;
        items.push(item.fn(NO_FRAME));
      }
      const strings = items.every((item) => typeof item === 'string') ? new Set(items) : undefined;
      return {
        type: 'bool',
        fn: (frame) => {
          const value = needle(frame);
          if (value === FALLBACK || (typeof value === 'object' && value !== null)) return FALLBACK;
          if (strings !== undefined) return typeof value === 'string' && strings.has(value);
          return items.some((item) => equals(value, item) === true);
        },
      };
    }
    const r = this.compile(right);
    if (r.fn === fallback || r.type !== 'value') return UNSUPPORTED;
    const haystack = r.fn;
    const maxList = this.#limits.maxInputListSize;
    return {
      type: 'bool',
      fn: (frame) => {
        const list = haystack(frame);
        const value = needle(frame);
        if (value === FALLBACK || (typeof value === 'object' && value !== null)) return FALLBACK;
        if (!Array.isArray(list) || list.length > maxList) return FALLBACK;
        for (const item of list as unknown[]) {
          const admitted = this.#admit(item);
          const same = equals(value, admitted);
          if (same === FALLBACK) return FALLBACK;
          if (same) return true;
        }
        return false;
      },
    };
  }

  #conditional(args: readonly CelExpr[]): Node {
    const [condition, then, otherwise] = args;
    if (condition === undefined || then === undefined || otherwise === undefined) return UNSUPPORTED;
    const c = this.compile(condition).fn;
    const t = this.compile(then);
    const o = this.compile(otherwise);
    if (c === fallback || t.type === 'timestamp' || o.type === 'timestamp') return UNSUPPORTED;
    const yes = t.fn;
    const no = o.fn;
    return {
      type: t.type === 'bool' && o.type === 'bool' ? 'bool' : 'value',
      fn: (frame) => {
        const chosen = c(frame);
        if (typeof chosen !== 'boolean') return FALLBACK;
        return chosen ? yes(frame) : no(frame);
      },
    };
  }
}

/**
 * Compiles the common shapes of conditions (field reads, `==`/`!=`, numeric and timestamp ordering, `in` a literal
 * list or an attribute list, `has()`, `&&`/`||`/`!`, `?:`, `timestamp("…")` literals) into closures that read the
 * check's data directly. Whatever the fast path does not model yields {@link FALLBACK} and is evaluated by the CEL
 * library, so results never differ from the library's (a property test compares them on random expressions).
 * Returns `undefined` when nothing of the condition can be decided without the library.
 */
export function compileFastPath(
  ast: CelExpr,
  limits: CelLimits,
  timestampLiteral: (text: string) => number | undefined,
): FastCondition | undefined {
  const node = new FastPathCompiler(limits, timestampLiteral).compile(ast);
  if (node.fn === fallback || node.type === 'timestamp') return undefined;
  const fn = node.fn;
  return (frame) => {
    const result = fn(frame);
    return typeof result === 'boolean' ? result : FALLBACK;
  };
}
