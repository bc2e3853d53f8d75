import type { SecurityEventSink } from '../../events.js';
import { ConditionRefusal } from '../cel/analyze.js';
import { ConditionProgram } from '../cel/condition.js';
import { resolveCelLimits, type CelLimits } from '../cel/limits.js';
import { prebuiltDecision } from '../engine/decision.js';
import {
  buildActionPlan,
  fixedDecisions,
  RoleMembership,
  type ActionPlan,
  type KindPlan,
  type RuntimeDerivedRole,
  type RuntimeIndex,
  type RuntimeRule,
} from '../engine/runtime-index.js';
import { buildVerdictTable } from '../engine/verdicts.js';
import { AuthzPolicyError } from '../errors.js';
import { documentsDigest } from './digest.js';
import { expandPermission, pointer, uniqueNames, type Catalog, type Located } from './names.js';
import { parsePolicyDocument, type PolicySource } from './parse.js';
import { buildRoleGraph, type DeclaredRole } from './roles.js';
import type { PolicyDocument } from './schema.js';
import type { CompiledDerivedRole, CompiledPolicySet, CompiledResourceKind, CompiledRole, CompiledRule, LoadedDocument } from './types.js';

export interface CompilePoliciesOptions {
  /** The version every decision carries. Default: `name@version` of each document (sorted by name), joined by `+`. */
  readonly version?: string;
  /** Bounds on conditions (load time) and on the values they read (run time). Raising one is a named loosening. */
  readonly limits?: Partial<CelLimits>;
  /** Receives a `config.loosened` event for each raised limit. */
  readonly events?: SecurityEventSink;
}

const VERSION_PATTERN = /^[\x21-\x7E]{1,256}$/;

/**
 * Compiles `source` once per policy set: rules that share a condition text share one program (a 20k-rule set
 * typically repeats a few conditions thousands of times; one shared program stays hot in the CPU caches).
 */
function compileCondition(source: string, limits: CelLimits, label: string, where: Located, compiled: Map<string, ConditionProgram>): ConditionProgram {
  const known = compiled.get(source);
  if (known !== undefined) return known;
  try {
    const program = ConditionProgram.compile(source, limits);
    compiled.set(source, program);
    return program;
  } catch (error) {
    if (error instanceof ConditionRefusal) {
      throw new AuthzPolicyError(error.code, `${label}: ${error.message}`, { source: where.source, path: where.path }, { cause: error });
    }
    throw error;
  }
}

/** The roles that satisfy a rule, inheritance expanded, in the three forms the engine and the public view use. */
interface Granting {
  readonly names: readonly string[];
  readonly indexes: readonly number[];
  readonly membership: RoleMembership | undefined;
}

interface RuleDraft {
  readonly order: number;
  readonly info: CompiledRule;
  readonly granting: Granting;
  readonly condition: ConditionProgram | undefined;
}

class PolicySetCompiler {
  readonly #limits: CelLimits;
  readonly #documents: { readonly doc: PolicyDocument; readonly source: string }[] = [];
  readonly #roles = new Map<string, DeclaredRole & { readonly policy: string; readonly global: boolean; readonly permissions: readonly string[] }>();
  readonly #derived = new Map<string, { readonly policy: string; readonly parentRoles: readonly string[]; readonly condition: string; readonly where: Located }>();
  readonly #kinds = new Map<
    string,
    { readonly policy: string; readonly actions: readonly string[]; readonly fields: readonly string[]; readonly where: Located; readonly doc: PolicyDocument }
  >();
  readonly #scopes = new Map<string, { readonly permissions: readonly string[]; readonly where: Located }>();
  readonly #conditions = new Map<string, ConditionProgram>();

  constructor(limits: CelLimits) {
    this.#limits = limits;
  }

  add(doc: PolicyDocument, source: string): void {
    const clash = this.#documents.find((d) => d.doc.name === doc.name);
    if (clash !== undefined) {
      throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `policy name "${doc.name}" is also used by ${clash.source}`, { source, path: '/name' });
    }
    this.#documents.push({ doc, source });
    const policy = doc.name;
    for (const [name, role] of Object.entries(doc.roles ?? {})) {
      const path = pointer('roles', name);
      const previous = this.#roles.get(name);
      if (previous !== undefined) {
        throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `role "${name}" is also declared in ${previous.source}`, { source, path });
      }
      uniqueNames(role.inherits ?? [], 'inherited role', { source, policy, path: `${path}/inherits` });
      this.#roles.set(name, { name, inherits: role.inherits ?? [], source, path, policy, global: role.global === true, permissions: role.permissions ?? [] });
    }
    for (const [name, derived] of Object.entries(doc.derivedRoles ?? {})) {
      const where = { source, policy, path: pointer('derivedRoles', name) };
      if (this.#derived.has(name)) throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `derived role "${name}" is declared twice`, where);
      this.#derived.set(name, { policy, parentRoles: derived.parentRoles, condition: derived.condition, where });
    }
    for (const [kind, resource] of Object.entries(doc.resources ?? {})) {
      const where = { source, policy, path: pointer('resources', kind) };
      const previous = this.#kinds.get(kind);
      if (previous !== undefined) {
        throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `resource kind "${kind}" is also declared in ${previous.where.source}`, where);
      }
      uniqueNames(resource.actions, 'action', { ...where, path: `${where.path}/actions` });
      uniqueNames(resource.fields ?? [], 'field', { ...where, path: `${where.path}/fields` });
      this.#kinds.set(kind, { policy, actions: resource.actions, fields: resource.fields ?? [], where, doc });
    }
    for (const [scope, permissions] of Object.entries(doc.scopes ?? {})) {
      const where = { source, policy, path: pointer('scopes', scope) };
      if (this.#scopes.has(scope)) throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `scope "${scope}" is declared twice`, where);
      this.#scopes.set(scope, { permissions, where });
    }
  }

  compile(versionOption: string | undefined): { readonly set: CompiledPolicySet; readonly index: RuntimeIndex } {
    for (const name of this.#derived.keys()) {
      const role = this.#roles.get(name);
      if (role !== undefined) {
        throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `"${name}" is both a role and a derived role`, this.#derived.get(name)?.where ?? {});
      }
    }
    const graph = buildRoleGraph(this.#roles);
    const roleNames = graph.order;
    const roleIndex = new Map(roleNames.map((name, i) => [name, i]));
    const roleCount = roleNames.length;
    const ancestors = roleNames.map((name) => new Set([...(graph.ancestors.get(name) ?? [])].map((a) => roleIndex.get(a) ?? -1)));
    // Descendants: the roles that satisfy a rule written for a role (every role that inherits from it, and itself).
    const descendants = roleNames.map((): number[] => []);
    ancestors.forEach((set, role) => {
      for (const ancestor of set) descendants[ancestor]?.push(role);
    });
    const roleGlobal = new Uint8Array(roleCount);
    const compiledRoles = new Map<string, CompiledRole>();
    for (const name of roleNames) {
      const role = this.#roles.get(name);
      if (role === undefined) continue;
      roleGlobal[roleIndex.get(name) ?? 0] = role.global ? 1 : 0;
      compiledRoles.set(
        name,
        Object.freeze({
          name,
          policy: role.policy,
          inherits: Object.freeze([...role.inherits]),
          ancestors: Object.freeze([...(graph.ancestors.get(name) ?? [])].sort()),
          global: role.global,
        }),
      );
    }

    const version = versionOption ?? this.#defaultVersion();
    const decisions = fixedDecisions(version);

    const derived = new Map<string, RuntimeDerivedRole>();
    const compiledDerived = new Map<string, CompiledDerivedRole>();
    for (const [name, d] of this.#derived) {
      const parents: number[] = [];
      d.parentRoles.forEach((parent, i) => {
        const index = roleIndex.get(parent);
        if (index === undefined) {
          throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `derived role "${name}" has undeclared parent role "${parent}"`, {
            ...d.where,
            path: `${d.where.path}/parentRoles/${i}`,
          });
        }
        parents.push(...(descendants[index] ?? []));
      });
      const condition = compileCondition(d.condition, this.#limits, `derived role ${name}`, { ...d.where, path: `${d.where.path}/condition` }, this.#conditions);
      derived.set(name, Object.freeze({ index: derived.size, name, policy: d.policy, label: `derived role ${name}`, parents: new RoleMembership(parents, roleCount), parentIndexes: Object.freeze([...new Set(parents)]), condition }));
      compiledDerived.set(name, Object.freeze({ name, policy: d.policy, parentRoles: Object.freeze([...d.parentRoles]), condition: condition.info }));
    }

    const catalog: Catalog = new Map([...this.#kinds].map(([kind, k]) => [kind, k.actions]));
    // kind → action → rule drafts in evaluation order.
    const drafts = new Map<string, Map<string, RuleDraft[]>>();
    const kindRules = new Map<string, RuleDraft[]>();
    for (const [kind, k] of this.#kinds) {
      drafts.set(kind, new Map(k.actions.map((action) => [action, []])));
      kindRules.set(kind, []);
    }
    const addDraft = (draft: RuleDraft): void => {
      kindRules.get(draft.info.kind)?.push(draft);
      for (const action of draft.info.actions) drafts.get(draft.info.kind)?.get(action)?.push(draft);
    };
    // Rules naming the same roles share one expansion (and one membership table): 20 000 rules for `viewer` in a
    // hierarchy of 20 000 roles must not cost 20 000 × 20 000 entries.
    const grantedCache = new Map<string, Granting>();
    const grant = (roles: readonly number[]): Granting => {
      const key = [...new Set(roles)].sort((a, b) => a - b).join(',');
      let entry = grantedCache.get(key);
      if (entry === undefined) {
        const indexes = Object.freeze([...new Set(roles.flatMap((r) => descendants[r] ?? []))].sort((a, b) => a - b));
        entry = {
          names: Object.freeze(indexes.map((r) => roleNames[r] ?? '')),
          indexes,
          membership: indexes.length === 0 ? undefined : new RoleMembership(indexes, roleCount),
        };
        grantedCache.set(key, entry);
      }
      return entry;
    };

    let order = 0;
    // Role permissions: unconditional allow rules, one per permission and resource kind.
    for (const [name, role] of this.#roles) {
      const index = roleIndex.get(name) ?? 0;
      role.permissions.forEach((pattern, i) => {
        const where = { source: role.source, policy: role.policy, path: `${role.path}/permissions/${i}` };
        if (role.permissions.indexOf(pattern) !== i) throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `permission "${pattern}" is listed twice`, where);
        const byKind = new Map<string, string[]>();
        for (const [kind, action] of expandPermission(pattern, catalog, where)) {
          const list = byKind.get(kind) ?? [];
          list.push(action);
          byKind.set(kind, list);
        }
        const granting = grant([index]);
        for (const [kind, actions] of byKind) {
          addDraft({
            order: order++,
            granting,
            info: Object.freeze({
              name: `roles/${name}/${pattern}`,
              policy: role.policy,
              source: role.source,
              path: where.path,
              effect: 'allow',
              kind,
              actions: Object.freeze(actions),
              roles: Object.freeze([name]),
              grantedRoles: granting.names,
              derivedRoles: Object.freeze([]),
              anyRole: false,
              fields: undefined,
              condition: undefined,
            }),
            condition: undefined,
          });
        }
      });
    }

    // Resource rules, in document order.
    for (const [kind, k] of this.#kinds) {
      const rules = k.doc.resources?.[kind]?.rules ?? [];
      const names = new Set<string>();
      rules.forEach((rule, i) => {
        const path = `${k.where.path}/rules/${i}`;
        const where = { source: k.where.source, policy: k.policy, path };
        if (names.has(rule.name)) throw new AuthzPolicyError('AUTHZ_POLICY_DUPLICATE', `rule name "${rule.name}" is used twice in "${kind}"`, where);
        names.add(rule.name);
        uniqueNames(rule.actions, 'action', { ...where, path: `${path}/actions` });
        uniqueNames(rule.roles, 'role', { ...where, path: `${path}/roles` });
        const actions = rule.actions.includes('*') ? [...k.actions] : rule.actions;
        rule.actions.forEach((action, j) => {
          if (action !== '*' && !k.actions.includes(action)) {
            throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `resource kind "${kind}" declares no action "${action}"`, { ...where, path: `${path}/actions/${j}` });
          }
        });
        const regular: number[] = [];
        const derivedRoles: string[] = [];
        rule.roles.forEach((role, j) => {
          if (role === '*') return;
          const index = roleIndex.get(role);
          if (index !== undefined) regular.push(index);
          else if (this.#derived.has(role)) derivedRoles.push(role);
          else throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `undeclared role "${role}"`, { ...where, path: `${path}/roles/${j}` });
        });
        if (rule.fields !== undefined) {
          uniqueNames(rule.fields, 'field', { ...where, path: `${path}/fields` });
          rule.fields.forEach((field, j) => {
            if (!k.fields.includes(field)) {
              throw new AuthzPolicyError('AUTHZ_POLICY_UNKNOWN_REFERENCE', `resource kind "${kind}" declares no field "${field}"`, { ...where, path: `${path}/fields/${j}` });
            }
          });
        }
        const name = `resources/${kind}/${rule.name}`;
        const granting = grant(regular);
        const condition = rule.condition === undefined ? undefined : compileCondition(rule.condition, this.#limits, name, { ...where, path: `${path}/condition` }, this.#conditions);
        addDraft({
          order: order++,
          granting,
          info: Object.freeze({
            name,
            policy: k.policy,
            source: k.where.source,
            path,
            effect: rule.effect,
            kind,
            actions: Object.freeze([...actions]),
            roles: Object.freeze([...rule.roles]),
            grantedRoles: granting.names,
            derivedRoles: Object.freeze(derivedRoles),
            anyRole: rule.roles.includes('*'),
            fields: rule.fields === undefined ? undefined : Object.freeze([...rule.fields]),
            condition: condition?.info,
          }),
          condition,
        });
      });
    }

    // Scopes: which scopes cover each kind and action.
    const scopeCoverage = new Map<string, Set<string>>();
    const compiledScopes = new Map<string, readonly string[]>();
    for (const [scope, { permissions, where }] of this.#scopes) {
      const covered = new Set<string>();
      permissions.forEach((pattern, i) => {
        for (const [kind, action] of expandPermission(pattern, catalog, { ...where, path: `${where.path}/${i}` })) covered.add(`${kind}:${action}`);
      });
      for (const permission of covered) {
        const set = scopeCoverage.get(permission) ?? new Set<string>();
        set.add(scope);
        scopeCoverage.set(permission, set);
      }
      compiledScopes.set(scope, Object.freeze([...covered]));
    }

    const runtimeRules = new Map<RuleDraft, RuntimeRule>();
    const runtimeRule = (draft: RuleDraft, fieldIndex: ReadonlyMap<string, number>): RuntimeRule => {
      const existing = runtimeRules.get(draft);
      if (existing !== undefined) return existing;
      const info = draft.info;
      const granting = draft.granting;
      let fields: Uint8Array | undefined;
      if (info.fields !== undefined) {
        fields = new Uint8Array(fieldIndex.size);
        for (const field of info.fields) fields[fieldIndex.get(field) ?? 0] = 1;
      }
      const built: RuntimeRule = Object.freeze({
        info,
        label: info.name,
        order: draft.order,
        roles: granting.membership,
        roleIndexes: granting.indexes,
        anyRole: info.anyRole,
        derived: Object.freeze(info.derivedRoles.map((name) => derived.get(name)).filter((d): d is RuntimeDerivedRole => d !== undefined)),
        fields,
        condition: draft.condition,
        decision: prebuiltDecision(info.effect === 'allow' ? 'rule_allowed' : 'rule_denied', version, info.policy, info.name),
      });
      runtimeRules.set(draft, built);
      return built;
    };

    const kinds = new Map<string, KindPlan>();
    const plans: ActionPlan[] = [];
    const actionNumbers = new Map<string, number>();
    for (const k of this.#kinds.values()) for (const action of k.actions) if (!actionNumbers.has(action)) actionNumbers.set(action, actionNumbers.size);
    const compiledKinds = new Map<string, CompiledResourceKind>();
    for (const [kind, k] of this.#kinds) {
      const fieldIndex = new Map(k.fields.map((field, i) => [field, i]));
      const actions = new Map<string, ActionPlan>();
      for (const [action, list] of drafts.get(kind) ?? []) {
        const scopes = scopeCoverage.get(`${kind}:${action}`) ?? new Set<string>();
        const plan = buildActionPlan(
          kind,
          action,
          list.map((draft) => runtimeRule(draft, fieldIndex)),
          scopes,
          plans.length * roleCount,
        );
        plans.push(plan);
        actions.set(action, plan);
      }
      kinds.set(
        kind,
        Object.freeze({
          kind,
          actions,
          fieldIndex,
          fields: Object.freeze([...k.fields]),
          fieldDenied: Object.freeze(k.fields.map((field) => prebuiltDecision('field_not_allowed', version, undefined, undefined, field))),
        }),
      );
      compiledKinds.set(
        kind,
        Object.freeze({
          kind,
          policy: k.policy,
          actions: Object.freeze([...k.actions]),
          fields: Object.freeze([...k.fields]),
          rules: Object.freeze((kindRules.get(kind) ?? []).map((draft) => draft.info)),
        }),
      );
    }

    const kindList = [...kinds.values()];
    const planNumberOf = new Map(plans.map((plan, n) => [plan, n]));
    const planNumbers = new Int32Array(kindList.length * actionNumbers.size).fill(-1);
    kindList.forEach((kindPlan, k) => {
      for (const [action, plan] of kindPlan.actions) {
        planNumbers[k * actionNumbers.size + (actionNumbers.get(action) ?? 0)] = planNumberOf.get(plan) ?? -1;
      }
    });
    const index: RuntimeIndex = Object.freeze({
      version,
      kinds,
      actionNumbers,
      kindNumbers: new Map(kindList.map((kindPlan, k) => [kindPlan.kind, k])),
      kindList,
      plans,
      planNumbers,
      roleCount,
      roleIndex,
      roleNames: Object.freeze([...roleNames]),
      roleGlobal,
      ancestors: Object.freeze(ancestors),
      derived: Object.freeze([...derived.values()]),
      decisions,
      verdicts: buildVerdictTable(plans, roleCount),
    });
    const documents: LoadedDocument[] = this.#documents.map(({ doc, source }) => Object.freeze({ name: doc.name, version: doc.version, source }));
    const digest = documentsDigest(this.#documents.map((d) => d.doc));
    const empty: readonly CompiledRule[] = Object.freeze([]);
    const set: CompiledPolicySet = Object.freeze({
      version,
      digest,
      documents: Object.freeze(documents),
      limits: this.#limits,
      roles: compiledRoles,
      derivedRoles: compiledDerived,
      resourceKinds: compiledKinds,
      scopes: compiledScopes,
      rulesFor: (kind: string, action: string) => kinds.get(kind)?.actions.get(action)?.rules ?? empty,
      scopesFor: (kind: string, action: string) => [...(kinds.get(kind)?.actions.get(action)?.scopes ?? [])],
    });
    return { set, index };
  }

  #defaultVersion(): string {
    const docs = [...this.#documents].sort((a, b) => (a.doc.name < b.doc.name ? -1 : a.doc.name > b.doc.name ? 1 : 0));
    if (docs.length === 0) return 'empty';
    return docs.length === 1 ? (docs[0]?.doc.version ?? '') : docs.map((d) => `${d.doc.name}@${d.doc.version}`).join('+');
  }
}

const runtimeIndexes = new WeakMap<CompiledPolicySet, RuntimeIndex>();

/** @internal The indexes an authorizer evaluates; only sets made by `compilePolicies` have one. */
export function runtimeIndexOf(set: CompiledPolicySet): RuntimeIndex | undefined {
  return runtimeIndexes.get(set);
}

/**
 * Loads, validates and compiles policy documents into one immutable, indexed {@link CompiledPolicySet}. Everything
 * that can be checked is checked here, once: the schema, unknown and duplicate names, role cycles (named in the
 * error), wildcard expansion against the declared kinds and actions, and every CEL condition (parsed, checked against
 * the allowlist, cost-estimated and planned). Any error refuses the whole set with an {@link AuthzPolicyError}.
 */
export function compilePolicies(sources: readonly PolicySource[], options: CompilePoliciesOptions = {}): CompiledPolicySet {
  if (options.version !== undefined && !VERSION_PATTERN.test(options.version)) {
    throw new AuthzPolicyError('AUTHZ_POLICY_INVALID', 'the version option must be 1 to 256 printable ASCII characters');
  }
  const limits = resolveCelLimits(options.limits, options.events);
  const compiler = new PolicySetCompiler(limits);
  for (const input of sources) compiler.add(parsePolicyDocument(input), input.source);
  const { set, index } = compiler.compile(options.version);
  runtimeIndexes.set(set, index);
  return set;
}
