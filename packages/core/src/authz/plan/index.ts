export { planResources, type PlanOptions } from './planner.js';
export { planToSql, type PlanAttributeColumn, type PlanColumns, type PlanColumnType } from './sql.js';
export { AuthzPlanError, type AuthzPlanErrorCode } from './errors.js';
export type { PlanDeniedReason, PlanField, PlanFilter, PlanScalar, ResourcePlan } from './types.js';
