import type { Stats } from 'node:fs';
import { constants, open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { ConfigurationError } from '../../errors.js';
import { PathError } from './errors.js';
import { checkedRoot, isStrictlyWithin, safeJoin, type SafeJoinOptions } from './join.js';

function openFlag(name: 'O_NOFOLLOW' | 'O_NONBLOCK' | 'O_NOCTTY'): number {
  const value: unknown = (constants as Record<string, unknown>)[name];
  return typeof value === 'number' ? value : 0; // Windows has none of them; the post-open check still holds there.
}

// Read-only; O_NOFOLLOW: fail with ELOOP if the last component became a symbolic link after realpath looked at it;
// O_NONBLOCK: a FIFO planted in the root must not hang the request (it is then refused as not a regular file);
// O_NOCTTY: never acquire a terminal.
const OPEN_FLAGS = constants.O_RDONLY | openFlag('O_NOFOLLOW') | openFlag('O_NONBLOCK') | openFlag('O_NOCTTY');

const NOT_FOUND_CODES: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES', 'EPERM', 'ENAMETOOLONG']);

/** Where a user path leads once symbolic links are resolved: both paths are real (no links, no dots). */
export interface ResolvedTarget {
  readonly rootReal: string;
  readonly target: string;
}

/** A file opened by {@link openChecked}, with the `fstat` of the descriptor that was verified. */
export interface CheckedFile {
  readonly handle: FileHandle;
  readonly stats: Stats;
}

/**
 * Opens a file named by a user inside `root`, read-only, or throws {@link PathError}. The caller owns the returned
 * handle and must close it (a `handle.createReadStream()` closes it when the stream ends).
 *
 * Protects against everything {@link safeJoin} refuses, plus symbolic links (and chains of them, and links to
 * directories) that lead out of the root, hidden files reached through a link, FIFOs and devices, and a link swapped
 * in between the check and the open (TOCTOU). The guarantee: no byte of a file outside the root is ever read through
 * the returned handle. How: `realpath` of root and target must nest; the target is opened by its real path with
 * `O_NOFOLLOW` (a last component swapped for a link fails); then the opened descriptor itself is checked, on Linux by
 * reading `/proc/self/fd/<fd>` (the kernel's name for what was actually opened, which catches a parent directory
 * swapped for a link), elsewhere by resolving the name again and comparing device and inode with `fstat`. A file that
 * fails is closed unread. Hard links are not symbolic links: a hard link placed inside the root by someone who can
 * write there is served like any file in it.
 */
export async function openWithin(root: string, userPath: string, options: SafeJoinOptions = {}): Promise<FileHandle> {
  const resolved = await resolveWithin(root, userPath, options);
  return (await openChecked(resolved, options)).handle;
}

/** Step one of {@link openWithin}: the lexical check, then `realpath` of root and target, which must nest. */
export async function resolveWithin(root: string, userPath: string, options: SafeJoinOptions = {}): Promise<ResolvedTarget> {
  const lexical = safeJoin(root, userPath, options);
  const rootReal = await realRoot(root);
  const target = await realOrNotFound(lexical);
  if (!isStrictlyWithin(rootReal, target)) throw new PathError('PATH_OUTSIDE_ROOT', 'symbolic link leaves the root');
  refuseHiddenTarget(rootReal, target, options);
  return { rootReal, target };
}

/** Step two of {@link openWithin}: open the resolved target and verify the descriptor, closing it on any refusal. */
export async function openChecked(resolved: ResolvedTarget, options: SafeJoinOptions = {}): Promise<CheckedFile> {
  let handle: FileHandle;
  try {
    // rampart-ignore-next-line path-traversal: this is the containment check itself — resolved.target comes from resolveWithin(), which refused anything outside the root; the descriptor is verified below
    handle = await open(resolved.target, OPEN_FLAGS);
  } catch (error) {
    if (errorCode(error) === 'ELOOP') throw new PathError('PATH_OUTSIDE_ROOT', 'symbolic link swapped in before open');
    if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) throw new PathError('PATH_NOT_FOUND', 'cannot open');
    throw error;
  }
  try {
    const stats = await handle.stat();
    await verifyDescriptor(handle.fd, stats, resolved, options);
    if (!stats.isFile()) throw new PathError('PATH_NOT_A_FILE', 'not a regular file');
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function verifyDescriptor(fd: number, stats: Stats, { rootReal, target }: ResolvedTarget, options: SafeJoinOptions): Promise<void> {
  const opened = await descriptorPath(fd);
  if (opened !== undefined) {
    if (!isStrictlyWithin(rootReal, opened)) throw new PathError('PATH_OUTSIDE_ROOT', 'opened file lies outside the root');
    refuseHiddenTarget(rootReal, opened, options);
    return;
  }
  // No /proc: the name must still resolve to itself and to the very file (device + inode) that was opened.
  const again = await realOrNotFound(target);
  // rampart-ignore-next-line path-traversal: re-checks the contained path just opened (same device and inode), the TOCTOU defence
  const named = await stat(again);
  if (again !== target || named.dev !== stats.dev || named.ino !== stats.ino) {
    throw new PathError('PATH_OUTSIDE_ROOT', 'file changed while it was opened');
  }
}

async function descriptorPath(fd: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return await readlink(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

async function realRoot(root: string): Promise<string> {
  try {
    return await realpath(checkedRoot(root));
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError('the root directory cannot be resolved', { cause: error });
  }
}

async function realOrNotFound(path: string): Promise<string> {
  try {
    // rampart-ignore-next-line path-traversal: resolving symlinks is how the root containment is decided; nothing is read here
    return await realpath(path);
  } catch (error) {
    if (NOT_FOUND_CODES.has(errorCode(error) ?? '')) throw new PathError('PATH_NOT_FOUND', 'cannot resolve');
    throw error;
  }
}

function refuseHiddenTarget(rootReal: string, real: string, options: SafeJoinOptions): void {
  if (options.allowDotFiles === true) return;
  if (relative(rootReal, real).split(sep).some((segment) => segment.startsWith('.'))) {
    throw new PathError('PATH_HIDDEN', 'symbolic link to a hidden file');
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}
