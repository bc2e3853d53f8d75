export { PolicyTestError, type PolicyTestErrorCode } from './errors.js';
export { formatReport } from './format.js';
export { loadPolicyTests } from './load.js';
export { MAX_POLICY_TEST_FILE_LENGTH, parsePolicyTests } from './parse.js';
export { runPolicyTests, type RunPolicyTestsOptions } from './run.js';
export { POLICY_TEST_API_VERSION, PolicyTestFileSchema, type PolicyTestFile } from './schema.js';
export type {
  ActualDecision,
  ExpectedDecision,
  PolicyTestCase,
  PolicyTestFailure,
  PolicyTestReport,
  PolicyTestSource,
  PolicyTestSuite,
} from './types.js';
