export { assertNoOperators, type AllowedClass, type NoOperatorsOptions } from './assert-no-operators.js';
export {
  eqFilter,
  inFilter,
  literal,
  DEFAULT_MAX_IN_ITEMS,
  type EqFilter,
  type FieldKinds,
  type InFilterOptions,
} from './builders.js';
export { NoSqlInjectionError, type NoSqlRefusal, type PathSegment } from './errors.js';
export { guardPipeline, guardQuery, SERVER_JAVASCRIPT_OPERATORS, type GuardQueryOptions } from './guard.js';
export {
  sanitizeFilterValue,
  DEFAULT_MAX_VALUE_LENGTH,
  type FilterPrimitive,
  type FilterValueKind,
  type FilterValueOf,
  type FilterValueOptions,
} from './values.js';
export { DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, type WalkLimits } from './walk.js';
