import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import type { CheckContext, Principal, Resource } from '../model.js';
import { compilePolicies } from '../policy/compile.js';
import type { CompiledPolicySet } from '../policy/types.js';
import { documentsPolicy, FIXED_TIME } from '../testing.fixtures.js';
import { Authorizer } from './authorizer.js';
import { decisionAuditAttributes } from './decision.js';

const set = documentsPolicy();
const authz = new Authorizer(set);
const at: CheckContext = { time: FIXED_TIME };
const viewer: Principal = { id: 'alice', tenant: 'acme', roles: ['viewer'] };
const editor: Principal = { id: 'bob', tenant: 'acme', roles: ['editor'] };
const admin: Principal = { id: 'root', tenant: 'acme', roles: ['admin'] };
const doc: Resource = { kind: 'document', id: 'd1', owner: 'alice', tenant: 'acme', attributes: {} };

describe('decisions and reasons', () => {
  it('RBAC: role permissions with inheritance, each decision naming policy, rule and version', () => {
    expect(authz.check(viewer, 'read', doc, at)).toEqual({
      allowed: true,
      reason: 'rule_allowed',
      policy: 'documents',
      rule: 'roles/viewer/document:read',
      policyVersion: '2026-01-15.1',
      field: undefined,
      error: undefined,
      evaluationNs: undefined,
    });
    expect(authz.check(editor, 'read', doc, at).rule).toBe('roles/viewer/document:read');
    expect(authz.check(editor, 'create', doc, at).rule).toBe('roles/editor/document:create');
    expect(authz.check(admin, 'purge', doc, at).rule).toBe('roles/admin/document:*');
    expect(authz.check(editor, 'purge', doc, at)).toMatchObject({ allowed: false, reason: 'no_rule_matched', policy: undefined, rule: undefined });
  });

  it('derived roles: the owner edits their own document, a viewer not someone else’s', () => {
    expect(authz.check(viewer, 'update', doc, at)).toMatchObject({ allowed: true, rule: 'resources/document/owner-edits-own' });
    expect(authz.check(viewer, 'update', { ...doc, owner: 'bob' }, at)).toMatchObject({ allowed: false, reason: 'no_rule_matched' });
    expect(authz.check(viewer, 'update', { ...doc, owner: undefined }, at).allowed).toBe(false);
    // The derived role needs a parent role in the resource's tenant: ownership alone grants nothing.
    expect(authz.check({ id: 'alice', tenant: 'acme', roles: [] }, 'update', doc, at)).toMatchObject({ allowed: false, reason: 'no_role_in_tenant' });
  });

  it('deny overrides allow, whoever is allowed', () => {
    const locked = { ...doc, attributes: { locked: true } };
    for (const principal of [viewer, editor, admin]) {
      expect(authz.check(principal, 'update', locked, at)).toMatchObject({ allowed: false, reason: 'rule_denied', rule: 'resources/document/locked-is-read-only' });
    }
    expect(authz.check(admin, 'read', locked, at).allowed).toBe(true);
  });

  it('conditions see the request time; an admin is exempt from the embargo', () => {
    const embargoed = { ...doc, attributes: { embargoUntil: '2026-06-01T00:00:00Z' } };
    expect(authz.check(viewer, 'read', embargoed, at)).toMatchObject({ allowed: false, rule: 'resources/document/embargo' });
    expect(authz.check(viewer, 'read', embargoed, { time: new Date('2026-07-01T00:00:00Z') }).allowed).toBe(true);
    expect(authz.check(admin, 'read', embargoed, at).allowed).toBe(true);
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
    const clocked = new Authorizer(set, { clock });
    expect(clocked.check(viewer, 'read', embargoed).allowed).toBe(false);
    clock.set(Date.parse('2026-06-01T00:00:01Z'));
    expect(clocked.check(viewer, 'read', embargoed).allowed).toBe(true);
  });

  it('scopes narrow the roles and never widen them', () => {
    expect(authz.check(editor, 'update', { ...doc, owner: 'x' }, { ...at, scopes: ['documents:write'] }).allowed).toBe(true);
    expect(authz.check(editor, 'update', { ...doc, owner: 'x' }, { ...at, scopes: ['documents:read'] })).toMatchObject({ allowed: false, reason: 'scope_not_granted' });
    expect(authz.check(editor, 'read', doc, { ...at, scopes: ['documents:read', 'unknown:scope'] }).allowed).toBe(true);
    expect(authz.check(editor, 'read', doc, { ...at, scopes: [] })).toMatchObject({ allowed: false, reason: 'scope_not_granted' });
    // A scope that covers purge does not give an editor purge.
    expect(authz.check(editor, 'purge', doc, { ...at, scopes: ['documents:write'] })).toMatchObject({ allowed: false, reason: 'no_rule_matched' });
  });

  it('tenants: roles apply where they are bound; global roles only when declared global', () => {
    expect(authz.check(viewer, 'read', { ...doc, tenant: 'globex' }, at)).toMatchObject({ allowed: false, reason: 'no_role_in_tenant' });
    const consultant: Principal = { id: 'carol', tenant: 'acme', roles: ['viewer'], tenantRoles: { globex: ['editor'] } };
    expect(authz.check(consultant, 'update', { ...doc, tenant: 'globex', owner: 'x' }, at).allowed).toBe(true);
    expect(authz.check(consultant, 'update', { ...doc, owner: 'x' }, at).allowed).toBe(false);
    const operator: Principal = { id: 'op', tenant: 'ops', globalRoles: ['operator', 'admin'] };
    expect(authz.check(operator, 'read', { ...doc, tenant: 'anything' }, at)).toMatchObject({ allowed: true, rule: 'roles/operator/document:read' });
    expect(authz.check(operator, 'update', { ...doc, tenant: 'anything' }, at).allowed).toBe(false);
    // A tenant-scoped principal's roles do not apply to untenanted resources; single-tenant apps use neither.
    expect(authz.check(viewer, 'read', { kind: 'document' }, at)).toMatchObject({ allowed: false, reason: 'no_role_in_tenant' });
    expect(authz.check({ id: 'solo', roles: ['viewer'] }, 'read', { kind: 'document' }, at).allowed).toBe(true);
  });

  it('field-level permissions: every written field must be allowed', () => {
    const me: Principal = { id: 'u1', roles: ['member'] };
    const profile: Resource = { kind: 'profile', id: 'u1' };
    expect(authz.check(me, 'update', profile, { fields: ['displayName', 'bio'] })).toMatchObject({ allowed: true, rule: 'resources/profile/self-edit' });
    expect(authz.check(me, 'update', profile, { fields: ['displayName', 'role'] })).toMatchObject({ allowed: false, reason: 'field_not_allowed', field: 'role' });
    expect(authz.check(me, 'update', profile, { fields: ['email'], mfa: false })).toMatchObject({ allowed: false, reason: 'rule_denied', rule: 'resources/profile/email-needs-mfa' });
    expect(authz.check(me, 'update', profile, { fields: ['nickname'] })).toMatchObject({ allowed: false, reason: 'unknown_field' });
    expect(authz.check(me, 'update', { kind: 'profile', id: 'someone-else' }, { fields: ['bio'] })).toMatchObject({ allowed: false, reason: 'no_rule_matched' });
    // No field list means "every field": the field-restricted allow does not apply.
    expect(authz.check(me, 'update', profile, { mfa: true }).allowed).toBe(false);
    expect(authz.check({ id: 'root', roles: ['admin'] }, 'update', profile, { fields: ['role', 'email'], mfa: true }).allowed).toBe(true);
    expect(authz.check(me, 'update', profile, { fields: [] }).allowed).toBe(true);
  });

  it('unknown kinds and actions are denied with their own reason, and malformed requests never throw', () => {
    expect(authz.check(admin, 'read', { kind: 'invoice' }, at).reason).toBe('unknown_resource_kind');
    expect(authz.check(admin, 'approve', doc, at).reason).toBe('unknown_action');
    const malformed: [unknown, unknown, unknown, unknown][] = [
      [{ id: '', roles: ['admin'] }, 'read', doc, at],
      [{ id: 'x', roles: 'admin' }, 'read', doc, at],
      [{ id: 'x', tenant: 'acme', roles: [1] }, 'read', doc, at],
      [{ id: 'x', tenant: 'acme', roles: Array.from({ length: 1001 }, () => 'admin') }, 'read', doc, at],
      [{ id: 'x', tenant: '', roles: ['admin'] }, 'read', doc, at],
      [{ id: 'x', roles: ['admin'], tenantRoles: 'acme' }, 'read', doc, at],
      [null, 'read', doc, at],
      [admin, 42, doc, at],
      [admin, 'read', null, at],
      [admin, 'read', { kind: 7 }, at],
      [admin, 'read', { ...doc, owner: 5 }, at],
      [admin, 'read', doc, { time: new Date('nope') }],
      [admin, 'read', doc, { aal: 7 }],
      [admin, 'read', doc, { scopes: 'documents:read' }],
      [admin, 'read', doc, { fields: 'title' }],
      [admin, 'read', doc, { scopes: Array.from({ length: 1001 }, () => 'documents:read') }],
      [admin, 'read', doc, 'context'],
    ];
    for (const [principal, action, resource, context] of malformed) {
      expect(authz.check(principal as Principal, action as string, resource as Resource, context as CheckContext), JSON.stringify([principal, action, context])).toMatchObject({
        allowed: false,
        reason: 'invalid_request',
      });
    }
  });

  it('a condition error is a deny with the typed error and the rule; later checks are unaffected', () => {
    const broken = compilePolicies([
      {
        source: 'broken.yaml',
        text: `apiVersion: rampart.authz/v1\nname: broken\nversion: "1"\nroles:\n  user: {}\nresources:\n  doc:\n    actions: [read]\n    rules:\n      - {name: needs-level, effect: allow, roles: [user], actions: [read], condition: "resource.attributes.level > 2"}\n      - {name: guard, effect: deny, roles: [user], actions: [read], condition: "resource.attributes.flag.exists(f, f == 1)"}\n`,
      },
    ]);
    const authorizer = new Authorizer(broken);
    const user = { id: 'u', roles: ['user'] };
    const failing = authorizer.check(user, 'read', { kind: 'doc', attributes: { level: 3 } });
    expect(failing).toMatchObject({ allowed: false, reason: 'condition_error', policy: 'broken', rule: 'resources/doc/guard' });
    expect(failing.error?.code).toBe('AUTHZ_CONDITION_FAILED');
    expect(authorizer.check(user, 'read', { kind: 'doc', attributes: { level: 3, flag: [2] } })).toMatchObject({ allowed: true, rule: 'resources/doc/needs-level' });
    expect(authorizer.check(user, 'read', { kind: 'doc', attributes: { level: 1, flag: [2] } })).toMatchObject({ allowed: false, reason: 'no_rule_matched' });
  });

  it('decisions without timing are shared frozen objects; timing is opt-in and measured', () => {
    const first = authz.check(viewer, 'read', doc, at);
    expect(authz.check(viewer, 'read', doc, at)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const timed = new Authorizer(set, { timing: true }).check(viewer, 'read', doc, at);
    expect(timed.evaluationNs).toBeGreaterThan(0);
    expect(timed).toMatchObject({ allowed: true, rule: first.rule });
    expect(decisionAuditAttributes(timed)).toMatchObject({ allowed: true, reason: 'rule_allowed', policy: 'documents', rule: 'roles/viewer/document:read', policyVersion: '2026-01-15.1' });
    expect(decisionAuditAttributes(authz.check(viewer, 'update', { kind: 'profile', id: 'alice' }, { fields: ['role'] }))).toMatchObject({ allowed: false });
  });

  it('batch checks and list filtering answer like single checks', () => {
    const docs = [doc, { ...doc, id: 'd2', owner: 'bob' }, { ...doc, id: 'd3', tenant: 'globex' }, { ...doc, id: 'd4', attributes: { locked: true } }];
    const actions = ['read', 'update', 'delete'];
    const matrix = authz.checkMany(viewer, actions, docs, at);
    expect(matrix.map((row) => row.map((d) => d.allowed))).toEqual([
      [true, true, true],
      [true, false, false],
      [false, false, false],
      [true, false, false],
    ]);
    docs.forEach((resource, r) => {
      actions.forEach((action, a) => {
        expect(matrix[r]?.[a]).toEqual(authz.check(viewer, action, resource, at));
      });
    });
    expect(authz.filter(viewer, 'update', docs, at).map((d) => d.id)).toEqual(['d1']);
    expect(authz.can(viewer, 'read', doc, at)).toBe(true);
  });

  it('several roles: each role’s conditional rules are met in document order, as rule-by-rule evaluation meets them', () => {
    const merged = compilePolicies([
      {
        source: 'merged.json',
        document: {
          apiVersion: 'rampart.authz/v1',
          name: 'merged',
          version: '1',
          roles: { author: { permissions: [] }, reviewer: { permissions: [] }, reader: { permissions: ['doc:read'] } },
          resources: {
            doc: {
              actions: ['read', 'edit'],
              rules: [
                { name: 'no-mfa-no-read', effect: 'deny', roles: ['author'], actions: ['read'], condition: '!request.mfa' },
                { name: 'not-own-review', effect: 'deny', roles: ['reviewer'], actions: ['read'], condition: 'resource.owner == principal.id' },
                { name: 'author-reads', effect: 'allow', roles: ['author'], actions: ['read'] },
                { name: 'drafts', effect: 'allow', roles: ['author'], actions: ['edit'], condition: 'resource.attributes.draft == true' },
                { name: 'own', effect: 'allow', roles: ['reviewer'], actions: ['edit'], condition: 'resource.owner == principal.id' },
              ],
            },
          },
        },
      },
    ]);
    const tabulated = new Authorizer(merged);
    const evaluated = new Authorizer(merged, { tabulate: false });
    const both: Principal = { id: 'u', roles: ['author', 'reviewer', 'reader'] };
    const cases: [string, Resource, CheckContext, string][] = [
      ['read', { kind: 'doc', owner: 'u' }, { mfa: true }, 'resources/doc/not-own-review'],
      ['read', { kind: 'doc', owner: 'u' }, { mfa: false }, 'resources/doc/no-mfa-no-read'],
      ['read', { kind: 'doc', owner: 'v' }, { mfa: true }, 'roles/reader/doc:read'],
      ['edit', { kind: 'doc', owner: 'u', attributes: { draft: false } }, {}, 'resources/doc/own'],
      ['edit', { kind: 'doc', owner: 'v', attributes: { draft: true } }, {}, 'resources/doc/drafts'],
    ];
    for (const [action, resource, context, rule] of cases) {
      expect(tabulated.check(both, action, resource, context).rule, `${action} ${JSON.stringify(resource)}`).toBe(rule);
      expect(tabulated.check(both, action, resource, context)).toEqual(evaluated.check(both, action, resource, context));
    }
    expect(tabulated.check(both, 'edit', { kind: 'doc', owner: 'v', attributes: { draft: false } }).reason).toBe('no_rule_matched');
  });

  it('a rule reached only through a derived role applies only when the derived role holds, tabulated or not', () => {
    const derived = compilePolicies([
      {
        source: 'derived.json',
        document: {
          apiVersion: 'rampart.authz/v1',
          name: 'derived',
          version: '1',
          roles: { member: { permissions: ['doc:read', 'doc:edit'] }, other: { permissions: [] } },
          derivedRoles: { owner: { parentRoles: ['member'], condition: 'resource.owner == principal.id' } },
          resources: {
            doc: {
              actions: ['read', 'edit'],
              rules: [
                { name: 'owner-no-mfa', effect: 'deny', roles: ['owner'], actions: ['read'], condition: '!request.mfa' },
                { name: 'owner-drafts', effect: 'allow', roles: ['owner'], actions: ['edit'], condition: 'resource.attributes.draft == true' },
              ],
            },
          },
        },
      },
    ]);
    const tabulated = new Authorizer(derived);
    const evaluated = new Authorizer(derived, { tabulate: false });
    for (const roles of [['member'], ['member', 'other']]) {
      const principal: Principal = { id: 'u', roles };
      const cases: [string, Resource, CheckContext, string][] = [
        ['read', { kind: 'doc', owner: 'u' }, { mfa: false }, 'resources/doc/owner-no-mfa'],
        ['read', { kind: 'doc', owner: 'v' }, { mfa: false }, 'roles/member/doc:read'],
        ['read', { kind: 'doc', owner: 'u' }, { mfa: true }, 'roles/member/doc:read'],
      ];
      for (const [action, resource, context, rule] of cases) {
        expect(tabulated.check(principal, action, resource, context).rule, `${roles.join('+')} ${action} ${resource.owner ?? ''}`).toBe(rule);
        expect(tabulated.check(principal, action, resource, context)).toEqual(evaluated.check(principal, action, resource, context));
      }
    }
    const other: Principal = { id: 'u', roles: ['other'] };
    expect(tabulated.check(other, 'edit', { kind: 'doc', owner: 'u', attributes: { draft: true } }).reason).toBe('no_rule_matched');
  });

  it('refuses a policy set that compilePolicies did not build', () => {
    const copy: CompiledPolicySet = { ...set };
    expect(() => new Authorizer(copy)).toThrow(ConfigurationError);
  });
});

describe('explain', () => {
  it('traces every rule with its role, field and condition outcome; the decision is check()’s', () => {
    const locked = { ...doc, attributes: { locked: true } };
    const explanation = authz.explain(viewer, 'update', locked, at);
    const { evaluationNs, ...decision } = explanation.decision;
    expect(evaluationNs).toBeGreaterThan(0);
    expect(decision).toEqual({ ...authz.check(viewer, 'update', locked, at), evaluationNs: undefined });
    expect(explanation.boundRoles).toEqual(['viewer']);
    expect(explanation.effectiveRoles).toEqual(['viewer']);
    expect(explanation.derivedRoles).toEqual([
      { name: 'owner', outcome: 'true', error: undefined },
      { name: 'self', outcome: 'false', error: undefined },
    ]);
    expect(explanation.rules.map((r) => [r.rule, r.roleMatch, r.condition, r.matched, r.decisive])).toEqual([
      ['resources/document/locked-is-read-only', 'any_role', 'true', true, true],
      ['roles/editor/document:update', 'none', 'absent', false, false],
      ['roles/admin/document:*', 'none', 'absent', false, false],
      ['resources/document/owner-edits-own', 'derived_role', 'absent', true, false],
    ]);
    expect(explanation.scopes).toEqual({ covering: ['documents:write'], tokenScopes: undefined, granted: true });
  });

  it('reports condition errors in the trace and explains requests that never reached the rules', () => {
    const failing = authz.explain(viewer, 'read', { ...doc, attributes: { embargoUntil: 'not a time' } }, at);
    expect(failing.decision.reason).toBe('condition_error');
    const embargo = failing.rules.find((r) => r.rule === 'resources/document/embargo');
    expect(embargo).toMatchObject({ condition: 'error', matched: false, decisive: true });
    expect(embargo?.error?.code).toBe('AUTHZ_CONDITION_FAILED');
    expect(authz.explain(viewer, 'read', { kind: 'invoice' }, at)).toMatchObject({ rules: [], decision: { reason: 'unknown_resource_kind' } });
    const fields = authz.explain({ id: 'u1', roles: ['member'] }, 'update', { kind: 'profile', id: 'u1' }, { fields: ['displayName', 'role'] });
    expect(fields.rules.find((r) => r.rule === 'resources/profile/self-edit')).toMatchObject({ fields: 'some_requested', roleMatch: 'derived_role' });
    expect(fields.decision).toMatchObject({ reason: 'field_not_allowed', field: 'role' });
  });
});
