import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Authorizer } from './engine/authorizer.js';
import { AuthzPolicyError } from './errors.js';
import { compilePolicies } from './policy/compile.js';

/** Every payload of a corpus file: non-empty lines that are not `#` comments. */
function corpus(name: string): string[] {
  return readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function policyWithCondition(condition: string): { source: string; document: unknown } {
  return {
    source: 'runaway.yaml',
    document: {
      apiVersion: 'rampart.authz/v1',
      name: 'runaway',
      version: '1',
      roles: { user: {} },
      resources: { document: { actions: ['read'], rules: [{ name: 'runaway', effect: 'allow', roles: ['user'], actions: ['read'], condition }] } },
    },
  };
}

describe('runaway conditions', () => {
  it('attack: every runaway condition of the corpus is refused when the policy loads, naming the rule', () => {
    const payloads = corpus('runaway-conditions.txt');
    expect(payloads.length).toBeGreaterThanOrEqual(15);
    for (const condition of payloads) {
      let error: unknown;
      try {
        compilePolicies([policyWithCondition(condition)]);
      } catch (caught) {
        error = caught;
      }
      expect(error, condition.slice(0, 80)).toBeInstanceOf(AuthzPolicyError);
      const refused = error as AuthzPolicyError;
      expect(refused.code, condition.slice(0, 80)).toBe('AUTHZ_CONDITION_TOO_COSTLY');
      expect(refused.source).toBe('runaway.yaml');
      expect(refused.path).toBe('/resources/document/rules/0/condition');
    }
  });

  it('the same shapes within bounds load and evaluate (the refusals are about cost, not syntax)', () => {
    const set = compilePolicies([policyWithCondition('resource.attributes.tags.exists(t, t == principal.id)')]);
    const decision = new Authorizer(set).check({ id: 'alice', roles: ['user'] }, 'read', { kind: 'document', attributes: { tags: ['bob', 'alice'] } });
    expect(decision).toMatchObject({ allowed: true, reason: 'rule_allowed' });
  });

  it('attack: a condition that loads but meets a huge input is stopped at run time; the decision is deny with the typed error', () => {
    const set = compilePolicies([policyWithCondition('resource.attributes.tags.exists(t, t == principal.id)')]);
    const authorizer = new Authorizer(set);
    const huge = Array.from({ length: 5_000_000 }, () => 'x');
    const decision = authorizer.check({ id: 'alice', roles: ['user'] }, 'read', { kind: 'document', attributes: { tags: huge } });
    expect(decision.allowed).toBe(false);
    expect(decision.reason).toBe('condition_error');
    expect(decision.rule).toBe('resources/document/runaway');
    expect(decision.error?.code).toBe('AUTHZ_INPUT_TOO_LARGE');
    expect(decision.error?.message).not.toContain('xxxx');
    // Exponential growth from the input side: a string far beyond the bound never reaches the library.
    const long = authorizer.check({ id: 'x'.repeat(10_000_000), roles: ['user'] }, 'read', { kind: 'document', attributes: { tags: ['a'] } });
    expect(long).toMatchObject({ allowed: false, reason: 'condition_error' });
    expect(long.error?.code).toBe('AUTHZ_INPUT_TOO_LARGE');
  });

  it('attack: deep recursion in the input (a self-nesting list) is refused, not followed', () => {
    const set = compilePolicies([policyWithCondition('resource.attributes.tree.exists(t, t == principal.id)')]);
    let tree: unknown[] = [];
    const root = tree;
    for (let i = 0; i < 100_000; i += 1) {
      const next: unknown[] = [];
      tree.push(next);
      tree = next;
    }
    const decision = new Authorizer(set).check({ id: 'alice', roles: ['user'] }, 'read', { kind: 'document', attributes: { tree: root as never } });
    expect(decision).toMatchObject({ allowed: false, reason: 'condition_error' });
    expect(decision.error?.code).toBe('AUTHZ_INPUT_TOO_LARGE');
  });
});
