import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../events.js';
import { AuthzPolicyError } from '../errors.js';
import { DOCUMENTS_POLICY, documentsPolicy } from '../testing.fixtures.js';
import { compilePolicies } from './compile.js';

const HEADER = 'apiVersion: rampart.authz/v1\nname: test\nversion: "1"\n';

function refused(text: string): AuthzPolicyError {
  try {
    compilePolicies([{ source: 'test.yaml', text }]);
  } catch (error) {
    if (error instanceof AuthzPolicyError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('role hierarchy', () => {
  it('refuses a cycle and names every role on it', () => {
    const error = refused(`${HEADER}roles:\n  a:\n    inherits: [b]\n  b:\n    inherits: [c]\n  c:\n    inherits: [a]\n  d:\n    inherits: [a]\n`);
    expect(error.code).toBe('AUTHZ_ROLE_CYCLE');
    expect(error.cycle).toHaveLength(4);
    expect(error.cycle?.[0]).toBe(error.cycle?.[3]);
    expect([...new Set(error.cycle)].sort()).toEqual(['a', 'b', 'c']);
    expect(error.message).toMatch(/a → b → c → a|b → c → a → b|c → a → b → c/);
    expect(error.source).toBe('test.yaml');
    expect(error.path).toMatch(/^\/roles\/[abc]\/inherits\/0$/);
  });

  it('refuses self-inheritance and unknown parents', () => {
    expect(refused(`${HEADER}roles:\n  a:\n    inherits: [a]\n`).cycle).toEqual(['a', 'a']);
    const unknown = refused(`${HEADER}roles:\n  a:\n    inherits: [ghost]\n`);
    expect(unknown.code).toBe('AUTHZ_POLICY_UNKNOWN_REFERENCE');
    expect(unknown.path).toBe('/roles/a/inherits/0');
  });

  it('computes closures over a diamond; refuses chains deeper than 64 before they cost memory', () => {
    const diamond = compilePolicies([
      { source: 'd.yaml', text: `${HEADER}roles:\n  base: {}\n  left:\n    inherits: [base]\n  right:\n    inherits: [base]\n  top:\n    inherits: [left, right]\n` },
    ]);
    expect(diamond.roles.get('top')?.ancestors).toEqual(['base', 'left', 'right', 'top']);
    const chain = (length: number) => {
      const roles: Record<string, { inherits?: string[] }> = { r0: {} };
      for (let i = 1; i < length; i += 1) roles[`r${i}`] = { inherits: [`r${i - 1}`] };
      return compilePolicies([{ source: 'chain.json', document: { apiVersion: 'rampart.authz/v1', name: 'chain', version: '1', roles } }]);
    };
    expect(chain(64).roles.get('r63')?.ancestors).toHaveLength(64);
    // A 100 000-role chain: refused (not a stack overflow, not a quadratic closure).
    expect(() => chain(100_000)).toThrow(expect.objectContaining({ code: 'AUTHZ_POLICY_INVALID', path: '/roles/r64/inherits' }));
    const flat: Record<string, { inherits?: string[] }> = { base: {} };
    for (let i = 0; i < 20_000; i += 1) flat[`r${i}`] = { inherits: ['base'] };
    const wide = compilePolicies([{ source: 'wide.json', document: { apiVersion: 'rampart.authz/v1', name: 'wide', version: '1', roles: flat } }]);
    expect(wide.roles.get('r19999')?.ancestors).toEqual(['base', 'r19999']);
  });
});

describe('references, duplicates, wildcards', () => {
  it('refuses unknown kinds, actions, roles and fields, with their location', () => {
    const cases: [string, string][] = [
      [`${HEADER}roles:\n  a:\n    permissions: ["ghost:read"]\n`, '/roles/a/permissions/0'],
      [`${HEADER}roles:\n  a:\n    permissions: ["doc:write"]\nresources:\n  doc:\n    actions: [read]\n`, '/roles/a/permissions/0'],
      [`${HEADER}roles:\n  a:\n    permissions: ["*:write"]\nresources:\n  doc:\n    actions: [read]\n`, '/roles/a/permissions/0'],
      [`${HEADER}resources:\n  doc:\n    actions: [read]\n    rules:\n      - {name: r, effect: allow, roles: [ghost], actions: [read]}\n`, '/resources/doc/rules/0/roles/0'],
      [`${HEADER}roles:\n  a: {}\nresources:\n  doc:\n    actions: [read]\n    rules:\n      - {name: r, effect: allow, roles: [a], actions: [write]}\n`, '/resources/doc/rules/0/actions/0'],
      [`${HEADER}roles:\n  a: {}\nresources:\n  doc:\n    actions: [read]\n    rules:\n      - {name: r, effect: allow, roles: [a], actions: [read], fields: [x]}\n`, '/resources/doc/rules/0/fields/0'],
      [`${HEADER}derivedRoles:\n  owner:\n    parentRoles: [ghost]\n    condition: "true"\n`, '/derivedRoles/owner/parentRoles/0'],
      [`${HEADER}scopes:\n  s: ["doc:read"]\n`, '/scopes/s/0'],
    ];
    for (const [text, path] of cases) {
      const error = refused(text);
      expect(error.code, text).toBe('AUTHZ_POLICY_UNKNOWN_REFERENCE');
      expect(error.path, text).toBe(path);
    }
  });

  it('refuses duplicates within and across documents', () => {
    expect(refused(`${HEADER}roles:\n  a:\n    permissions: ["doc:read", "doc:read"]\nresources:\n  doc:\n    actions: [read]\n`).code).toBe('AUTHZ_POLICY_DUPLICATE');
    expect(refused(`${HEADER}resources:\n  doc:\n    actions: [read, read]\n`).code).toBe('AUTHZ_POLICY_DUPLICATE');
    expect(
      refused(`${HEADER}roles:\n  a: {}\nresources:\n  doc:\n    actions: [read]\n    rules:\n      - {name: r, effect: allow, roles: [a], actions: [read]}\n      - {name: r, effect: deny, roles: [a], actions: [read]}\n`).path,
    ).toBe('/resources/doc/rules/1');
    expect(refused(`${HEADER}roles:\n  owner: {}\nderivedRoles:\n  owner:\n    parentRoles: [owner]\n    condition: "true"\n`).code).toBe('AUTHZ_POLICY_DUPLICATE');
    const other = `apiVersion: rampart.authz/v1\nname: other\nversion: "1"\nroles:\n  viewer: {}\n`;
    expect(() => compilePolicies([{ source: 'a.yaml', text: DOCUMENTS_POLICY }, { source: 'b.yaml', text: other }])).toThrow(
      expect.objectContaining({ code: 'AUTHZ_POLICY_DUPLICATE', source: 'b.yaml', path: '/roles/viewer' }),
    );
    expect(() => compilePolicies([{ source: 'a.yaml', text: DOCUMENTS_POLICY }, { source: 'b.yaml', text: DOCUMENTS_POLICY }])).toThrow(
      expect.objectContaining({ code: 'AUTHZ_POLICY_DUPLICATE', path: '/name' }),
    );
  });

  it('names that are Object.prototype keys are ordinary names', () => {
    const set = compilePolicies([
      {
        source: 'proto.yaml',
        text: `${HEADER}roles:\n  constructor:\n    permissions: ["toString:valueOf"]\nscopes:\n  __proto__: ["toString:*"]\nresources:\n  toString:\n    actions: [valueOf, hasOwnProperty]\n`,
      },
    ]);
    expect(set.rulesFor('toString', 'valueOf').map((rule) => rule.name)).toEqual(['roles/constructor/toString:valueOf']);
    expect(set.scopes.get('__proto__')).toEqual(['toString:valueOf', 'toString:hasOwnProperty']);
    expect(({} as Record<string, unknown>)['toString:valueOf']).toBeUndefined();
  });

  it('expands explicit wildcards against the declared actions, at load', () => {
    const set = documentsPolicy();
    const adminRule = set.rulesFor('document', 'purge').find((rule) => rule.name === 'roles/admin/document:*');
    expect(adminRule?.actions).toEqual(['read', 'list', 'create', 'update', 'delete', 'share', 'purge']);
    expect(adminRule?.grantedRoles).toEqual(['admin']);
    expect(set.scopes.get('documents:write')).toHaveLength(7);
    expect([...set.scopesFor('document', 'read')].sort()).toEqual(['documents:read', 'documents:write']);
    const anyKind = compilePolicies([
      { source: 'w.yaml', text: `${HEADER}roles:\n  r:\n    permissions: ["*:read"]\nresources:\n  a:\n    actions: [read, write]\n  b:\n    actions: [read]\n  c:\n    actions: [write]\n` },
    ]);
    expect(anyKind.rulesFor('a', 'read')).toHaveLength(1);
    expect(anyKind.rulesFor('b', 'read')).toHaveLength(1);
    expect(anyKind.rulesFor('a', 'write')).toHaveLength(0);
    expect(anyKind.rulesFor('c', 'write')).toHaveLength(0);
  });
});

describe('the compiled representation (what a query planner reads)', () => {
  it('lists, per kind and action, the rules with effect, roles and the CEL AST of their condition', () => {
    const set = documentsPolicy();
    const rules = set.rulesFor('document', 'update');
    expect(rules.map((rule) => [rule.effect, rule.name])).toEqual([
      ['deny', 'resources/document/locked-is-read-only'],
      ['allow', 'roles/editor/document:update'],
      ['allow', 'roles/admin/document:*'],
      ['allow', 'resources/document/owner-edits-own'],
    ]);
    const editor = rules[1];
    expect(editor?.grantedRoles).toEqual(['editor', 'admin']);
    const owner = rules[3];
    expect(owner?.derivedRoles).toEqual(['owner']);
    expect(set.derivedRoles.get('owner')?.condition.ast).toMatchObject({
      kind: 'call',
      function: '_==_',
      args: [
        { kind: 'select', field: 'owner', operand: { kind: 'ident', name: 'resource' } },
        { kind: 'select', field: 'id', operand: { kind: 'ident', name: 'principal' } },
      ],
    });
    const locked = rules[0];
    expect(locked?.anyRole).toBe(true);
    expect(locked?.condition?.source).toMatch(/locked/);
    expect(locked?.source).toBe('documents.yaml');
    expect(locked?.path).toBe('/resources/document/rules/1');
    expect(set.rulesFor('document', 'nope')).toEqual([]);
    expect(set.rulesFor('nope', 'read')).toEqual([]);
    expect(set.resourceKinds.get('profile')?.fields).toEqual(['displayName', 'bio', 'role', 'email']);
  });

  it('versions and digests the set: every decision carries the version', () => {
    const set = documentsPolicy();
    expect(set.version).toBe('2026-01-15.1');
    expect(set.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(documentsPolicy().digest).toBe(set.digest);
    expect(compilePolicies([{ source: 'documents.yaml', text: DOCUMENTS_POLICY.replace('"2026-01-15.1"', '"2026-01-15.2"') }]).digest).not.toBe(set.digest);
    expect(documentsPolicy({ version: 'release-42' }).version).toBe('release-42');
    const two = compilePolicies([
      { source: 'a.yaml', text: DOCUMENTS_POLICY },
      { source: 'b.yaml', text: 'apiVersion: rampart.authz/v1\nname: extra\nversion: "7"\nroles:\n  auditor: {}\n' },
    ]);
    expect(two.version).toBe('documents@2026-01-15.1+extra@7');
    expect(two.documents.map((d) => d.source)).toEqual(['a.yaml', 'b.yaml']);
    expect(compilePolicies([]).version).toBe('empty');
    expect(() => compilePolicies([], { version: 'has space' })).toThrow(AuthzPolicyError);
  });

  it('small YAML anchors are fine; limits raised by name are reported', () => {
    const events: SecurityEvent[] = [];
    const set = compilePolicies(
      [{ source: 'anchors.yaml', text: `${HEADER}roles:\n  a:\n    permissions: &p ["doc:read"]\n  b:\n    permissions: *p\nresources:\n  doc:\n    actions: [read]\n` }],
      { limits: { maxConditionCost: 200_000 }, events: (event) => events.push(event) },
    );
    expect(set.rulesFor('doc', 'read')).toHaveLength(2);
    expect(set.limits.maxConditionCost).toBe(200_000);
    expect(events.map((event) => event.attributes?.option)).toEqual(['maxConditionCost']);
  });

  it('refuses a condition that does not compile, naming the rule and its path', () => {
    const error = refused(`${HEADER}roles:\n  a: {}\nresources:\n  doc:\n    actions: [read]\n    rules:\n      - {name: r, effect: allow, roles: [a], actions: [read], condition: "resource.ownr == principal.id"}\n`);
    expect(error.code).toBe('AUTHZ_CONDITION_INVALID');
    expect(error.path).toBe('/resources/doc/rules/0/condition');
    expect(error.message).toMatch(/resources\/doc\/r: "resource" has no field "ownr"/);
  });
});
