import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { jsonProblem, parseJson } from './json.js';

function polluted(): unknown {
  return (Object.prototype as Record<string, unknown>).polluted ?? ({} as Record<string, unknown>).polluted;
}

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
  expect(polluted()).toBeUndefined();
});

describe('parseJson: duplicate member names', () => {
  it('attack: a member named twice (the second would win in JSON.parse, the first in other parsers) is refused with its own problem', () => {
    for (const payload of ['{"role":"user","role":"admin"}', '{"a":{"x":1,"\\u0078":2}}', '[{"id":1},{"id":2,"id":3}]']) {
      expect(parseJson(payload), payload).toEqual({ ok: false, reason: 'duplicate_key' });
    }
    expect(JSON.parse('{"role":"user","role":"admin"}')).toEqual({ role: 'admin' });
    const refused = jsonProblem('duplicate_key');
    expect(refused.status).toBe(400);
    expect(refused.code).toBe('body.duplicate_key');
  });

  it('the same name in different objects is not a duplicate', () => {
    expect(parseJson('{"a":{"id":1},"b":{"id":2},"id":3}')).toEqual({ ok: true, value: { a: { id: 1 }, b: { id: 2 }, id: 3 } });
  });
});

describe('parseJson: prototype pollution', () => {
  it('attack: __proto__ and constructor.prototype payloads are refused wherever they are', () => {
    for (const payload of [
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"a":[{"b":{"__proto__":{"polluted":1}}}]}',
      '[1,[2,{"constructor":{"prototype":{"polluted":1}}}]]',
      '{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}}',
      '{"__proto__":null}',
    ]) {
      const result = parseJson(payload);
      expect(result).toEqual({ ok: false, reason: 'forbidden_key' });
      // The same payload through JSON.parse and a naive merge is what the refusal prevents.
      const target: Record<string, unknown> = {};
      if (result.ok) naiveMerge(target, result.value);
    }
    expect(polluted()).toBeUndefined();
  });

  it('the unprotected baseline does pollute (so the attack above is real)', () => {
    const target: Record<string, unknown> = {};
    naiveMerge(target, JSON.parse('{"__proto__":{"polluted":1}}'));
    try {
      expect(({} as Record<string, unknown>).polluted).toBe(1);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('keeps ordinary documents, including harmless uses of the names', () => {
    expect(parseJson('{"constructor":"x","proto":1,"a":[1,2,{"b":null}]}')).toEqual({
      ok: true,
      value: { constructor: 'x', proto: 1, a: [1, 2, { b: null }] },
    });
    expect(parseJson('null')).toEqual({ ok: true, value: null });
    expect(parseJson(' \n null ')).toEqual({ ok: true, value: null });
    expect(parseJson('"__proto__"')).toEqual({ ok: true, value: '__proto__' });
    expect(parseJson('\uFEFF{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJson(new TextEncoder().encode('{"é":"€"}'))).toEqual({ ok: true, value: { é: '€' } });
  });
});

describe('parseJson: exhaustion', () => {
  it('attack: 100 000-deep nesting is refused at the depth limit, without a stack overflow', () => {
    expect(parseJson('['.repeat(100_000) + ']'.repeat(100_000), { maxBytes: 1_000_000 })).toEqual({ ok: false, reason: 'too_deep' });
    expect(parseJson('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000), { maxBytes: 1_000_000 })).toEqual({ ok: false, reason: 'too_deep' });
    expect(parseJson('['.repeat(1_000_000), { maxBytes: 2_000_000 })).toEqual({ ok: false, reason: 'too_deep' });
  });

  it('the depth limit is exact, and brackets inside strings do not count', () => {
    expect(parseJson('['.repeat(32) + ']'.repeat(32)).ok).toBe(true);
    expect(parseJson('['.repeat(33) + ']'.repeat(33))).toEqual({ ok: false, reason: 'too_deep' });
    expect(parseJson('[[["[[[[{{{{\\"[[[["]]]', { maxDepth: 3 })).toEqual({ ok: true, value: [[['[[[[{{{{"[[[[']]] });
  });

  it('attack: huge member counts are refused before parsing', () => {
    const keys = `{${Array.from({ length: 20_001 }, (_, i) => `"k${i}":0`).join(',')}}`;
    expect(parseJson(keys, { maxBytes: 1_000_000 })).toEqual({ ok: false, reason: 'too_many_keys' });
    const elements = `[${'0,'.repeat(10_000)}0]`;
    expect(parseJson(elements, { maxBytes: 1_000_000 })).toEqual({ ok: false, reason: 'too_many_keys' });
    expect(parseJson(`[${'0,'.repeat(9_999)}0]`, { maxBytes: 1_000_000 }).ok).toBe(true);
    expect(parseJson('{"a":[1,2],"b":{"c":[]}}', { maxKeys: 5 }).ok).toBe(true);
    expect(parseJson('{"a":[1,2],"b":{"c":[3]}}', { maxKeys: 5 })).toEqual({ ok: false, reason: 'too_many_keys' });
  });

  it('attack: oversized text is refused by its UTF-8 size', () => {
    expect(parseJson(`"${'a'.repeat(200_000)}"`)).toEqual({ ok: false, reason: 'too_large' });
    expect(parseJson(`"${'€'.repeat(40_000)}"`)).toEqual({ ok: false, reason: 'too_large' });
    expect(parseJson(new Uint8Array(102_401))).toEqual({ ok: false, reason: 'too_large' });
  });
});

describe('parseJson: malformed input', () => {
  it('refuses invalid JSON and invalid UTF-8 without echoing them', () => {
    for (const bad of ['', '{', '{"a":1,}', "{'a':1}", 'NaN', '[1]]', ']', '{"a":1}{"b":2}']) {
      expect(parseJson(bad)).toEqual({ ok: false, reason: 'invalid_json' });
    }
    expect(parseJson(Uint8Array.from([0x22, 0xff, 0x22]))).toEqual({ ok: false, reason: 'invalid_json' });
    expect(parseJson(Uint8Array.from([0x22, 0xed, 0xa0, 0x80, 0x22]))).toEqual({ ok: false, reason: 'invalid_json' });
  });

  it('never throws on arbitrary strings or bytes, and says ok only for what JSON.parse accepts', () => {
    const jsonish = fc.stringMatching(/^[[\]{}",:\\ a-z0-9_]{0,60}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), jsonish, fc.json()), (text) => {
        const result = parseJson(text);
        if (result.ok) expect(result.value).toEqual(JSON.parse(text.replace(/^\uFEFF/, '')));
        else expect(['invalid_json', 'too_deep', 'too_many_keys', 'forbidden_key', 'too_large']).toContain(result.reason);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(typeof parseJson(bytes).ok).toBe('boolean');
      }),
    );
  });

  it('refuses invalid limits as configuration errors', () => {
    for (const options of [{ maxDepth: 0 }, { maxKeys: -1 }, { maxBytes: 1.5 }, { maxDepth: Number.NaN }]) {
      expect(() => parseJson('1', options)).toThrow(ConfigurationError);
    }
  });
});

describe('jsonProblem', () => {
  it('maps reasons to fixed problems', () => {
    expect(jsonProblem('too_deep')).toMatchObject({ status: 400, code: 'body.too_deep' });
    expect(jsonProblem('forbidden_key')).toMatchObject({ status: 400, code: 'body.forbidden_key' });
    expect(jsonProblem('invalid_json')).toMatchObject({ status: 400, code: 'body.invalid_json' });
    expect(jsonProblem('too_large')).toMatchObject({ status: 413, code: 'body.too_large' });
  });
});
