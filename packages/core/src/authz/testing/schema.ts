import { compile, Type, type Static } from '../../validate/index.js';

/** `apiVersion` of policy-test files. */
export const POLICY_TEST_API_VERSION = 'rampart.authz.test/v1';

/** Suite, fixture and tenant names: identifiers, safe in a terminal and in a JSON pointer. */
const FixtureName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' });
/**
 * Case names are free text for people, but never control characters: a report is printed to a terminal, and an
 * ANSI escape in a test name must not rewrite what the reader sees (the formatter escapes them again).
 */
const CaseName = Type.String({ pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]{1,200}$' });
const Description = Type.String({ maxLength: 2048 });
const Text = Type.String({ minLength: 1, maxLength: 256 });
const Names = Type.Array(Text, { maxItems: 1000 });
/**
 * Attribute names start with a letter: `__proto__` (which YAML may build as an own property) can never be an
 * attribute a condition reads.
 */
const AttributeName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' });

/** Attribute values: JSON data, bounded like the engine's runtime input bounds (a recursive definition). */
const AttributeValue = Type.Union([
  Type.String({ maxLength: 4096 }),
  Type.Number({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE }),
  Type.Boolean(),
  Type.Null(),
  Type.Array(Type.Ref('AttributeValue'), { maxItems: 1000 }),
  Type.Record(AttributeName, Type.Ref('AttributeValue'), { maxProperties: 1000 }),
]);
const Attributes = Type.Record(AttributeName, Type.Ref('AttributeValue'), { maxProperties: 1000 });

const PrincipalFixture = Type.Object({
  description: Type.Optional(Description),
  id: Text,
  roles: Type.Optional(Names),
  tenant: Type.Optional(Text),
  tenantRoles: Type.Optional(Type.Record(FixtureName, Names, { maxProperties: 1000 })),
  globalRoles: Type.Optional(Names),
  attributes: Type.Optional(Attributes),
});

const ResourceFixture = Type.Object({
  description: Type.Optional(Description),
  kind: Text,
  id: Type.Optional(Type.String({ maxLength: 256 })),
  owner: Type.Optional(Type.String({ maxLength: 256 })),
  tenant: Type.Optional(Text),
  attributes: Type.Optional(Attributes),
});

const DateTime = Type.String({ format: 'date-time', maxLength: 64 });

const Context = Type.Object({
  fields: Type.Optional(Type.Array(Text, { maxItems: 1000 })),
  /** RFC 3339 date-time, the request time (`request.time`). */
  time: Type.Optional(DateTime),
  clientIp: Type.Optional(Type.String({ maxLength: 64 })),
  mfa: Type.Optional(Type.Boolean()),
  aal: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
  scopes: Type.Optional(Type.Array(Type.String({ maxLength: 128 }), { maxItems: 1000 })),
});

/** Every `DecisionReason`: a test may pin the reason, not only allow or deny. */
const Reason = Type.Union([
  Type.Literal('rule_allowed'),
  Type.Literal('rule_denied'),
  Type.Literal('no_rule_matched'),
  Type.Literal('no_role_in_tenant'),
  Type.Literal('scope_not_granted'),
  Type.Literal('field_not_allowed'),
  Type.Literal('condition_error'),
  Type.Literal('unknown_resource_kind'),
  Type.Literal('unknown_action'),
  Type.Literal('unknown_field'),
  Type.Literal('invalid_request'),
]);

const Action = Type.String({ minLength: 1, maxLength: 64 });

const TestCase = Type.Object({
  name: CaseName,
  description: Type.Optional(Description),
  principal: FixtureName,
  resource: FixtureName,
  /** One action, or `actions` for several (each is checked, each must give the expected decision). */
  action: Type.Optional(Action),
  actions: Type.Optional(Type.Array(Action, { minItems: 1, maxItems: 100 })),
  context: Type.Optional(Context),
  expect: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
  reason: Type.Optional(Reason),
  /** The deciding rule: as in `Decision.rule`, or a resource rule's bare name. */
  rule: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
});

const PolicyTestFileObject = Type.Object({
  apiVersion: Type.Literal(POLICY_TEST_API_VERSION),
  name: FixtureName,
  description: Type.Optional(Description),
  /** Request time for every case without `context.time`: keeps time-dependent conditions deterministic. */
  now: Type.Optional(DateTime),
  principals: Type.Record(FixtureName, PrincipalFixture, { maxProperties: 10_000 }),
  resources: Type.Record(FixtureName, ResourceFixture, { maxProperties: 10_000 }),
  tests: Type.Array(TestCase, { minItems: 1, maxItems: 10_000 }),
});

/** The policy-test file schema (TypeBox / JSON Schema 2020-12), for editors and CI. */
export const PolicyTestFileSchema = Type.Cyclic({ PolicyTestFile: PolicyTestFileObject, AttributeValue }, 'PolicyTestFile');

/** A policy-test file after validation. */
export type PolicyTestFile = Static<typeof PolicyTestFileSchema>;

/** Compiled once and shared by every load. */
export const policyTestFileValidator = compile(PolicyTestFileSchema);
