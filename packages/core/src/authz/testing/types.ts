import type { CheckContext, DecisionReason, Principal, Resource } from '../model.js';

/** A policy-test file to parse: its text (YAML or JSON), or a value already parsed. `source` names it in errors. */
export type PolicyTestSource =
  | {
      readonly source: string;
      readonly text: string;
      /** Default: `json` when `source` ends in `.json`, otherwise `yaml`. */
      readonly format?: 'yaml' | 'json';
    }
  | { readonly source: string; readonly document: unknown };

/** The decision a case expects. `reason` and `rule` are checked only when the file states them. */
export interface ExpectedDecision {
  readonly decision: 'allow' | 'deny';
  readonly reason: DecisionReason | undefined;
  /** As in `Decision.rule` (`resources/document/owner-edits-own`), or a resource rule's bare name (`owner-edits-own`). */
  readonly rule: string | undefined;
}

/** One case, fixtures resolved: each of `actions` is one check. */
export interface PolicyTestCase {
  readonly name: string;
  readonly principalName: string;
  readonly resourceName: string;
  readonly principal: Principal;
  readonly resource: Resource;
  readonly actions: readonly string[];
  /** The case's context, with the suite's `now` as `time` when the case gives none. */
  readonly context: CheckContext | undefined;
  readonly expected: ExpectedDecision;
}

/** One parsed test file. */
export interface PolicyTestSuite {
  readonly name: string;
  /** The file it came from (or the `source` given). */
  readonly source: string;
  readonly cases: readonly PolicyTestCase[];
}

/** What a check actually decided, as a failure reports it. */
export interface ActualDecision {
  readonly decision: 'allow' | 'deny';
  readonly reason: DecisionReason;
  readonly policy: string | undefined;
  readonly rule: string | undefined;
  /** For `field_not_allowed`: the refused field. */
  readonly field: string | undefined;
  /** For `condition_error`: the evaluation error's code. */
  readonly errorCode: string | undefined;
  readonly policyVersion: string;
}

/** A check whose decision differed from the expectation. */
export interface PolicyTestFailure {
  readonly suite: string;
  readonly source: string;
  readonly case: string;
  readonly action: string;
  readonly expected: ExpectedDecision;
  readonly actual: ActualDecision;
  /** Which parts differed. */
  readonly mismatches: readonly ('decision' | 'reason' | 'rule')[];
}

/** The outcome of a run. Counts are checks: a case with three actions is three checks. */
export interface PolicyTestReport {
  readonly total: number;
  readonly passed: number;
  readonly failed: readonly PolicyTestFailure[];
  /** `version` and `digest` of the policy set the tests ran against. */
  readonly policyVersion: string;
  readonly policyDigest: string;
}
