import fc from 'fast-check';
import { compilePolicies } from '../policy/compile.js';
import type { CheckContext, Principal, Resource } from '../model.js';
import type { PlanColumns } from './sql.js';

/** A policy exercising every feature the planner translates: inheritance, derived roles, attributes, denies, tenants, scopes, fields. */
export const PLAN_POLICY = compilePolicies([
  {
    source: 'plan.yaml',
    text: `
apiVersion: rampart.authz/v1
name: plan
version: "1"
roles:
  viewer: { permissions: ["doc:read"] }
  editor: { inherits: [viewer], permissions: ["doc:update"] }
  admin: { inherits: [editor], permissions: ["doc:*"] }
  auditor: { global: true }
  guest: {}
derivedRoles:
  owner:
    parentRoles: [viewer, guest]
    condition: resource.owner == principal.id
  colleague:
    parentRoles: [guest]
    condition: has(resource.attributes.dept) && resource.attributes.dept == principal.attributes.dept
scopes:
  "docs:read": ["doc:read"]
  "docs:write": ["doc:*"]
resources:
  doc:
    actions: [read, update, delete]
    fields: [title, status]
    rules:
      - { name: owner-edits, effect: allow, roles: [owner], actions: [update, delete] }
      - name: published
        effect: allow
        roles: ["*"]
        actions: [read]
        condition: resource.attributes.status == "published" && request.time < timestamp("2100-01-01T00:00:00Z")
      - name: auditor-reads
        effect: allow
        roles: [auditor]
        actions: [read]
        condition: resource.attributes.level <= 2 || resource.attributes.status in ["archived", "published"]
      - { name: colleague-reads, effect: allow, roles: [colleague], actions: [read] }
      - name: guest-titles
        effect: allow
        roles: [guest]
        actions: [update]
        fields: [title]
        condition: resource.owner == principal.id || !(resource.attributes.status != "draft")
      - name: guest-deletes-listed
        effect: allow
        roles: [guest]
        actions: [delete]
        condition: resource.id in ["d1", "d2", "d3"] && resource.tenant == principal.tenant
      - name: locked
        effect: deny
        roles: ["*"]
        actions: [update, delete]
        condition: has(resource.attributes.locked) && resource.attributes.locked
      - name: secret
        effect: deny
        roles: [viewer]
        actions: [read]
        condition: resource.attributes.level > 3 && !("admin" in principal.roles)
      - name: published-status-frozen
        effect: deny
        roles: [editor]
        actions: [update]
        fields: [status]
        condition: "has(resource.attributes.status) ? resource.attributes.status == 'published' : false"
`,
  },
]);

export const COLUMNS: PlanColumns = {
  owner: 'owner_id',
  tenant: 'tenant_id',
  id: 'id',
  attributes: {
    status: 'status',
    dept: 'dept',
    level: { column: 'level', type: 'number' },
    locked: { column: 'locked', type: 'boolean' },
  },
};

/** One stored row; NULL attributes are absent. */
export interface DocRow {
  readonly id: string;
  readonly owner_id: string | null;
  readonly tenant_id: string | null;
  readonly status: string | null;
  readonly dept: string | null;
  readonly level: number | null;
  readonly locked: boolean | null;
}

export function resourceOf(row: DocRow): Resource {
  const attributes: Record<string, string | number | boolean> = {};
  if (row.status !== null) attributes.status = row.status;
  if (row.dept !== null) attributes.dept = row.dept;
  if (row.level !== null) attributes.level = row.level;
  if (row.locked !== null) attributes.locked = row.locked;
  return {
    kind: 'doc',
    id: row.id,
    ...(row.owner_id === null ? {} : { owner: row.owner_id }),
    ...(row.tenant_id === null ? {} : { tenant: row.tenant_id }),
    attributes,
  };
}

const users = ['alice', 'bob', 'carol', "mallory' OR '1'='1"] as const;
const tenants = ['acme', 'globex', 'initech'] as const;
const roleNames = ['viewer', 'editor', 'admin', 'auditor', 'guest', 'unknown-role'] as const;

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });

export const rowArb: fc.Arbitrary<Omit<DocRow, 'id'>> = fc.record({
  owner_id: maybe(fc.constantFrom(...users)),
  tenant_id: maybe(fc.constantFrom(...tenants)),
  status: maybe(fc.constantFrom('draft', 'published', 'archived', "published' --")),
  dept: maybe(fc.constantFrom('eng', 'ops')),
  level: maybe(fc.constantFrom(0, 1, 2, 2.5, 3, 4, 5)),
  locked: maybe(fc.boolean()),
});

export const rowsArb: fc.Arbitrary<DocRow[]> = fc
  .array(rowArb, { minLength: 0, maxLength: 25 })
  .map((rows) => rows.map((row, i) => ({ id: `d${i}`, ...row })));

const rolesArb = fc.subarray([...roleNames]);

export const principalArb: fc.Arbitrary<Principal> = fc.record(
  {
    id: fc.constantFrom(...users),
    tenant: fc.constantFrom(...tenants),
    roles: rolesArb,
    tenantRoles: fc.dictionary(fc.constantFrom(...tenants), rolesArb, { maxKeys: 2 }),
    globalRoles: rolesArb,
    attributes: fc.record({ dept: fc.constantFrom('eng', 'ops') }, { requiredKeys: [] }),
  },
  { requiredKeys: ['id'] },
);

export const contextArb: fc.Arbitrary<CheckContext> = fc.record(
  {
    scopes: fc.subarray(['docs:read', 'docs:write', 'other']),
    fields: fc.subarray(['title', 'status']),
    time: fc.constantFrom(new Date('2026-01-01T00:00:00Z'), new Date('2200-01-01T00:00:00Z')),
  },
  { requiredKeys: ['time'] },
);

export const actionArb = fc.constantFrom('read', 'update', 'delete');
