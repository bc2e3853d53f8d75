export { Authorizer, type AuthorizerOptions } from './engine/authorizer.js';
export { decisionAuditAttributes } from './engine/decision.js';
export type { ConditionOutcome, DerivedRoleTrace, Explanation, FieldsOutcome, RuleTrace } from './engine/explain.js';
export {
  AuthzEvaluationError,
  AuthzPolicyError,
  type AuthzEvaluationErrorCode,
  type AuthzPolicyErrorCode,
} from './errors.js';
export type {
  AttributeValue,
  Attributes,
  CheckContext,
  Decision,
  DecisionReason,
  Principal,
  Resource,
} from './model.js';
export { compilePolicies, type CompilePoliciesOptions } from './policy/compile.js';
export { MAX_POLICY_DOCUMENT_LENGTH, parsePolicyDocument, type PolicySource } from './policy/parse.js';
export { POLICY_API_VERSION, PolicyDocumentSchema, type PolicyDocument } from './policy/schema.js';
export type {
  CompiledDerivedRole,
  CompiledPolicySet,
  CompiledResourceKind,
  CompiledRole,
  CompiledRule,
  LoadedDocument,
} from './policy/types.js';
export type { CelConstant, CelExpr, CelMacro } from './cel/ast.js';
export type { CompiledCondition } from './cel/condition.js';
export { DEFAULT_CEL_LIMITS, type CelLimits } from './cel/limits.js';
export { ROOT_FIELDS, type RootFieldType, type RootVariable } from './cel/variables.js';
export * from './plan/index.js';
export * from './testing/index.js';
export * from './reload/index.js';
