import { isAbsolute, join, resolve, sep } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { PathError } from './errors.js';

/** Options shared by {@link safeJoin}, `openWithin` and `serveFile`. */
export interface SafeJoinOptions {
  /**
   * Allow segments that start with `.` (`.env`, `.git/config`, `.htpasswd`). Default `false`: dotfiles are where
   * secrets live, and a file server that serves them is the classic way to leak them.
   */
  readonly allowDotFiles?: boolean;
}

/** Longest accepted user path, in UTF-8 bytes (Linux `PATH_MAX`). */
export const MAX_PATH_BYTES = 4096;
/** Longest accepted segment, in UTF-8 bytes (`NAME_MAX` on Linux, macOS and NTFS). */
export const MAX_SEGMENT_BYTES = 255;

// C0 and C1 controls and DEL: NUL truncates the path in C code below Node, CR/LF split headers and logs.
const CONTROL = /\p{Cc}/u;
// Bidirectional overrides and isolates: "invoice\u202Efdp.exe" displays as "invoiceexe.pdf".
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const LONE_SURROGATE = /\p{Cs}/u;
// %2e, %2F, %25, %c0%ae, and IIS's %u002e: left after the one decode the caller did, so either double-encoded or
// never decoded. Rampart refuses them rather than decoding a second time (which is the bug, not the fix).
const PERCENT_ESCAPE = /%(?:[0-9A-Fa-f]{2}|[uU][0-9A-Fa-f]{4})/;
const NON_ASCII = /[\u0080-\u{10FFFF}]/u;
// What a path must never gain through Unicode compatibility normalization (NFKC), as done by some file systems,
// archive tools and Windows APIs: "．．／" (fullwidth), "‥" (two dot leader), "﹒" (small full stop), "＼".
const PATH_SYNTAX = /[./\\:%]/;
const DRIVE = /^[A-Za-z]:/;
// Characters Windows forbids in names; refused everywhere so that a path means the same on every platform.
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
// DOS device names, which Windows opens as devices in any directory and with any extension ("CON.pdf").
const DEVICE_NAME = /^(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?$/i;
const ALL_DOTS_AND_SPACES = /^[. ]+$/;

/**
 * Joins a user-supplied relative path onto `root`, lexically, or throws {@link PathError}. Pure: it never touches the
 * file system (use `openWithin` to also defeat symbolic links).
 *
 * Protects against path traversal in every spelling the test corpus knows: `..` and `.` segments (with `/` or `\`,
 * mixed, or padded with trailing dots and spaces that Windows strips), absolute paths (`/etc/passwd`, `\x`, `C:\`,
 * `C:x`, UNC `\\server\share`, `\\?\`), percent-escapes left in the path (`%2e%2e%2f`, double-encoded `%252e`,
 * overlong UTF-8 `%c0%ae`, `%u002e`, `%00`), NUL and other control characters, characters that NFKC-normalize to a
 * dot or separator (`．．／`), NTFS alternate data streams (`:$DATA`), DOS device names, bidirectional overrides,
 * hidden files (unless `allowDotFiles`), and over-long paths. It refuses rather than repairs: a path that needed
 * repairing was not written by a friendly client.
 *
 * The result is `resolve(root)` + the segments, and always lies strictly inside it (checked with a trailing separator,
 * so `/srv/files-evil` is not inside `/srv/files`). Decode the URL exactly once before calling (your router does);
 * Rampart never decodes.
 */
export function safeJoin(root: string, userPath: string, options: SafeJoinOptions = {}): string {
  const base = checkedRoot(root);
  const segments = checkedSegments(userPath, options);
  const joined = join(base, ...segments);
  // Unreachable after the checks above; kept so that a future change to them cannot silently escape the root.
  if (!isStrictlyWithin(base, joined)) throw new PathError('PATH_TRAVERSAL', 'outside the root after joining');
  return joined;
}

/** Whether `candidate` lies strictly inside `directory` (both absolute and normalized). */
export function isStrictlyWithin(directory: string, candidate: string): boolean {
  const prefix = directory.endsWith(sep) ? directory : directory + sep;
  return candidate.length > prefix.length && candidate.startsWith(prefix);
}

/** The root as {@link safeJoin} uses it; a relative or NUL-bearing root is a configuration mistake. */
export function checkedRoot(root: string): string {
  if (typeof root !== 'string' || !isAbsolute(root) || root.includes('\u0000')) {
    throw new ConfigurationError('the root directory must be an absolute path');
  }
  return resolve(root);
}

function checkedSegments(userPath: string, options: SafeJoinOptions): string[] {
  if (typeof userPath !== 'string') throw new TypeError('the user path must be a string');
  if (userPath === '') throw new PathError('PATH_INVALID', 'empty path');
  if (Buffer.byteLength(userPath, 'utf8') > MAX_PATH_BYTES) throw new PathError('PATH_INVALID', 'path too long');
  if (userPath.includes('\u0000')) throw new PathError('PATH_INVALID', 'NUL character');
  if (CONTROL.test(userPath)) throw new PathError('PATH_INVALID', 'control character');
  if (LONE_SURROGATE.test(userPath)) throw new PathError('PATH_INVALID', 'lone surrogate');
  if (BIDI_CONTROL.test(userPath)) throw new PathError('PATH_INVALID', 'bidirectional control character');
  if (PERCENT_ESCAPE.test(userPath)) throw new PathError('PATH_ENCODED', 'percent-escape');
  if (NON_ASCII.test(userPath)) refuseCompatibilityLookalikes(userPath);
  if (userPath.startsWith('/') || userPath.startsWith('\\')) throw new PathError('PATH_ABSOLUTE', 'leading separator');
  if (DRIVE.test(userPath)) throw new PathError('PATH_ABSOLUTE', 'drive letter');

  const segments = userPath.split(/[/\\]/);
  // Traversal first, so that it is reported as such wherever it sits among other faults.
  if (segments.some((segment) => ALL_DOTS_AND_SPACES.test(segment))) throw new PathError('PATH_TRAVERSAL', 'dot segment');
  for (const segment of segments) checkSegment(segment, options);
  // Only now, so that "..\x" is reported as traversal: a backslash is a separator on Windows and a name character
  // elsewhere, and a path must not mean two things.
  if (userPath.includes('\\')) throw new PathError('PATH_INVALID', 'backslash');
  return segments;
}

function checkSegment(segment: string, options: SafeJoinOptions): void {
  if (segment === '') throw new PathError('PATH_INVALID', 'empty segment');
  if (segment.endsWith('.') || segment.endsWith(' ')) throw new PathError('PATH_INVALID', 'trailing dot or space');
  if (WINDOWS_FORBIDDEN.test(segment)) throw new PathError('PATH_INVALID', 'character Windows forbids');
  if (DEVICE_NAME.test(segment)) throw new PathError('PATH_INVALID', 'device name');
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) throw new PathError('PATH_INVALID', 'segment too long');
  if (segment.startsWith('.') && options.allowDotFiles !== true) throw new PathError('PATH_HIDDEN', 'dotfile');
}

function refuseCompatibilityLookalikes(userPath: string): void {
  for (const character of userPath) {
    if (character.charCodeAt(0) < 0x80) continue;
    if (PATH_SYNTAX.test(character.normalize('NFKC'))) {
      throw new PathError('PATH_TRAVERSAL', 'character that normalizes to path syntax');
    }
  }
}
