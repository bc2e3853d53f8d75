import { compile, Type, type Static } from '@rampart/core/validate';
import { TENANT_PATTERN } from '../bindings.js';

/*
 * The decision API's request shapes: core's Principal, Resource and CheckContext as closed schemas, bounded tighter
 * than the engine's own runtime bounds (a 64 KiB body could not reach those anyway). Unknown members are refused, so
 * a caller's typo (`role` for `roles`) is a 400, never a silently ignored field that changes the decision.
 */

/** Most decisions one request may ask for: actions per check × checks per batch stays ≤ 2000. */
export const MAX_ACTIONS_PER_CHECK = 20;
export const MAX_CHECKS_PER_BATCH = 100;

const Id = Type.String({ minLength: 1, maxLength: 256 });
const Tenant = Type.String({ pattern: TENANT_PATTERN });
const Name = Type.String({ minLength: 1, maxLength: 128 });
const Names = Type.Array(Name, { maxItems: 100 });
const Action = Type.String({ minLength: 1, maxLength: 64 });
// Attribute names start with a letter: `__proto__` and `constructor` can never be an attribute a condition reads.
const AttributeName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_-]{0,63}$' });

const AttributeValue = Type.Union([
  Type.String({ maxLength: 4096 }),
  Type.Number({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE }),
  Type.Boolean(),
  Type.Null(),
  Type.Array(Type.Ref('AttributeValue'), { maxItems: 1000 }),
  Type.Record(AttributeName, Type.Ref('AttributeValue'), { maxProperties: 100 }),
]);
const Attributes = Type.Record(AttributeName, Type.Ref('AttributeValue'), { maxProperties: 100 });

const Principal = Type.Object({
  id: Id,
  roles: Type.Optional(Names),
  tenant: Type.Optional(Tenant),
  tenantRoles: Type.Optional(Type.Record(Tenant, Names, { maxProperties: 100 })),
  globalRoles: Type.Optional(Names),
  attributes: Type.Optional(Attributes),
});

const Resource = Type.Object({
  kind: Type.String({ minLength: 1, maxLength: 64 }),
  id: Type.Optional(Type.String({ maxLength: 256 })),
  owner: Type.Optional(Type.String({ maxLength: 256 })),
  tenant: Type.Optional(Tenant),
  attributes: Type.Optional(Attributes),
});

const Context = Type.Object({
  fields: Type.Optional(Type.Array(Name, { maxItems: 100 })),
  /** RFC 3339 date-time: `request.time`; default the server's clock. */
  time: Type.Optional(Type.String({ format: 'date-time', maxLength: 40 })),
  clientIp: Type.Optional(Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' })])),
  mfa: Type.Optional(Type.Boolean()),
  aal: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
  scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 })),
});

const Check = Type.Object({
  principal: Principal,
  resource: Resource,
  /** One action, or `actions` for several (exactly one of the two). */
  action: Type.Optional(Action),
  actions: Type.Optional(Type.Array(Action, { minItems: 1, maxItems: MAX_ACTIONS_PER_CHECK })),
  context: Type.Optional(Context),
});

const CheckRequest = Type.Object({
  ...Check.properties,
  /** Ask for the trace of every rule (needs the key scope `authz:explain`). */
  explain: Type.Optional(Type.Boolean()),
});

const BatchCheck = Type.Object({
  /** The caller's label for this check, echoed in the answer. */
  id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
  ...Check.properties,
});

const BatchRequest = Type.Object({
  checks: Type.Array(BatchCheck, { minItems: 1, maxItems: MAX_CHECKS_PER_BATCH }),
});

/** `POST /v1/authz/check`'s body, validated. */
export const checkRequest = compile(Type.Cyclic({ CheckRequest, AttributeValue }, 'CheckRequest'));
/** `POST /v1/authz/check/batch`'s body, validated. */
export const batchRequest = compile(Type.Cyclic({ BatchRequest, AttributeValue }, 'BatchRequest'));

/** One check as validated (the shapes share their members). */
export type CheckInput = Static<typeof Check>;
