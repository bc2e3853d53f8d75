import fc from 'fast-check';
import { appendFileSync, createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { readCorpus } from './corpus.fixtures.js';
import { sanitizeLogText } from './index.js';

const payloads = readCorpus('log-injection.txt');
// Everything a terminal or log viewer acts on: controls, ANSI introducers (ESC, 8-bit CSI/OSC), Unicode line breaks, bidi.
// eslint-disable-next-line no-control-regex -- asserting the absence of control characters
const ACTIVE = /[\0-\x1F\x7F-\x9F\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;
/** Line boundaries as tools see them: LF, CR, CRLF, VT, FF, NEL, LS, PS (UAX #14 mandatory breaks). */
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/;
const directory = mkdtempSync(join(tmpdir(), 'rampart-log-'));

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** Reverses the escaping, to prove it loses nothing: `\\`, `\n`, `\r`, `\t`, `\xHH`, `\uHHHH`. */
function unescape(text: string): string {
  return text.replace(/\\(\\|n|r|t|x[0-9a-f]{2}|u[0-9a-f]{4})/g, (_, code: string) => {
    if (code === '\\') return '\\';
    if (code === 'n') return '\n';
    if (code === 'r') return '\r';
    if (code === 't') return '\t';
    return String.fromCharCode(Number.parseInt(code.slice(1), 16));
  });
}

/** Writes one entry per call the way a line-oriented logger does and reads the file back with node:readline. */
async function writeAndReadLog(file: string, users: readonly string[], encode: (text: string) => string): Promise<string[]> {
  for (const user of users) appendFileSync(file, `2026-01-01T00:00:00Z WARN login failed user=${encode(user)}\n`);
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) lines.push(line);
  return lines;
}

describe('attack: log forging and terminal escape injection', () => {
  it('has a real corpus', () => {
    expect(payloads.length).toBeGreaterThanOrEqual(25);
  });

  it.each(payloads.map((p) => [JSON.stringify(p), p]))('neutralises %s', (_, payload) => {
    const out = sanitizeLogText(payload);
    expect(out).not.toMatch(ACTIVE);
    expect(out.split(LINE_BREAK)).toHaveLength(1);
    expect(unescape(out)).toBe(payload);
  });

  it('a forged "login ok" entry stays inside the attacker’s line in a real log file; unsanitised it becomes its own entry', async () => {
    const forging = payloads.filter((p) => p.includes('INFO login ok'));
    const safe = await writeAndReadLog(join(directory, 'safe.log'), forging, (user) => sanitizeLogText(user));
    expect(safe).toHaveLength(forging.length);
    expect(safe.every((line) => line.startsWith('2026-01-01T00:00:00Z WARN login failed user='))).toBe(true);
    expect(safe.join('\n').split(LINE_BREAK)).toHaveLength(forging.length);

    const naive = await writeAndReadLog(join(directory, 'naive.log'), forging, (user) => user);
    expect(naive.length).toBeGreaterThan(forging.length);
    expect(naive.some((line) => line.startsWith('2026-01-01T00:00:00Z INFO login ok user=root'))).toBe(true);
  });

  it('ANSI sequences lose their introducer (ESC, BEL, 8-bit CSI/OSC) and become visible text', () => {
    expect(sanitizeLogText('\u001b]0;pwned\u0007')).toBe('\\x1b]0;pwned\\x07');
    expect(sanitizeLogText('\u001b[2J')).toBe('\\x1b[2J');
    expect(sanitizeLogText('\u009b2J')).toBe('\\x9b2J');
    expect(sanitizeLogText('user\u202eroot')).toBe('user\\u202eroot');
    expect(sanitizeLogText('a\nb\\nc')).toBe('a\\nb\\\\nc');
  });
});

describe('sanitizeLogText', () => {
  it('is lossless and leaves nothing active, for any string (property)', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit })), (text) => {
        const out = sanitizeLogText(text, { maxLength: 10_000 });
        expect(out).not.toMatch(ACTIVE);
        expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
        expect(unescape(out)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps ordinary text, including non-Latin scripts and emoji, as it is', () => {
    expect(sanitizeLogText('user=alice ip=203.0.113.7 ok')).toBe('user=alice ip=203.0.113.7 ok');
    expect(sanitizeLogText('Ünïcødé 日本語 עברית 👩‍💻')).toBe('Ünïcødé 日本語 עברית 👩‍💻');
  });

  it('attack: an oversized value is cut with a visible marker, never between surrogate halves', () => {
    expect(sanitizeLogText('a'.repeat(10_000))).toBe(`${'a'.repeat(8192)}…[truncated 1808 chars]`);
    expect(sanitizeLogText('ab😀cd', { maxLength: 3 })).toBe('ab…[truncated 4 chars]');
    expect(() => sanitizeLogText('x', { maxLength: 0 })).toThrow(ConfigurationError);
  });
});
