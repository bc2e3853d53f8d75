import { compile, Type, type Static } from '../../validate/index.js';

/** `apiVersion` of the documents this engine reads. */
export const POLICY_API_VERSION = 'rampart.authz/v1';

const NAME_PATTERN = '[A-Za-z][A-Za-z0-9_-]{0,63}';

/** Role, derived role, resource kind, action, field, rule and policy names: identifiers, nothing to escape anywhere. */
const Name = Type.String({ pattern: `^${NAME_PATTERN}$` });
/** An action in a rule: a declared action, or `*` for every declared action of the kind (expanded at load). */
const ActionRef = Type.String({ pattern: `^(\\*|${NAME_PATTERN})$` });
/** A role in a rule: a role, a derived role, or `*` for any role the principal holds in the resource's tenant. */
const RoleRef = Type.String({ pattern: `^(\\*|${NAME_PATTERN})$` });
/** `kind:action`, each side a name or the explicit wildcard `*` (no partial globs such as `doc*`). */
const Permission = Type.String({ pattern: `^(\\*|${NAME_PATTERN}):(\\*|${NAME_PATTERN})$` });
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const Scope = Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$' });
const Description = Type.String({ maxLength: 2048 });
/** The real bound is `CelLimits.maxConditionLength`, checked when the condition compiles (with a clearer error). */
const Condition = Type.String({ maxLength: 16_384 });

const Role = Type.Object({
  description: Type.Optional(Description),
  /** Roles whose permissions this role has too (a DAG: cycles are refused). */
  inherits: Type.Optional(Type.Array(Name, { maxItems: 1000 })),
  /** Unconditional grants, `kind:action`; wildcards expand against the declared kinds and actions. */
  permissions: Type.Optional(Type.Array(Permission, { maxItems: 100_000 })),
  /** May be bound in every tenant at once (`Principal.globalRoles`), e.g. a platform operator. Default false. */
  global: Type.Optional(Type.Boolean()),
});

const DerivedRole = Type.Object({
  description: Type.Optional(Description),
  /** The derived role applies only to principals holding one of these roles in the resource's tenant. */
  parentRoles: Type.Array(Name, { minItems: 1, maxItems: 1000 }),
  condition: Condition,
});

const Rule = Type.Object({
  name: Name,
  description: Type.Optional(Description),
  effect: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
  actions: Type.Array(ActionRef, { minItems: 1, maxItems: 1000 }),
  roles: Type.Array(RoleRef, { minItems: 1, maxItems: 1000 }),
  /** Field-level rule: an allow covers only these fields, a deny refuses a request touching any of them. */
  fields: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 1000 })),
  condition: Type.Optional(Condition),
});

const ResourcePolicy = Type.Object({
  description: Type.Optional(Description),
  actions: Type.Array(Name, { minItems: 1, maxItems: 1000 }),
  /** The fields field-level rules may name and requests may touch. */
  fields: Type.Optional(Type.Array(Name, { maxItems: 1000 })),
  rules: Type.Optional(Type.Array(Rule, { maxItems: 100_000 })),
});

/** The policy document schema (JSON Schema 2020-12 via TypeBox), see README "Policy documents". */
export const PolicyDocumentSchema = Type.Object({
  apiVersion: Type.Literal(POLICY_API_VERSION),
  name: Name,
  version: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}$' }),
  description: Type.Optional(Description),
  roles: Type.Optional(Type.Record(Name, Role, { maxProperties: 100_000 })),
  derivedRoles: Type.Optional(Type.Record(Name, DerivedRole, { maxProperties: 10_000 })),
  /** Token scope → the permissions (`kind:action`, wildcards allowed) it covers. */
  scopes: Type.Optional(Type.Record(Scope, Type.Array(Permission, { minItems: 1, maxItems: 10_000 }), { maxProperties: 10_000 })),
  resources: Type.Optional(Type.Record(Name, ResourcePolicy, { maxProperties: 100_000 })),
});

/** A policy document after validation. */
export type PolicyDocument = Static<typeof PolicyDocumentSchema>;

/** Compiled once: the validator is shared by every load. */
export const policyDocumentValidator = compile(PolicyDocumentSchema);
