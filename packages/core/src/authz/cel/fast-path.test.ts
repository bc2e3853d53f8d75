import { celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckContext, Principal, Resource } from '../model.js';
import { fromParsedExpr } from './ast.js';
import { ConditionProgram, timestampLiteral } from './condition.js';
import { compileFastPath, FALLBACK } from './fast-path.js';
import { buildActivation, type ConditionFrame } from './frame.js';
import { DEFAULT_CEL_LIMITS } from './limits.js';

function frameFor(principal: Principal, resource: Resource, context: CheckContext, roles: readonly string[] = []): ConditionFrame {
  let activation: ReturnType<typeof buildActivation> | undefined;
  const frame: ConditionFrame = {
    principal,
    resource,
    action: 'read',
    context,
    nowMs: () => context.time?.getTime() ?? 0,
    hasEffectiveRole: (role) => roles.includes(role),
    effectiveRoleNames: () => roles,
    activation: () => (activation ??= buildActivation(frame)),
    checkedInputs: [],
  };
  return frame;
}

function library(source: string, frame: ConditionFrame): unknown {
  const result = (plan(celEnv(), parse(source)) as (activation: unknown) => unknown)(frame.activation());
  return isCelError(result) ? 'error' : result;
}

// ---- random conditions over the fast path's subset, and random data ----

const literal = fc.constantFrom('"a"', '"b"', '""', '"é"', '"🙂"', '0', '1', '-1', '5', '9007199254740993', '1.0', '0.5', '-0.0', 'true', 'false', 'null', '1u');
const path = fc.constantFrom(
  'principal.id',
  'principal.tenant',
  'resource.owner',
  'resource.id',
  'resource.tenant',
  'resource.kind',
  'request.action',
  'request.ip',
  'request.mfa',
  'request.aal',
  'principal.attributes.a',
  'principal.attributes.n',
  'resource.attributes.a',
  'resource.attributes.b',
  'resource.attributes.n',
  'resource.attributes.list',
  'resource.attributes.obj',
  'resource.attributes.obj.x',
  'resource.attributes.missing',
);
const value = fc.oneof(literal, path);
const listLiteral = fc.array(literal, { maxLength: 4 }).map((items) => `[${items.join(', ')}]`);
const timestamp = fc.constantFrom('timestamp("2026-01-01T00:00:00Z")', 'timestamp("2030-06-01T12:30:00.5Z")', 'timestamp("2026-01-01T00:00:00.000000001Z")', 'request.time');

const condition: fc.Arbitrary<string> = fc.letrec<{ bool: string }>((tie) => ({
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.tuple(value, fc.constantFrom('==', '!=', '<', '<=', '>', '>='), value).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(timestamp, fc.constantFrom('==', '!=', '<', '>='), timestamp).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(value, fc.oneof(listLiteral, fc.constant('resource.attributes.list'), fc.constant('resource.attributes.obj'))).map(([a, b]) => `${a} in ${b}`),
    fc.constantFrom('"admin" in principal.roles', '"editor" in principal.roles', 'has(resource.attributes.a)', 'has(resource.attributes.obj.x)', 'has(principal.id)', 'true', 'false', 'request.mfa', 'resource.attributes.a'),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||'), tie('bool')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    tie('bool').map((a) => `!(${a})`),
    fc.tuple(tie('bool'), tie('bool'), tie('bool')).map(([c, a, b]) => `(${c}) ? (${a}) : (${b})`),
    fc.tuple(tie('bool'), value, value).map(([c, a, b]) => `((${c}) ? ${a} : ${b}) == ${a}`),
  ),
})).bool;

const scalar = fc.oneof(fc.constantFrom('a', 'b', '', 'é', '🙂', 'x'.repeat(5000)), fc.constantFrom(0, 1, -1, 5, 0.5, -0, Number.NaN, 2 ** 53 + 2), fc.boolean(), fc.constant(null));
const attribute = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.dictionary(fc.constantFrom('x', 'y'), scalar, { maxKeys: 2, noNullPrototype: true }));
// Null-prototype objects are refused before the library sees them (input.test.ts): the library cannot read them.
const attributes = fc.dictionary(fc.constantFrom('a', 'b', 'n', 'list', 'obj'), attribute, { maxKeys: 5, noNullPrototype: true });
const text = fc.option(fc.constantFrom('a', 'b', 'alice', ''), { nil: undefined });
const input = fc.record({
  principal: fc.record({ id: fc.constantFrom('a', 'alice', 'b'), tenant: text, attributes }),
  resource: fc.record({ kind: fc.constantFrom('a', 'document'), id: text, owner: text, tenant: text, attributes }),
  context: fc.record({
    time: fc.constantFrom(new Date('2026-01-01T00:00:00Z'), new Date('2029-01-01T00:00:00.123Z')),
    mfa: fc.boolean(),
    aal: fc.integer({ min: 0, max: 3 }),
    clientIp: fc.option(fc.constantFrom('203.0.113.7', 'a'), { nil: undefined }),
  }),
  roles: fc.subarray(['admin', 'viewer']),
});

describe('compiled fast path', () => {
  it('agrees with the CEL library on every condition it decides (random conditions and data)', () => {
    let decided = 0;
    let total = 0;
    fc.assert(
      fc.property(condition, input, (source, { principal, resource, context, roles }) => {
        let parsed: ReturnType<typeof parse>;
        try {
          parsed = parse(source);
        } catch {
          return;
        }
        const fast = compileFastPath(fromParsedExpr(parsed), DEFAULT_CEL_LIMITS, timestampLiteral);
        const frame = frameFor(principal, resource, context, roles);
        const expected = library(source, frame);
        total += 1;
        const result = fast === undefined ? FALLBACK : fast(frame);
        if (result === FALLBACK) return;
        decided += 1;
        expect(result, source).toBe(expected);
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: about a third of the random conditions (which include errors and unmodelled literals such as `1u`)
    // are decided without the library, a thousand comparisons per run.
    expect(decided / total).toBeGreaterThan(0.25);
  });

  it('decides the common shapes without the library', () => {
    const principal = { id: 'alice', attributes: { department: 'sales', level: 3 } };
    const resource = { kind: 'document', owner: 'alice', tenant: 't1', attributes: { status: 'draft', tags: ['a', 'b'] } };
    const frame = frameFor(principal, resource, { time: new Date('2026-01-01T00:00:00Z') }, ['editor']);
    frame.activation = () => {
      throw new Error('the library was called');
    };
    for (const source of [
      'resource.owner == principal.id',
      'resource.owner == principal.id && request.time < timestamp("2030-01-01T00:00:00Z")',
      'resource.attributes.status in ["draft", "review"]',
      '"a" in resource.attributes.tags',
      '"editor" in principal.roles',
      'has(resource.attributes.status) && principal.attributes.level >= 2',
      'resource.tenant == "t1" || request.mfa',
    ]) {
      expect(ConditionProgram.compile(source, DEFAULT_CEL_LIMITS).evaluate(frame, 'resources/document/test'), source).toBe(true);
    }
  });

  it('falls back to the library for what it does not model, with the library result', () => {
    const frame = frameFor({ id: 'alice' }, { kind: 'document', attributes: { name: 'Zoë', tags: ['x', 'y'] } }, {});
    let libraryCalls = 0;
    const original = buildActivation(frame);
    frame.activation = () => {
      libraryCalls += 1;
      return original;
    };
    expect(ConditionProgram.compile('resource.attributes.name < "a"', DEFAULT_CEL_LIMITS).evaluate(frame, 'resources/document/test')).toBe(true);
    expect(ConditionProgram.compile('resource.attributes.tags.exists(t, t == "y")', DEFAULT_CEL_LIMITS).evaluate(frame, 'resources/document/test')).toBe(true);
    expect(ConditionProgram.compile('size(resource.attributes.name) == 3', DEFAULT_CEL_LIMITS).evaluate(frame, 'resources/document/test')).toBe(true);
    expect(libraryCalls).toBeGreaterThanOrEqual(3);
  });
});
