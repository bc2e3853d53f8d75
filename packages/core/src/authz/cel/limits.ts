import { ConfigurationError } from '../../errors.js';
import { securityEvent, type SecurityEventSink } from '../../events.js';

/**
 * Bounds that keep a condition from hanging a request. The load-time bounds refuse a policy; the input bounds are
 * checked at run time on every value a condition reads through the CEL library, and the static cost estimate assumes
 * them, so together they bound the work of every evaluation. Raising any of them is a named loosening.
 */
export interface CelLimits {
  /** Longest condition source, in UTF-16 code units. The CEL parser is super-linear on adversarial input. */
  readonly maxConditionLength: number;
  /** Deepest bracket nesting in the source and deepest node in the parsed tree. */
  readonly maxConditionDepth: number;
  /** Largest static cost estimate (see README, "Cost bound"); about one unit per evaluation step. */
  readonly maxConditionCost: number;
  /** Most elements of a list (or entries of a map) a condition may read at run time. */
  readonly maxInputListSize: number;
  /** Longest string a condition may read at run time. */
  readonly maxInputStringLength: number;
  /** Deepest nesting of attribute values a condition may read at run time. */
  readonly maxInputDepth: number;
  /** Most values (all levels together) in one attribute tree a condition reads at run time. */
  readonly maxInputNodes: number;
}

export const DEFAULT_CEL_LIMITS: CelLimits = Object.freeze({
  maxConditionLength: 1024,
  maxConditionDepth: 32,
  maxConditionCost: 100_000,
  maxInputListSize: 1000,
  maxInputStringLength: 4096,
  maxInputDepth: 16,
  maxInputNodes: 10_000,
});

const CEILINGS: CelLimits = {
  maxConditionLength: 16_384,
  maxConditionDepth: 128,
  maxConditionCost: 10_000_000,
  maxInputListSize: 1_000_000,
  maxInputStringLength: 1_048_576,
  maxInputDepth: 64,
  maxInputNodes: 10_000_000,
};

/**
 * Merges `overrides` into the defaults. A value above the default is a loosening and is reported once as a
 * `config.loosened` event; a value that is not a positive whole number, or above a hard ceiling that no policy needs,
 * is a `ConfigurationError`.
 */
export function resolveCelLimits(overrides: Partial<CelLimits> | undefined, events: SecurityEventSink | undefined): CelLimits {
  const limits: Record<keyof CelLimits, number> = { ...DEFAULT_CEL_LIMITS };
  for (const key of Object.keys(DEFAULT_CEL_LIMITS) as (keyof CelLimits)[]) {
    const value = overrides?.[key];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 1 || value > CEILINGS[key]) {
      throw new ConfigurationError(`authz: ${key} must be a whole number from 1 to ${CEILINGS[key]}`);
    }
    if (value > DEFAULT_CEL_LIMITS[key]) events?.(securityEvent('config.loosened', undefined, { control: 'authz', option: key, value }));
    limits[key] = value;
  }
  for (const key of Object.keys(overrides ?? {})) {
    if (!(key in DEFAULT_CEL_LIMITS)) throw new ConfigurationError(`authz: unknown limit "${key}"`);
  }
  return Object.freeze(limits);
}
