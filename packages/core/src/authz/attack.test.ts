import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Authorizer } from './engine/authorizer.js';
import type { CheckContext, Principal, Resource } from './model.js';
import { compilePolicies } from './policy/compile.js';
import { documentsPolicy, FIXED_TIME } from './testing.fixtures.js';

/** Corpus payloads, with the escapes `\uXXXX`, `\t`, `\n` decoded. */
function corpus(name: string): string[] {
  return readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) =>
      line
        .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
        .replaceAll('\\t', '\t')
        .replaceAll('\\n', '\n'),
    );
}

/** A notes API where every user may only touch their own notes, and admins may purge. */
const NOTES = compilePolicies([
  {
    source: 'notes.yaml',
    text: `
apiVersion: rampart.authz/v1
name: notes
version: "3"
roles:
  user: {}
  admin:
    inherits: [user]
    permissions: ["note:purge"]
derivedRoles:
  author:
    parentRoles: [user]
    condition: resource.owner == principal.id
resources:
  note:
    actions: [read, update, delete, purge]
    rules:
      - name: authors-own-notes
        effect: allow
        roles: [author]
        actions: [read, update, delete]
`,
  },
]);
const notes = new Authorizer(NOTES);
const documents = new Authorizer(documentsPolicy());
const at: CheckContext = { time: FIXED_TIME };

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('OWASP API1: broken object level authorization', () => {
  it('attack: a user reads another user’s note by id; denied, with the reason', () => {
    const alice: Principal = { id: 'alice', roles: ['user'] };
    const bobsNote: Resource = { kind: 'note', id: 'n-42', owner: 'bob' };
    for (const action of ['read', 'update', 'delete']) {
      const decision = notes.check(alice, action, bobsNote);
      expect(decision).toMatchObject({ allowed: false, reason: 'no_rule_matched', policyVersion: '3' });
    }
    const explanation = notes.explain(alice, 'read', bobsNote);
    expect(explanation.derivedRoles).toEqual([{ name: 'author', outcome: 'false', error: undefined }]);
    // The same request for her own note is allowed, so the denial is about ownership, not the route.
    expect(notes.check(alice, 'read', { ...bobsNote, owner: 'alice' })).toMatchObject({ allowed: true, rule: 'resources/note/authors-own-notes' });
  });

  it('attack: ownership spoofing through the id type or an empty owner fails', () => {
    expect(notes.check({ id: 'bob ', roles: ['user'] }, 'read', { kind: 'note', owner: 'bob' }).allowed).toBe(false);
    expect(notes.check({ id: 'BOB', roles: ['user'] }, 'read', { kind: 'note', owner: 'bob' }).allowed).toBe(false);
    expect(notes.check({ id: '', roles: ['user'] }, 'read', { kind: 'note', owner: '' })).toMatchObject({ allowed: false, reason: 'invalid_request' });
    expect(notes.check({ id: '42', roles: ['user'] }, 'read', { kind: 'note', owner: 42 as unknown as string })).toMatchObject({ allowed: false, reason: 'invalid_request' });
  });
});

describe('OWASP API3: broken object property level authorization', () => {
  it('attack: a user promotes themself by writing the `role` property of their own profile; denied, naming the field', () => {
    const me: Principal = { id: 'u7', roles: ['member'] };
    const myProfile: Resource = { kind: 'profile', id: 'u7' };
    expect(documents.check(me, 'read', myProfile).allowed).toBe(true);
    const decision = documents.check(me, 'update', myProfile, { fields: ['displayName', 'role'] });
    expect(decision).toMatchObject({ allowed: false, reason: 'field_not_allowed', field: 'role', policyVersion: '2026-01-15.1' });
    expect(documents.check(me, 'update', myProfile, { fields: ['displayName'] }).allowed).toBe(true);
    // Leaving the fields out does not dodge the field rules: it counts as writing every field.
    expect(documents.check(me, 'update', myProfile).allowed).toBe(false);
    // Unknown fields are refused, not ignored (a mass-assignment key the policy never heard of).
    expect(documents.check(me, 'update', myProfile, { fields: ['isAdmin'] })).toMatchObject({ allowed: false, reason: 'unknown_field' });
  });
});

describe('OWASP API5: broken function level authorization', () => {
  it('attack: a non-admin calls the admin-only purge; denied, with the reason', () => {
    for (const roles of [['user'], ['user', 'superuser'], ['User'], []]) {
      const decision = notes.check({ id: 'mallory', roles }, 'purge', { kind: 'note', id: 'n1', owner: 'mallory' });
      expect(decision.allowed, roles.join(',')).toBe(false);
      expect(['no_rule_matched', 'no_role_in_tenant']).toContain(decision.reason);
    }
    expect(notes.check({ id: 'root', roles: ['admin'] }, 'purge', { kind: 'note', id: 'n1', owner: 'x' })).toMatchObject({ allowed: true, rule: 'roles/admin/note:purge' });
    expect(documents.check({ id: 'e', tenant: 'acme', roles: ['editor'] }, 'purge', { kind: 'document', tenant: 'acme' }, at)).toMatchObject({ allowed: false, reason: 'no_rule_matched' });
  });

  it('attack: a wildcard sent as the action or kind is just an unknown name', () => {
    const adminOfNothing: Principal = { id: 'x', roles: ['user'] };
    expect(notes.check(adminOfNothing, '*', { kind: 'note', owner: 'x' })).toMatchObject({ allowed: false, reason: 'unknown_action' });
    expect(notes.check(adminOfNothing, 'read', { kind: '*', owner: 'x' })).toMatchObject({ allowed: false, reason: 'unknown_resource_kind' });
  });
});

describe('cross-tenant access', () => {
  it('attack: an admin of tenant A opens a tenant B document by id; denied, with the reason', () => {
    const acmeAdmin: Principal = { id: 'root', tenant: 'acme', roles: ['admin'] };
    const globexDoc: Resource = { kind: 'document', id: 'g-1', owner: 'root', tenant: 'globex' };
    for (const action of ['read', 'update', 'delete', 'purge']) {
      expect(documents.check(acmeAdmin, action, globexDoc, at)).toMatchObject({ allowed: false, reason: 'no_role_in_tenant' });
    }
    // Same user id in both tenants: ownership does not cross tenants either.
    expect(documents.check({ id: 'root', tenant: 'acme', roles: ['viewer'] }, 'update', globexDoc, at).allowed).toBe(false);
    // Role bindings keyed by prototype names bind nothing.
    for (const tenant of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const principal: Principal = { id: 'root', tenant: 'acme', roles: ['admin'], tenantRoles: {} };
      expect(documents.check(principal, 'read', { ...globexDoc, tenant }, at), tenant).toMatchObject({ allowed: false, reason: 'no_role_in_tenant' });
    }
  });
});

describe('hostile identifiers', () => {
  it('attack: every hostile name as action, kind, tenant, role, field or scope is denied without throwing', () => {
    const payloads = corpus('hostile-identifiers.txt');
    expect(payloads.length).toBeGreaterThanOrEqual(20);
    const admin: Principal = { id: 'root', tenant: 'acme', roles: ['admin'] };
    const doc: Resource = { kind: 'document', id: 'd', owner: 'root', tenant: 'acme' };
    for (const name of payloads) {
      expect(documents.check(admin, name, doc, at).allowed, `action ${JSON.stringify(name)}`).toBe(false);
      expect(documents.check(admin, 'read', { ...doc, kind: name }, at).allowed, `kind ${JSON.stringify(name)}`).toBe(false);
      expect(documents.check(admin, 'read', { ...doc, tenant: name }, at).allowed, `tenant ${JSON.stringify(name)}`).toBe(false);
      expect(documents.check({ ...admin, roles: [name] }, 'read', doc, at).allowed, `role ${JSON.stringify(name)}`).toBe(false);
      expect(documents.check({ ...admin, roles: [], tenantRoles: { [name]: ['admin'] } }, 'read', doc, at).allowed, `tenant key ${JSON.stringify(name)}`).toBe(false);
      expect(documents.check(admin, 'update', { kind: 'profile', id: 'root' }, { fields: [name] }).allowed, `field ${JSON.stringify(name)}`).toBe(false);
      expect(documents.check(admin, 'read', doc, { ...at, scopes: [name] }).allowed, `scope ${JSON.stringify(name)}`).toBe(false);
    }
    // The lookups are exact: the real names still work.
    expect(documents.check(admin, 'read', doc, at).allowed).toBe(true);
  });
});
