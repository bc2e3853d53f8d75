import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { parseUntrustedJson } from './json.js';
import { untrustedJsonProblem } from './problem.js';
import { prototypeIsClean, readCorpus } from './testing.fixtures.js';

/** What a careless application does with a parsed body: a deep merge into its own objects. */
function naiveMerge(target: Record<string, unknown>, source: unknown): void {
  if (source === null || typeof source !== 'object') return;
  for (const key of Object.keys(source)) {
    const value = (source as Record<string, unknown>)[key];
    if (value !== null && typeof value === 'object') {
      const next = (target[key] ??= {}) as Record<string, unknown>;
      naiveMerge(next, value);
    } else {
      target[key] = value;
    }
  }
}

afterEach(() => {
  expect(prototypeIsClean()).toBe(true);
});

describe('parseUntrustedJson: prototype pollution and duplicate keys', () => {
  it('attack: every corpus payload is refused, and merging what would have come out pollutes nothing', () => {
    const payloads = readCorpus('prototype-pollution.txt');
    expect(payloads.length).toBeGreaterThan(15);
    for (const payload of payloads) {
      const result = parseUntrustedJson(payload);
      expect(result.ok, payload).toBe(false);
      if (!result.ok) expect(['forbidden_key', 'duplicate_key']).toContain(result.reason);
      const target: Record<string, unknown> = {};
      if (result.ok) naiveMerge(target, result.value);
    }
    expect(prototypeIsClean()).toBe(true);
  });

  it('the unprotected baseline does pollute, so the attack above is real', () => {
    try {
      naiveMerge({}, JSON.parse('{"__proto__":{"polluted":"yes"}}'));
      expect(prototypeIsClean()).toBe(false);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('attack: a duplicate member is refused however it is spelled, at any depth', () => {
    for (const text of [
      '{"role":"user","role":"admin"}',
      '{"role":"user","\\u0072ole":"admin"}',
      '{"a":{"x":1,"y":2,"x":3}}',
      '[{"ok":1},{"id":1,"id":1}]',
      '{"a":1,"b":{"a":2},"a":3}',
      '{"é":1,"\\u00e9":2}',
      '{"\\/":1,"/":2}',
      '{"":1,"":2}',
    ]) {
      expect(parseUntrustedJson(text), text).toEqual({ ok: false, reason: 'duplicate_key' });
    }
  });

  it('finds duplicates in wide objects too (past the short-list threshold)', () => {
    const wide = Array.from({ length: 40 }, (_, i) => `"k${i}":${i}`);
    expect(parseUntrustedJson(`{${wide.join(',')}}`).ok).toBe(true);
    expect(parseUntrustedJson(`{${wide.join(',')},"k3":0}`)).toEqual({ ok: false, reason: 'duplicate_key' });
    expect(parseUntrustedJson(`{${wide.join(',')},"k39":0}`)).toEqual({ ok: false, reason: 'duplicate_key' });
    expect(parseUntrustedJson(`{${wide.slice(0, 16).join(',')},"k0":0}`)).toEqual({ ok: false, reason: 'duplicate_key' });
    expect(parseUntrustedJson(`[{${wide.join(',')}},{${wide.join(',')}}]`).ok).toBe(true);
  });

  it('the same name in sibling or nested objects is not a duplicate', () => {
    expect(parseUntrustedJson('{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}')).toEqual({ ok: true, value: { a: { a: { a: 1 } }, b: [{ a: 1 }, { a: 2 }] } });
    expect(parseUntrustedJson('{"a":"\\"a\\":1,","b":"a"}')).toEqual({ ok: true, value: { a: '"a":1,', b: 'a' } });
    expect(parseUntrustedJson('{"a":1,"A":2}')).toEqual({ ok: true, value: { a: 1, A: 2 } });
  });

  it('allowDuplicateKeys is the named loosening: the last value wins, as in JSON.parse', () => {
    expect(parseUntrustedJson('{"role":"user","role":"admin"}', { allowDuplicateKeys: true })).toEqual({ ok: true, value: { role: 'admin' } });
  });

  it('invalid JSON is invalid_json even when it also repeats a name', () => {
    expect(parseUntrustedJson('{"a":1,"a":2,}')).toEqual({ ok: false, reason: 'invalid_json' });
    expect(parseUntrustedJson('{"a":1,"a\\x":2}')).toEqual({ ok: false, reason: 'invalid_json' });
    expect(parseUntrustedJson('{"a')).toEqual({ ok: false, reason: 'invalid_json' });
  });
});

describe('parseUntrustedJson: the scan is exact on valid JSON (property test against generated documents)', () => {
  /** A JSON value whose objects are lists of members, so the generator (the oracle) knows where names repeat. */
  type Doc = null | boolean | number | string | { readonly array: readonly Doc[] } | { readonly members: readonly (readonly [string, Doc])[] };

  const names = fc.oneof(fc.constantFrom('a', 'b', 'é', '"', '\\', '/', '', '{', ':', ','), fc.string({ maxLength: 4 }));
  const { doc } = fc.letrec<{ doc: Doc }>((tie) => ({
    doc: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.string({ maxLength: 6 }),
      fc.record({ array: fc.array(tie('doc'), { maxLength: 4 }) }),
      fc.record({ members: fc.array(fc.tuple(names, tie('doc')), { maxLength: 5 }) }),
    ),
  }));

  /**
   * Writes a name with a mix of literal characters and \u escapes chosen by `escapes`, the spellings JSON allows for one
   * name; members of one object get different mixes, so a repeated name is often spelled two ways.
   */
  function spell(name: string, escapes: number): string {
    let out = '"';
    let index = 0;
    for (const char of name) {
      const literal = JSON.stringify(char).slice(1, -1);
      out += (escapes >> index % 30) & 1 ? Array.from({ length: char.length }, (_, unit) => `\\u${char.charCodeAt(unit).toString(16).padStart(4, '0')}`).join('') : literal;
      index += 1;
    }
    return `${out}"`;
  }

  function write(value: Doc, escapes: number, space: string): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    if ('array' in value) return `[${space}${value.array.map((item) => write(item, escapes, space)).join(`,${space}`)}]`;
    return `{${space}${value.members.map(([name, item], member) => `${spell(name, escapes >>> member % 8)}${space}:${write(item, escapes, space)}`).join(`${space},`)}${space}}`;
  }

  function hasDuplicate(value: Doc): boolean {
    if (value === null || typeof value !== 'object') return false;
    if ('array' in value) return value.array.some(hasDuplicate);
    const seen = new Set(value.members.map(([name]) => name));
    return seen.size !== value.members.length || value.members.some(([, item]) => hasDuplicate(item));
  }

  it('refuses exactly the documents with a repeated name, and otherwise returns what JSON.parse returns', () => {
    fc.assert(
      fc.property(doc, fc.nat(), fc.constantFrom('', ' ', '\n\t '), (value, escapes, space) => {
        const text = write(value, escapes, space);
        const result = parseUntrustedJson(text, { maxBytes: 1_000_000, maxDepth: 64 });
        const forbidden = /__proto__|constructor/.test(JSON.stringify(JSON.parse(text) as unknown));
        if (forbidden) return;
        if (hasDuplicate(value)) expect(result).toEqual({ ok: false, reason: 'duplicate_key' });
        else expect(result).toEqual({ ok: true, value: JSON.parse(text) as unknown });
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary text, and says ok only for what JSON.parse accepts', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.stringMatching(/^[[\]{}",:\\ a-z0-9_]{0,60}$/), fc.json()), (text) => {
        const result = parseUntrustedJson(text);
        if (result.ok) expect(result.value).toEqual(JSON.parse(text.replace(/^\uFEFF/, '')));
      }),
      { numRuns: 400 },
    );
  });
});

describe('parseUntrustedJson: exhaustion', () => {
  it('attack: deep nesting is refused at the depth limit, without a stack overflow', () => {
    expect(parseUntrustedJson('['.repeat(100_000) + ']'.repeat(100_000), { maxBytes: 1_000_000 })).toEqual({ ok: false, reason: 'too_deep' });
    expect(parseUntrustedJson('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), { maxBytes: 1_000_000 })).toEqual({ ok: false, reason: 'too_deep' });
    expect(parseUntrustedJson('{"a":'.repeat(32) + '1' + '}'.repeat(32)).ok).toBe(true);
    expect(parseUntrustedJson('{"a":'.repeat(33) + '1' + '}'.repeat(33))).toEqual({ ok: false, reason: 'too_deep' });
  });

  it('attack: member floods and oversized texts are refused', () => {
    const keys = `{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":0`).join(',')}}`;
    expect(parseUntrustedJson(keys, { maxBytes: 1_000_000 })).toEqual({ ok: false, reason: 'too_many_keys' });
    expect(parseUntrustedJson(`"${'a'.repeat(200_000)}"`)).toEqual({ ok: false, reason: 'too_large' });
    expect(parseUntrustedJson(new Uint8Array(102_401))).toEqual({ ok: false, reason: 'too_large' });
  });

  it('decodes bytes as strict UTF-8 and ignores one leading BOM', () => {
    expect(parseUntrustedJson(new TextEncoder().encode('\uFEFF{"é":"€"}'))).toEqual({ ok: true, value: { é: '€' } });
    expect(parseUntrustedJson(Uint8Array.from([0x22, 0xff, 0x22]))).toEqual({ ok: false, reason: 'invalid_json' });
  });

  it('refuses invalid limits as configuration errors', () => {
    for (const options of [{ maxDepth: 0 }, { maxKeys: -1 }, { maxBytes: 1.5 }]) {
      expect(() => parseUntrustedJson('1', options)).toThrow(ConfigurationError);
    }
  });
});

describe('untrustedJsonProblem', () => {
  it('maps every refusal to a fixed problem that carries no input', () => {
    expect(untrustedJsonProblem('duplicate_key')).toMatchObject({ status: 400, code: 'body.duplicate_key' });
    expect(untrustedJsonProblem('forbidden_key')).toMatchObject({ status: 400, code: 'body.forbidden_key' });
    expect(untrustedJsonProblem('too_large')).toMatchObject({ status: 413 });
  });
});
