import { systemClock, type Clock } from '../../clock.js';
import { isWellFormedRequest, isWellFormedResource } from './well-formed.js';
import { ConfigurationError } from '../../errors.js';
import { AuthzEvaluationError } from '../errors.js';
import type { CheckContext, Decision, Principal, Resource } from '../model.js';
import { runtimeIndexOf } from '../policy/compile.js';
import type { CompiledPolicySet } from '../policy/types.js';
import { conditionErrorDecision, withTiming } from './decision.js';
import { explainCheck, type Explanation } from './explain.js';
import type { ActionPlan, KindPlan, RuntimeIndex, RuntimeRule } from './runtime-index.js';
import { CheckState } from './state.js';
import { DIRECT_BITS, EVALUATE, NO_RULE, type RoleProgram, type VerdictTable } from './verdicts.js';

export interface AuthorizerOptions {
  /**
   * Measure every check into `decision.evaluationNs` (`process.hrtime.bigint()` around the evaluation). Off by default:
   * two clock reads and a fresh decision object cost more than a whole RBAC check. `explain()` always measures.
   */
  readonly timing?: boolean;
  /** Source of `request.time` when the check's context has no `time`. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Decide from the policy set's verdict table where it can (default `true`): precomputed per action and role, it
   * gives the same decisions as evaluating the rules. `false` evaluates every check rule by rule — the reference the
   * table is tested against, and a switch to rule the table out when investigating a decision.
   */
  readonly tabulate?: boolean;
}

/**
 * The decision engine: default deny, deny overrides allow, roles bound per tenant, scopes that only narrow, and a
 * reason (policy, rule, version) in every decision. Built on one immutable {@link CompiledPolicySet}; to reload
 * policies, build a new authorizer and swap the reference.
 *
 * Protects against broken object-level, property-level and function-level authorization (OWASP API1/API3/API5): what
 * no rule allows is denied, for every principal, resource, action and field, and a condition that cannot be evaluated
 * (including one stopped by the cost bounds) denies.
 */
export class Authorizer {
  /** The policy set this authorizer decides with. */
  readonly policies: CompiledPolicySet;
  readonly #index: RuntimeIndex;
  readonly #verdicts: VerdictTable | undefined;
  readonly #state: CheckState;
  readonly #timing: boolean;
  readonly #clock: Clock;
  #busy = false;

  constructor(policies: CompiledPolicySet, options: AuthorizerOptions = {}) {
    const index = runtimeIndexOf(policies);
    if (index === undefined) throw new ConfigurationError('authz: the policy set must come from compilePolicies()');
    this.policies = policies;
    this.#index = index;
    this.#verdicts = options.tabulate === false ? undefined : index.verdicts;
    this.#clock = options.clock ?? systemClock;
    this.#state = new CheckState(index, this.#clock);
    this.#timing = options.timing === true;
  }

  /**
   * May `principal` perform `action` on `resource`? Returns the decision with its reason; never throws for any input
   * (malformed input is `invalid_request`, a failing condition is `condition_error`, both denied).
   */
  check(principal: Principal, action: string, resource: Resource, context?: CheckContext): Decision {
    if (!this.#timing) return this.#decide(principal, action, resource, context);
    const start = process.hrtime.bigint();
    const decision = this.#decide(principal, action, resource, context);
    return withTiming(decision, Number(process.hrtime.bigint() - start));
  }

  /** `check(...).allowed`, for call sites that only branch. */
  can(principal: Principal, action: string, resource: Resource, context?: CheckContext): boolean {
    return this.#decide(principal, action, resource, context).allowed;
  }

  /**
   * Decisions for every resource × action, `result[r][a]` for `resources[r]` and `actions[a]`: one call for a list
   * page that shows which rows may be edited or deleted.
   */
  checkMany(principal: Principal, actions: readonly string[], resources: readonly Resource[], context?: CheckContext): Decision[][] {
    return resources.map((resource) => actions.map((action) => this.check(principal, action, resource, context)));
  }

  /** The resources `principal` may `action`, in order: list filtering after loading rows. */
  filter<R extends Resource>(principal: Principal, action: string, resources: readonly R[], context?: CheckContext): R[] {
    return resources.filter((resource) => this.#decide(principal, action, resource, context).allowed);
  }

  /**
   * The full trace of a check: bound and effective roles, derived roles, scopes, and every rule for the kind and
   * action with whether its roles, fields and condition matched. The decision is exactly `check()`'s (timed); the
   * trace evaluates every rule, including those `check()` did not need.
   */
  explain(principal: Principal, action: string, resource: Resource, context?: CheckContext): Explanation {
    const start = process.hrtime.bigint();
    const decision = this.#decide(principal, action, resource, context);
    const timed = withTiming(decision, Number(process.hrtime.bigint() - start));
    // The trace runs on its own scratch state: explain is not a hot path, and conditions may re-enter check().
    return explainCheck(this.#index, new CheckState(this.#index, this.#clock), timed, principal, action, resource, context);
  }

  #decide(principal: Principal, action: string, resource: Resource, context: CheckContext | undefined): Decision {
    if (!this.#busy) {
      this.#busy = true;
      try {
        return this.#decideWith(this.#state, principal, action, resource, context);
      } finally {
        this.#busy = false;
      }
    }
    // Re-entered (a getter in the attributes or a custom clock called back): the shared scratch state is in use.
    return this.#decideWith(new CheckState(this.#index, this.#clock), principal, action, resource, context);
  }

  #decideWith(state: CheckState, principal: Principal, action: string, resource: Resource, context: CheckContext | undefined): Decision {
    const index = this.#index;
    const fixed = index.decisions;
    if (!isWellFormedRequest(principal, action, context) || !isWellFormedResource(resource)) return fixed.invalidRequest;
    // Kind and action by number through two small, hot maps: a check that names no fields or scopes reads the verdict
    // table without touching the kind's or the plan's objects (each a cache miss in a large policy set).
    const kindNumber = index.kindNumbers.get(resource.kind);
    if (kindNumber === undefined) return fixed.unknownResourceKind;
    const actionNumber = index.actionNumbers.get(action);
    const planNumber = actionNumber === undefined ? -1 : (index.planNumbers[kindNumber * index.actionNumbers.size + actionNumber] ?? -1);
    if (planNumber < 0) return fixed.unknownAction;
    const fields = context?.fields;
    if (fields !== undefined && !state.bindFields(fields, index.kindList[kindNumber]?.fieldIndex ?? NO_FIELDS)) return fixed.unknownField;
    const scopes = context?.scopes;
    if (scopes !== undefined && !coversAction(index.plans[planNumber], scopes)) return fixed.scopeNotGranted;
    if (!state.bindRoles(principal, resource)) return fixed.invalidRequest;
    if (state.boundCount === 0) return fixed.noRoleInTenant;
    const row = planNumber * index.roleCount;
    const verdicts = this.#verdicts;
    let program: RoleProgram | undefined;
    let several = false;
    if (fields === undefined && verdicts !== undefined) {
      if (state.boundCount === 1) {
        const code = verdicts.codes[row + (state.bound[0] ?? 0)] ?? EVALUATE;
        if (code >= verdicts.programBase) program = verdicts.programs[code - verdicts.programBase];
        else if (code === NO_RULE) return fixed.noRuleMatched;
        else if (code !== EVALUATE) return verdicts.decisions[code - 2] ?? fixed.noRuleMatched;
      } else {
        several = true;
      }
    }
    state.begin(principal, resource, action, context);

    let rule: RuntimeRule | undefined;
    try {
      if (several && verdicts !== undefined) {
        const merged = multiRoleDecision(verdicts, row, state, fixed.noRuleMatched);
        if (merged !== undefined) return merged;
      }
      if (program !== undefined) {
        // Rules the role meets directly need only their condition; the others (derived roles) are checked in full.
        const denies = program.denies;
        for (let i = 0; i < denies.length; i += 1) {
          rule = denies[i];
          if (rule !== undefined && (i < DIRECT_BITS && ((program.denyDirect >> i) & 1) === 1 ? conditionHolds(rule, state) : holds(rule, state))) return rule.decision;
        }
        if (program.allow !== undefined) return program.allow.decision;
        const allows = program.allows;
        for (let i = 0; i < allows.length; i += 1) {
          rule = allows[i];
          if (rule !== undefined && (i < DIRECT_BITS && ((program.allowDirect >> i) & 1) === 1 ? conditionHolds(rule, state) : holds(rule, state))) return rule.decision;
        }
        return fixed.noRuleMatched;
      }
      const plan = index.plans[planNumber];
      const kind = index.kindList[kindNumber];
      if (plan === undefined || kind === undefined) return fixed.unknownAction;
      const denies = plan.denies;
      for (let i = 0; i < denies.length; i += 1) {
        rule = denies[i];
        if (rule !== undefined && deniesFields(rule, fields, state) && holds(rule, state)) return rule.decision;
      }
      const direct = firstDirectAllow(plan, state);
      if (direct !== undefined) return direct.decision;
      if (fields === undefined) {
        const others = plan.otherAllows;
        for (let i = 0; i < others.length; i += 1) {
          rule = others[i];
          if (rule !== undefined && rule.fields === undefined && holds(rule, state)) return rule.decision;
        }
        return fixed.noRuleMatched;
      }
      return coverFields(
        plan,
        kind,
        state,
        (candidate) => {
          rule = candidate;
          return holds(candidate, state);
        },
        fixed.noRuleMatched,
      );
    } catch (error) {
      if (error instanceof AuthzEvaluationError) {
        const failed = rule ?? state.evaluating;
        return conditionErrorDecision(index.version, failed?.info.policy, failed?.info.name, error);
      }
      throw error;
    }
  }
}

const NO_FIELDS: ReadonlyMap<string, number> = new Map();

function coversAction(plan: ActionPlan | undefined, scopes: readonly string[]): boolean {
  if (plan === undefined) return false;
  for (let i = 0; i < scopes.length; i += 1) {
    const scope = scopes[i];
    if (typeof scope === 'string' && plan.scopes.has(scope)) return true;
  }
  return false;
}

/**
 * Appends `rules` to `list` from `count` on, and in `direct` whether the role meets each directly (bit `i` of
 * `directMask`); returns the new count.
 */
function append(list: RuntimeRule[], direct: number[], count: number, rules: readonly RuntimeRule[], directMask: number): number {
  let n = count;
  for (let i = 0; i < rules.length; i += 1) {
    const rule = rules[i];
    if (rule === undefined) continue;
    direct[n] = i < DIRECT_BITS ? (directMask >> i) & 1 : 0;
    list[n++] = rule;
  }
  return n;
}

/**
 * Sorts the first `count` rules of `list` (and their `direct` flags) into evaluation (document) order: insertion
 * sort, the lists are a few rules long.
 */
function sortByOrder(list: RuntimeRule[], direct: number[], count: number): void {
  for (let i = 1; i < count; i += 1) {
    const rule = list[i];
    const flag = direct[i] ?? 0;
    if (rule === undefined) continue;
    let j = i - 1;
    for (; j >= 0 && (list[j]?.order ?? 0) > rule.order; j -= 1) {
      list[j + 1] = list[j] ?? rule;
      direct[j + 1] = direct[j] ?? 0;
    }
    list[j + 1] = rule;
    direct[j + 1] = flag;
  }
}

/**
 * The first of the first `count` rules of `list` (in order, repeats skipped) that holds: its condition alone where a
 * bound role meets it directly, roles and condition otherwise. Either check is exact for a repeat's other flag too.
 */
function firstHolding(list: RuntimeRule[], direct: number[], count: number, state: CheckState): RuntimeRule | undefined {
  let previous: RuntimeRule | undefined;
  for (let i = 0; i < count; i += 1) {
    const rule = list[i];
    if (rule === undefined || rule === previous) continue;
    previous = rule;
    state.evaluating = rule;
    if (direct[i] === 1 ? conditionHolds(rule, state) : holds(rule, state)) return rule;
  }
  return undefined;
}

/**
 * Several bound roles, no fields: the union of what each role's table entry can meet — the denies in document order
 * (the first that holds decides), then the earliest unconditional allow, then the conditional allows in order — which
 * is what the rule loop finds, since no role meets a rule outside its entry. `undefined` when a role has no entry
 * (evaluate the plan). Call after `state.begin()`; `state.evaluating` names the rule whose condition is running.
 */
function multiRoleDecision(verdicts: VerdictTable, row: number, state: CheckState, noRule: Decision): Decision | undefined {
  const codes = verdicts.codes;
  const bound = state.bound;
  const denies = state.denyCandidates;
  const direct = state.candidateDirect;
  let denyCount = 0;
  let allow: RuntimeRule | undefined;
  let conditional = false;
  for (let i = 0; i < state.boundCount; i += 1) {
    const code = codes[row + (bound[i] ?? 0)] ?? EVALUATE;
    if (code === EVALUATE) return undefined;
    if (code === NO_RULE) continue;
    if (code >= verdicts.programBase) {
      const program = verdicts.programs[code - verdicts.programBase];
      if (program === undefined) return undefined;
      denyCount = append(denies, direct, denyCount, program.denies, program.denyDirect);
      const first = program.allow;
      if (first !== undefined) {
        if (allow === undefined || first.order < allow.order) allow = first;
      } else if (program.allows.length > 0) {
        conditional = true;
      }
      continue;
    }
    const rule = verdicts.rules[code - 2];
    if (rule === undefined) return undefined;
    if (!rule.decision.allowed) {
      direct[denyCount] = 1;
      denies[denyCount++] = rule;
    }
    else if (allow === undefined || rule.order < allow.order) allow = rule;
  }
  if (denyCount > 0) {
    sortByOrder(denies, direct, denyCount);
    const deny = firstHolding(denies, direct, denyCount, state);
    if (deny !== undefined) return deny.decision;
  }
  if (allow !== undefined) return allow.decision;
  if (!conditional) return noRule;
  const allows = state.allowCandidates;
  let allowCount = 0;
  for (let i = 0; i < state.boundCount; i += 1) {
    const code = codes[row + (bound[i] ?? 0)] ?? EVALUATE;
    const program = code >= verdicts.programBase ? verdicts.programs[code - verdicts.programBase] : undefined;
    if (program !== undefined) allowCount = append(allows, direct, allowCount, program.allows, program.allowDirect);
  }
  sortByOrder(allows, direct, allowCount);
  return firstHolding(allows, direct, allowCount, state)?.decision ?? noRule;
}

/** Whether the principal satisfies the rule's roles (regular, `*`, or derived) and its condition holds. */
export function holds(rule: RuntimeRule, state: CheckState): boolean {
  let applies = rule.anyRole;
  const roles = rule.roles;
  if (!applies && roles !== undefined) {
    for (let i = 0; i < state.boundCount; i += 1) {
      if (roles.has(state.bound[i] ?? 0)) {
        applies = true;
        break;
      }
    }
  }
  if (!applies) {
    const derived = rule.derived;
    for (let i = 0; i < derived.length; i += 1) {
      const role = derived[i];
      if (role !== undefined && state.derivedHolds(role)) {
        applies = true;
        break;
      }
    }
  }
  if (!applies) return false;
  return conditionHolds(rule, state);
}

/** The rule's condition alone (for a rule whose roles are known to be satisfied). */
function conditionHolds(rule: RuntimeRule, state: CheckState): boolean {
  return rule.condition === undefined || rule.condition.evaluate(state, rule.label);
}

/** A field-level deny applies when the request touches one of its fields, or does not say which fields it touches. */
export function deniesFields(rule: RuntimeRule, requested: readonly string[] | undefined, state: CheckState): boolean {
  const covered = rule.fields;
  if (covered === undefined || requested === undefined) return true;
  for (let i = 0; i < state.fieldCount; i += 1) if (covered[state.fields[i] ?? 0] === 1) return true;
  return false;
}

function firstDirectAllow(plan: ActionPlan, state: CheckState): RuntimeRule | undefined {
  let best = plan.anyRoleAllow;
  const direct = plan.directAllow;
  // The common case, one bound role and no `*` grant: a single array read.
  if (state.boundCount === 1 && best === undefined) return direct[state.bound[0] ?? 0];
  for (let i = 0; i < state.boundCount; i += 1) {
    const rule = direct[state.bound[i] ?? 0];
    if (rule !== undefined && (best === undefined || rule.order < best.order)) best = rule;
  }
  return best;
}

/**
 * Field-level allow: every requested field must be covered by some matching allow rule (a rule without `fields`
 * covers all). If allow rules matched but a field stays uncovered, the first such field is named in a
 * `field_not_allowed` decision; if none matched, nothing was allowed at all (`no_rule_matched`).
 */
function coverFields(plan: ActionPlan, kind: KindPlan, state: CheckState, matches: (rule: RuntimeRule) => boolean, noRule: Decision): Decision {
  const stamp = state.stamp;
  let remaining = 0;
  for (let i = 0; i < state.fieldCount; i += 1) {
    const field = state.fields[i] ?? 0;
    if (state.coveredStamp[field] !== stamp) remaining += 1;
    // `coveredStamp[field] === stamp`: requested and not yet covered in this check.
    state.coveredStamp[field] = stamp;
  }
  let matched = false;
  for (const rule of plan.otherAllows) {
    if (!matches(rule)) continue;
    matched = true;
    const covered = rule.fields;
    if (covered === undefined) return rule.decision;
    for (let i = 0; i < state.fieldCount; i += 1) {
      const field = state.fields[i] ?? 0;
      if (covered[field] === 1 && state.coveredStamp[field] === stamp) {
        state.coveredStamp[field] = stamp - 1;
        remaining -= 1;
      }
    }
    if (remaining === 0) return rule.decision;
  }
  if (!matched) return noRule;
  for (let i = 0; i < state.fieldCount; i += 1) {
    const field = state.fields[i] ?? 0;
    const denied = kind.fieldDenied[field];
    if (state.coveredStamp[field] === stamp && denied !== undefined) return denied;
  }
  return noRule;
}
