import { Authorizer, type AuthorizerOptions } from '../engine/authorizer.js';
import type { Decision } from '../model.js';
import type { CompiledPolicySet } from '../policy/types.js';
import type { ActualDecision, ExpectedDecision, PolicyTestCase, PolicyTestFailure, PolicyTestReport, PolicyTestSuite } from './types.js';

export interface RunPolicyTestsOptions {
  /** Options of the authorizer the tests run on; `clock` is the request time of cases without `now` or `context.time`. */
  readonly authorizer?: AuthorizerOptions;
}

function actualOf(decision: Decision): ActualDecision {
  return Object.freeze({
    decision: decision.allowed ? 'allow' : 'deny',
    reason: decision.reason,
    policy: decision.policy,
    rule: decision.rule,
    field: decision.field,
    errorCode: decision.error?.code,
    policyVersion: decision.policyVersion,
  });
}

/** A bare rule name stands for the resource rule of the case's kind: `owner-edits-own` is `resources/document/owner-edits-own`. */
function ruleMatches(expected: string, actual: string | undefined, kind: string): boolean {
  return actual !== undefined && (actual === expected || actual === `resources/${kind}/${expected}`);
}

function mismatchesOf(expected: ExpectedDecision, actual: ActualDecision, testCase: PolicyTestCase): ('decision' | 'reason' | 'rule')[] {
  const mismatches: ('decision' | 'reason' | 'rule')[] = [];
  if (expected.decision !== actual.decision) mismatches.push('decision');
  if (expected.reason !== undefined && expected.reason !== actual.reason) mismatches.push('reason');
  if (expected.rule !== undefined && !ruleMatches(expected.rule, actual.rule, testCase.resource.kind)) mismatches.push('rule');
  return mismatches;
}

/**
 * Runs policy tests against a compiled policy set (or an authorizer built on one): every action of every case is one
 * `check()`, compared with the expected decision, and with the reason and deciding rule where the case names them.
 * Protects against policy changes that silently widen or narrow access: a rule edit that lets a viewer delete, or
 * makes an owner lose access, fails the suite with the actual decision's reason, policy and rule.
 */
export function runPolicyTests(policies: CompiledPolicySet | Authorizer, suites: readonly PolicyTestSuite[], options: RunPolicyTestsOptions = {}): PolicyTestReport {
  const authorizer = policies instanceof Authorizer ? policies : new Authorizer(policies, options.authorizer);
  let total = 0;
  const failed: PolicyTestFailure[] = [];
  for (const suite of suites) {
    for (const testCase of suite.cases) {
      for (const action of testCase.actions) {
        total += 1;
        const actual = actualOf(authorizer.check(testCase.principal, action, testCase.resource, testCase.context));
        const mismatches = mismatchesOf(testCase.expected, actual, testCase);
        if (mismatches.length > 0) {
          failed.push(Object.freeze({ suite: suite.name, source: suite.source, case: testCase.name, action, expected: testCase.expected, actual, mismatches }));
        }
      }
    }
  }
  return Object.freeze({
    total,
    passed: total - failed.length,
    failed: Object.freeze(failed),
    policyVersion: authorizer.policies.version,
    policyDigest: authorizer.policies.digest,
  });
}
