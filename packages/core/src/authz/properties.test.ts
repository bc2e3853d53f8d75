import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Authorizer } from './engine/authorizer.js';
import type { CheckContext, Decision, Principal, Resource } from './model.js';
import { compilePolicies } from './policy/compile.js';
import type { CompiledPolicySet } from './policy/types.js';

const KINDS = ['k0', 'k1', 'k2'];
const ACTIONS = ['a0', 'a1', 'a2'];
const ROLES = ['r0', 'r1', 'r2', 'r3', 'r4'];
const FIELDS = ['f0', 'f1', 'f2'];
const CONDITIONS = [
  'resource.owner == principal.id',
  'has(resource.attributes.flag) && resource.attributes.flag == true',
  'request.mfa',
  'resource.attributes.level > 2',
  'resource.attributes.tags.exists(t, t == principal.id)',
];

interface RuleSpec {
  name: string;
  effect: 'allow' | 'deny';
  roles: string[];
  actions: string[];
  condition?: string;
  fields?: string[];
}

interface PolicySpec {
  roles: Record<string, { inherits: string[]; permissions: string[] }>;
  rules: Record<string, RuleSpec[]>;
  scopes: Record<string, string[]>;
}

const permission = fc.tuple(fc.constantFrom('*', ...KINDS), fc.constantFrom('*', ...ACTIONS)).map(([k, a]) => `${k}:${a}`);

const ruleSpec = (name: string, effect?: 'allow' | 'deny'): fc.Arbitrary<RuleSpec> =>
  fc.record(
    {
      name: fc.constant(name),
      effect: effect === undefined ? fc.constantFrom<'allow' | 'deny'>('allow', 'deny') : fc.constant(effect),
      roles: fc.subarray(['*', 'owner', ...ROLES], { minLength: 1 }),
      actions: fc.oneof(fc.constant<string[]>(['*']), fc.subarray(ACTIONS, { minLength: 1 })),
      condition: fc.constantFrom(...CONDITIONS),
      fields: fc.subarray(FIELDS, { minLength: 1 }),
    },
    { requiredKeys: ['name', 'effect', 'roles', 'actions'] },
  );

const policySpec: fc.Arbitrary<PolicySpec> = fc.record({
  roles: fc
    .tuple(...ROLES.map((_, i) => fc.record({ inherits: fc.subarray(ROLES.slice(0, i)), permissions: fc.uniqueArray(permission, { maxLength: 3 }) })))
    .map((list) => Object.fromEntries(list.map((role, i) => [ROLES[i] ?? '', role]))),
  rules: fc
    .tuple(...KINDS.map(() => fc.array(fc.nat(), { maxLength: 4 })))
    .chain((counts) =>
      fc.tuple(...counts.map((list, k) => fc.tuple(...list.map((_, i) => ruleSpec(`k${k}rule${i}`))))).map((kinds) => Object.fromEntries(kinds.map((rules, k) => [KINDS[k] ?? '', rules]))),
    ),
  scopes: fc.constant({ 'read-all': ['*:a0'], 'k1-all': ['k1:*'], everything: ['*:*'] }),
});

function compile(spec: PolicySpec): CompiledPolicySet {
  return compilePolicies([
    {
      source: 'random.json',
      document: {
        apiVersion: 'rampart.authz/v1',
        name: 'random',
        version: '1',
        roles: spec.roles,
        derivedRoles: { owner: { parentRoles: ['r0', 'r1'], condition: 'resource.owner == principal.id' } },
        scopes: spec.scopes,
        resources: Object.fromEntries(KINDS.map((kind) => [kind, { actions: ACTIONS, fields: FIELDS, rules: spec.rules[kind] ?? [] }])),
      },
    },
  ]);
}

const tenant = fc.option(fc.constantFrom('t1', 't2'), { nil: undefined });
const principal: fc.Arbitrary<Principal> = fc.record({
  id: fc.constantFrom('u1', 'u2'),
  tenant,
  roles: fc.subarray([...ROLES, 'ghost']),
  tenantRoles: fc.option(fc.dictionary(fc.constantFrom('t1', 't2'), fc.subarray(ROLES)), { nil: undefined }),
});
const resource: fc.Arbitrary<Resource> = fc.record({
  kind: fc.constantFrom(...KINDS, 'unknown'),
  id: fc.constantFrom('x1', 'x2'),
  owner: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
  tenant,
  attributes: fc.record({ flag: fc.boolean(), level: fc.integer({ min: 0, max: 5 }), tags: fc.subarray(['u1', 'u2']) }, { requiredKeys: [] }),
});
const action = fc.constantFrom(...ACTIONS, 'unknown');
const context: fc.Arbitrary<CheckContext> = fc.record({
  mfa: fc.boolean(),
  time: fc.constant(new Date('2026-01-01T00:00:00Z')),
  scopes: fc.option(fc.subarray(['read-all', 'k1-all', 'everything', 'bogus']), { nil: undefined }),
  fields: fc.option(fc.subarray([...FIELDS, 'f9']), { nil: undefined }),
});
const request = fc.tuple(principal, action, resource, context);

describe('authorization properties', () => {
  it('default deny: with no policy, every request is denied, whatever it is', () => {
    const empty = new Authorizer(compilePolicies([]));
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.anything(), (p, a, r, c) => {
        expect(empty.check(p as Principal, a as string, r as Resource, c as CheckContext).allowed).toBe(false);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(request, ([p, a, r, c]) => {
        expect(empty.check(p, a, r, c).allowed).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('default deny: a policy without any allow grants nothing', () => {
    fc.assert(
      fc.property(policySpec, fc.array(request, { minLength: 5, maxLength: 5 }), (spec, requests) => {
        const denyOnly = new Authorizer(
          compile({
            ...spec,
            roles: Object.fromEntries(Object.entries(spec.roles).map(([name, role]) => [name, { ...role, permissions: [] }])),
            rules: Object.fromEntries(Object.entries(spec.rules).map(([kind, rules]) => [kind, rules.filter((rule) => rule.effect === 'deny')])),
          }),
        );
        for (const [p, a, r, c] of requests) expect(denyOnly.check(p, a, r, c).allowed).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('deny overrides allow: when a deny rule matches, the decision is deny', () => {
    let overridden = 0;
    fc.assert(
      fc.property(policySpec, fc.array(request, { minLength: 5, maxLength: 5 }), (spec, requests) => {
        const authorizer = new Authorizer(compile(spec));
        const blocked = new Authorizer(
          compile({ ...spec, rules: Object.fromEntries(KINDS.map((kind) => [kind, [...(spec.rules[kind] ?? []), { name: 'block', effect: 'deny', roles: ['*'], actions: ['*'] }]])) }),
        );
        for (const [p, a, r, c] of requests) {
          const explanation = authorizer.explain(p, a, r, c);
          const denied = explanation.rules.some((rule) => rule.effect === 'deny' && rule.matched);
          const allowedToo = explanation.rules.some((rule) => rule.effect === 'allow' && rule.matched);
          if (denied) expect(explanation.decision.allowed).toBe(false);
          if (denied && allowedToo) overridden += 1;
          expect(blocked.check(p, a, r, c).allowed).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
    // Requests where an allow and a deny both matched did occur: the property was exercised.
    expect(overridden).toBeGreaterThan(0);
  });

  it('adding an allow rule never turns an allow into a deny', () => {
    let allowed = 0;
    fc.assert(
      fc.property(policySpec, fc.constantFrom(...KINDS), ruleSpec('added', 'allow'), fc.array(request, { minLength: 8, maxLength: 8 }), (spec, kind, added, requests) => {
        const before = new Authorizer(compile(spec));
        const after = new Authorizer(compile({ ...spec, rules: { ...spec.rules, [kind]: [...(spec.rules[kind] ?? []), added] } }));
        for (const [p, a, r, c] of requests) {
          if (!before.check(p, a, r, c).allowed) continue;
          allowed += 1;
          expect(after.check(p, a, r, c).allowed).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
    expect(allowed).toBeGreaterThan(10);
  });

  it('scopes never widen: allowed with scopes implies allowed without, and a scope covers the action', () => {
    let allowedWithScopes = 0;
    fc.assert(
      fc.property(policySpec, fc.array(request, { minLength: 8, maxLength: 8 }), (spec, requests) => {
        const set = compile(spec);
        const authorizer = new Authorizer(set);
        for (const [p, a, r, c] of requests) {
          if (c.scopes === undefined || !authorizer.check(p, a, r, c).allowed) continue;
          allowedWithScopes += 1;
          expect(authorizer.check(p, a, r, { ...c, scopes: undefined }).allowed).toBe(true);
          expect(set.scopesFor(r.kind, a).some((scope) => c.scopes?.includes(scope))).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
    expect(allowedWithScopes).toBeGreaterThan(5);
  });

  it('tenant isolation: roles bound in some tenants never grant anything in another, for random tenants', () => {
    const tenantName = fc.string({ minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(
        policySpec,
        fc.uniqueArray(tenantName, { minLength: 1, maxLength: 3 }),
        tenantName,
        fc.array(fc.tuple(action, resource, context), { minLength: 5, maxLength: 5 }),
        (spec, boundTenants, foreign, requests) => {
          fc.pre(!boundTenants.includes(foreign));
          const authorizer = new Authorizer(compile(spec));
          const [home = '', ...others] = boundTenants;
          const p: Principal = { id: 'u1', tenant: home, roles: [...ROLES], tenantRoles: Object.fromEntries(others.map((t) => [t, [...ROLES]])) };
          for (const [a, r, c] of requests) {
            const decision = authorizer.check(p, a, { ...r, tenant: foreign, owner: 'u1' }, c);
            expect(decision.allowed).toBe(false);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the verdict table never changes a decision: tabulated and rule-by-rule checks agree on every request', () => {
    const comparable = (decision: Decision): unknown => ({ ...decision, error: decision.error?.code });
    // Several roles at once is where the table merges entries; no fields is where it is used at all.
    const severalRoles = fc.tuple(
      fc.record({ id: fc.constantFrom('u1', 'u2'), tenant, roles: fc.subarray(ROLES, { minLength: 2 }) }),
      action,
      resource,
      context.map(({ fields: _fields, ...rest }): CheckContext => rest),
    );
    fc.assert(
      fc.property(policySpec, fc.array(fc.oneof(request, severalRoles), { minLength: 1, maxLength: 60 }), (spec, requests) => {
        const policies = compile(spec);
        const tabulated = new Authorizer(policies);
        const evaluated = new Authorizer(policies, { tabulate: false });
        for (const [p, a, r, c] of requests) {
          const { scopes: _scopes, ...withoutScopes } = c;
          for (const context of [c, withoutScopes, undefined]) {
            expect(comparable(tabulated.check(p, a, r, context))).toEqual(comparable(evaluated.check(p, a, r, context)));
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
