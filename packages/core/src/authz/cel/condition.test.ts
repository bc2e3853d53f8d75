import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { AuthzEvaluationError } from '../errors.js';
import type { Principal, Resource } from '../model.js';
import { ConditionRefusal } from './analyze.js';
import { ConditionProgram } from './condition.js';
import { buildActivation, type ConditionFrame } from './frame.js';
import { checkInputBounds } from './input.js';
import { DEFAULT_CEL_LIMITS, resolveCelLimits } from './limits.js';

function frameFor(principal: Principal, resource: Resource): ConditionFrame {
  let activation: ReturnType<typeof buildActivation> | undefined;
  const frame: ConditionFrame = {
    principal,
    resource,
    action: 'read',
    context: { time: new Date('2026-01-01T00:00:00Z') },
    nowMs: () => Date.UTC(2026, 0, 1),
    hasEffectiveRole: () => false,
    effectiveRoleNames: () => [],
    activation: () => (activation ??= buildActivation(frame)),
    checkedInputs: [],
  };
  return frame;
}

function compile(source: string, limits = DEFAULT_CEL_LIMITS): ConditionProgram {
  return ConditionProgram.compile(source, limits);
}

function refusal(source: string, limits = DEFAULT_CEL_LIMITS): ConditionRefusal {
  try {
    compile(source, limits);
  } catch (error) {
    if (error instanceof ConditionRefusal) return error;
    throw error;
  }
  throw new Error(`accepted: ${source}`);
}

describe('conditions at load', () => {
  it('keeps the parsed AST in the CEL spec shape, the cost and the paths read', () => {
    const condition = compile('resource.owner == principal.id && resource.attributes.tags.exists(t, t == "x")').info;
    expect(condition.ast.kind).toBe('call');
    expect(condition.ast.kind === 'call' && condition.ast.function).toBe('_&&_');
    const comprehension = condition.ast.kind === 'call' ? condition.ast.args[1] : undefined;
    expect(comprehension?.kind === 'comprehension' && comprehension.macro).toBe('exists');
    expect(condition.paths).toEqual([['resource', 'owner'], ['principal', 'id'], ['resource', 'attributes', 'tags']]);
    expect(condition.cost).toBeGreaterThan(1000);
    expect(Object.isFrozen(condition) && Object.isFrozen(condition.ast)).toBe(true);
  });

  it('refuses typos and unknown names instead of never matching', () => {
    expect(refusal('principal.name == "x"').message).toMatch(/"principal" has no field "name"/);
    expect(refusal('resuorce.owner == principal.id').message).toMatch(/unknown identifier "resuorce"/);
    expect(refusal('principal.id.length == 1').message).toMatch(/has no fields/);
    expect(refusal('request.time.getFullYear() == 2026 && request.tenant == "a"').message).toMatch(/no field "tenant"/);
  });

  it('refuses functions outside the allowlist and non-boolean conditions', () => {
    for (const source of ['type(principal.id) == string', 'principal.id.charAt(0) == "a"', 'cel.bind(x, 1, x == 1)', 'principal.id.lowerAscii() == "a"']) {
      expect(refusal(source).code, source).toBe('AUTHZ_CONDITION_INVALID');
    }
    expect(refusal('"yes"').message).toMatch(/boolean/);
    expect(refusal('[true]').code).toBe('AUTHZ_CONDITION_INVALID');
    expect(refusal('').code).toBe('AUTHZ_CONDITION_INVALID');
    expect(refusal('principal.id ==').message).toMatch(/does not parse/);
    expect(refusal('google.expr.Thing{a: 1} == 1').code).toBe('AUTHZ_CONDITION_INVALID');
  });

  it('exponential string growth is refused by the cost estimate; deeper nesting is refused outright', () => {
    const growth = (levels: number, copies: number) => {
      const concat = (name: string) => Array.from({ length: copies }, () => name).join(' + ');
      let source = concat(`v${levels}`);
      for (let i = levels; i > 0; i -= 1) source = `[${concat(`v${i - 1}`)}].map(v${i}, ${source})`;
      return `${source.replace(/^\[[^\]]*\]/, `[${concat('resource.attributes.s')}]`)}.size() > 0`;
    };
    const deep = { ...DEFAULT_CEL_LIMITS, maxConditionDepth: 128, maxConditionLength: 4096 };
    const costly = refusal(growth(3, 16), deep);
    expect(costly.code).toBe('AUTHZ_CONDITION_TOO_COSTLY');
    expect(costly.message).toMatch(/estimated cost/);
    expect(compile(growth(3, 2), deep).info.cost).toBeLessThan(DEFAULT_CEL_LIMITS.maxConditionCost);
    const nested = refusal(growth(14, 2), deep);
    expect(nested.message).toMatch(/comprehensions nest deeper than 4/);
  });

  it('raising a limit is a named loosening, reported as an event; nonsense limits are configuration errors', () => {
    const events: SecurityEvent[] = [];
    const limits = resolveCelLimits({ maxConditionCost: 1_000_000, maxInputListSize: 10 }, (event) => events.push(event));
    expect(limits.maxConditionCost).toBe(1_000_000);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'config.loosened', attributes: { control: 'authz', option: 'maxConditionCost' } });
    for (const bad of [{ maxConditionCost: 0 }, { maxInputDepth: 1.5 }, { maxConditionLength: 1e9 }, { bogus: 1 } as never]) {
      expect(() => resolveCelLimits(bad, undefined)).toThrow(ConfigurationError);
    }
  });
});

describe('conditions at run time', () => {
  it('evaluates through the library when the fast path cannot decide', () => {
    const frame = frameFor({ id: 'alice' }, { kind: 'document', attributes: { tags: ['a', 'b'], name: 'Zoë' } });
    expect(compile('resource.attributes.tags.exists(t, t == "b")').evaluate(frame, 'resources/document/test')).toBe(true);
    expect(compile('size(resource.attributes.name) == 3').evaluate(frame, 'resources/document/test')).toBe(true);
    expect(compile('resource.attributes.name.matches("^Z[a-zë]+$")').evaluate(frame, 'resources/document/test')).toBe(true);
    // The same check over every element of a 1000-element list of 4096-character strings would cost too much.
    expect(refusal('resource.attributes.tags.all(t, t.matches("^[a-z]$"))').code).toBe('AUTHZ_CONDITION_TOO_COSTLY');
  });

  it('attack: a catastrophic-backtracking pattern (ReDoS) runs in linear time on RE2', () => {
    // With a backtracking engine this takes about 2^40 steps and the test would time out.
    const frame = frameFor({ id: 'alice' }, { kind: 'document', attributes: { name: `${'a'.repeat(40)}!` } });
    expect(compile('resource.attributes.name.matches("^(a+)+$")').evaluate(frame, 'resources/document/test')).toBe(false);
    expect(compile('resource.attributes.name.matches("^(a|aa)+!$")').evaluate(frame, 'resources/document/test')).toBe(true);
  });

  it('a failing condition throws a typed error that names the rule, never the input values', () => {
    const frame = frameFor({ id: 'alice', attributes: { secret: 'hunter2' } }, { kind: 'document', attributes: {} });
    let error: unknown;
    try {
      compile('resource.attributes.missing.exists(t, t == principal.attributes.secret)').evaluate(frame, 'resources/document/test');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthzEvaluationError);
    const failure = error as AuthzEvaluationError;
    expect(failure.code).toBe('AUTHZ_CONDITION_FAILED');
    expect(failure.rule).toBe('resources/document/test');
    expect(failure.message).not.toContain('hunter2');
    expect(failure.detail).not.toContain('hunter2');
    expect(() => compile('resource.attributes.n / 0 == 1').evaluate(frameFor({ id: 'a' }, { kind: 'd', attributes: { n: 1n } }), 'resources/document/test')).toThrow(AuthzEvaluationError);
  });

  it('attack: a huge attribute list is refused before the library iterates it', () => {
    const tags = Array.from({ length: 1_000_001 }, (_, i) => `t${i}`);
    const frame = frameFor({ id: 'alice' }, { kind: 'document', attributes: { tags } });
    let error: unknown;
    try {
      compile('resource.attributes.tags.exists(t, t == "never")').evaluate(frame, 'resources/document/test');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthzEvaluationError);
    expect((error as AuthzEvaluationError).code).toBe('AUTHZ_INPUT_TOO_LARGE');
    expect((error as AuthzEvaluationError).detail).toMatch(/^resource\.attributes\.tags: a list longer than 1000$/);
  });

  it('attack: a megabyte string, a deep tree, a node flood and non-plain objects are refused', () => {
    const check = (attributes: Record<string, unknown>) =>
      compile('has(resource.attributes.x) && size(resource.attributes.x) > 0').evaluate(frameFor({ id: 'a' }, { kind: 'd', attributes: attributes as never }), 'resources/document/test');
    expect(() => check({ x: 'a'.repeat(1_048_576) })).toThrow(expect.objectContaining({ code: 'AUTHZ_INPUT_TOO_LARGE' }));
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i += 1) deep = [deep];
    expect(() => check({ x: deep })).toThrow(expect.objectContaining({ code: 'AUTHZ_INPUT_TOO_LARGE' }));
    const flood = Array.from({ length: 200 }, () => Array.from({ length: 200 }, () => 1));
    expect(() => check({ x: flood })).toThrow(expect.objectContaining({ code: 'AUTHZ_INPUT_TOO_LARGE' }));
    expect(() => check({ x: new Date() })).toThrow(expect.objectContaining({ code: 'AUTHZ_INPUT_UNSUPPORTED' }));
    expect(() => check({ x: Object.assign(Object.create(null) as object, { a: 1 }) })).toThrow(expect.objectContaining({ code: 'AUTHZ_INPUT_UNSUPPORTED' }));
    const getter = { get a() { throw new Error('side effect'); } };
    expect(() => check({ x: new (class Hostile { a = getter; })() })).toThrow(expect.objectContaining({ code: 'AUTHZ_INPUT_UNSUPPORTED' }));
    expect(check({ x: ['within', 'bounds'] })).toBe(true);
    expect(check({ x: new Map([['a', 1]]) })).toBe(true);
  });

  it('the input check is exact at its bounds', () => {
    const limits = { ...DEFAULT_CEL_LIMITS, maxInputListSize: 3, maxInputStringLength: 5, maxInputDepth: 2, maxInputNodes: 6 };
    expect(checkInputBounds(['a', 'b', 'c'], limits)).toBeUndefined();
    expect(checkInputBounds(['a', 'b', 'c', 'd'], limits)?.code).toBe('AUTHZ_INPUT_TOO_LARGE');
    expect(checkInputBounds('abcde', limits)).toBeUndefined();
    expect(checkInputBounds('abcdef', limits)?.code).toBe('AUTHZ_INPUT_TOO_LARGE');
    expect(checkInputBounds([['x']], limits)).toBeUndefined();
    expect(checkInputBounds([[['x']]], limits)?.code).toBe('AUTHZ_INPUT_TOO_LARGE');
    expect(checkInputBounds({ a: [1, 2], b: [3] }, limits)).toBeUndefined();
    expect(checkInputBounds({ a: [1, 2], b: [3, 4] }, limits)?.code).toBe('AUTHZ_INPUT_TOO_LARGE');
    expect(checkInputBounds(Symbol('x'), limits)?.code).toBe('AUTHZ_INPUT_UNSUPPORTED');
    expect(checkInputBounds(() => 1, limits)?.code).toBe('AUTHZ_INPUT_UNSUPPORTED');
  });
});
