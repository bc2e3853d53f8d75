import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import { createChain } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { csrf } from '../csrf/index.js';
import { problem } from '../problem/problem.js';
import { ProblemError, problemForError } from './errors.js';
import { isUrlencoded, jsonBodyReader, readFormBody } from './body.js';
import { parseForm } from './form.js';
import { RampartState } from './state.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('parseForm', () => {
  it('attack: __proto__ and constructor fields are plain fields, nothing is polluted', () => {
    const parsed = parseForm(bytes('__proto__[polluted]=1&__proto__=x&constructor[prototype][polluted]=1&constructor=y'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.getPrototypeOf(parsed.value)).toBeNull();
    expect(parsed.value.__proto__).toBe('x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('attack: repeated fields become lists, so a single-valued field (a CSRF token) can be refused when repeated', () => {
    const parsed = parseForm(bytes('_csrf=a&_csrf=b&x=1'));
    expect(parsed.ok && parsed.value._csrf).toEqual(['a', 'b']);
  });

  it('attack: field floods and invalid UTF-8 are refused', () => {
    expect(parseForm(bytes('a=1&'.repeat(11)), 10)).toEqual({ ok: false, reason: 'too_many_keys' });
    expect(parseForm(new Uint8Array([0x61, 0x3d, 0xff, 0xfe]))).toEqual({ ok: false, reason: 'invalid_form' });
  });

  it('attack: percent-escapes that are not UTF-8 are refused, not read as U+FFFD (two different tokens must not parse alike)', () => {
    for (const body of ['token=%FF%FE', 'token=%C3', '%FF=1', 'a=%G1', 'a=%', 'a=%E2%82']) expect(parseForm(bytes(body))).toEqual({ ok: false, reason: 'invalid_form' });
    const parsed = parseForm(bytes('name=J%C3%BCrgen+M&x=%2B%26'));
    expect(parsed.ok && { ...parsed.value }).toEqual({ name: 'Jürgen M', x: '+&' });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (input) => {
        expect(typeof parseForm(input).ok).toBe('boolean');
      }),
    );
  });
});

describe('problemForError', () => {
  it('attack: thrown errors never leak their message, stack or properties', () => {
    const leaky = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), { detail: 'Key (email)=(a@b.c)' });
    expect(JSON.stringify(problemForError(leaky))).not.toMatch(/unique|email|Key/);
    expect(problemForError(leaky).status).toBe(500);
    expect(problemForError('a string')).toMatchObject({ status: 500 });
    expect(problemForError(null)).toMatchObject({ status: 500 });
  });

  it('keeps a client-error status with its standard phrase, and a ProblemError as it is', () => {
    expect(problemForError(Object.assign(new Error('Unexpected token } in JSON at position 7'), { statusCode: 400 }))).toEqual({
      status: 400,
      type: 'about:blank',
      title: 'Bad Request',
    });
    expect(problemForError({ status: 503 })).toMatchObject({ status: 500 });
    const own = problem(409, 'conflict', 'Conflict');
    expect(problemForError(new ProblemError(own))).toBe(own);
  });
});

describe('RampartState', () => {
  it('rotates the CSRF token at login and writes its cookie to the live response', () => {
    const guard = csrf({ ring: KeyRing.generate(), allowedOrigins: ['https://app.example.com'] });
    const outcome = createChain({ guards: [guard] }).run({
      method: 'GET',
      target: '/',
      header: nodeHeaderReader({ cookie: '__Host-sid=before' }),
      peerAddress: '127.0.0.1',
      tls: true,
    });
    if (outcome instanceof Promise) throw new Error('expected a synchronous chain');
    const written: string[] = [];
    const state = new RampartState(outcome, written, (sink, cookie) => sink.push(cookie));
    const before = state.csrfToken;
    const after = state.rotateCsrfToken('after-login');
    expect(after).not.toBe(before);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^__Host-csrf=/);
    expect(guard.verifyToken(after, 'after-login')).toBe(true);
    expect(guard.verifyToken(before, 'after-login')).toBe(false);
  });
});

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) {
    await Promise.resolve();
    yield new TextEncoder().encode(part);
  }
}

describe('jsonBodyReader and readFormBody', () => {
  it('parses what is within the limits', async () => {
    const reader = jsonBodyReader();
    expect(await reader.read(chunks('{"a":', '[1,2]}'), 1024)).toEqual({ ok: true, value: { a: [1, 2] } });
    expect(reader.accepts('application/json; charset=utf-8')).toBe(true);
    const form = await readFormBody(chunks('a=1&b=2'), 1024);
    expect(form.ok && form.value.b).toBe('2');
  });

  it('attack: an oversized chunked body is refused with 413 while reading, whatever its declared length', async () => {
    const outcome = await jsonBodyReader().read(chunks('{"a":"', 'x'.repeat(2048), '"}'), 1024);
    expect(outcome.ok ? 0 : outcome.problem.status).toBe(413);
    const form = await readFormBody(chunks('a='.padEnd(4096, 'x')), 1024);
    expect(form.ok ? 0 : form.problem.status).toBe(413);
  });

  it('attack: prototype-polluting, deeply nested and member-heavy JSON get 400; other media types are not accepted', async () => {
    const reader = jsonBodyReader({ maxDepth: 8, maxKeys: 100 });
    for (const body of ['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '['.repeat(50) + ']'.repeat(50), `[${'1,'.repeat(200)}1]`]) {
      const outcome = await reader.read(chunks(body), 100_000);
      expect(outcome.ok ? 0 : outcome.problem.status).toBe(400);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) expect(reader.accepts(type)).toBe(false);
    expect(isUrlencoded('application/x-www-form-urlencoded')).toBe(true);
  });

  it('refuses a bad limit when the parser is built, not on the first request', () => {
    expect(() => jsonBodyReader({ maxDepth: 0 })).toThrow();
  });
});
