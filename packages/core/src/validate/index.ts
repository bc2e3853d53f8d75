export { compile, CompiledSchema, type CheckResult, type CompileOptions, type ValidationFailure } from './compile.js';
export { allowlistSchema, type AllowlistedSchema, type AllowlistLoosening } from './allowlist.js';
export { ValidationError } from './errors.js';
export { clientIssues, type ClientIssue, type ValidationIssue } from './issues.js';
export type { JsonSchema, JsonSchemaObject, JsonValue } from './json-value.js';
export { parseUntrustedJson, type UntrustedJsonOptions, type UntrustedJsonRefusal } from './json.js';
export { toOpenApiSchema, type OpenApiSchema } from './openapi.js';
export {
  untrustedJsonProblem,
  validationProblem,
  validationProblemBody,
  type ValidationProblem,
  type ValidationProblemBody,
  type ValidationProblemOptions,
} from './problem.js';
export { identifierProfile, normalizeIdentifier, type IdentifierProfile, type IdentifierProfileOptions, type IdentifierRefusal } from './identifier.js';
export { confusablesFromEntries, skeleton, unicodeConfusables, type ConfusablesData } from './confusables.js';
export { UNICODE_CONFUSABLES_VERSION } from './confusables-data.js';
export { meetsRestrictionLevel, resolvedScripts, type RestrictionLevel } from './scripts.js';
/** TypeBox, re-exported so schemas are built with the same version whose `Static` types `compile` returns. */
export { Type, type Static, type TSchema } from 'typebox';
