import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import type { SecurityEvent } from '../events.js';
import { allowlistSchema, type AllowlistLoosening } from './allowlist.js';
import { compile } from './compile.js';
import { isBoundedPattern } from './pattern.js';

const name = Type.String({ maxLength: 64 });

function refusal(schema: unknown, loosen: AllowlistLoosening = {}): string {
  try {
    allowlistSchema(schema, loosen);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('allowlist rules, enforced on the schema at build time', () => {
  it('closes objects that say nothing about extra properties, at every depth', () => {
    const { schema } = allowlistSchema(Type.Object({ user: Type.Object({ name }), list: Type.Array(Type.Object({ name }), { maxItems: 5 }) }));
    expect(schema).toMatchObject({
      additionalProperties: false,
      properties: { user: { additionalProperties: false }, list: { items: { additionalProperties: false } } },
    });
  });

  it('refuses additionalProperties: true unless allowAdditionalProperties is named', () => {
    const open = Type.Object({ name }, { additionalProperties: true });
    expect(refusal(open)).toMatch(/additionalProperties: true.*allowAdditionalProperties: true/);
    expect(allowlistSchema(open, { allowAdditionalProperties: true }).schema).toMatchObject({ additionalProperties: true });
  });

  it('refuses unbounded strings, and accepts each kind of bound', () => {
    expect(refusal(Type.Object({ bio: Type.String() }))).toMatch(/#\/properties\/bio.*string needs maxLength.*allowUnboundedStrings/);
    expect(refusal(Type.String({ format: 'email' }))).toMatch(/maxLength/);
    expect(refusal(Type.String({ format: 'date-time' }))).toMatch(/maxLength/);
    expect(refusal(Type.String({ pattern: '^[a-z]+$' }))).toMatch(/maxLength/);
    expect(refusal(Type.String({ pattern: '[a-z]{1,8}' }))).toMatch(/maxLength/);
    for (const bounded of [
      Type.String({ maxLength: 10 }),
      Type.String({ format: 'uuid' }),
      Type.String({ format: 'date' }),
      Type.String({ format: 'ipv6' }),
      Type.String({ pattern: '^[a-z]{1,8}$' }),
      Type.Literal('x'),
      Type.Union([Type.Literal('a'), Type.Literal('b')]),
      Type.Enum(['a', 'b']),
    ]) {
      expect(() => allowlistSchema(bounded)).not.toThrow();
    }
    expect(() => allowlistSchema(Type.String(), { allowUnboundedStrings: true })).not.toThrow();
  });

  it('refuses unbounded arrays, including uniqueItems over large arrays', () => {
    expect(refusal(Type.Array(name))).toMatch(/maxItems.*allowUnboundedArrays/);
    expect(refusal(Type.Array(name, { maxItems: 5000, uniqueItems: true }))).toMatch(/uniqueItems/);
    expect(() => allowlistSchema(Type.Array(name, { maxItems: 10 }))).not.toThrow();
    expect(allowlistSchema(Type.Tuple([name, name])).schema).toEqual({
      type: 'array',
      prefixItems: [{ type: 'string', maxLength: 64 }, { type: 'string', maxLength: 64 }],
      items: false,
      minItems: 2,
    });
  });

  it('refuses numbers without both bounds, and integers bounded beyond 2^53', () => {
    expect(refusal(Type.Integer())).toMatch(/integer needs a lower and an upper bound.*allowUnboundedNumbers/);
    expect(refusal(Type.Number({ minimum: 0 }))).toMatch(/number needs/);
    expect(refusal(Type.Integer({ minimum: 0, maximum: 2 ** 60 }))).toMatch(/2\^53/);
    expect(() => allowlistSchema(Type.Integer({ exclusiveMinimum: 0, maximum: 100 }))).not.toThrow();
    expect(() => allowlistSchema(Type.Integer({ format: 'int32' }))).not.toThrow();
    expect(() => allowlistSchema(Type.Number(), { allowUnboundedNumbers: true })).not.toThrow();
  });

  it('refuses maps without maxProperties and bounded names', () => {
    expect(refusal(Type.Record(Type.String(), name))).toMatch(/map.*allowUnboundedMaps/);
    expect(refusal(Type.Record(Type.String(), name, { maxProperties: 10 }))).toMatch(/bounded names/);
    expect(() => allowlistSchema(Type.Record(Type.String(), name, { maxProperties: 10, propertyNames: { maxLength: 32 } }))).not.toThrow();
    expect(() => allowlistSchema(Type.Record(Type.String({ pattern: '^[a-z]{1,8}$' }), name, { maxProperties: 10 }))).not.toThrow();
  });

  it('refuses schemas that accept any value', () => {
    expect(refusal(Type.Object({ data: Type.Any() }))).toMatch(/#\/properties\/data.*any value.*allowAnyValue/);
    expect(refusal(Type.Unknown())).toMatch(/any value/);
    expect(refusal(true)).toMatch(/any value/);
    expect(refusal({ properties: { a: name } })).toMatch(/any value/);
    expect(() => allowlistSchema(Type.Object({ data: Type.Any() }), { allowAnyValue: true })).not.toThrow();
  });

  it('refuses unknown keywords, unknown formats, non-JSON types and OpenAPI 3.0 leftovers', () => {
    expect(refusal({ type: 'string', maxlength: 5 })).toMatch(/unknown keyword "maxlength"/);
    expect(refusal({ type: 'string', maxLength: 5, nullable: true })).toMatch(/unknown keyword "nullable"/);
    expect(refusal({ type: 'string', maxLength: 5, format: 'phone' })).toMatch(/unknown format/);
    expect(refusal({ type: 'string', maxLength: 5, format: 'regex' })).toMatch(/unknown format/);
    expect(refusal(Type.Undefined())).toMatch(/JSON types/);
    expect(refusal({ type: 'string', maxLength: -1 })).toMatch(/non-negative/);
    expect(refusal({ type: 'number', minimum: Number.NaN, maximum: 1 })).toMatch(/finite/);
    expect(refusal({ type: 'string', pattern: '(' , maxLength: 3 })).toMatch(/regular expression/);
    expect(refusal({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'null' })).toMatch(/2020-12/);
    expect(refusal({ type: 'string', maxLength: 3, if: { type: 'string' } })).toMatch(/unknown keyword "if"/);
  });

  it('attack: "__proto__" can never be declared as a property', () => {
    const schema = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"boolean"}}}') as unknown;
    expect(refusal(schema)).toMatch(/__proto__/);
    expect(refusal({ type: 'object', properties: {}, required: ['__proto__'] })).toMatch(/__proto__/);
  });

  it('resolves references to root definitions only, including TypeBox cyclic ids', () => {
    const cyclic = Type.Cyclic({ Node: Type.Object({ name, children: Type.Array(Type.Ref('Node'), { maxItems: 3 }) }) }, 'Node');
    const { schema } = allowlistSchema(cyclic);
    expect(schema).toMatchObject({ $ref: '#/$defs/Node', $defs: { Node: { additionalProperties: false, properties: { children: { items: { $ref: '#/$defs/Node' } } } } } });
    expect(JSON.stringify(schema)).not.toContain('$id');
    expect(refusal({ $ref: 'https://evil.example/schema.json' })).toMatch(/only references to root definitions/);
    expect(refusal({ $ref: '#' })).toMatch(/only references/);
    expect(refusal({ $ref: '#/$defs/Missing' })).toMatch(/unknown definition/);
    expect(refusal({ type: 'object', properties: { a: { $defs: { x: name }, $ref: '#/$defs/x' } } })).toMatch(/at the root/);
    // Definitions are checked even when nothing refers to them.
    expect(refusal({ $defs: { Loose: { type: 'string' } }, type: 'null' })).toMatch(/\$defs\/Loose/);
  });

  it('closes intersections with unevaluatedProperties instead of closing each branch', () => {
    const { schema } = allowlistSchema(Type.Intersect([Type.Object({ a: name }), Type.Object({ b: name })]));
    expect(schema).toEqual({
      allOf: [
        { type: 'object', required: ['a'], properties: { a: { type: 'string', maxLength: 64 } } },
        { type: 'object', required: ['b'], properties: { b: { type: 'string', maxLength: 64 } } },
      ],
      unevaluatedProperties: false,
    });
    expect(refusal({ $defs: { A: Type.Object({ a: name }) }, allOf: [{ $ref: '#/$defs/A' }, Type.Object({ b: name })] })).toMatch(/inline the object/);
  });

  it('does not close objects inside not, contains or propertyNames, whose meaning closing would change', () => {
    const { schema } = allowlistSchema({ type: 'array', maxItems: 3, items: Type.Object({ a: name }), contains: { type: 'object', properties: { a: { const: 'x' } } } });
    expect(schema).toMatchObject({ contains: { type: 'object', properties: { a: { const: 'x' } } } });
    expect((schema as { contains: Record<string, unknown> }).contains.additionalProperties).toBeUndefined();
  });

  it('never changes the caller\'s schema, and freezes its own', () => {
    const input = Type.Object({ a: name });
    const before = JSON.stringify(input);
    const { schema } = allowlistSchema(input);
    expect(JSON.stringify(input)).toBe(before);
    expect(Object.isFrozen(schema)).toBe(true);
  });

  it('reports each named loosening once at compile time', () => {
    const events: SecurityEvent[] = [];
    compile(Type.Object({ bio: Type.String() }), { allowUnboundedStrings: true, allowAnyValue: true, events: (event) => events.push(event) });
    expect(events.map((event) => [event.type, event.attributes?.option])).toEqual([
      ['config.loosened', 'allowUnboundedStrings'],
      ['config.loosened', 'allowAnyValue'],
    ]);
  });
});

describe('isBoundedPattern', () => {
  it('accepts anchored patterns without unbounded quantifiers', () => {
    for (const pattern of ['^[a-z]{1,8}$', '^(?:ab|cd){2}$', '^[*+]{0,3}$', '^a\\*b$', '^\\d{4}-\\d{2}$', '^[\\]*]{1,2}$']) {
      expect(isBoundedPattern(pattern), pattern).toBe(true);
    }
  });

  it('refuses unanchored, half-anchored and unbounded patterns', () => {
    for (const pattern of ['[a-z]{1,8}', '^[a-z]{1,8}', '[a-z]{1,8}$', '^a|b$', '^a+$', '^a*$', '^a{2,}$', '^(a{1,3})+$', '^a\\$', '^[a]$|x', '^(?=.*)a$']) {
      expect(isBoundedPattern(pattern), pattern).toBe(false);
    }
  });
});
