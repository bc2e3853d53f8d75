import type { Clock } from '../../clock.js';
import { buildActivation, type ConditionFrame } from '../cel/frame.js';
import type { RootVariable } from '../cel/variables.js';
import type { CheckContext, Principal, Resource } from '../model.js';
import type { RuntimeDerivedRole, RuntimeIndex, RuntimeRule } from './runtime-index.js';

/** Most role names a principal may carry in one list; more is a malformed request, not a bigger loop. */
export const MAX_BOUND_ROLES = 1000;

const NOT_YET = Number.NaN;

/**
 * The scratch state of one check, reused by every check of an authorizer (checks are synchronous and never nest):
 * the roles bound in the resource's tenant, memoized derived roles, and the lazily built CEL activation. Reusing it
 * is what keeps `check()` free of allocation when RBAC (or the compiled fast path) decides.
 */
export class CheckState implements ConditionFrame {
  principal: Principal = { id: '' };
  resource: Resource = { kind: '' };
  action = '';
  context: CheckContext | undefined;
  readonly checkedInputs: unknown[] = [];
  /** Scratch lists of the several-roles path (engine/authorizer.ts). */
  readonly denyCandidates: RuntimeRule[] = [];
  readonly allowCandidates: RuntimeRule[] = [];
  /** By position in the candidate list being evaluated: 1 when a bound role meets the rule directly. */
  readonly candidateDirect: number[] = [];
  /** The rule whose condition the several-roles path is evaluating, for the `condition_error` decision. */
  evaluating: RuntimeRule | undefined;
  /** Role indexes bound in the resource's tenant (duplicates possible, harmless). */
  bound = new Int32Array(16);
  boundCount = 0;
  /** Requested field indexes. */
  fields = new Int32Array(16);
  fieldCount = 0;
  /** Scratch for field coverage: `coveredStamp[field] === stamp` means covered in this check. */
  coveredStamp = new Uint32Array(0);
  stamp = 0;

  readonly #index: RuntimeIndex;
  readonly #clock: Clock;
  readonly #derivedStamp: Uint32Array;
  readonly #derivedValue: Uint8Array;
  #nowMs = NOT_YET;
  #activation: Readonly<Record<RootVariable, Readonly<Record<string, unknown>>>> | undefined;
  #effective: readonly string[] | undefined;

  constructor(index: RuntimeIndex, clock: Clock) {
    this.#index = index;
    this.#clock = clock;
    this.#derivedStamp = new Uint32Array(index.derived.length);
    this.#derivedValue = new Uint8Array(index.derived.length);
  }

  /** Starts a check. Call after {@link bindRoles}. */
  begin(principal: Principal, resource: Resource, action: string, context: CheckContext | undefined): void {
    this.principal = principal;
    this.resource = resource;
    this.action = action;
    this.context = context;
    this.#nowMs = NOT_YET;
    this.#activation = undefined;
    this.#effective = undefined;
    this.evaluating = undefined;
    if (this.checkedInputs.length > 0) this.checkedInputs.length = 0;
    this.stamp = this.stamp === 0xffffffff ? 1 : this.stamp + 1;
    if (this.stamp === 1) {
      this.#derivedStamp.fill(0);
      this.coveredStamp.fill(0);
    }
  }

  /**
   * Collects the roles bound in the resource's tenant: `roles` where the tenants are equal (both absent counts as
   * equal), `tenantRoles[resource.tenant]` (own property only), and `globalRoles` declared `global`. Unknown role names
   * are ignored. Returns false for a malformed principal (roles that are not an array of strings, too many of them).
   */
  bindRoles(principal: Principal, resource: Resource): boolean {
    this.boundCount = 0;
    const resourceTenant = resource.tenant ?? undefined;
    if (resourceTenant === (principal.tenant ?? undefined) && !this.#bind(principal.roles, false)) return false;
    const tenantRoles = principal.tenantRoles ?? undefined;
    if (resourceTenant !== undefined && tenantRoles !== undefined) {
      if (typeof tenantRoles !== 'object') return false;
      if (Object.hasOwn(tenantRoles, resourceTenant) && !this.#bind(tenantRoles[resourceTenant], false)) return false;
    }
    return this.#bind(principal.globalRoles, true);
  }

  #bind(list: readonly string[] | undefined, globalOnly: boolean): boolean {
    if (list === undefined) return true;
    if (!Array.isArray(list) || list.length > MAX_BOUND_ROLES) return false;
    const index = this.#index;
    for (let i = 0; i < list.length; i += 1) {
      const name: unknown = list[i];
      if (typeof name !== 'string') return false;
      const role = index.roleIndex.get(name);
      if (role === undefined || (globalOnly && index.roleGlobal[role] !== 1)) continue;
      if (this.boundCount === this.bound.length) {
        const grown = new Int32Array(this.bound.length * 2);
        grown.set(this.bound);
        this.bound = grown;
      }
      this.bound[this.boundCount++] = role;
    }
    return true;
  }

  /** Records the requested fields by index; false when one is not declared for the kind. */
  bindFields(requested: readonly string[], fieldIndex: ReadonlyMap<string, number>): boolean {
    this.fieldCount = 0;
    if (requested.length > this.fields.length) this.fields = new Int32Array(Math.max(requested.length, this.fields.length * 2));
    for (const name of requested) {
      const field = typeof name === 'string' ? fieldIndex.get(name) : undefined;
      if (field === undefined) return false;
      this.fields[this.fieldCount++] = field;
    }
    if (this.coveredStamp.length < fieldIndex.size) this.coveredStamp = new Uint32Array(fieldIndex.size);
    return true;
  }

  nowMs(): number {
    if (Number.isNaN(this.#nowMs)) this.#nowMs = this.context?.time?.getTime() ?? this.#clock.now();
    return this.#nowMs;
  }

  hasEffectiveRole(role: string): boolean {
    const index = this.#index.roleIndex.get(role);
    if (index === undefined) return false;
    for (let i = 0; i < this.boundCount; i += 1) {
      if (this.#index.ancestors[this.bound[i] ?? 0]?.has(index) === true) return true;
    }
    return false;
  }

  effectiveRoleNames(): readonly string[] {
    if (this.#effective === undefined) {
      const names = new Set<string>();
      for (let i = 0; i < this.boundCount; i += 1) {
        for (const ancestor of this.#index.ancestors[this.bound[i] ?? 0] ?? []) names.add(this.#index.roleNames[ancestor] ?? '');
      }
      this.#effective = Object.freeze([...names].sort());
    }
    return this.#effective;
  }

  activation(): Readonly<Record<RootVariable, Readonly<Record<string, unknown>>>> {
    this.#activation ??= buildActivation(this);
    return this.#activation;
  }

  /** Whether the principal holds a parent role of `derived` in the resource's tenant. */
  hasParentRole(derived: RuntimeDerivedRole): boolean {
    for (let i = 0; i < this.boundCount; i += 1) if (derived.parents.has(this.bound[i] ?? 0)) return true;
    return false;
  }

  /** Evaluates a derived role once per check (its condition may be shared by several rules). Throws on condition errors. */
  derivedHolds(derived: RuntimeDerivedRole): boolean {
    const i = derived.index;
    if (this.#derivedStamp[i] === this.stamp) return this.#derivedValue[i] === 1;
    const holds = this.hasParentRole(derived) && derived.condition.evaluate(this, derived.label);
    this.#derivedStamp[i] = this.stamp;
    this.#derivedValue[i] = holds ? 1 : 0;
    return holds;
  }
}
