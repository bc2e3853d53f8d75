import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import { isReflectMessage } from '@bufbuild/protobuf/reflect';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { AuthzEvaluationError } from '../errors.js';
import { analyzeCondition, ConditionRefusal } from './analyze.js';
import { fromParsedExpr, measureExpr, UnsupportedExpressionError, type CelExpr } from './ast.js';
import { compileFastPath, FALLBACK, type FastCondition } from './fast-path.js';
import type { ConditionFrame } from './frame.js';
import { checkInputBounds } from './input.js';
import type { CelLimits } from './limits.js';

/**
 * A condition as loaded: its source, its parsed and macro-expanded AST (the CEL spec's `Expr` shape, for query
 * planners and linters), its static cost estimate and the input paths it reads. Frozen data.
 */
export interface CompiledCondition {
  readonly source: string;
  readonly ast: CelExpr;
  /** Static cost estimate, at most `CelLimits.maxConditionCost`. */
  readonly cost: number;
  /** Input paths the condition reads as values (`['resource', 'attributes', 'tags']`); checked against the input bounds. */
  readonly paths: readonly (readonly string[])[];
  /** Whether a compiled fast path exists (see README, "Evaluation"); results are the same either way. */
  readonly fastPath: boolean;
}

type Planned = (activation: Readonly<Record<string, unknown>>) => unknown;

// One environment for every condition: the CEL standard library, nothing registered on top.
const environment = celEnv();

const timestampProgram = plan(environment, parse('timestamp(text)')) as Planned;

/** `timestamp("…")` as milliseconds, when the literal is valid and whole milliseconds (`Date` precision). */
export function timestampLiteral(text: string): number | undefined {
  const value = timestampProgram({ text });
  if (isCelError(value) || !isReflectMessage(value, TimestampSchema)) return undefined;
  const { seconds, nanos } = value.message as { seconds?: unknown; nanos?: unknown };
  if (typeof seconds !== 'bigint' || typeof nanos !== 'number' || nanos % 1_000_000 !== 0) return undefined;
  const ms = Number(seconds) * 1000 + nanos / 1_000_000;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Deepest bracket nesting, counted over the raw text (brackets inside string literals count too: stricter, never looser). */
function bracketDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < source.length; i += 1) {
    const c = source.charCodeAt(i);
    if (c === 0x28 || c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if ((c === 0x29 || c === 0x5d || c === 0x7d) && depth > 0) depth -= 1;
  }
  return deepest;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}

const MISSING = Symbol('authz.missing');

function resolvePath(activation: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = activation;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, segment)) return MISSING;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * A loaded condition and its two evaluation paths: the compiled fast path, and the CEL library (`@bufbuild/cel`) for
 * everything else, behind the runtime input bounds. Internal: the engine calls `evaluate`; the public view is `info`.
 */
export class ConditionProgram {
  readonly info: CompiledCondition;
  readonly #limits: CelLimits;
  readonly #fast: FastCondition | undefined;
  readonly #planned: Planned;

  private constructor(info: CompiledCondition, limits: CelLimits, fast: FastCondition | undefined, planned: Planned) {
    this.info = info;
    this.#limits = limits;
    this.#fast = fast;
    this.#planned = planned;
  }

  /**
   * Parses, checks and plans `source` once. Throws a {@link ConditionRefusal} for a condition that is too long, too
   * deep, too costly, does not parse, reads an unknown variable or field, or calls a function outside the allowlist.
   * One program serves every rule with the same text (see `policy/compile.ts`).
   */
  static compile(source: string, limits: CelLimits): ConditionProgram {
    if (source.length > limits.maxConditionLength) {
      throw new ConditionRefusal('AUTHZ_CONDITION_TOO_COSTLY', `the condition is longer than maxConditionLength ${limits.maxConditionLength}`);
    }
    if (source.trim() === '') throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', 'the condition is empty');
    if (bracketDepth(source) > limits.maxConditionDepth) {
      throw new ConditionRefusal('AUTHZ_CONDITION_TOO_COSTLY', `brackets nest deeper than maxConditionDepth ${limits.maxConditionDepth}`);
    }
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(source);
    } catch (error) {
      if (error instanceof RangeError) throw new ConditionRefusal('AUTHZ_CONDITION_TOO_COSTLY', 'the condition nests too deeply to parse');
      throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', `the condition does not parse: ${describe(error)}`);
    }
    const { depth } = measureExpr(parsed.expr);
    if (depth > limits.maxConditionDepth) {
      throw new ConditionRefusal('AUTHZ_CONDITION_TOO_COSTLY', `the parsed condition is ${depth} levels deep (maxConditionDepth ${limits.maxConditionDepth})`);
    }
    let ast: CelExpr;
    try {
      ast = fromParsedExpr(parsed);
    } catch (error) {
      if (error instanceof UnsupportedExpressionError) throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', error.message);
      throw error;
    }
    if (ast.kind === 'list' || ast.kind === 'map' || (ast.kind === 'const' && ast.value.type !== 'bool')) {
      throw new ConditionRefusal('AUTHZ_CONDITION_INVALID', 'a condition must be a boolean expression');
    }
    const analysis = analyzeCondition(ast, limits);
    const planned = plan(environment, parsed) as Planned;
    const fast = compileFastPath(ast, limits, timestampLiteral);
    const info: CompiledCondition = Object.freeze({ source, ast, cost: analysis.cost, paths: analysis.paths, fastPath: fast !== undefined });
    return new ConditionProgram(info, limits, fast, planned);
  }

  /**
   * `true` when the condition holds. Throws {@link AuthzEvaluationError} when it cannot be decided: the CEL library
   * reported an error, the result is not a boolean, or a value it reads breaks the input bounds. `label` names the
   * rule (or derived role) in that error.
   */
  evaluate(frame: ConditionFrame, label: string): boolean {
    if (this.#fast !== undefined) {
      const decided = this.#fast(frame);
      if (decided !== FALLBACK) return decided;
    }
    const activation = frame.activation();
    for (const path of this.info.paths) {
      const value = resolvePath(activation, path);
      if (value === MISSING || frame.checkedInputs.includes(value)) continue;
      const refusal = checkInputBounds(value, this.#limits);
      if (refusal !== undefined) throw new AuthzEvaluationError(refusal.code, label, `${path.join('.')}: ${refusal.detail}`);
      if (typeof value === 'object' && value !== null) frame.checkedInputs.push(value);
    }
    let result: unknown;
    try {
      result = this.#planned(activation);
    } catch (error) {
      throw new AuthzEvaluationError('AUTHZ_CONDITION_FAILED', label, describe(error), { cause: error });
    }
    if (isCelError(result)) throw new AuthzEvaluationError('AUTHZ_CONDITION_FAILED', label, result.message);
    if (typeof result !== 'boolean') throw new AuthzEvaluationError('AUTHZ_CONDITION_NOT_BOOLEAN', label, `a ${typeof result}`);
    return result;
  }
}
