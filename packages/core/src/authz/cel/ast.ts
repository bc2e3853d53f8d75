import type { Expr, ParsedExpr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';

/**
 * A CEL constant. The shape follows `cel.expr.Constant` of the CEL specification (syntax.proto), so tools built on
 * this AST (the SQL query planner, policy linters) can follow the spec rather than one library's internals.
 */
export type CelConstant =
  | { readonly type: 'null' }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'int'; readonly value: bigint }
  | { readonly type: 'uint'; readonly value: bigint }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bytes'; readonly value: Uint8Array };

/** Macros that expand to a comprehension, as written in the source (`list.exists(x, …)` is `exists`). */
export type CelMacro = 'all' | 'exists' | 'exists_one' | 'map' | 'filter';

/**
 * A parsed, macro-expanded CEL expression: `cel.expr.Expr` of the CEL specification as plain frozen data. Operators
 * are calls with the spec's function names (`_==_`, `_&&_`, `_||_`, `!_`, `_?_:_`, `_[_]`, `@in`, …); `has(a.b)` is a
 * `select` with `testOnly: true`; `all`/`exists`/`exists_one`/`map`/`filter` are comprehensions (`macro` names which).
 * `id` is the node id from the parser (positions in the source are not kept).
 */
export type CelExpr =
  | { readonly kind: 'const'; readonly id: number; readonly value: CelConstant }
  | { readonly kind: 'ident'; readonly id: number; readonly name: string }
  | { readonly kind: 'select'; readonly id: number; readonly operand: CelExpr; readonly field: string; readonly testOnly: boolean }
  | {
      readonly kind: 'call';
      readonly id: number;
      readonly function: string;
      /** The receiver of a method call (`a.startsWith(b)` has target `a`), `undefined` for global calls. */
      readonly target: CelExpr | undefined;
      readonly args: readonly CelExpr[];
    }
  | { readonly kind: 'list'; readonly id: number; readonly elements: readonly CelExpr[] }
  | { readonly kind: 'map'; readonly id: number; readonly entries: readonly { readonly key: CelExpr; readonly value: CelExpr }[] }
  | {
      readonly kind: 'comprehension';
      readonly id: number;
      readonly macro: CelMacro | undefined;
      readonly iterVar: string;
      readonly iterRange: CelExpr;
      readonly accuVar: string;
      readonly accuInit: CelExpr;
      readonly loopCondition: CelExpr;
      readonly loopStep: CelExpr;
      readonly result: CelExpr;
    };

/** Why a parsed expression cannot become a {@link CelExpr}; the caller turns it into a policy error. */
export class UnsupportedExpressionError extends Error {}

const MACROS: ReadonlySet<string> = new Set<CelMacro>(['all', 'exists', 'exists_one', 'map', 'filter']);

function children(expr: Expr): Expr[] {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      return kind.value.operand === undefined ? [] : [kind.value.operand];
    case 'callExpr':
      return kind.value.target === undefined ? kind.value.args : [kind.value.target, ...kind.value.args];
    case 'listExpr':
      return kind.value.elements;
    case 'structExpr':
      return kind.value.entries.flatMap((entry) => {
        const key = entry.keyKind.case === 'mapKey' ? [entry.keyKind.value] : [];
        return entry.value === undefined ? key : [...key, entry.value];
      });
    case 'comprehensionExpr': {
      const c = kind.value;
      return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].filter((e): e is Expr => e !== undefined);
    }
    default:
      return [];
  }
}

/**
 * Depth and size of the tree, computed without recursion, so that a hostile expression cannot overflow the stack of
 * the code that measures it.
 */
export function measureExpr(root: Expr): { readonly depth: number; readonly nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: [Expr, number][] = [[root, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [expr, level] = item;
    nodes += 1;
    if (level > depth) depth = level;
    for (const child of children(expr)) stack.push([child, level + 1]);
  }
  return { depth, nodes };
}

function required(expr: Expr | undefined): Expr {
  if (expr === undefined) throw new UnsupportedExpressionError('incomplete expression');
  return expr;
}

function constant(expr: Extract<Expr['exprKind'], { case: 'constExpr' }>['value']): CelConstant {
  const kind = expr.constantKind;
  switch (kind.case) {
    case 'nullValue':
      return { type: 'null' };
    case 'boolValue':
      return { type: 'bool', value: kind.value };
    case 'int64Value':
      return { type: 'int', value: kind.value };
    case 'uint64Value':
      return { type: 'uint', value: kind.value };
    case 'doubleValue':
      return { type: 'double', value: kind.value };
    case 'stringValue':
      return { type: 'string', value: kind.value };
    case 'bytesValue':
      return { type: 'bytes', value: kind.value };
    default:
      throw new UnsupportedExpressionError('deprecated constant kind');
  }
}

function convert(expr: Expr, macroCalls: ReadonlyMap<bigint, string>): CelExpr {
  const id = Number(expr.id);
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr':
      return Object.freeze({ kind: 'const', id, value: Object.freeze(constant(kind.value)) });
    case 'identExpr':
      return Object.freeze({ kind: 'ident', id, name: kind.value.name });
    case 'selectExpr':
      return Object.freeze({
        kind: 'select',
        id,
        operand: convert(required(kind.value.operand), macroCalls),
        field: kind.value.field,
        testOnly: kind.value.testOnly,
      });
    case 'callExpr':
      return Object.freeze({
        kind: 'call',
        id,
        function: kind.value.function,
        target: kind.value.target === undefined ? undefined : convert(kind.value.target, macroCalls),
        args: Object.freeze(kind.value.args.map((arg) => convert(arg, macroCalls))),
      });
    case 'listExpr':
      if (kind.value.optionalIndices.length > 0) throw new UnsupportedExpressionError('optional list elements are not supported');
      return Object.freeze({ kind: 'list', id, elements: Object.freeze(kind.value.elements.map((e) => convert(e, macroCalls))) });
    case 'structExpr': {
      if (kind.value.messageName !== '') throw new UnsupportedExpressionError('message construction is not supported');
      const entries = kind.value.entries.map((entry) => {
        if (entry.optionalEntry || entry.keyKind.case !== 'mapKey') throw new UnsupportedExpressionError('optional map entries are not supported');
        return Object.freeze({ key: convert(entry.keyKind.value, macroCalls), value: convert(required(entry.value), macroCalls) });
      });
      return Object.freeze({ kind: 'map', id, entries: Object.freeze(entries) });
    }
    case 'comprehensionExpr': {
      const c = kind.value;
      if (c.iterVar2 !== '') throw new UnsupportedExpressionError('two-variable comprehensions are not supported');
      const macro = macroCalls.get(expr.id);
      return Object.freeze({
        kind: 'comprehension',
        id,
        macro: macro !== undefined && MACROS.has(macro) ? (macro as CelMacro) : undefined,
        iterVar: c.iterVar,
        iterRange: convert(required(c.iterRange), macroCalls),
        accuVar: c.accuVar,
        accuInit: convert(required(c.accuInit), macroCalls),
        loopCondition: convert(required(c.loopCondition), macroCalls),
        loopStep: convert(required(c.loopStep), macroCalls),
        result: convert(required(c.result), macroCalls),
      });
    }
    default:
      throw new UnsupportedExpressionError('empty expression');
  }
}

/**
 * Converts the parser's protobuf AST into frozen {@link CelExpr} data. Call {@link measureExpr} first and refuse deep
 * trees: the conversion recurses once per level.
 */
export function fromParsedExpr(parsed: ParsedExpr & { expr: Expr }): CelExpr {
  const macroCalls = new Map<bigint, string>();
  for (const [id, call] of Object.entries(parsed.sourceInfo?.macroCalls ?? {})) {
    if (call.exprKind.case === 'callExpr') macroCalls.set(BigInt(id), call.exprKind.value.function);
  }
  return convert(parsed.expr, macroCalls);
}
