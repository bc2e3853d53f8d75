/**
 * Module specifiers: normalising external module names so rules can name them once (`node:fs/promises` and `fs` are
 * the same sink), and resolving relative specifiers against the reviewed file set (`./db`, `./db.js` → `db.ts`).
 */
import { posix } from 'node:path';

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/** Aliases under which the same library is imported. */
const MODULE_ALIASES: Readonly<Record<string, string>> = {
  'mysql2/promise': 'mysql2',
  'lodash-es': 'lodash',
  libxmljs2: 'libxmljs',
  'sqlite': 'sqlite3',
  'node-fetch': 'fetch',
  'isomorphic-fetch': 'fetch',
  'cross-fetch': 'fetch',
};

/**
 * The canonical name and path prefix of an external module: `node:fs/promises` → `fs`, `lodash/merge` →
 * `lodash` + `merge`, `@rampart/core/safe/sql` → `@rampart/core`.
 */
export function normalizeModule(specifier: string): { readonly module: string; readonly path: readonly string[] } {
  let name = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
  if (name === 'fs/promises') return { module: 'fs', path: [] };
  if (name.startsWith('@rampart/core')) return { module: '@rampart/core', path: [] };
  const lodashMember = /^lodash[./]([a-z]+)$/i.exec(name);
  if (lodashMember?.[1] !== undefined) return { module: 'lodash', path: [lodashMember[1] === 'defaultsdeep' ? 'defaultsDeep' : lodashMember[1]] };
  name = MODULE_ALIASES[name] ?? name;
  return { module: name, path: [] };
}

/** True for specifiers that name a file rather than a package. */
export function isRelativeSpecifier(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..';
}

/**
 * Resolves a relative specifier from `fromFile` to a reviewed file, the way TypeScript's NodeNext and bundlers do:
 * exact file, `.js` written for a `.ts` file, extensionless, or a directory's `index`.
 */
export function resolveSpecifier(fromFile: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!isRelativeSpecifier(specifier)) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  if (files.has(base)) return base;
  const extension = posix.extname(base);
  const stem = ['.js', '.jsx', '.mjs', '.cjs'].includes(extension) ? base.slice(0, -extension.length) : base;
  for (const candidate of SOURCE_EXTENSIONS) if (files.has(stem + candidate)) return stem + candidate;
  for (const candidate of SOURCE_EXTENSIONS) if (files.has(`${base}/index${candidate}`)) return `${base}/index${candidate}`;
  return undefined;
}
