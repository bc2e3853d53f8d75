import { celEnv, isCelError, isCelList, isCelUint, parse, plan } from '@bufbuild/cel';
import type { Expr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import { buildActivation, type ConditionFrame } from '../cel/frame.js';
import type { RootVariable } from '../cel/variables.js';
import type { CheckContext, Principal } from '../model.js';

type Planned = (activation: Readonly<Record<string, unknown>>) => unknown;

// The CEL standard library and nothing else, as the engine's conditions use: known parts are evaluated by the same
// library the engine falls back to, so a plan and a check can never disagree about them.
const environment = celEnv();

/** The parsed form of each condition source, by node id: the subtrees a plan evaluates at plan time. */
const parsedBySource = new Map<string, ReadonlyMap<number, Expr>>();
const MAX_CACHED_SOURCES = 1024;

function nodesOf(source: string): ReadonlyMap<number, Expr> {
  const cached = parsedBySource.get(source);
  if (cached !== undefined) return cached;
  const nodes = new Map<number, Expr>();
  const stack: Expr[] = [parse(source).expr];
  for (let expr = stack.pop(); expr !== undefined; expr = stack.pop()) {
    nodes.set(Number(expr.id), expr);
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'selectExpr':
        if (kind.value.operand !== undefined) stack.push(kind.value.operand);
        break;
      case 'callExpr':
        if (kind.value.target !== undefined) stack.push(kind.value.target);
        stack.push(...kind.value.args);
        break;
      case 'listExpr':
        stack.push(...kind.value.elements);
        break;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') stack.push(entry.keyKind.value);
          if (entry.value !== undefined) stack.push(entry.value);
        }
        break;
      case 'comprehensionExpr': {
        const c = kind.value;
        for (const e of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) if (e !== undefined) stack.push(e);
        break;
      }
      default:
        break;
    }
  }
  if (parsedBySource.size >= MAX_CACHED_SOURCES) parsedBySource.clear();
  parsedBySource.set(source, nodes);
  return nodes;
}

/** A value known at plan time, or a CEL error (which makes the enclosing expression an error, as in `check`). */
export type KnownValue = { readonly error: false; readonly value: unknown } | { readonly error: true };

const EMPTY_ROLES: readonly string[] = Object.freeze([]);

/**
 * Everything a condition may read that does not depend on the row: the principal (with the roles it holds in one
 * tenant case), the request, and `resource.kind`. Resource fields read as `null`/empty here are never used: only
 * subexpressions that do not read them are evaluated.
 */
export class KnownFrame implements ConditionFrame {
  readonly principal: Principal;
  readonly resource: { readonly kind: string };
  readonly action: string;
  readonly context: CheckContext | undefined;
  readonly checkedInputs: unknown[] = [];
  readonly #nowMs: number;
  readonly #roles: ReadonlySet<string>;
  readonly #roleNames: readonly string[];
  #activation: Readonly<Record<RootVariable, Readonly<Record<string, unknown>>>> | undefined;

  constructor(principal: Principal, kind: string, action: string, context: CheckContext | undefined, nowMs: number, roles: ReadonlySet<string>) {
    this.principal = principal;
    this.resource = { kind };
    this.action = action;
    this.context = context;
    this.#nowMs = nowMs;
    this.#roles = roles;
    this.#roleNames = roles.size === 0 ? EMPTY_ROLES : Object.freeze([...roles].sort());
  }

  nowMs(): number {
    return this.#nowMs;
  }

  hasEffectiveRole(role: string): boolean {
    return this.#roles.has(role);
  }

  effectiveRoleNames(): readonly string[] {
    return this.#roleNames;
  }

  activation(): Readonly<Record<RootVariable, Readonly<Record<string, unknown>>>> {
    this.#activation ??= buildActivation(this);
    return this.#activation;
  }

  /** Evaluates node `id` of condition `source` with the CEL library. */
  evaluate(source: string, id: number): KnownValue {
    const node = nodesOf(source).get(id);
    if (node === undefined) return { error: true };
    try {
      const result = (plan(environment, node) as Planned)(this.activation());
      return isCelError(result) ? { error: true } : { error: false, value: result };
    } catch {
      return { error: true };
    }
  }
}

/** A known CEL value as a filter scalar; `undefined` for values a row column can never equal (lists, maps, timestamps). */
export function scalarOf(value: unknown): string | number | boolean | null | undefined {
  if (isCelUint(value)) value = value.value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
    case 'object':
      return value === null ? null : undefined;
    default:
      return undefined;
  }
}

/** The elements of a known CEL list, or `undefined` when the value is not a list. */
export function listOf(value: unknown): readonly unknown[] | undefined {
  return isCelList(value) ? [...value] : Array.isArray(value) ? (value as unknown[]) : undefined;
}
