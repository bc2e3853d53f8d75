import type { CompiledCondition } from '../cel/condition.js';
import type { CelLimits } from '../cel/limits.js';

/** A role after loading. */
export interface CompiledRole {
  readonly name: string;
  /** Name of the policy document that declares it. */
  readonly policy: string;
  readonly inherits: readonly string[];
  /** The role itself and every role it inherits from, transitively (its permissions are the union of theirs). */
  readonly ancestors: readonly string[];
  readonly global: boolean;
}

/** A derived role (`owner`): holds when the principal has a parent role in the resource's tenant and the condition is true. */
export interface CompiledDerivedRole {
  readonly name: string;
  readonly policy: string;
  readonly parentRoles: readonly string[];
  readonly condition: CompiledCondition;
}

/**
 * One rule, as the engine evaluates it. Role permissions (`roles.<role>.permissions`) become unconditional allow rules
 * named `roles/<role>/<permission>`; resource rules are named `resources/<kind>/<rule>`. This is the representation a
 * query planner reads: for a kind and an action, the rules with their effect, who they apply to and the CEL AST of
 * their condition.
 */
export interface CompiledRule {
  /** `resources/<kind>/<rule>` or `roles/<role>/<permission pattern>`; unique within a resource kind. */
  readonly name: string;
  /** Name of the policy document the rule is written in. */
  readonly policy: string;
  /** Where it is written: the document's `source` and a JSON pointer. */
  readonly source: string;
  readonly path: string;
  readonly effect: 'allow' | 'deny';
  readonly kind: string;
  /** Actions it covers, wildcards expanded. */
  readonly actions: readonly string[];
  /** Roles as written: role names, derived role names, or `*` (any role held in the resource's tenant). */
  readonly roles: readonly string[];
  /** Regular roles that satisfy the rule, inheritance expanded (a rule for `viewer` applies to `editor` if editor inherits viewer). */
  readonly grantedRoles: readonly string[];
  /** Derived roles among `roles`. */
  readonly derivedRoles: readonly string[];
  /** `roles` contains `*`. */
  readonly anyRole: boolean;
  /** Field-level rule: the fields it covers (allow) or refuses (deny); `undefined` covers every field. */
  readonly fields: readonly string[] | undefined;
  readonly condition: CompiledCondition | undefined;
}

/** A resource kind: its declared actions and fields, and every rule for it (document order, role permissions first). */
export interface CompiledResourceKind {
  readonly kind: string;
  readonly policy: string;
  readonly actions: readonly string[];
  readonly fields: readonly string[];
  readonly rules: readonly CompiledRule[];
}

/** Identity of one loaded document. */
export interface LoadedDocument {
  readonly name: string;
  readonly version: string;
  readonly source: string;
}

/**
 * An immutable, validated and indexed policy set. Safe to share between authorizers and requests; a hot reload
 * compiles a new set and swaps it whole, so a request sees the old set or the new one, never a mix.
 */
export interface CompiledPolicySet {
  /** Part of every decision: the `version` option, else `name@version` of each document joined by `+`. */
  readonly version: string;
  /** SHA-256 (hex) of the validated documents in canonical JSON: what exactly was loaded, for the audit trail. */
  readonly digest: string;
  readonly documents: readonly LoadedDocument[];
  readonly limits: CelLimits;
  readonly roles: ReadonlyMap<string, CompiledRole>;
  readonly derivedRoles: ReadonlyMap<string, CompiledDerivedRole>;
  readonly resourceKinds: ReadonlyMap<string, CompiledResourceKind>;
  /** Scope → the permissions it covers, expanded to `kind:action`. */
  readonly scopes: ReadonlyMap<string, readonly string[]>;
  /** The rules for `kind` and `action` (deny and allow, in evaluation order); empty for unknown kinds or actions. */
  rulesFor(kind: string, action: string): readonly CompiledRule[];
  /** The scopes that cover `kind:action`. */
  scopesFor(kind: string, action: string): readonly string[];
}
