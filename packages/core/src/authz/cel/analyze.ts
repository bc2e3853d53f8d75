import type { CelExpr } from './ast.js';
import type { CelLimits } from './limits.js';
import { isRootVariable, rootFieldType, type RootFieldType } from './variables.js';

/** Why a condition was refused at load; the policy compiler adds the document and path. */
export class ConditionRefusal extends Error {
  constructor(
    readonly code: 'AUTHZ_CONDITION_INVALID' | 'AUTHZ_CONDITION_TOO_COSTLY',
    message: string,
  ) {
    super(message);
  }
}

/** What the load-time analysis learned about a condition. */
export interface ConditionAnalysis {
  /** Static cost estimate (the bound it was checked against is `CelLimits.maxConditionCost`). */
  readonly cost: number;
  /**
   * Paths from a root variable (`['resource', 'attributes', 'tags']`) whose values the condition reads as values
   * (not only tests for presence). At run time these values are checked against the input bounds before the CEL
   * library evaluates, which is what makes the static estimate an actual bound.
   */
  readonly paths: readonly (readonly string[])[];
}

/**
 * Upper bound of a value's size: characters of a string or bytes (`chars`), elements of a list or entries of a map
 * (`items`), and the bound of its elements (`elem`). A value read from the input may be either, so it has both.
 */
interface Size {
  readonly chars: number;
  readonly items: number;
  readonly elem: Size | undefined;
}

/**
 * Cost units, about one evaluation step of the CEL library (50–100 ns on a 2020s server core). String work is costed
 * by characters: comparisons run at memory speed (`COMPARE_CHARS` per unit), code-point walks (`size()`, `matches`,
 * conversions, `contains`) about thirty times slower (`WALK_CHARS` per unit). Measured with `@bufbuild/cel` 0.6 on
 * 1000-element lists of 4096-character strings (README, "Cost bound").
 */
const COMPARE_CHARS = 256;
const WALK_CHARS = 8;

/**
 * Deepest nesting of comprehensions (`a.all(x, x.b.exists(y, …))`). Each level multiplies the iterations, and the
 * estimate itself visits a nested body a few times per level, so deeper nesting is refused outright.
 */
const MAX_COMPREHENSION_NESTING = 4;

/** Fixed cost of one comprehension iteration (binding the variables, the accumulator): about 1 µs in the library. */
const ITERATION = 10;

const SCALAR: Size = { chars: 0, items: 0, elem: undefined };

/** Functions a condition may call: CEL's standard library minus type reflection, with their arities. */
const GLOBAL_FUNCTIONS: ReadonlyMap<string, number> = new Map([
  ['_==_', 2],
  ['_!=_', 2],
  ['_<_', 2],
  ['_<=_', 2],
  ['_>_', 2],
  ['_>=_', 2],
  ['_&&_', 2],
  ['_||_', 2],
  ['!_', 1],
  ['-_', 1],
  ['_+_', 2],
  ['_-_', 2],
  ['_*_', 2],
  ['_/_', 2],
  ['_%_', 2],
  ['_?_:_', 3],
  ['_[_]', 2],
  ['@in', 2],
  ['@not_strictly_false', 1],
  ['size', 1],
  ['int', 1],
  ['uint', 1],
  ['double', 1],
  ['string', 1],
  ['bool', 1],
  ['bytes', 1],
  ['dyn', 1],
  ['timestamp', 1],
  ['duration', 1],
  ['matches', 2],
]);

const TIME_ACCESSORS = [
  'getFullYear',
  'getMonth',
  'getDate',
  'getDayOfMonth',
  'getDayOfWeek',
  'getDayOfYear',
  'getHours',
  'getMinutes',
  'getSeconds',
  'getMilliseconds',
] as const;

/** Receiver-style functions (`target.fn(args)`), with the argument counts they accept. */
const METHODS: ReadonlyMap<string, readonly number[]> = new Map<string, readonly number[]>([
  ['size', [0]],
  ['contains', [1]],
  ['startsWith', [1]],
  ['endsWith', [1]],
  ['matches', [1]],
  ...TIME_ACCESSORS.map((name): [string, readonly number[]] => [name, [0, 1]]),
]);

type Scope = ReadonlyMap<string, Size>;

function units(characters: number, perUnit: number): number {
  return Math.ceil(characters / perUnit);
}

class Analyzer {
  readonly #limits: CelLimits;
  readonly #input: Size;
  readonly #string: Size;
  readonly paths: string[][] = [];
  #nesting = 0;

  constructor(limits: CelLimits) {
    this.#limits = limits;
    // Any attribute value: a string of the longest length, or a list/map of the most elements, each again any value.
    const input: { chars: number; items: number; elem: Size | undefined } = {
      chars: limits.maxInputStringLength,
      items: limits.maxInputListSize,
      elem: undefined,
    };
    input.elem = input;
    this.#input = input;
    this.#string = { chars: limits.maxInputStringLength, items: 0, elem: undefined };
  }

  /**
   * Cost of reading a whole value (comparing it). Values read from the input are costed as strings of the longest
   * length: the runtime node bound (`maxInputNodes`) keeps the work on large input trees linear in the input, and
   * nested iteration is what the estimate must catch.
   */
  #weight(size: Size, depth = 0): number {
    const text = units(size.chars, COMPARE_CHARS);
    if (size === this.#input || size.elem === undefined || depth > 2) return text;
    return text + size.items * (1 + this.#weight(size.elem, depth + 1));
  }

  #rootFieldSize(type: RootFieldType): Size {
    switch (type) {
      case 'string':
      case 'string?':
        return this.#string;
      case 'list<string>':
      case 'list<string>?':
        return { chars: 0, items: this.#limits.maxInputListSize, elem: this.#string };
      case 'map':
        return this.#input;
      default:
        return SCALAR;
    }
  }

  /** The root path of a select chain, when the chain starts at a root variable that no comprehension shadows. */
  #chain(expr: CelExpr, scope: Scope): string[] | undefined {
    if (expr.kind === 'ident') return isRootVariable(expr.name) && !scope.has(expr.name) ? [expr.name] : undefined;
    if (expr.kind === 'select' && !expr.testOnly) {
      const head = this.#chain(expr.operand, scope);
      return head === undefined ? undefined : [...head, expr.field];
    }
    return undefined;
  }

  /** Estimates `expr`; `asValue` is false when a parent select only descends into it or tests a field's presence. */
  estimate(expr: CelExpr, scope: Scope, asValue = true): { cost: number; size: Size } {
    switch (expr.kind) {
      case 'const':
        switch (expr.value.type) {
          case 'string':
          case 'bytes':
            return { cost: 1, size: { chars: expr.value.value.length, items: 0, elem: undefined } };
          default:
            return { cost: 1, size: SCALAR };
        }
      case 'ident': {
        const local = scope.get(expr.name);
        if (local !== undefined) return { cost: 1, size: local };
        if (!isRootVariable(expr.name)) throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `unknown identifier "${expr.name}"`);
        if (asValue) this.paths.push([expr.name]);
        return { cost: 1, size: this.#input };
      }
      case 'select':
        return this.#select(expr, scope, asValue);
      case 'call':
        return this.#call(expr, scope);
      case 'list': {
        let cost = 1;
        let elem: Size = SCALAR;
        for (const element of expr.elements) {
          const e = this.estimate(element, scope);
          cost += e.cost;
          elem = larger(elem, e.size);
        }
        return { cost, size: { chars: 0, items: expr.elements.length, elem } };
      }
      case 'map': {
        let cost = 1;
        let elem: Size = SCALAR;
        for (const entry of expr.entries) {
          const key = this.estimate(entry.key, scope);
          const value = this.estimate(entry.value, scope);
          cost += key.cost + value.cost;
          elem = larger(elem, value.size);
        }
        return { cost, size: { chars: 0, items: expr.entries.length, elem } };
      }
      case 'comprehension':
        return this.#comprehension(expr, scope);
    }
  }

  #select(expr: Extract<CelExpr, { kind: 'select' }>, scope: Scope, asValue: boolean): { cost: number; size: Size } {
    const operand = expr.operand;
    // Root fields are fixed: `principal.name` is a typo, not a field that is always missing.
    if (operand.kind === 'ident' && isRootVariable(operand.name) && !scope.has(operand.name)) {
      const type = rootFieldType(operand.name, expr.field);
      if (type === undefined) {
        throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `"${operand.name}" has no field "${expr.field}" (free-form data is under "${operand.name}.attributes")`);
      }
      if (asValue && !expr.testOnly) this.paths.push([operand.name, expr.field]);
      return { cost: 2, size: expr.testOnly ? SCALAR : this.#rootFieldSize(type) };
    }
    if (operand.kind === 'select' && operand.operand.kind === 'ident' && isRootVariable(operand.operand.name) && !scope.has(operand.operand.name)) {
      const type = rootFieldType(operand.operand.name, operand.field);
      if (type !== undefined && type !== 'map') {
        throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `"${operand.operand.name}.${operand.field}" has no fields`);
      }
    }
    const inner = this.estimate(operand, scope, false);
    if (asValue && !expr.testOnly) {
      const path = this.#chain(expr, scope);
      if (path !== undefined) this.paths.push(path);
    }
    return { cost: inner.cost + 1, size: expr.testOnly ? SCALAR : (inner.size.elem ?? this.#input) };
  }

  #call(expr: Extract<CelExpr, { kind: 'call' }>, scope: Scope): { cost: number; size: Size } {
    const name = expr.function;
    if (expr.target === undefined) {
      const arity = GLOBAL_FUNCTIONS.get(name);
      if (arity === undefined) throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `function "${name}" is not allowed in conditions`);
      if (arity !== expr.args.length) throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `function "${name}" takes ${arity} argument(s)`);
    } else {
      const arities = METHODS.get(name);
      if (arities === undefined) throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `method "${name}" is not allowed in conditions`);
      if (!arities.includes(expr.args.length)) throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `method "${name}" takes ${arities.join(' or ')} argument(s)`);
    }
    const operands = expr.target === undefined ? expr.args : [expr.target, ...expr.args];
    let cost = 1;
    const sizes: Size[] = [];
    for (const operand of operands) {
      const e = this.estimate(operand, scope);
      cost += e.cost;
      sizes.push(e.size);
    }
    const [a = SCALAR, b = SCALAR, c = SCALAR] = sizes;
    switch (name) {
      case '_==_':
      case '_!=_':
      case '_<_':
      case '_<=_':
      case '_>_':
      case '_>=_':
        return { cost: cost + Math.min(this.#weight(a), this.#weight(b)), size: SCALAR };
      case '_+_': {
        // String and list concatenation: the result is as large as both operands together.
        const size: Size = {
          chars: a.chars + b.chars,
          items: a.items + b.items,
          elem: a.elem === undefined ? b.elem : b.elem === undefined ? a.elem : larger(a.elem, b.elem),
        };
        return { cost: cost + units(size.chars, COMPARE_CHARS) + units(size.items, COMPARE_CHARS), size };
      }
      case '_?_:_':
        return { cost, size: larger(b, c) };
      case '_[_]':
        return { cost, size: a.elem ?? this.#input };
      case '@in':
        return { cost: cost + b.items * (b.elem === undefined ? 1 : 1 + Math.min(this.#weight(a), this.#weight(b.elem))), size: SCALAR };
      case 'matches':
        // RE2 simulates the pattern's automaton over the text: time grows with both.
        return { cost: cost + units(a.chars * Math.max(1, b.chars), WALK_CHARS * 8), size: SCALAR };
      case 'contains':
        return { cost: cost + units(a.chars, WALK_CHARS * 2), size: SCALAR };
      case 'startsWith':
      case 'endsWith':
        return { cost: cost + units(b.chars, COMPARE_CHARS), size: SCALAR };
      case 'size':
        // Strings are measured in code points: a walk over the whole string.
        return { cost: cost + units(a.chars, WALK_CHARS), size: SCALAR };
      case 'string':
      case 'bytes':
        return { cost: cost + units(a.chars, WALK_CHARS), size: { chars: Math.max(a.chars, 32), items: 0, elem: undefined } };
      case 'int':
      case 'uint':
      case 'double':
      case 'bool':
      case 'timestamp':
      case 'duration':
        return { cost: cost + units(a.chars, WALK_CHARS), size: SCALAR };
      case 'dyn':
        return { cost, size: a };
      default:
        return { cost, size: SCALAR };
    }
  }

  #comprehension(expr: Extract<CelExpr, { kind: 'comprehension' }>, scope: Scope): { cost: number; size: Size } {
    if (this.#nesting >= MAX_COMPREHENSION_NESTING) {
      throw new ConditionRefusal('AUTHZ_CONDITION_TOO_COSTLY', `comprehensions nest deeper than ${MAX_COMPREHENSION_NESTING}`);
    }
    this.#nesting += 1;
    try {
      return this.#iterate(expr, scope);
    } finally {
      this.#nesting -= 1;
    }
  }

  #iterate(expr: Extract<CelExpr, { kind: 'comprehension' }>, scope: Scope): { cost: number; size: Size } {
    const range = this.estimate(expr.iterRange, scope);
    const init = this.estimate(expr.accuInit, scope);
    const iterations = range.size.items;
    const elem = range.size.elem ?? this.#input;
    const inner = (accu: Size): Map<string, Size> => new Map([...scope, [expr.iterVar, elem], [expr.accuVar, accu]]);
    // Two trial steps tell how the accumulator grows: by a bounded amount per iteration (the standard macros) or by
    // doubling, which no bound on the input can contain.
    const step1 = this.estimate(expr.loopStep, inner(init.size)).size;
    const step2 = this.estimate(expr.loopStep, inner(step1)).size;
    const growth1 = step1.items + step1.chars - (init.size.items + init.size.chars);
    const growth2 = step2.items + step2.chars - (step1.items + step1.chars);
    if (growth2 > growth1 && growth1 > 0) {
      throw new ConditionRefusal('AUTHZ_CONDITION_TOO_COSTLY', 'a comprehension accumulator grows exponentially');
    }
    const accu: Size = {
      chars: init.size.chars + iterations * Math.max(0, step1.chars - init.size.chars),
      items: init.size.items + iterations * Math.max(0, step1.items - init.size.items),
      elem: step1.elem ?? init.size.elem,
    };
    const condition = this.estimate(expr.loopCondition, inner(accu));
    const step = this.estimate(expr.loopStep, inner(accu));
    const result = this.estimate(expr.result, new Map([...scope, [expr.accuVar, accu]]));
    return { cost: range.cost + init.cost + iterations * (ITERATION + condition.cost + step.cost) + result.cost, size: result.size };
  }
}

function larger(a: Size, b: Size, depth = 0): Size {
  if (a === b) return a;
  const chars = Math.max(a.chars, b.chars);
  const items = Math.max(a.items, b.items);
  if (a.elem === undefined || b.elem === undefined) return { chars, items, elem: a.elem ?? b.elem };
  // Input sizes are cyclic (an element of any value is any value): three levels are enough to compare.
  return { chars, items, elem: depth > 2 ? a.elem : larger(a.elem, b.elem, depth + 1) };
}

/**
 * Checks a parsed condition against the allowlist (known variables and root fields, standard functions only) and
 * estimates its cost with every input list at `maxInputListSize` and every input string at `maxInputStringLength`.
 * Throws a {@link ConditionRefusal} for an invalid or too costly condition.
 */
export function analyzeCondition(ast: CelExpr, limits: CelLimits): ConditionAnalysis {
  const analyzer = new Analyzer(limits);
  const { cost } = analyzer.estimate(ast, new Map());
  if (!(cost <= limits.maxConditionCost)) {
    throw new ConditionRefusal(
      'AUTHZ_CONDITION_TOO_COSTLY',
      `estimated cost ${Number.isFinite(cost) ? Math.round(cost) : 'unbounded'} exceeds maxConditionCost ${limits.maxConditionCost}`,
    );
  }
  const unique = new Map<string, readonly string[]>();
  for (const path of analyzer.paths) unique.set(path.join('\u0000'), Object.freeze(path));
  // A path that extends another one is covered by the check of the shorter path.
  const paths = [...unique.values()].filter(
    (path) => ![...unique.values()].some((other) => other.length < path.length && other.every((segment, i) => path[i] === segment)),
  );
  return { cost, paths: Object.freeze(paths) };
}
