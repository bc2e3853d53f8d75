import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyTestError } from './errors.js';
import { formatReport } from './format.js';
import { loadPolicyTests } from './load.js';
import { MAX_POLICY_TEST_FILE_LENGTH, parsePolicyTests } from './parse.js';
import type { PolicyTestReport } from './types.js';

const HEAD = 'apiVersion: rampart.authz.test/v1\nname: s\n';
const FIXTURES = 'principals:\n  a: { id: a, roles: [viewer] }\nresources:\n  d: { kind: document }\n';
const CASE = 'tests:\n  - { name: t, principal: a, resource: d, action: read, expect: allow }\n';

function refusal(text: string, source = 'x.test.yaml'): PolicyTestError {
  try {
    parsePolicyTests({ source, text });
  } catch (error) {
    if (error instanceof PolicyTestError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

describe('policy-test files: parsing', () => {
  it('resolves fixtures and applies the suite time to cases without their own', () => {
    const suite = parsePolicyTests({
      source: 's.test.yaml',
      text: `${HEAD}now: "2026-01-15T12:00:00Z"\n${FIXTURES}tests:\n  - { name: one, principal: a, resource: d, actions: [read, list], expect: allow }\n  - { name: two, principal: a, resource: d, action: read, context: { mfa: true, time: "2027-01-01T00:00:00Z" }, expect: deny, reason: no_rule_matched }\n`,
    });
    expect(suite.cases.map((c) => [c.name, c.actions, c.context])).toEqual([
      ['one', ['read', 'list'], { time: new Date('2026-01-15T12:00:00Z') }],
      ['two', ['read'], { time: new Date('2027-01-01T00:00:00Z'), mfa: true }],
    ]);
    expect(suite.cases[0]?.principal).toEqual({ id: 'a', roles: ['viewer'] });
    expect(suite.cases[1]?.expected).toEqual({ decision: 'deny', reason: 'no_rule_matched', rule: undefined });
  });

  it('attack: hostile YAML is refused (alias bomb, duplicate keys, executable tags)', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`)].join('\n');
    expect(refusal(bomb).code).toBe('AUTHZ_TEST_SYNTAX');
    expect(refusal(`${HEAD}name: t\n${FIXTURES}${CASE}`).code).toBe('AUTHZ_TEST_SYNTAX');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - !!js/function "function () { return 1 }"\n`).code).toBe('AUTHZ_TEST_SYNTAX');
    expect(refusal(`${HEAD}${FIXTURES}${CASE}`.padEnd(MAX_POLICY_TEST_FILE_LENGTH + 1, '#')).code).toBe('AUTHZ_TEST_SYNTAX');
  });

  it('attack: prototype-polluting keys are refused in JSON and in YAML attribute names', () => {
    const json = `{"apiVersion":"rampart.authz.test/v1","name":"s","principals":{"a":{"id":"a","attributes":{"__proto__":{"admin":true}}}},"resources":{"d":{"kind":"document"}},"tests":[{"name":"t","principal":"a","resource":"d","action":"read","expect":"allow"}]}`;
    expect(refusal(json, 'x.test.json').code).toBe('AUTHZ_TEST_SYNTAX');
    const yaml = `${HEAD}principals:\n  a: { id: a, attributes: { __proto__: { admin: true } } }\nresources:\n  d: { kind: document }\n${CASE}`;
    expect(refusal(yaml)).toMatchObject({ code: 'AUTHZ_TEST_INVALID' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    // A fixture named __proto__ is not a name, and `principal: constructor` does not find Object.prototype.constructor.
    expect(refusal(`${HEAD}principals:\n  __proto__: { id: a }\nresources:\n  d: { kind: document }\n${CASE}`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: constructor, resource: d, action: read, expect: allow }\n`)).toMatchObject({
      code: 'AUTHZ_TEST_UNKNOWN_FIXTURE',
      path: '/tests/0/principal',
    });
  });

  it('tests that cannot fail or cannot run are load errors, not silently skipped', () => {
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: nope, action: read, expect: allow }\n`)).toMatchObject({
      code: 'AUTHZ_TEST_UNKNOWN_FIXTURE',
      path: '/tests/0/resource',
    });
    expect(refusal(`${HEAD}${FIXTURES}${CASE}  - { name: t, principal: a, resource: d, action: list, expect: allow }\n`)).toMatchObject({ code: 'AUTHZ_TEST_DUPLICATE' });
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, action: read, actions: [list], expect: allow }\n`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, expect: allow }\n`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, actions: [read, read], expect: allow }\n`).code).toBe('AUTHZ_TEST_DUPLICATE');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, action: read, expect: allow, reason: rule_denied }\n`)).toMatchObject({
      code: 'AUTHZ_TEST_INVALID',
      path: '/tests/0/reason',
    });
    expect(refusal(`${HEAD}${FIXTURES}tests: []\n`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, action: read, expect: allowed }\n`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, action: read, expect: allow, reason: maybe }\n`).code).toBe('AUTHZ_TEST_INVALID');
    // A misspelt key is refused (closed objects), not ignored: `expected` would otherwise leave the case unchecked.
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, action: read, expect: allow, rules: x }\n`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`apiVersion: rampart.authz/v1\nname: s\n${FIXTURES}${CASE}`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: t, principal: a, resource: d, action: read, context: { time: yesterday }, expect: allow }\n`).code).toBe('AUTHZ_TEST_INVALID');
  });

  it('attack: terminal escapes cannot hide in case names, and a hand-built report is escaped when printed', () => {
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: "ok\\e[2K\\rPASS", principal: a, resource: d, action: read, expect: allow }\n`).code).toBe('AUTHZ_TEST_INVALID');
    expect(refusal(`${HEAD}${FIXTURES}tests:\n  - { name: "abc\\u202Etxt", principal: a, resource: d, action: read, expect: allow }\n`).code).toBe('AUTHZ_TEST_INVALID');
    const report: PolicyTestReport = {
      total: 1,
      passed: 0,
      policyVersion: '1',
      policyDigest: '0'.repeat(64),
      failed: [
        {
          suite: 's\u001b[2K',
          source: 'x\u202E.yaml',
          case: 'c\rPASS',
          action: 'read',
          expected: { decision: 'allow', reason: undefined, rule: undefined },
          actual: { decision: 'deny', reason: 'no_rule_matched', policy: undefined, rule: undefined, field: undefined, errorCode: undefined, policyVersion: '1' },
          mismatches: ['decision'],
        },
      ],
    };
    const text = formatReport(report);
    expect(text).toContain('FAIL s\\u{1b}[2K > c\\u{d}PASS [read] (x\\u{202e}.yaml)');
    // eslint-disable-next-line no-control-regex -- asserting the absence of control characters
    expect(/[\u0000-\u0009\u000B-\u001F\u202E]/u.test(text)).toBe(false);
  });
});

describe('policy-test files: loading a folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'rampart-authz-tests-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const suite = (name: string): string => `apiVersion: rampart.authz.test/v1\nname: ${name}\n${FIXTURES}${CASE}`;

  it('reads *.test.yaml|yml|json only, sorted, skipping policies, hidden files and folders', async () => {
    const dir = join(root, 'mixed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'b.test.yaml'), suite('b'));
    writeFileSync(join(dir, 'a.test.yml'), suite('a'));
    writeFileSync(join(dir, 'c.test.json'), JSON.stringify(parseYamlFixture('c')));
    writeFileSync(join(dir, 'policy.yaml'), 'not a test');
    writeFileSync(join(dir, '.d.test.yaml'), 'hidden: [');
    mkdirSync(join(dir, 'e.test.yaml'));
    expect((await loadPolicyTests(dir)).map((s) => [s.name, s.source])).toEqual([
      ['a', 'a.test.yml'],
      ['b', 'b.test.yaml'],
      ['c', 'c.test.json'],
    ]);
  });

  it('attack: a link to a file outside the folder is refused, not read', async () => {
    const dir = join(root, 'links');
    mkdirSync(dir);
    const outside = join(root, 'secret.yaml');
    writeFileSync(outside, 'password: hunter2\n');
    symlinkSync(outside, join(dir, 'leak.test.yaml'));
    const error = await loadPolicyTests(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyTestError);
    expect(error).toMatchObject({ code: 'AUTHZ_TEST_UNREADABLE', source: 'leak.test.yaml' });
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('refuses two files with one suite name, invalid UTF-8 and a missing folder', async () => {
    const dup = join(root, 'dup');
    mkdirSync(dup);
    writeFileSync(join(dup, 'one.test.yaml'), suite('same'));
    writeFileSync(join(dup, 'two.test.yaml'), suite('same'));
    await expect(loadPolicyTests(dup)).rejects.toMatchObject({ code: 'AUTHZ_TEST_DUPLICATE', source: 'two.test.yaml' });
    const bad = join(root, 'utf8');
    mkdirSync(bad);
    writeFileSync(join(bad, 'x.test.yaml'), Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xc3, 0x28]));
    await expect(loadPolicyTests(bad)).rejects.toMatchObject({ code: 'AUTHZ_TEST_UNREADABLE' });
    await expect(loadPolicyTests(join(root, 'missing'))).rejects.toMatchObject({ code: 'AUTHZ_TEST_UNREADABLE' });
  });
});

function parseYamlFixture(name: string): unknown {
  return {
    apiVersion: 'rampart.authz.test/v1',
    name,
    principals: { a: { id: 'a', roles: ['viewer'] } },
    resources: { d: { kind: 'document' } },
    tests: [{ name: 't', principal: 'a', resource: 'd', action: 'read', expect: 'allow' }],
  };
}
