import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import Type from 'typebox';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { compile, type CheckResult } from './compile.js';
import { ValidationError } from './errors.js';
import { parseUntrustedJson } from './json.js';
import { prototypeIsClean, readCorpus } from './testing.fixtures.js';

const SignUp = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254 }),
  username: Type.String({ pattern: '^[a-z0-9_]{3,32}$' }),
  password: Type.String({ minLength: 12, maxLength: 128 }),
  age: Type.Integer({ minimum: 13, maximum: 150 }),
  tags: Type.Array(Type.String({ maxLength: 20 }), { maxItems: 10 }),
  marketing: Type.Optional(Type.Boolean()),
  address: Type.Object({ country: Type.String({ minLength: 2, maxLength: 2 }), city: Type.String({ maxLength: 100 }) }),
});
const signUp = compile(SignUp);
const valid = {
  email: 'alice@example.com',
  username: 'alice_1',
  password: 'correct horse battery',
  age: 30,
  tags: ['a'],
  address: { country: 'NZ', city: 'Wellington' },
};

function issuesOf(result: CheckResult<unknown>): { pointer: string; rule: string }[] {
  if (result.ok) throw new Error('expected a refusal');
  return result.issues.map(({ pointer, rule }) => ({ pointer, rule }));
}

afterEach(() => {
  expect(prototypeIsClean()).toBe(true);
});

describe('compile: check, is, assert', () => {
  it('returns the value itself, typed, when it matches', () => {
    const result = signUp.check(valid);
    expect(result).toEqual({ ok: true, value: valid });
    if (result.ok) {
      expect(result.value).toBe(valid);
      expectTypeOf(result.value.age).toEqualTypeOf<number>();
      expectTypeOf(result.value.marketing).toEqualTypeOf<boolean | undefined>();
    }
    expect(signUp.is(valid)).toBe(true);
    expect(signUp.assert(valid)).toBe(valid);
  });

  it('assert throws a ValidationError whose message and issues do not contain the value', () => {
    const secret = 'Sup3r-secret<script>';
    let thrown: unknown;
    try {
      signUp.assert({ ...valid, age: secret });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const error = thrown as ValidationError;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe('validation failed: type at "/age"');
    expect(JSON.stringify(error.issues)).not.toContain(secret);
  });

  it('stops at the first issue by default, and lists them all (bounded) with reportAllIssues', () => {
    const bad = { ...valid, age: 5, email: 'x', tags: ['a'.repeat(30)] };
    expect(issuesOf(signUp.check(bad))).toHaveLength(1);
    const all = compile(SignUp, { reportAllIssues: true });
    expect(issuesOf(all.check(bad))).toEqual([
      { pointer: '/email', rule: 'format' },
      { pointer: '/age', rule: 'minimum' },
      { pointer: '/tags/0', rule: 'maxLength' },
    ]);
    const capped = compile(SignUp, { reportAllIssues: true, maxIssues: 2 });
    expect(issuesOf(capped.check(bad))).toHaveLength(2);
  });

  it('names missing properties by their declared name', () => {
    const { age: _age, ...missing } = valid;
    expect(issuesOf(signUp.check(missing))).toEqual([{ pointer: '/age', rule: 'required' }]);
  });

  it('refuses non-objects at the root without throwing', () => {
    for (const value of [undefined, null, 'x', 1, [], () => 1, Symbol('x'), new Date()]) {
      expect(signUp.check(value).ok).toBe(false);
      expect(signUp.is(value)).toBe(false);
    }
  });
});

describe('compile: attacks', () => {
  it('attack: mass assignment — an extra isAdmin property is refused, at the root and nested', () => {
    expect(issuesOf(signUp.check({ ...valid, isAdmin: true }))).toEqual([{ pointer: '', rule: 'additionalProperties' }]);
    expect(issuesOf(signUp.check({ ...valid, address: { ...valid.address, role: 'admin' } }))).toEqual([{ pointer: '/address', rule: 'additionalProperties' }]);
    const result = signUp.check({ ...valid, isAdmin: true });
    if (!result.ok) expect(result.issues[0]?.property).toBe('isAdmin');
  });

  it('attack: prototype pollution payloads are refused by the parser or by the schema, and Object.prototype stays clean', () => {
    for (const payload of readCorpus('prototype-pollution.txt')) {
      const parsed = parseUntrustedJson(payload);
      expect(parsed.ok, payload).toBe(false);
      // Even if a parser let one through (JSON.parse keeps "__proto__" as an own key), the schema refuses it.
      const raw: unknown = JSON.parse(payload);
      expect(signUp.check(raw).ok, payload).toBe(false);
    }
    expect(signUp.check(JSON.parse(`{"__proto__":{"isAdmin":true},${JSON.stringify(valid).slice(1)}`)).ok).toBe(false);
  });

  it('attack: once Object.prototype is polluted elsewhere, every check fails closed instead of passing the extra property', () => {
    const prototype = Object.prototype as Record<string, unknown>;
    try {
      prototype.isAdmin = true;
      expect(issuesOf(signUp.check({ ...valid }))).toEqual([{ pointer: '', rule: 'additionalProperties' }]);
    } finally {
      delete prototype.isAdmin;
    }
    expect(signUp.check({ ...valid }).ok).toBe(true);
  });

  it('attack: type confusion — every NoSQL operator object and non-string is refused where a string is expected', () => {
    const payloads = readCorpus('type-confusion.txt');
    expect(payloads.length).toBeGreaterThan(15);
    for (const payload of payloads) {
      const value: unknown = JSON.parse(payload);
      expect(issuesOf(signUp.check({ ...valid, email: value })), payload).toEqual([{ pointer: '/email', rule: 'type' }]);
      expect(signUp.check({ ...valid, address: { ...valid.address, city: value } }).ok, payload).toBe(false);
    }
  });

  it('attack: huge strings and arrays are refused by their bound before any pattern or format runs', () => {
    expect(issuesOf(signUp.check({ ...valid, email: `${'a'.repeat(1_000_000)}@example.com` }))).toEqual([{ pointer: '/email', rule: 'maxLength' }]);
    expect(issuesOf(signUp.check({ ...valid, password: 'x'.repeat(10_000_000) }))).toEqual([{ pointer: '/password', rule: 'maxLength' }]);
    expect(issuesOf(signUp.check({ ...valid, tags: Array.from({ length: 1_000_000 }, () => 1) }))).toEqual([{ pointer: '/tags', rule: 'maxItems' }]);
    expect(issuesOf(signUp.check({ ...valid, username: 'a'.repeat(100_000) }))).toEqual([{ pointer: '/username', rule: 'pattern' }]);
  });

  it('attack: deep nesting and cycles are refused without a stack overflow', () => {
    const tree = compile(Type.Cyclic({ Node: Type.Object({ children: Type.Array(Type.Ref('Node'), { maxItems: 2 }) }) }, 'Node'));
    const deep = { children: [] as unknown[] };
    let cursor = deep;
    for (let i = 0; i < 200_000; i += 1) {
      const next = { children: [] as unknown[] };
      cursor.children.push(next);
      cursor = next;
    }
    expect(issuesOf(tree.check(deep))).toEqual([{ pointer: '', rule: 'depth' }]);
    const cycle = { children: [] as unknown[] };
    cycle.children.push(cycle);
    expect(tree.check(cycle).ok).toBe(false);
    expect(tree.is(cycle)).toBe(false);
    expect(tree.check({ children: [{ children: [] }] }).ok).toBe(true);
    expect(tree.check({ children: [{ children: [], extra: 1 }] }).ok).toBe(false);
    // Nested objects nest no deeper than the JSON parser's depth limit, which refuses them first.
    expect(parseUntrustedJson('{"children":['.repeat(40) + ']}'.repeat(40))).toEqual({ ok: false, reason: 'too_deep' });
  });

  it('attack: NaN, ±Infinity and -0 cannot slip past number bounds', () => {
    const amount = compile(Type.Object({ amount: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }), count: Type.Integer({ minimum: 0, maximum: 10 }) }));
    for (const bad of [Number.NaN, Infinity, -Infinity, -0, 0, 1000.5, Number.MAX_VALUE]) {
      expect(amount.check({ amount: bad, count: 1 }).ok, String(bad)).toBe(false);
    }
    for (const bad of [Number.NaN, Infinity, 0.5, 11, -1, 2 ** 53]) {
      expect(amount.check({ amount: 1, count: bad }).ok, String(bad)).toBe(false);
    }
    expect(amount.check({ amount: Number.MIN_VALUE, count: 0 }).ok).toBe(true);
    // -0 is zero to JSON Schema (RFC 8259 has one zero); with inclusive bounds it passes as 0 does.
    expect(amount.check({ amount: 1, count: -0 }).ok).toBe(true);
  });

  it('unknown properties are reported without echoing their (attacker-chosen) names to clients', () => {
    const hostile = '<img src=x onerror=alert(1)>\u202e\n';
    const result = signUp.check({ ...valid, [hostile]: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const issue = result.issues[0];
    expect(issue?.pointer).toBe('');
    expect(issue?.property).toBe('<img src=x onerror=alert(1)>\\u{202e}\\u{a}');
    const map = compile(Type.Object({ labels: Type.Record(Type.String(), Type.String({ maxLength: 5 }), { maxProperties: 5, propertyNames: { maxLength: 64 } }) }));
    const bad = map.check({ labels: { [hostile]: 'far too long' } });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.issues[0]?.pointer).toBe('/labels');
      expect(bad.issues[0]?.instancePath).not.toContain('\u202e');
    }
  });
});

describe('compile: coercion only when named', () => {
  const Query = Type.Object({
    page: Type.Integer({ minimum: 1, maximum: 1000 }),
    price: Type.Optional(Type.Number({ minimum: -100, maximum: 100 })),
    active: Type.Optional(Type.Boolean()),
    q: Type.Optional(Type.String({ maxLength: 50 })),
    ids: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 99 }), { maxItems: 5 })),
    either: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 9 }), Type.String({ maxLength: 3 })])),
    maybe: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 9 }), Type.Null()])),
  });

  it('without coerceFromStrings a number as text is a type error', () => {
    expect(compile(Query).check({ page: '2' }).ok).toBe(false);
  });

  it('converts strict number and boolean text on a copy, never mutating the input', () => {
    const query = compile(Query, { coerceFromStrings: true });
    const input = Object.freeze({ page: '2', price: '-1.5e1', active: 'true', q: '42', ids: Object.freeze(['1', '2']), either: '7', maybe: '3' });
    const result = query.check(input);
    expect(result).toEqual({ ok: true, value: { page: 2, price: -15, active: true, q: '42', ids: [1, 2], either: '7', maybe: 3 } });
    expect(input).toEqual({ page: '2', price: '-1.5e1', active: 'true', q: '42', ids: ['1', '2'], either: '7', maybe: '3' });
    expect(query.check({ page: '1', ids: '4' })).toEqual({ ok: true, value: { page: 1, ids: [4] } });
    expect(query.is({ page: '2' })).toBe(false);
  });

  it('attack: loose number and boolean spellings stay strings and are refused', () => {
    const query = compile(Query, { coerceFromStrings: true });
    for (const page of ['', ' 1', '1 ', '0x10', '1_000', '+1', 'Infinity', 'NaN', '1e400', '1.', '.5', '01', '２']) {
      expect(query.check({ page }).ok, JSON.stringify(page)).toBe(false);
    }
    for (const active of ['1', '0', 'yes', 'TRUE', 'on', '']) {
      expect(query.check({ page: '1', active }).ok, active).toBe(false);
    }
    expect(query.check({ page: '1', price: '-0' })).toEqual({ ok: true, value: { page: 1, price: 0 } });
    const result = query.check({ page: '1', price: '-0' });
    if (result.ok) expect(Object.is(result.value.price, -0)).toBe(false);
  });

  it('copies a __proto__ key as data, so coercion cannot set a prototype', () => {
    const loose = compile(Type.Object({ n: Type.Integer({ minimum: 0, maximum: 9 }) }, { additionalProperties: true }), { coerceFromStrings: true, allowAdditionalProperties: true });
    const input = JSON.parse('{"n":"1","__proto__":{"polluted":"yes"}}') as Record<string, unknown>;
    const result = loose.check(input);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
      expect(Object.keys(result.value)).toEqual(['n', '__proto__']);
    }
  });

  it('keeps the null prototype of form-parser objects', () => {
    const query = compile(Query, { coerceFromStrings: true });
    const form = Object.assign(Object.create(null) as Record<string, unknown>, { page: '3' });
    const result = query.check(form);
    expect(result.ok).toBe(true);
    if (result.ok) expect(Object.getPrototypeOf(result.value)).toBeNull();
  });

  it('never throws and never mutates, whatever the input', () => {
    const query = compile(Query, { coerceFromStrings: true });
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const before = fc.stringify(value);
        query.check(value);
        expect(fc.stringify(value)).toBe(before);
      }),
      { numRuns: 300 },
    );
  });
});

describe('compile: contracts', () => {
  it('toJsonSchema is the schema after defaults, and a standard validator reads it the same way', () => {
    const document = signUp.toJsonSchema();
    expect(document).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', additionalProperties: false });
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const independent = ajv.compile(document as object);
    expect(independent(valid)).toBe(true);
    expect(independent({ ...valid, isAdmin: true })).toBe(false);
  });

  it('toOpenApi moves definitions to components and rewrites references', () => {
    const tree = compile(Type.Cyclic({ Node: Type.Object({ name: Type.String({ maxLength: 9 }), children: Type.Array(Type.Ref('Node'), { maxItems: 2 }) }) }, 'Node'));
    expect(tree.toOpenApi()).toEqual({
      schema: { $ref: '#/components/schemas/Node' },
      components: {
        Node: {
          type: 'object',
          required: ['name', 'children'],
          properties: { name: { type: 'string', maxLength: 9 }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' }, maxItems: 2 } },
          additionalProperties: false,
        },
      },
    });
    expect(signUp.toOpenApi().components).toEqual({});
  });

  it('custom formats are checked, and must have new names', () => {
    const phone = compile(Type.String({ format: 'e164', maxLength: 16 }), { formats: { e164: /^\+[1-9]\d{1,14}$/ } });
    expect(phone.check('+6421000000').ok).toBe(true);
    expect(phone.check('021000000').ok).toBe(false);
    expect(() => compile(Type.String({ maxLength: 3 }), { formats: { email: () => true } })).toThrow(ConfigurationError);
    const throwing = compile(Type.String({ format: 'broken', maxLength: 3 }), {
      formats: {
        broken: () => {
          throw new Error('bug in a custom format');
        },
      },
    });
    expect(issuesOf(throwing.check('abc'))).toEqual([{ pointer: '', rule: 'unprocessable' }]);
    expect(() => compile(Type.String({ maxLength: 3 }), { maxIssues: 0 })).toThrow(ConfigurationError);
  });

  it('x- extension keywords are kept for OpenAPI and ignored by validation', () => {
    const tagged = compile(Type.String({ maxLength: 3, 'x-internal': true }));
    expect(tagged.toJsonSchema()).toMatchObject({ 'x-internal': true });
    expect(tagged.check('abc').ok).toBe(true);
  });

  it('discriminated unions close each branch', () => {
    const shape = compile(
      Type.Union([Type.Object({ kind: Type.Literal('circle'), r: Type.Number({ minimum: 0, maximum: 1e6 }) }), Type.Object({ kind: Type.Literal('square'), side: Type.Number({ minimum: 0, maximum: 1e6 }) })]),
    );
    expect(shape.check({ kind: 'circle', r: 1 }).ok).toBe(true);
    expect(shape.check({ kind: 'circle', r: 1, side: 2 }).ok).toBe(false);
    expect(issuesOf(shape.check({ kind: 'circle', r: 1, isAdmin: true }))).toEqual([{ pointer: '', rule: 'anyOf' }]);
  });

  it('intersections accept the union of their properties and nothing else', () => {
    const both = compile(Type.Intersect([Type.Object({ a: Type.Boolean() }), Type.Object({ b: Type.Boolean() })]));
    expect(both.check({ a: true, b: false }).ok).toBe(true);
    expect(both.check({ a: true }).ok).toBe(false);
    expect(issuesOf(both.check({ a: true, b: false, isAdmin: true }))).toEqual([{ pointer: '', rule: 'unevaluatedProperties' }]);
  });
});
