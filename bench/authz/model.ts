// The abstract authorization model every contender is built from, and the query stream every contender answers.
// One model, translated into each engine (casbin.ts, casl.ts, and Rampart's factory), is what makes the numbers
// comparable: the same users, roles, inheritance edges, grants, denies and conditions on every side.
import { SeededRandom } from './random.js';

export type ModelSize = 'small' | 'large';
export type Effect = 'allow' | 'deny';
/**
 * `none`: unconditional. `owner`: only when `resource.owner === user.id` (ownership, the IDOR control).
 * `draft`: only when `resource.status === 'draft'` (an attribute condition).
 */
export type Condition = 'none' | 'owner' | 'draft';
/** `top` roles inherit `mid` roles, which inherit `leaf` roles: a 3-level hierarchy. */
export type RoleLevel = 'top' | 'mid' | 'leaf';
export type ResourceStatus = 'draft' | 'published';

export interface Role {
  readonly id: string;
  readonly level: RoleLevel;
  /** Roles whose rules (grants and denies) this role also holds; transitively. */
  readonly inherits: readonly string[];
}

export interface User {
  readonly id: string;
  /** A user's roles apply only to resources of this tenant. */
  readonly tenant: string;
  /** Directly assigned roles; inherited ones are not listed. */
  readonly roles: readonly string[];
}

/** One grant (`allow`) or deny of the permission `kind:action` to a role, optionally under a condition. */
export interface Rule {
  readonly role: string;
  readonly kind: string;
  readonly action: string;
  readonly effect: Effect;
  readonly condition: Condition;
}

export interface AuthzModel {
  readonly size: ModelSize;
  readonly seed: number;
  readonly tenants: readonly string[];
  /** Resource kinds; a permission is `kind:action`. */
  readonly kinds: readonly string[];
  readonly actions: readonly string[];
  readonly roles: readonly Role[];
  readonly users: readonly User[];
  readonly rules: readonly Rule[];
}

export interface Resource {
  readonly kind: string;
  readonly id: string;
  readonly tenant: string;
  /** A user id. */
  readonly owner: string;
  readonly status: ResourceStatus;
}

/**
 * `simple`: same tenant, and every rule of the user's roles for this `kind:action` is unconditional.
 * `conditional`: same tenant, and at least one such rule has a condition. `cross-tenant`: the resource belongs to
 * another tenant (always denied, whatever the roles say).
 */
export type QueryClass = 'simple' | 'conditional' | 'cross-tenant';

export interface Query {
  readonly user: User;
  readonly action: string;
  readonly resource: Resource;
  readonly class: QueryClass;
}

export interface QueryStream {
  readonly simple: readonly Query[];
  readonly conditional: readonly Query[];
  readonly crossTenant: readonly Query[];
  /** All of the above, shuffled together. */
  readonly mixed: readonly Query[];
}

/** What every contender is reduced to: one synchronous decision. */
export type Checker = (user: User, action: string, resource: Resource) => boolean;
/** Builds a contender from the abstract model (once, before timing). */
export type CheckerFactory = (model: AuthzModel) => Checker | Promise<Checker>;

/** The knobs of the generator; `SHAPES` holds the two sizes the issue asks for. */
export interface ModelShape {
  readonly tenants: number;
  readonly topRoles: number;
  readonly midRoles: number;
  readonly leafRoles: number;
  /** Inheritance edges per top role (to mid roles) and per mid role (to leaf roles). */
  readonly midPerTop: number;
  readonly leafPerMid: number;
  readonly kinds: number;
  readonly actions: number;
  readonly users: number;
  /** Total rules; the first `kinds × actions` grant every permission once, the rest are extra grants and denies. */
  readonly rules: number;
  /** Share of the extra rules that are denies. */
  readonly denyShare: number;
}

export const SHAPES: Readonly<Record<ModelSize, ModelShape>> = {
  // The small model: 100 users, 20 roles in 3 levels, 200 permissions (20 kinds × 10 actions).
  small: { tenants: 3, topRoles: 4, midRoles: 8, leafRoles: 8, midPerTop: 2, leafPerMid: 2, kinds: 20, actions: 10, users: 100, rules: 300, denyShare: 0.3 },
  // The large model: 20,000 rules over 200 roles and 4,000 permissions, still 100 users.
  large: { tenants: 3, topRoles: 20, midRoles: 60, leafRoles: 120, midPerTop: 3, leafPerMid: 2, kinds: 200, actions: 20, users: 100, rules: 20_000, denyShare: 0.1 },
};

const KIND_NAMES = [
  'document', 'invoice', 'project', 'ticket', 'report', 'contract', 'order', 'customer', 'payment', 'shipment',
  'product', 'comment', 'task', 'budget', 'asset', 'license', 'meeting', 'survey', 'dataset', 'webhook',
] as const;
// No `manage` and no `all`: CASL gives those two words special meaning (any action, any subject).
const ACTION_NAMES = [
  'read', 'list', 'create', 'update', 'delete', 'publish', 'archive', 'share', 'export', 'approve',
  'comment', 'assign', 'restore', 'duplicate', 'import', 'lock', 'unlock', 'review', 'sign', 'transfer',
] as const;

const DEFAULT_SEED = 0x5eed_a7c1;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function kindNames(count: number): string[] {
  if (count <= KIND_NAMES.length) return KIND_NAMES.slice(0, count);
  const width = String(Math.ceil(count / KIND_NAMES.length)).length;
  return Array.from({ length: count }, (_, i) => `${KIND_NAMES[i % KIND_NAMES.length]!}${pad(Math.floor(i / KIND_NAMES.length), width)}`);
}

function actionNames(count: number): string[] {
  if (count > ACTION_NAMES.length) throw new RangeError(`at most ${ACTION_NAMES.length} actions`);
  return ACTION_NAMES.slice(0, count);
}

/** Generates the abstract model of one size; the same `size` and `seed` always give the same model. */
export function generateModel(size: ModelSize, seed: number = DEFAULT_SEED): AuthzModel {
  const shape = SHAPES[size];
  const random = new SeededRandom(seed ^ (size === 'small' ? 0x1111 : 0x2222));
  const tenants = Array.from({ length: shape.tenants }, (_, i) => `tenant-${pad(i, 2)}`);
  const kinds = kindNames(shape.kinds);
  const actions = actionNames(shape.actions);

  const leafIds = Array.from({ length: shape.leafRoles }, (_, i) => `role-leaf-${pad(i, 3)}`);
  const midIds = Array.from({ length: shape.midRoles }, (_, i) => `role-mid-${pad(i, 3)}`);
  const topIds = Array.from({ length: shape.topRoles }, (_, i) => `role-top-${pad(i, 3)}`);
  const roles: Role[] = [
    ...topIds.map((id): Role => ({ id, level: 'top', inherits: random.sample(midIds, shape.midPerTop) })),
    ...midIds.map((id): Role => ({ id, level: 'mid', inherits: random.sample(leafIds, shape.leafPerMid) })),
    ...leafIds.map((id): Role => ({ id, level: 'leaf', inherits: [] })),
  ];
  const idsByLevel: Record<RoleLevel, readonly string[]> = { top: topIds, mid: midIds, leaf: leafIds };

  const users = Array.from({ length: shape.users }, (_, i): User => {
    const count = random.chance(0.4) ? 2 : 1;
    const assigned = new Set<string>();
    while (assigned.size < count) assigned.add(random.pick(idsByLevel[random.weighted({ top: 15, mid: 35, leaf: 50 })]));
    return { id: `user-${pad(i, 3)}`, tenant: tenants[i % tenants.length]!, roles: [...assigned] };
  });

  const rules: Rule[] = [];
  const seen = new Set<string>();
  const add = (rule: Rule): void => {
    const key = `${rule.role}|${rule.kind}|${rule.action}|${rule.effect}|${rule.condition}`;
    if (seen.has(key)) return;
    seen.add(key);
    rules.push(rule);
  };
  const anyRole = (): string => random.pick(idsByLevel[random.weighted({ top: 20, mid: 30, leaf: 50 })]);
  const allowCondition = (): Condition => random.weighted({ none: 70, owner: 15, draft: 15 });
  // Denies model segregation of duties ("cannot approve your own"), freezes ("no exports of drafts") and plain bans.
  const denyCondition = (): Condition => random.weighted({ none: 50, owner: 25, draft: 25 });

  for (const kind of kinds) {
    for (const action of actions) add({ role: anyRole(), kind, action, effect: 'allow', condition: allowCondition() });
  }
  if (shape.rules < rules.length) throw new RangeError(`${size}: ${shape.rules} rules cannot grant ${rules.length} permissions`);
  while (rules.length < shape.rules) {
    const deny = random.chance(shape.denyShare);
    add({
      role: anyRole(),
      kind: random.pick(kinds),
      action: random.pick(actions),
      effect: deny ? 'deny' : 'allow',
      condition: deny ? denyCondition() : allowCondition(),
    });
  }

  return { size, seed, tenants, kinds, actions, roles, users, rules };
}

/**
 * The roles a user holds, assigned and inherited (transitive closure over `inherits`). Shared by the query
 * classifier and the CASL translation; the oracle walks the hierarchy on its own so a bug here cannot hide there.
 */
export function effectiveRoles(model: AuthzModel, user: User): ReadonlySet<string> {
  const byId = new Map(model.roles.map((role) => [role.id, role]));
  const held = new Set<string>();
  const visit = (id: string): void => {
    if (held.has(id)) return;
    held.add(id);
    for (const parent of byId.get(id)?.inherits ?? []) visit(parent);
  };
  for (const id of user.roles) visit(id);
  return held;
}

/** How many queries of each class `generateQueries` makes. */
export interface QueryCounts {
  readonly simple: number;
  readonly conditional: number;
  readonly crossTenant: number;
}

export const DEFAULT_QUERY_COUNTS: QueryCounts = { simple: 1024, conditional: 1024, crossTenant: 256 };

/**
 * A deterministic stream of (user, action, resource) queries over `model`. Most target a permission the user's roles
 * mention (so allows, denies and conditions all fire), the rest a random permission (default deny); owners and
 * statuses are split half-and-half so conditions go both ways; cross-tenant queries aim at permissions the user holds,
 * half of them on resources that even name the user as owner, so only tenant isolation stops them.
 */
export function generateQueries(model: AuthzModel, counts: QueryCounts = DEFAULT_QUERY_COUNTS, seed: number = model.seed): QueryStream {
  const random = new SeededRandom(seed ^ 0x9e37_79b9);
  const rulesByRole = new Map<string, Rule[]>();
  for (const rule of model.rules) {
    const list = rulesByRole.get(rule.role);
    if (list === undefined) rulesByRole.set(rule.role, [rule]);
    else list.push(rule);
  }
  const usersByTenant = new Map<string, User[]>(model.tenants.map((tenant) => [tenant, model.users.filter((u) => u.tenant === tenant)]));
  const rulesOfUser = new Map<string, readonly Rule[]>(
    model.users.map((user) => [user.id, [...effectiveRoles(model, user)].flatMap((role) => rulesByRole.get(role) ?? [])]),
  );
  let serial = 0;
  const resource = (user: User, kind: string, tenant: string): Resource => {
    const others = (usersByTenant.get(tenant) ?? []).filter((u) => u.id !== user.id);
    return {
      kind,
      id: `${kind}-${pad(serial++, 5)}`,
      tenant,
      owner: random.chance(0.5) || others.length === 0 ? user.id : random.pick(others).id,
      status: random.chance(0.5) ? 'draft' : 'published',
    };
  };
  const target = (user: User, mentionedShare: number): { kind: string; action: string } => {
    const mentioned = rulesOfUser.get(user.id) ?? [];
    if (mentioned.length > 0 && random.chance(mentionedShare)) return random.pick(mentioned);
    return { kind: random.pick(model.kinds), action: random.pick(model.actions) };
  };

  const simple: Query[] = [];
  const conditional: Query[] = [];
  const maxAttempts = 1000 * (counts.simple + counts.conditional + 1);
  for (let attempt = 0; simple.length < counts.simple || conditional.length < counts.conditional; attempt++) {
    if (attempt > maxAttempts) throw new Error(`${model.size}: could not draw ${counts.simple} simple and ${counts.conditional} conditional queries`);
    const user = random.pick(model.users);
    const { kind, action } = target(user, 0.7);
    const relevant = (rulesOfUser.get(user.id) ?? []).filter((rule) => rule.kind === kind && rule.action === action);
    const isConditional = relevant.some((rule) => rule.condition !== 'none');
    const bucket = isConditional ? conditional : simple;
    if (bucket.length >= (isConditional ? counts.conditional : counts.simple)) continue;
    bucket.push({ user, action, resource: resource(user, kind, user.tenant), class: isConditional ? 'conditional' : 'simple' });
  }

  const crossTenant = Array.from({ length: counts.crossTenant }, (): Query => {
    const user = random.pick(model.users);
    const { kind, action } = target(user, 1);
    const tenant = random.pick(model.tenants.filter((t) => t !== user.tenant));
    return { user, action, resource: resource(user, kind, tenant), class: 'cross-tenant' };
  });

  return { simple, conditional, crossTenant, mixed: random.shuffle([...simple, ...conditional, ...crossTenant]) };
}
