import { afterEach, describe, expect, it } from 'vitest';
import { AuthzPolicyError } from '../errors.js';
import { parsePolicyDocument } from './parse.js';

function refused(text: string, source = 'policy.yaml'): AuthzPolicyError {
  try {
    parsePolicyDocument({ source, text });
  } catch (error) {
    if (error instanceof AuthzPolicyError) return error;
    throw error;
  }
  throw new Error('accepted');
}

const HEADER = 'apiVersion: rampart.authz/v1\nname: test\nversion: "1"\n';

afterEach(() => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('parsePolicyDocument', () => {
  it('reads YAML and JSON into the same validated document', () => {
    const yaml = parsePolicyDocument({ source: 'a.yaml', text: `${HEADER}roles:\n  viewer:\n    permissions: ["doc:read"]\nresources:\n  doc:\n    actions: [read]\n` });
    const json = parsePolicyDocument({
      source: 'a.json',
      text: JSON.stringify({ apiVersion: 'rampart.authz/v1', name: 'test', version: '1', roles: { viewer: { permissions: ['doc:read'] } }, resources: { doc: { actions: ['read'] } } }),
    });
    expect(yaml).toEqual(json);
  });

  it('attack: a YAML alias bomb ("billion laughs") is refused before it expands', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i += 1) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array.from({ length: 9 }, () => `*${previous}`).join(',')}]`);
    }
    const error = refused(`${HEADER}x:\n  ${levels.join('\n  ')}\n`);
    expect(error.code).toBe('AUTHZ_POLICY_SYNTAX');
  });

  it('attack: duplicate keys (the second role definition silently winning) are refused', () => {
    const error = refused(`${HEADER}roles:\n  viewer:\n    permissions: ["doc:read"]\n  viewer:\n    permissions: ["doc:*"]\n`);
    expect(error.code).toBe('AUTHZ_POLICY_SYNTAX');
    expect(error.message).toMatch(/line \d+/);
    expect(refused('{"apiVersion":"rampart.authz/v1","name":"a","name":"b","version":"1"}', 'p.json').code).toBe('AUTHZ_POLICY_SYNTAX');
  });

  it('attack: __proto__ keys neither pollute nor pass as names', () => {
    const yaml = refused(`${HEADER}roles:\n  __proto__:\n    polluted: true\n`);
    expect(yaml.code).toBe('AUTHZ_POLICY_INVALID');
    const json = refused('{"apiVersion":"rampart.authz/v1","name":"a","version":"1","__proto__":{"polluted":1}}', 'p.json');
    expect(json.code).toBe('AUTHZ_POLICY_SYNTAX');
  });

  it('refuses language-specific YAML tags instead of constructing objects', () => {
    expect(refused(`${HEADER}description: !!js/function "function () { return 1 }"\n`).code).toBe('AUTHZ_POLICY_SYNTAX');
  });

  it('refuses documents that mean something else than they say: a numeric version, YAML 1.1 booleans', () => {
    const numeric = refused('apiVersion: rampart.authz/v1\nname: test\nversion: 1.10\n');
    expect(numeric.code).toBe('AUTHZ_POLICY_INVALID');
    expect(numeric.path).toBe('/version');
    // `global: yes` is a string in YAML 1.2, not `true`: refused rather than read as a boolean.
    expect(refused(`${HEADER}roles:\n  op:\n    global: yes\n`).path).toBe('/roles/op/global');
  });

  it('names the offending location and closes every object', () => {
    const unknown = refused(`${HEADER}roles:\n  viewer:\n    permisions: ["doc:read"]\n`);
    expect(unknown.code).toBe('AUTHZ_POLICY_INVALID');
    expect(unknown.path).toBe('/roles/viewer');
    expect(unknown.message).toMatch(/additionalProperties.*permisions/);
    expect(unknown.source).toBe('policy.yaml');
    expect(refused(`${HEADER}resources:\n  doc:\n    actions: [read]\n    rules:\n      - name: r\n        effect: permit\n        roles: [a]\n        actions: [read]\n`).path).toBe(
      '/resources/doc/rules/0/effect',
    );
    expect(refused('apiVersion: rampart.authz/v2\nname: test\nversion: "1"\n').path).toBe('/apiVersion');
  });

  it('refuses partial wildcards and malformed permissions and scopes', () => {
    for (const permission of ['doc*:read', 'doc:re*', '*', 'doc', 'doc:read:x', ':read', 'doc:']) {
      expect(refused(`${HEADER}roles:\n  r:\n    permissions: ["${permission}"]\n`).code, permission).toBe('AUTHZ_POLICY_INVALID');
    }
    expect(refused(`${HEADER}scopes:\n  "has space": ["doc:read"]\n`).code).toBe('AUTHZ_POLICY_INVALID');
  });

  it('refuses oversized and malformed text', () => {
    expect(refused(`${HEADER}description: "${'a'.repeat(17_000_000)}"\n`).code).toBe('AUTHZ_POLICY_SYNTAX');
    expect(refused('{', 'p.json').code).toBe('AUTHZ_POLICY_SYNTAX');
    expect(refused('roles: [unclosed\n').code).toBe('AUTHZ_POLICY_SYNTAX');
    expect(refused('').code).toBe('AUTHZ_POLICY_INVALID');
  });
});
