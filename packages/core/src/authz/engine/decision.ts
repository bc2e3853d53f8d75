import type { AuthzEvaluationError } from '../errors.js';
import type { Decision, DecisionReason } from '../model.js';

/** A frozen decision without timing: built once at load and returned as is by every check it answers. */
export function prebuiltDecision(
  reason: DecisionReason,
  policyVersion: string,
  policy?: string,
  rule?: string,
  field?: string,
): Decision {
  return Object.freeze({
    allowed: reason === 'rule_allowed',
    reason,
    policy,
    rule,
    policyVersion,
    field,
    error: undefined,
    evaluationNs: undefined,
  });
}

/** A condition error decision: always a deny, built when the (rare) error happens. */
export function conditionErrorDecision(policyVersion: string, policy: string | undefined, rule: string | undefined, error: AuthzEvaluationError): Decision {
  return Object.freeze({
    allowed: false,
    reason: 'condition_error',
    policy,
    rule,
    policyVersion,
    field: undefined,
    error,
    evaluationNs: undefined,
  });
}

/** The same decision with its evaluation time, for authorizers created with `timing: true`. */
export function withTiming(decision: Decision, evaluationNs: number): Decision {
  return Object.freeze({
    allowed: decision.allowed,
    reason: decision.reason,
    policy: decision.policy,
    rule: decision.rule,
    policyVersion: decision.policyVersion,
    field: decision.field,
    error: decision.error,
    evaluationNs,
  });
}

/**
 * The decision as flat, non-secret attributes for a `SecurityEvent` (audit trail): outcome, reason, deciding policy
 * and rule, policy version, the refused field and error code when there is one, and the timing when measured.
 */
export function decisionAuditAttributes(decision: Decision): Readonly<Record<string, string | number | boolean>> {
  const attributes: Record<string, string | number | boolean> = {
    allowed: decision.allowed,
    reason: decision.reason,
    policyVersion: decision.policyVersion,
  };
  if (decision.policy !== undefined) attributes.policy = decision.policy;
  if (decision.rule !== undefined) attributes.rule = decision.rule;
  if (decision.field !== undefined) attributes.field = decision.field;
  if (decision.error !== undefined) attributes.errorCode = decision.error.code;
  if (decision.evaluationNs !== undefined) attributes.evaluationNs = decision.evaluationNs;
  return attributes;
}
