import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../engine/authorizer.js';
import { compilePolicies } from '../policy/compile.js';
import { formatReport } from './format.js';
import { loadPolicyTests } from './load.js';
import { parsePolicyTests } from './parse.js';
import { runPolicyTests } from './run.js';

const examples = fileURLToPath(new URL('./examples/', import.meta.url));
const policyText = readFileSync(new URL('./examples/documents.yaml', import.meta.url), 'utf8');
const policies = compilePolicies([{ source: 'documents.yaml', text: policyText }]);

const wrongExpectation = `
apiVersion: rampart.authz.test/v1
name: wrong
now: "2026-01-15T12:00:00Z"
principals:
  alice: { id: alice, tenant: acme, roles: [viewer] }
resources:
  bobs: { kind: document, id: d2, owner: bob, tenant: acme }
  locked: { kind: document, id: d3, owner: alice, tenant: acme, attributes: { locked: true } }
tests:
  - name: a viewer may delete anything (wrong)
    principal: alice
    resource: bobs
    action: delete
    expect: allow
  - name: the owner may not even read her locked document (wrong)
    principal: alice
    resource: locked
    action: read
    expect: deny
  - name: the right decision, the wrong rule
    principal: alice
    resource: locked
    action: update
    expect: deny
    rule: owner-edits-own
`;

describe('policy tests: the examples', () => {
  it('every example test passes against the example policy', async () => {
    const suites = await loadPolicyTests(examples);
    expect(suites.map((s) => [s.name, s.source])).toEqual([
      ['documents', 'documents.test.yaml'],
      ['profiles', 'profiles.test.json'],
    ]);
    const report = runPolicyTests(policies, suites);
    expect(report.failed).toEqual([]);
    expect(report.total).toBe(31);
    expect(report.passed).toBe(31);
    expect(report.policyDigest).toBe(policies.digest);
    expect(formatReport(report)).toBe(`policy tests: 31 passed, 0 failed, 31 checks (policy 2026-01-15.1, sha256 ${policies.digest.slice(0, 12)})\nOK\n`);
  });

  it('a deliberately wrong expectation is a failure that carries the actual decision and its reason', () => {
    const report = runPolicyTests(policies, [parsePolicyTests({ source: 'wrong.test.yaml', text: wrongExpectation })]);
    expect(report.total).toBe(3);
    expect(report.passed).toBe(0);
    expect(report.failed).toEqual([
      {
        suite: 'wrong',
        source: 'wrong.test.yaml',
        case: 'a viewer may delete anything (wrong)',
        action: 'delete',
        expected: { decision: 'allow', reason: undefined, rule: undefined },
        actual: { decision: 'deny', reason: 'no_rule_matched', policy: undefined, rule: undefined, field: undefined, errorCode: undefined, policyVersion: '2026-01-15.1' },
        mismatches: ['decision'],
      },
      {
        suite: 'wrong',
        source: 'wrong.test.yaml',
        case: 'the owner may not even read her locked document (wrong)',
        action: 'read',
        expected: { decision: 'deny', reason: undefined, rule: undefined },
        actual: { decision: 'allow', reason: 'rule_allowed', policy: 'documents', rule: 'roles/viewer/document:read', field: undefined, errorCode: undefined, policyVersion: '2026-01-15.1' },
        mismatches: ['decision'],
      },
      expect.objectContaining({
        case: 'the right decision, the wrong rule',
        actual: expect.objectContaining({ decision: 'deny', reason: 'rule_denied', rule: 'resources/document/locked-is-read-only' }) as unknown,
        mismatches: ['rule'],
      }),
    ]);
    const text = formatReport(report);
    expect(text).toContain('policy tests: 0 passed, 3 failed, 3 checks');
    expect(text).toContain('FAIL wrong > a viewer may delete anything (wrong) [delete] (wrong.test.yaml)\n  expected: allow\n  actual:   deny, reason no_rule_matched\n');
    expect(text).toContain('  actual:   allow, reason rule_allowed, rule roles/viewer/document:read, policy documents\n');
    expect(text).toContain('  expected: deny, rule owner-edits-own\n  actual:   deny, reason rule_denied, rule resources/document/locked-is-read-only, policy documents\n');
    expect(text.endsWith('FAILED\n')).toBe(true);
  });

  it('attack: a policy edit that widens access (viewers may delete) is caught by the example suite', async () => {
    const widened = compilePolicies([
      { source: 'documents.yaml', text: policyText.replace('permissions: ["document:read", "document:list"]', 'permissions: ["document:read", "document:list", "document:delete"]') },
    ]);
    const report = runPolicyTests(widened, await loadPolicyTests(examples));
    // The widened grant shows twice: the BOLA case flips to allow, and the owner's delete is now decided by another rule.
    expect(report.failed.map((f) => [f.case, f.action, f.mismatches, f.actual.decision, f.actual.rule])).toEqual([
      ['the owner edits her own document', 'delete', ['rule'], 'allow', 'roles/viewer/document:delete'],
      ["API1: a viewer cannot touch someone else's document", 'delete', ['decision', 'reason'], 'allow', 'roles/viewer/document:delete'],
    ]);
  });

  it('attack: a policy edit that narrows access (the owner rule dropped) is caught too', async () => {
    const narrowed = compilePolicies([{ source: 'documents.yaml', text: policyText.replace('actions: [update, delete, share]\n', 'actions: [share]\n') }]);
    const report = runPolicyTests(narrowed, await loadPolicyTests(examples));
    expect(report.failed.map((f) => [f.case, f.action, f.actual.reason])).toEqual([
      ['the owner edits her own document', 'update', 'no_rule_matched'],
      ['the owner edits her own document', 'delete', 'no_rule_matched'],
    ]);
  });

  it('a condition error is reported with its code, and an authorizer may be passed instead of a set', () => {
    const set = compilePolicies([
      {
        source: 'p.yaml',
        text: 'apiVersion: rampart.authz/v1\nname: p\nversion: "1"\nroles: { user: {} }\nresources:\n  doc:\n    actions: [read]\n    rules:\n      - { name: level, effect: allow, roles: [user], actions: [read], condition: resource.attributes.level > 2 }\n',
      },
    ]);
    const suite = parsePolicyTests({
      source: 't.json',
      document: {
        apiVersion: 'rampart.authz.test/v1',
        name: 't',
        principals: { u: { id: 'u', roles: ['user'] } },
        resources: { missing: { kind: 'doc' }, high: { kind: 'doc', attributes: { level: 3 } } },
        tests: [
          { name: 'missing attribute fails closed', principal: 'u', resource: 'missing', action: 'read', expect: 'deny', reason: 'condition_error' },
          { name: 'high level reads', principal: 'u', resource: 'high', action: 'read', expect: 'allow', rule: 'level' },
          { name: 'wrong on purpose', principal: 'u', resource: 'missing', action: 'read', expect: 'deny', reason: 'no_rule_matched' },
        ],
      },
    });
    const report = runPolicyTests(new Authorizer(set), [suite]);
    expect(report.passed).toBe(2);
    expect(report.failed).toEqual([
      expect.objectContaining({ case: 'wrong on purpose', mismatches: ['reason'], actual: expect.objectContaining({ reason: 'condition_error', errorCode: 'AUTHZ_CONDITION_FAILED', rule: 'resources/doc/level' }) as unknown }),
    ]);
    expect(formatReport(report)).toContain('error AUTHZ_CONDITION_FAILED');
  });
});
