import fc from 'fast-check';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import { PathError, safeJoin, type PathErrorCode } from './index.js';
import { readCorpus } from './tree.fixtures.js';

const ROOT = '/srv/files';
const SEED = 0x5afe;

function refusalCode(userPath: string, root = ROOT): PathErrorCode | 'ACCEPTED' {
  try {
    safeJoin(root, userPath);
    return 'ACCEPTED';
  } catch (error) {
    if (error instanceof PathError) return error.code;
    throw error;
  }
}

describe('safeJoin: traversal corpus (corpus/traversal.txt)', () => {
  const payloads = readCorpus('traversal');

  it('has at least 50 variants', () => {
    expect(payloads.length).toBeGreaterThanOrEqual(50);
  });

  it('refuses every one with a PathError', () => {
    const accepted = payloads.filter((payload) => refusalCode(payload) === 'ACCEPTED');
    expect(accepted).toEqual([]);
  });

  it('baseline: path.join leaves the root for the plain ones, and the startsWith check misses "<root>-evil"', () => {
    expect(join(ROOT, '../secret.txt')).toBe('/srv/secret.txt');
    expect(join(ROOT, 'public/../../secret.txt')).toBe('/srv/secret.txt');
    const evil = join(ROOT, '../files-evil/secret.pdf');
    expect(evil.startsWith(ROOT)).toBe(true);
    expect(refusalCode('../files-evil/secret.pdf')).toBe('PATH_TRAVERSAL');
  });
});

describe('safeJoin: refusal codes', () => {
  it.each([
    ['../secret.txt', 'PATH_TRAVERSAL'],
    ['..\\secret.txt', 'PATH_TRAVERSAL'],
    ['public/.. ./x', 'PATH_TRAVERSAL'],
    ['．．／secret.txt', 'PATH_TRAVERSAL'],
    ['‥/secret.txt', 'PATH_TRAVERSAL'],
    ['/etc/passwd', 'PATH_ABSOLUTE'],
    ['\\\\server\\share\\x', 'PATH_ABSOLUTE'],
    ['C:\\Windows\\win.ini', 'PATH_ABSOLUTE'],
    ['c:x', 'PATH_ABSOLUTE'],
    ['%2e%2e%2fsecret.txt', 'PATH_ENCODED'],
    ['%252e%252e%252f', 'PATH_ENCODED'],
    ['%c0%ae%c0%ae/x', 'PATH_ENCODED'],
    ['%u002e%u002e/x', 'PATH_ENCODED'],
    ['../secret.txt\u0000.pdf', 'PATH_INVALID'],
    ['report.pdf\u0000', 'PATH_INVALID'],
    ['a\r\nSet-Cookie: x=y.pdf', 'PATH_INVALID'],
    ['a\u0085b.pdf', 'PATH_INVALID'],
    ['invoice\u202Efdp.exe', 'PATH_INVALID'],
    ['a\uD800.pdf', 'PATH_INVALID'],
    ['a/b\\c.pdf', 'PATH_INVALID'],
    ['secret.txt::$DATA', 'PATH_INVALID'],
    ['CON.pdf', 'PATH_INVALID'],
    ['report.pdf.', 'PATH_INVALID'],
    ['a//b.pdf', 'PATH_INVALID'],
    ['', 'PATH_INVALID'],
    ['.env', 'PATH_HIDDEN'],
    ['public/.git/config', 'PATH_HIDDEN'],
  ] as const)('%j → %s', (userPath, code) => {
    expect(refusalCode(userPath)).toBe(code);
  });

  it('refuses over-long paths and segments', () => {
    expect(refusalCode('a/'.repeat(2_100) + 'x')).toBe('PATH_INVALID');
    expect(refusalCode(`${'a'.repeat(256)}.pdf`)).toBe('PATH_INVALID');
    expect(refusalCode(`${'é'.repeat(130)}.pdf`)).toBe('PATH_INVALID');
    expect(refusalCode(`${'a'.repeat(251)}.pdf`)).toBe('ACCEPTED');
  });

  it('never puts the path in the message', () => {
    try {
      safeJoin(ROOT, '../secret-marker\r\n.txt');
    } catch (error) {
      expect(error).toBeInstanceOf(PathError);
      expect((error as PathError).message).not.toContain('secret-marker');
      return;
    }
    expect.unreachable();
  });
});

describe('safeJoin: accepted paths', () => {
  it.each(readCorpus('benign'))('%j joins to exactly path.resolve(root, it)', (userPath) => {
    expect(safeJoin(ROOT, userPath)).toBe(resolve(ROOT, userPath));
  });

  it('normalises the root (trailing separators) and accepts a root of "/"', () => {
    expect(safeJoin('/srv/files/', 'a.pdf')).toBe('/srv/files/a.pdf');
    expect(safeJoin('/', 'a.pdf')).toBe('/a.pdf');
  });

  it('allows dotfiles only when asked by name, and never dot segments', () => {
    expect(safeJoin(ROOT, '.well-known/security.txt', { allowDotFiles: true })).toBe('/srv/files/.well-known/security.txt');
    expect(() => safeJoin(ROOT, '../x', { allowDotFiles: true })).toThrow(PathError);
    expect(() => safeJoin(ROOT, '.../x', { allowDotFiles: true })).toThrow(PathError);
  });

  it('refuses a relative root as a configuration error', () => {
    expect(() => safeJoin('srv/files', 'a.pdf')).toThrow(ConfigurationError);
    expect(() => safeJoin('/srv/\u0000files', 'a.pdf')).toThrow(ConfigurationError);
  });
});

describe('safeJoin: never returns a path outside the root (property)', () => {
  const dangerous = fc.constantFrom('..', '.', '...', '', ' ', 'a', 'b.pdf', '%2e', '%2f', '%', '．', '／', '‥', '\\', '/', 'C:', '~', '\u0000', '\u202E', ':', '.. ', 'é', '\uD800');
  const pieces = fc.array(dangerous, { maxLength: 10 }).map((parts) => parts.join(''));
  const segments = fc.tuple(fc.array(dangerous, { maxLength: 6 }), fc.constantFrom('/', '\\')).map(([parts, separator]) => parts.join(separator));
  const anything = fc.string({ unit: 'binary', maxLength: 40 });

  it.each([
    ['token soup', pieces],
    ['segment lists', segments],
    ['arbitrary strings', anything],
  ] as const)('%s', (_name, input) => {
    fc.assert(
      fc.property(input, fc.constantFrom('/srv/files', '/srv/files/', '/'), (userPath, root) => {
        let joined: string;
        try {
          joined = safeJoin(root, userPath);
        } catch (error) {
          expect(error).toBeInstanceOf(PathError);
          return;
        }
        const base = resolve(root);
        const inside = relative(base, joined);
        expect(joined.startsWith(base.endsWith(sep) ? base : base + sep)).toBe(true);
        expect(inside).not.toBe('');
        expect(isAbsolute(inside)).toBe(false);
        expect(inside.split(sep)).not.toContain('..');
        expect(joined).toBe(resolve(base, userPath));
      }),
      { numRuns: 2_000, seed: SEED },
    );
  });
});
