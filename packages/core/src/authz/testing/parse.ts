import { readDocumentText } from '../policy/text.js';
import type { Attributes, CheckContext, DecisionReason, Principal, Resource } from '../model.js';
import { PolicyTestError } from './errors.js';
import { policyTestFileValidator, type PolicyTestFile } from './schema.js';
import type { PolicyTestCase, PolicyTestSource, PolicyTestSuite } from './types.js';

/** Largest test file, in UTF-16 code units. */
export const MAX_POLICY_TEST_FILE_LENGTH = 4 * 1024 * 1024;
function parseText(source: string, text: string, format: 'yaml' | 'json'): unknown {
  // The same reader and settings as policy documents.
  const read = readDocumentText(text, format, { maxLength: MAX_POLICY_TEST_FILE_LENGTH, maxKeys: 1_000_000 });
  if (read.ok) return read.value;
  const cause = read.refusal.cause === undefined ? undefined : { cause: read.refusal.cause };
  throw new PolicyTestError('AUTHZ_TEST_SYNTAX', read.refusal.message, { source }, cause);
}

function ownEntry<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

type PrincipalFixture = PolicyTestFile['principals'][string];
type ResourceFixture = PolicyTestFile['resources'][string];

function toPrincipal(fixture: PrincipalFixture): Principal {
  return {
    id: fixture.id,
    ...(fixture.roles === undefined ? {} : { roles: fixture.roles }),
    ...(fixture.tenant === undefined ? {} : { tenant: fixture.tenant }),
    ...(fixture.tenantRoles === undefined ? {} : { tenantRoles: fixture.tenantRoles }),
    ...(fixture.globalRoles === undefined ? {} : { globalRoles: fixture.globalRoles }),
    ...(fixture.attributes === undefined ? {} : { attributes: fixture.attributes as Attributes }),
  };
}

function toResource(fixture: ResourceFixture): Resource {
  return {
    kind: fixture.kind,
    ...(fixture.id === undefined ? {} : { id: fixture.id }),
    ...(fixture.owner === undefined ? {} : { owner: fixture.owner }),
    ...(fixture.tenant === undefined ? {} : { tenant: fixture.tenant }),
    ...(fixture.attributes === undefined ? {} : { attributes: fixture.attributes as Attributes }),
  };
}

function toContext(context: NonNullable<PolicyTestFile['tests'][number]['context']> | undefined, now: Date | undefined): CheckContext | undefined {
  if (context === undefined) return now === undefined ? undefined : { time: now };
  const time = context.time === undefined ? now : new Date(context.time);
  return {
    ...(context.fields === undefined ? {} : { fields: context.fields }),
    ...(time === undefined ? {} : { time }),
    ...(context.clientIp === undefined ? {} : { clientIp: context.clientIp }),
    ...(context.mfa === undefined ? {} : { mfa: context.mfa }),
    ...(context.aal === undefined ? {} : { aal: context.aal }),
    ...(context.scopes === undefined ? {} : { scopes: context.scopes }),
  };
}

/** Only `rule_allowed` allows; a case expecting `allow` with a deny reason (or the reverse) can never pass. */
function reasonAllows(reason: DecisionReason): boolean {
  return reason === 'rule_allowed';
}

/**
 * Parses (YAML 1.2 or JSON) and validates one policy-test file and resolves its fixtures. Protects the test run
 * against the same hostile-file constructs as policy documents (alias bombs, duplicate keys, unknown tags, oversized
 * input, `__proto__` keys), and against tests that cannot fail: unknown fixtures, duplicate case names and
 * self-contradicting expectations are load errors, not silently skipped cases.
 */
export function parsePolicyTests(input: PolicyTestSource): PolicyTestSuite {
  const { source } = input;
  const value = 'document' in input ? input.document : parseText(source, input.text, input.format ?? (source.endsWith('.json') ? 'json' : 'yaml'));
  const checked = policyTestFileValidator.check(value);
  if (!checked.ok) {
    const [issue] = checked.issues;
    const extra = issue?.property === undefined ? '' : ` (property "${issue.property}")`;
    throw new PolicyTestError('AUTHZ_TEST_INVALID', `the file does not match the policy-test schema: ${issue?.rule ?? 'invalid'}${extra}`, {
      source,
      path: issue?.instancePath ?? '',
    });
  }
  const file = checked.value;
  const now = file.now === undefined ? undefined : new Date(file.now);
  const names = new Set<string>();
  const cases = file.tests.map((test, i): PolicyTestCase => {
    const path = `/tests/${i}`;
    if (names.has(test.name)) throw new PolicyTestError('AUTHZ_TEST_DUPLICATE', `case ${i + 1}: another case has the same name`, { source, path: `${path}/name` });
    names.add(test.name);
    const principal = ownEntry(file.principals, test.principal);
    if (principal === undefined) throw new PolicyTestError('AUTHZ_TEST_UNKNOWN_FIXTURE', `case ${i + 1}: no principal of that name`, { source, path: `${path}/principal` });
    const resource = ownEntry(file.resources, test.resource);
    if (resource === undefined) throw new PolicyTestError('AUTHZ_TEST_UNKNOWN_FIXTURE', `case ${i + 1}: no resource of that name`, { source, path: `${path}/resource` });
    if ((test.action === undefined) === (test.actions === undefined)) {
      throw new PolicyTestError('AUTHZ_TEST_INVALID', `case ${i + 1}: give exactly one of "action" and "actions"`, { source, path });
    }
    const actions = test.actions ?? (test.action === undefined ? [] : [test.action]);
    if (new Set(actions).size !== actions.length) throw new PolicyTestError('AUTHZ_TEST_DUPLICATE', `case ${i + 1}: an action is listed twice`, { source, path: `${path}/actions` });
    if (test.reason !== undefined && reasonAllows(test.reason) !== (test.expect === 'allow')) {
      throw new PolicyTestError('AUTHZ_TEST_INVALID', `case ${i + 1}: reason "${test.reason}" contradicts "expect: ${test.expect}"`, { source, path: `${path}/reason` });
    }
    return Object.freeze({
      name: test.name,
      principalName: test.principal,
      resourceName: test.resource,
      principal: toPrincipal(principal),
      resource: toResource(resource),
      actions: Object.freeze([...actions]),
      context: toContext(test.context, now),
      expected: Object.freeze({ decision: test.expect, reason: test.reason, rule: test.rule }),
    });
  });
  return Object.freeze({ name: file.name, source, cases: Object.freeze(cases) });
}
