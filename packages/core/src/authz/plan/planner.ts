import { systemClock, type Clock } from '../../clock.js';
import { checkInputBounds } from '../cel/input.js';
import type { CompiledCondition } from '../cel/condition.js';
import { MAX_BOUND_ROLES } from '../engine/state.js';
import { isWellFormedRequest } from '../engine/well-formed.js';
import type { CheckContext, Principal } from '../model.js';
import type { CompiledPolicySet, CompiledRule } from '../policy/types.js';
import { and, compare, FALSE, isNull, KNOWN_ERROR, not, oneOf, or, present, triAndThen, triOf, triOrElse, TRUE, type Filter, type Tri } from './filter.js';
import { KnownFrame } from './known.js';
import { ConditionTranslator } from './translate.js';
import type { PlanDeniedReason, ResourcePlan } from './types.js';

export interface PlanOptions {
  /** Source of `request.time` when the context has no `time`. Default: the system clock. */
  readonly clock?: Clock;
}

/** The principal and context checks of `check` (the row's own checks become the tenant cases). */
function isWellFormed(principal: Principal, action: unknown, kind: unknown, context: CheckContext | undefined): boolean {
  return typeof kind === 'string' && isWellFormedRequest(principal, action, context);
}

/** One way the row's tenant can relate to the principal: the filter selecting those rows, and the roles bound there. */
interface TenantCase {
  readonly rows: Filter;
  /** Bound roles (known to the policy), or `undefined` when the binding is malformed (`check` says invalid_request). */
  readonly bound: readonly string[] | undefined;
}

const TENANT = { kind: 'tenant' } as const;

function bind(set: CompiledPolicySet, list: unknown, globalOnly: boolean, into: string[]): boolean {
  if (list === undefined) return true;
  if (!Array.isArray(list) || list.length > MAX_BOUND_ROLES) return false;
  for (const name of list as unknown[]) {
    if (typeof name !== 'string') return false;
    const role = set.roles.get(name);
    if (role !== undefined && (!globalOnly || role.global)) into.push(name);
  }
  return true;
}

/**
 * The tenant cases of `bindRoles`: rows without a tenant, rows in each tenant the principal names (its own, each own
 * key of `tenantRoles`), and rows in any other tenant (global roles only). Rows are taken to be valid resources: a
 * tenant is NULL or a non-empty string (`check` refuses `''`; keep it out with a CHECK constraint).
 */
function tenantCases(set: CompiledPolicySet, principal: Principal): TenantCase[] {
  const home = principal.tenant ?? undefined;
  const tenantRoles = (principal.tenantRoles ?? undefined) as Readonly<Record<string, unknown>> | undefined;
  const named = new Set<string>();
  if (home !== undefined) named.add(home);
  if (tenantRoles !== undefined) for (const key of Object.getOwnPropertyNames(tenantRoles)) if (key !== '') named.add(key);
  const bindFor = (tenant: string | undefined): readonly string[] | undefined => {
    const bound: string[] = [];
    if (tenant === home && !bind(set, principal.roles, false, bound)) return undefined;
    if (tenant !== undefined && tenantRoles !== undefined && Object.hasOwn(tenantRoles, tenant) && !bind(set, tenantRoles[tenant], false, bound)) return undefined;
    return bind(set, principal.globalRoles, true, bound) ? bound : undefined;
  };
  const cases: TenantCase[] = [{ rows: isNull(TENANT), bound: bindFor(undefined) }];
  for (const tenant of named) cases.push({ rows: compare('eq', TENANT, tenant), bound: bindFor(tenant) });
  const globals: string[] = [];
  cases.push({ rows: and(present(TENANT), not(oneOf(TENANT, [...named]))), bound: bind(set, principal.globalRoles, true, globals) ? globals : undefined });
  return cases;
}

/** Roles held in a tenant case, inheritance included: what `principal.roles` is in CEL. */
function effectiveRoles(set: CompiledPolicySet, bound: readonly string[]): ReadonlySet<string> {
  const names = new Set<string>();
  for (const name of bound) for (const ancestor of set.roles.get(name)?.ancestors ?? []) names.add(ancestor);
  return names;
}

class CasePlanner {
  readonly untranslated = new Set<string>();
  readonly #set: CompiledPolicySet;
  readonly #frame: KnownFrame;
  readonly #bound: ReadonlySet<string>;
  readonly #effective: ReadonlySet<string>;
  readonly #derived = new Map<string, Tri>();
  readonly #conditions = new Map<CompiledCondition, Tri>();
  readonly #boundsRefused: boolean;

  constructor(set: CompiledPolicySet, frame: KnownFrame, bound: readonly string[], effective: ReadonlySet<string>) {
    this.#set = set;
    this.#frame = frame;
    this.#bound = new Set(bound);
    this.#effective = effective;
    // As `check`: a principal attribute beyond the input bounds makes every condition reading it an error.
    const attributes = frame.principal.attributes;
    this.#boundsRefused = attributes !== undefined && checkInputBounds(attributes, set.limits) !== undefined;
  }

  #condition(condition: CompiledCondition, label: string): Tri {
    const cached = this.#conditions.get(condition);
    if (cached !== undefined) return cached;
    let tri: Tri;
    if (this.#boundsRefused && condition.paths.some((path) => path[0] === 'principal' && path[1] === 'attributes')) {
      tri = KNOWN_ERROR;
    } else {
      const translator = new ConditionTranslator(this.#frame, condition.source);
      tri = translator.condition(condition.ast);
      if (translator.opaque) this.untranslated.add(label);
    }
    this.#conditions.set(condition, tri);
    return tri;
  }

  #derivedRole(name: string): Tri {
    const cached = this.#derived.get(name);
    if (cached !== undefined) return cached;
    const derived = this.#set.derivedRoles.get(name);
    let tri = triOf(false);
    if (derived !== undefined && derived.parentRoles.some((parent) => this.#effective.has(parent))) {
      tri = this.#condition(derived.condition, `derived role ${name}`);
    }
    this.#derived.set(name, tri);
    return tri;
  }

  /** `holds(rule)`: regular roles (no CEL), else the derived roles left to right (an error stops), then the condition. */
  holds(rule: CompiledRule): Tri {
    let roles: Tri = triOf(rule.anyRole || rule.grantedRoles.some((role) => this.#bound.has(role)));
    if (roles.whenTrue !== TRUE) {
      roles = triOf(false);
      for (let i = rule.derivedRoles.length - 1; i >= 0; i -= 1) roles = triOrElse(this.#derivedRole(rule.derivedRoles[i] ?? ''), roles);
    }
    return rule.condition === undefined ? roles : triAndThen(roles, this.#condition(rule.condition, rule.name));
  }

  directAllow(rule: CompiledRule): boolean {
    return rule.condition === undefined && rule.fields === undefined && (rule.anyRole || rule.grantedRoles.some((role) => this.#bound.has(role)));
  }
}

function deniesFields(rule: CompiledRule, requested: readonly string[] | undefined): boolean {
  return rule.fields === undefined || requested === undefined || requested.some((field) => rule.fields?.includes(field) === true);
}

/**
 * The rows one tenant case allows, following `check` step by step: every deny rule must be definitely false (an
 * applying or failing deny denies), then an unconditional role grant allows, else the remaining allow rules in
 * document order, where the first that fails stops the loop and, with `fields`, every field must be covered.
 */
function caseFilter(rules: readonly CompiledRule[], planner: CasePlanner, fields: readonly string[] | undefined): Filter {
  const denies = rules.filter((rule) => rule.effect === 'deny' && deniesFields(rule, fields));
  const noDeny = and(...denies.map((rule) => planner.holds(rule).whenFalse));
  if (noDeny === FALSE) return FALSE;
  const allows = rules.filter((rule) => rule.effect === 'allow');
  if (allows.some((rule) => planner.directAllow(rule))) return noDeny;
  const others = allows.filter((rule) => (rule.condition !== undefined || rule.fields !== undefined || rule.derivedRoles.length > 0) && (fields !== undefined || rule.fields === undefined));
  const outcomes = others.map((rule) => planner.holds(rule));
  const alternatives: Filter[] = [];
  let noErrorBefore: Filter = TRUE;
  for (let i = 0; i < others.length && noErrorBefore !== FALSE; i += 1) {
    const outcome = outcomes[i] ?? KNOWN_ERROR;
    // Allowed at rule i: nothing before failed, rule i applies, and the rules up to i that apply cover every field.
    const covered = (fields ?? []).map((field) =>
      or(...others.slice(0, i + 1).map((rule, j) => (rule.fields === undefined || rule.fields.includes(field) ? (outcomes[j] ?? KNOWN_ERROR).whenTrue : FALSE))),
    );
    alternatives.push(and(noErrorBefore, outcome.whenTrue, ...covered));
    noErrorBefore = and(noErrorBefore, or(outcome.whenTrue, outcome.whenFalse));
  }
  return and(noDeny, or(...alternatives));
}

function denied(reason: PlanDeniedReason, untranslated: readonly string[] = []): ResourcePlan {
  return Object.freeze({ kind: 'always_denied', reason, untranslated: Object.freeze([...untranslated]) });
}

/**
 * Which rows of kind `kind` may `principal` `action`? Returns a plan to push into the database instead of loading
 * every row and calling `check()` on each (Cerbos's PlanResources): everything known now (principal, its roles per
 * tenant, scopes, fields, time, request) is evaluated away, what depends on the row (`owner`, `tenant`, `id`,
 * `attributes.*`) remains as a {@link PlanFilter}.
 *
 * Protects list endpoints against broken object-level authorization at scale: the filter has `check`'s semantics
 * (default deny, deny overrides allow, tenant-bound roles, scopes that only narrow, derived roles, and a failing
 * condition denies), and where a condition cannot be translated the plan fails closed: the rule is treated as failing
 * (an allow that does not apply and stops later allows, a deny that applies), and `untranslated` names it.
 */
export function planResources(
  set: CompiledPolicySet,
  principal: Principal,
  action: string,
  kind: string,
  context?: CheckContext,
  options: PlanOptions = {},
): ResourcePlan {
  if (!isWellFormed(principal, action, kind, context)) return denied('invalid_request');
  const resourceKind = set.resourceKinds.get(kind);
  if (resourceKind === undefined) return denied('unknown_resource_kind');
  if (!resourceKind.actions.includes(action)) return denied('unknown_action');
  const fields = context?.fields;
  if (fields !== undefined && !fields.every((field) => typeof field === 'string' && resourceKind.fields.includes(field))) return denied('unknown_field');
  const scopes = context?.scopes;
  if (scopes !== undefined) {
    const covering = set.scopesFor(kind, action);
    if (!scopes.some((scope) => typeof scope === 'string' && covering.includes(scope))) return denied('scope_not_granted');
  }
  const rules = set.rulesFor(kind, action);
  const nowMs = context?.time?.getTime() ?? (options.clock ?? systemClock).now();
  const untranslated = new Set<string>();
  const byFilter = new Map<string, { filter: Filter; rows: Filter[] }>();
  let anyRole = false;
  const cases = tenantCases(set, principal);
  for (const tenantCase of cases) {
    if (tenantCase.bound === undefined || tenantCase.bound.length === 0) continue;
    anyRole = true;
    const effective = effectiveRoles(set, tenantCase.bound);
    const frame = new KnownFrame(principal, kind, action, context, nowMs, effective);
    const planner = new CasePlanner(set, frame, tenantCase.bound, effective);
    const filter = caseFilter(rules, planner, fields);
    for (const name of planner.untranslated) untranslated.add(name);
    if (filter === FALSE) continue;
    // Tenant cases with the same filter share one `tenant IN (…)` test.
    const key = JSON.stringify(filter);
    const group = byFilter.get(key) ?? { filter, rows: [] };
    group.rows.push(tenantCase.rows);
    byFilter.set(key, group);
  }
  const names = Object.freeze([...untranslated].sort());
  const whole = or(...[...byFilter.values()].map((group) => and(mergeTenants(group.rows, cases.length), group.filter)));
  if (whole.op === 'false') return denied(!anyRole ? 'no_role_in_tenant' : names.length > 0 ? 'condition_not_translatable' : 'no_rule_matched', names);
  if (whole.op === 'true') return Object.freeze({ kind: 'always_allowed', untranslated: names });
  return Object.freeze({ kind: 'conditional', filter: whole, untranslated: names });
}

/** `tenant = 'a' OR tenant = 'b'` as `tenant IN ('a', 'b')`; a case that covers all other tenants stays as it is. */
function mergeTenants(rows: readonly Filter[], caseCount: number): Filter {
  // The cases partition the rows: all of them together is every row.
  if (rows.length === caseCount) return TRUE;
  const tenants: string[] = [];
  const rest: Filter[] = [];
  for (const row of rows) {
    if (row.op === 'eq' && typeof row.value === 'string') tenants.push(row.value);
    else rest.push(row);
  }
  return or(oneOf(TENANT, tenants), ...rest);
}

