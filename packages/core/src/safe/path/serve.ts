import type { FileHandle } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { contentDisposition } from './disposition.js';
import { PathError } from './errors.js';
import { safeJoin, type SafeJoinOptions } from './join.js';
import { openChecked, resolveWithin } from './open.js';

export interface ServeFileOptions extends SafeJoinOptions {
  /**
   * Extension → media type, the only types served: `{ '.pdf': 'application/pdf', '.png': 'image/png' }`. Extensions
   * are matched case-insensitively on both the requested name and the file a symbolic link leads to; the
   * `Content-Type` comes from this table only, never from the file's bytes or a library's guess.
   */
  readonly allowedTypes: Readonly<Record<string, string>>;
  /** Name offered to the browser. Default: the last segment of the user path. Any text is safe here (it is encoded). */
  readonly downloadName?: string;
}

/** An opened file and the headers to send it with. Stream it with `handle.createReadStream()`, which closes it. */
export interface ServedFile {
  readonly handle: FileHandle;
  readonly size: number;
  readonly contentType: string;
  readonly headers: Headers;
}

// Served files are documents, never pages: no script runs, no plugin loads, nothing is fetched, even if a browser
// renders the file instead of downloading it.
const SANDBOX_POLICY = "default-src 'none'; sandbox";

const EXTENSION = /^\.[A-Za-z0-9][A-Za-z0-9_+-]*$/;
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|"[ !#-\\[\\]-~]*"))*$`);

const checkedTables = new WeakMap<object, ReadonlyMap<string, string>>();

/**
 * Opens a user-named file inside `root` for download, or throws {@link PathError} (`PATH_TYPE_FORBIDDEN` before any
 * file system access when the extension is not allowed).
 *
 * Protects against path traversal and symbolic-link escapes (see `openWithin`), and against serving a file as
 * something the browser will run: the `Content-Type` comes only from `allowedTypes`, `Content-Disposition: attachment`
 * makes browsers download instead of render (an uploaded `.html` or `.svg` cannot become stored XSS on your origin),
 * `X-Content-Type-Options: nosniff` stops content sniffing, `Content-Security-Policy: default-src 'none'; sandbox`
 * neuters the file if it is rendered anyway, `Cross-Origin-Resource-Policy: same-origin` stops other sites embedding
 * it, and `Cache-Control: private, no-store` keeps shared caches from handing one user's file to another. The file
 * name is encoded per RFC 6266 and RFC 8187, so quotes, CR/LF or `;` in a name cannot inject header parameters.
 */
export async function serveFile(root: string, userPath: string, options: ServeFileOptions): Promise<ServedFile> {
  const types = typeTable(options.allowedTypes);
  const lexical = safeJoin(root, userPath, options);
  contentTypeOf(types, lexical, 'extension not allowed');
  const resolved = await resolveWithin(root, userPath, options);
  const contentType = contentTypeOf(types, resolved.target, 'link target type not allowed');
  const { handle, stats } = await openChecked(resolved, options);
  return {
    handle,
    size: stats.size,
    contentType,
    headers: new Headers({
      'content-type': contentType,
      'content-length': String(stats.size),
      'content-disposition': contentDisposition(options.downloadName ?? basename(lexical)),
      'x-content-type-options': 'nosniff',
      'content-security-policy': SANDBOX_POLICY,
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'private, no-store',
    }),
  };
}

function contentTypeOf(types: ReadonlyMap<string, string>, path: string, reason: string): string {
  const type = types.get(extname(path).toLowerCase());
  if (type === undefined) throw new PathError('PATH_TYPE_FORBIDDEN', reason);
  return type;
}

function typeTable(allowedTypes: Readonly<Record<string, string>>): ReadonlyMap<string, string> {
  const cached = checkedTables.get(allowedTypes);
  if (cached !== undefined) return cached;
  const table = new Map<string, string>();
  for (const [extension, type] of Object.entries(allowedTypes)) {
    if (!EXTENSION.test(extension)) throw new ConfigurationError('allowedTypes keys must be extensions such as ".pdf"');
    if (!MEDIA_TYPE.test(type)) throw new ConfigurationError('allowedTypes values must be media types such as "application/pdf"');
    const key = extension.toLowerCase();
    if (table.has(key)) throw new ConfigurationError('allowedTypes lists an extension twice');
    table.set(key, type);
  }
  if (table.size === 0) throw new ConfigurationError('allowedTypes must allow at least one type');
  checkedTables.set(allowedTypes, table);
  return table;
}
