import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rm, stat, link, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigurationError } from '../errors.js';
import type { SignedTreeHead } from './checkpoint.js';
import { AuditError } from './errors.js';
import { fromHex, HASH_LENGTH, toHex } from './hash.js';
import { AUDIT_PAGE_SIZE, type AuditRow, type AuditStore, type AuditTail } from './store.js';
import { storedInteger, storedText } from './stored.js';

/** Options for {@link JsonlAuditStore.open}. */
export interface JsonlAuditStoreOptions {
  /** A batch that finds the current segment at or past this size starts a new one; default 64 MiB. */
  readonly maxSegmentBytes?: number;
  /** How long a second writer waits for the directory's writer lock before giving up (ms); default 10,000. */
  readonly lockTimeoutMs?: number;
  /** Told about each unacknowledged, torn write cut off when the store becomes the writer; default: a process warning. */
  readonly onTornTail?: (torn: JsonlTornTail) => void;
}

/** A trailing partial line that a killed writer left and the next writer cut off. */
export interface JsonlTornTail {
  /** File name inside the store's directory. */
  readonly file: string;
  /** The file's new length: where the partial line started. */
  readonly offset: number;
  /** How many bytes were cut. */
  readonly bytes: number;
}

/** Segment files: the first seq, zero-padded so that name order is seq order (16 digits hold every safe integer). */
const SEGMENT_NAME = /^entries-(\d{16})\.jsonl$/;
const segmentName = (firstSeq: number): string => `entries-${String(firstSeq).padStart(16, '0')}.jsonl`;
const CHECKPOINTS = 'checkpoints.jsonl';
const LOCK = 'writer.lock';

const DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
const NEWLINE = 0x0a;

// Line layout: {"entry":<canonical text, verbatim>,"leafHash":"<hex>","chainHash":"<hex>"}
// The canonical text is itself a JSON object, so a shipper parses each line as plain JSON and sees `entry.seq`,
// `entry.event.type`… The store cuts the canonical bytes out by position, so what verify() hashes is exactly what is
// on disk: re-encoding a parsed object could hide an edit that JSON parsing normalises away.
const ENTRY_KEY = '{"entry":';
const LEAF_KEY = ',"leafHash":"';
const CHAIN_KEY = '","chainHash":"';
const LINE_END = '"}';
const HEX_LENGTH = HASH_LENGTH * 2;
const SUFFIX_LENGTH = LEAF_KEY.length + HEX_LENGTH + CHAIN_KEY.length + HEX_LENGTH + LINE_END.length;
const CHAIN_AT = LEAF_KEY.length + HEX_LENGTH + CHAIN_KEY.length;

const NO_HASH = new Uint8Array(0);
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

/** `at` as the canonical entry opens with it (`{"at":"…",`); '' when the text does not open that way. */
function atOf(canonical: string): string {
  if (!canonical.startsWith('{"at":"')) return '';
  const close = canonical.indexOf('"', 7);
  return close < 0 ? '' : canonical.slice(7, close);
}

function formatLine(row: AuditRow): string {
  return `${ENTRY_KEY}${row.canonical}${LEAF_KEY}${toHex(row.leafHash)}${CHAIN_KEY}${toHex(row.chainHash)}${LINE_END}\n`;
}

/** The two hashes of a well-framed line, or undefined. */
function hashesOf(line: Buffer): { leaf: Uint8Array; chain: Uint8Array } | undefined {
  if (line.length < ENTRY_KEY.length + SUFFIX_LENGTH || line.toString('latin1', 0, ENTRY_KEY.length) !== ENTRY_KEY) return undefined;
  const suffix = line.toString('latin1', line.length - SUFFIX_LENGTH);
  if (!suffix.startsWith(LEAF_KEY) || suffix.slice(CHAIN_AT - CHAIN_KEY.length, CHAIN_AT) !== CHAIN_KEY || !suffix.endsWith(LINE_END)) return undefined;
  const leaf = fromHex(suffix.slice(LEAF_KEY.length, LEAF_KEY.length + HEX_LENGTH));
  const chain = fromHex(suffix.slice(CHAIN_AT, CHAIN_AT + HEX_LENGTH));
  return leaf === undefined || chain === undefined ? undefined : { leaf, chain };
}

/**
 * A line as a row. Its seq is its position (the segment's first seq plus the line's index): the file has no seq column
 * to renumber, so a deleted, inserted or moved line shows up as an entry whose own (hashed) seq differs from where it
 * sits. A line that is not well-framed UTF-8 becomes a row with empty fields: it fails verification, it never throws.
 */
function rowOf(line: Buffer, seq: number): AuditRow {
  const hashes = hashesOf(line);
  const body = line.subarray(ENTRY_KEY.length, line.length - SUFFIX_LENGTH);
  if (hashes === undefined || !isUtf8(body)) return { seq, at: '', canonical: '', leafHash: NO_HASH, chainHash: NO_HASH };
  const canonical = body.toString('utf8');
  return { seq, at: atOf(canonical), canonical, leafHash: hashes.leaf, chainHash: hashes.chain };
}


function headOf(line: Buffer): SignedTreeHead {
  let record: Record<string, unknown> = {};
  try {
    const value: unknown = isUtf8(line) ? JSON.parse(line.toString('utf8')) : undefined;
    if (typeof value === 'object' && value !== null) record = value as Record<string, unknown>;
  } catch {
    // Not JSON: every field reads as missing.
  }
  return {
    treeSize: storedInteger(record.treeSize),
    rootHash: storedText(record.rootHash),
    chainHash: storedText(record.chainHash),
    at: storedText(record.at),
    keyId: storedText(record.keyId),
    signature: storedText(record.signature),
  };
}

/** A batch of complete lines (without their newline), or, last, the bytes after the final newline. */
interface LineChunk {
  readonly lines: Buffer[];
  readonly torn: Buffer | undefined;
}

/** Reads `path` up to byte `end` in chunks, splitting on LF (0x0A never occurs inside a UTF-8 multi-byte sequence). */
async function* readLines(path: string, end: number): AsyncGenerator<LineChunk> {
  const handle = await open(path, 'r');
  try {
    let position = 0;
    let carry: Buffer[] = [];
    while (position < end) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - position));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = chunk.subarray(0, bytesRead);
      const lines: Buffer[] = [];
      let start = 0;
      for (let newline = data.indexOf(NEWLINE); newline >= 0; newline = data.indexOf(NEWLINE, start)) {
        // A line longer than a chunk is joined once, when its newline arrives (never re-copied per chunk).
        lines.push(carry.length === 0 ? data.subarray(start, newline) : Buffer.concat([...carry, data.subarray(0, newline)]));
        carry = [];
        start = newline + 1;
      }
      if (start < data.length) carry.push(data.subarray(start));
      if (lines.length > 0) yield { lines, torn: undefined };
    }
    if (carry.length > 0) yield { lines: [], torn: Buffer.concat(carry) };
  } finally {
    await handle.close();
  }
}

interface Segment {
  readonly path: string;
  readonly firstSeq: number;
  readonly size: number;
}

/**
 * Every line of a segment as `[line, seq]`, a chunk at a time. A trailing partial line counts as a line unless the
 * segment is the last one: there it is a write in flight (or torn by a kill) that was never acknowledged.
 */
async function* segmentLines(segment: Segment, last: boolean): AsyncGenerator<Buffer[]> {
  for await (const { lines, torn } of readLines(segment.path, segment.size)) {
    if (torn === undefined) yield lines;
    else if (!last) yield [torn];
  }
}

async function syncDirectory(path: string): Promise<void> {
  // Windows cannot open a directory for fsync; its file systems journal the entry with the file.
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) offset += (await handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
}

const errorCode = (error: unknown): unknown => (error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined);

// ---- writer lock ---------------------------------------------------------------------------------------------------

interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly boot: string;
}

let bootId: string | undefined;
/** Changes at every reboot (Linux), so a lock that survived a power cut is stale even if its pid is in use again. */
function currentBoot(): string {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = '';
    }
  }
  return bootId;
}

/**
 * Lock files this process holds (path → file identity), so a lock naming our own pid is told apart from one left by a
 * previous process that had the same pid (a restarted container often runs as the same pid). By device and inode, not
 * path: a second store reaching the same directory through a symlink must still see the lock as held.
 */
const heldLocks = new Map<string, string>();

async function identityOf(path: string): Promise<string | undefined> {
  try {
    const { dev, ino } = await stat(path, { bigint: true });
    return `${dev}:${ino}`;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

const me = (): LockHolder => ({ pid: process.pid, host: hostname(), boot: currentBoot() });

/** Creates `path` holding `holder`, atomically and only if absent (link(2) fails with EEXIST): the lock is never
 * visible without its pid, so no reader mistakes a half-written lock for a stale one. */
async function createExclusive(path: string, holder: LockHolder): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(holder)}\n`, { flag: 'wx' });
  try {
    await link(temp, path);
    heldLocks.set(path, (await identityOf(path)) ?? '');
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/** The lock's holder; undefined if the lock is gone; an unknowable holder (pid NaN) if the content is not ours. */
async function readHolder(path: string): Promise<LockHolder | undefined> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(content) as Record<string, unknown>;
    return { pid: storedInteger(value.pid), host: storedText(value.host), boot: storedText(value.boot) };
  } catch {
    return { pid: Number.NaN, host: '', boot: '' };
  }
}

/** Whether the holder is certainly gone. Anything we cannot check (another host, an unreadable lock) counts as alive. */
async function isStale(holder: LockHolder, path: string): Promise<boolean> {
  const self = me();
  if (!Number.isSafeInteger(holder.pid) || holder.pid <= 0 || holder.host !== self.host) return false;
  if (holder.boot !== '' && self.boot !== '' && holder.boot !== self.boot) return true;
  if (holder.pid === self.pid) {
    const identity = await identityOf(path);
    return identity !== undefined && ![...heldLocks.values()].includes(identity);
  }
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, owned by another user.
    return errorCode(error) === 'ESRCH';
  }
}

/**
 * Removes a stale lock. Only the holder of `<lock>.break` may remove the lock, and it re-reads the lock first: the lock
 * cannot be replaced between that read and the removal (only a breaker removes it, and it exists until removed), so a
 * live writer's fresh lock is never taken for the stale one two processes saw. False when another process held the
 * mutex (the caller waits and looks again).
 */
async function breakStaleLock(path: string): Promise<boolean> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, me()))) {
    const other = await readHolder(breaker);
    // A breaker killed within its few system calls: remove its mutex so stale locks can be broken again.
    if (other !== undefined && (await isStale(other, breaker))) await rm(breaker, { force: true });
    return false;
  }
  try {
    const holder = await readHolder(path);
    if (holder !== undefined && (await isStale(holder, path))) await rm(path, { force: true });
    return true;
  } finally {
    heldLocks.delete(breaker);
    await rm(breaker, { force: true });
  }
}

async function acquireLock(path: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(path, me())) return;
    const holder = await readHolder(path);
    if (holder !== undefined && (await isStale(holder, path)) && (await breakStaleLock(path))) continue;
    if (performance.now() >= deadline) {
      const who = holder === undefined ? 'it was released and taken again' : Number.isNaN(holder.pid) ? 'an unreadable lock' : `pid ${holder.pid} on ${holder.host}`;
      throw new AuditError('AUDIT_FAILED', `another writer holds this audit log (${who}; remove ${LOCK} only if no writer runs)`);
    }
    await sleep(Math.min(50, 5 * (attempt + 1)));
  }
}

async function releaseLock(path: string): Promise<void> {
  if (!heldLocks.delete(path)) return;
  const holder = await readHolder(path);
  const self = me();
  // Never remove a lock someone else took over.
  if (holder !== undefined && holder.pid === self.pid && holder.host === self.host) await rm(path, { force: true });
}

// ---- the store -----------------------------------------------------------------------------------------------------

interface OpenSegment {
  readonly handle: FileHandle;
  size: number;
}

interface WriterState {
  nextSeq: number;
  segment: OpenSegment | undefined;
  checkpoints: FileHandle | undefined;
}

/**
 * An {@link AuditStore} in plain files, for deployments that ship logs with line-based tooling: entries as JSON lines
 * in segment files `entries-<first seq, 16 digits>.jsonl` (a new one when the current passes `maxSegmentBytes`), signed
 * heads in `checkpoints.jsonl`. Against a crash: `append` resolves only after the batch is written and fsynced (and the
 * directory fsynced when the batch started a segment), and a kill mid-write leaves, after the complete lines it wrote,
 * at most a torn last line, which the next writer cuts off. Against a second writer continuing the chain from a stale tail: a lock file holding the
 * writer's pid. Against tampering: nothing is repaired or skipped but that torn tail; any other damage reaches
 * `verify()` as a row that fails.
 *
 * Costs: `tail()` and `leafHashes()` read every segment (as `AuditLog.open` and proofs need every leaf anyway);
 * `row(seq)` reads one segment up to that line.
 */
export class JsonlAuditStore implements AuditStore {
  readonly #dir: string;
  readonly #maxSegmentBytes: number;
  readonly #lockTimeoutMs: number;
  readonly #onTornTail: (torn: JsonlTornTail) => void;
  readonly #tornTails: JsonlTornTail[] = [];
  #writer: WriterState | undefined;
  #locking: Promise<void> | undefined;
  /** Writes run one at a time, so a caller that does not wait cannot interleave two batches in a file. */
  #writes: Promise<unknown> = Promise.resolve();
  #failure: unknown = undefined;
  #closed = false;

  private constructor(dir: string, maxSegmentBytes: number, lockTimeoutMs: number, onTornTail: ((torn: JsonlTornTail) => void) | undefined) {
    this.#dir = dir;
    this.#maxSegmentBytes = maxSegmentBytes;
    this.#lockTimeoutMs = lockTimeoutMs;
    this.#onTornTail =
      onTornTail ??
      ((torn) => {
        process.emitWarning(`audit: cut ${torn.bytes} bytes of an unacknowledged write from ${torn.file} at ${torn.offset}`, 'RampartAuditWarning');
      });
  }

  /**
   * Opens the store in `dir`, creating the directory if needed. Opening only reads: the torn-tail repair and the
   * writer lock happen in {@link lockWriter} (called by `AuditLog.open` and by the first write), so an auditor who opens
   * the directory to `verify()` it never cuts the line a live writer is still writing.
   */
  static async open(dir: string, options: JsonlAuditStoreOptions = {}): Promise<JsonlAuditStore> {
    const maxSegmentBytes = options.maxSegmentBytes ?? DEFAULT_MAX_SEGMENT_BYTES;
    if (!Number.isSafeInteger(maxSegmentBytes) || maxSegmentBytes < 1) throw new ConfigurationError('audit: maxSegmentBytes must be a positive integer');
    const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    if (!Number.isSafeInteger(lockTimeoutMs) || lockTimeoutMs < 0) throw new ConfigurationError('audit: lockTimeoutMs must be a non-negative integer');
    const path = resolve(dir);
    const created = await mkdir(path, { recursive: true });
    // A new directory's own entry must survive a crash too, in each parent that gained one.
    if (created !== undefined) {
      for (let child = path; ; child = dirname(child)) {
        await syncDirectory(dirname(child));
        if (child === resolve(created) || child === dirname(child)) break;
      }
    }
    return new JsonlAuditStore(path, maxSegmentBytes, lockTimeoutMs, options.onTornTail);
  }

  /** The store's directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Torn writes this store cut off when it became the writer (also passed to `onTornTail`). */
  get tornTails(): readonly JsonlTornTail[] {
    return [...this.#tornTails];
  }

  #assertOpen(): void {
    if (this.#closed) throw new AuditError('AUDIT_CLOSED', 'the store is closed');
  }

  /** Segment files in name (= first seq) order, with their sizes now: a walk reads no further than this. */
  async #segments(): Promise<Segment[]> {
    const names = (await readdir(this.#dir)).filter((name) => SEGMENT_NAME.test(name)).sort();
    return Promise.all(
      names.map(async (name) => {
        const path = join(this.#dir, name);
        const firstSeq = Number((SEGMENT_NAME.exec(name) as RegExpExecArray)[1]);
        // A name beyond the safe integers (only an edit makes one) gives its lines no seq: they fail verification.
        return { path, firstSeq: Number.isSafeInteger(firstSeq) ? firstSeq : Number.NaN, size: (await stat(path)).size };
      }),
    );
  }

  /**
   * Takes the directory's writer lock (waiting up to `lockTimeoutMs` for a live holder; a lock whose process is gone is
   * removed), then cuts a torn last line off the newest segment and off the checkpoint file. Only a trailing partial
   * line of the last file is cut: rotation happens between complete batches, so anything else malformed was not left
   * by a crash and stays for `verify()` to report.
   */
  lockWriter(): Promise<void> {
    if (this.#closed) return Promise.reject(new AuditError('AUDIT_CLOSED', 'the store is closed'));
    this.#locking ??= this.#becomeWriter().catch((error: unknown) => {
      this.#locking = undefined;
      throw error;
    });
    return this.#locking;
  }

  async #becomeWriter(): Promise<void> {
    const lock = join(this.#dir, LOCK);
    await acquireLock(lock, this.#lockTimeoutMs);
    try {
      await this.#cutTornTail(join(this.#dir, CHECKPOINTS));
      const last = (await this.#segments()).at(-1);
      let segment: OpenSegment | undefined;
      let nextSeq = 0;
      if (last !== undefined) {
        const size = await this.#cutTornTail(last.path);
        let lines = 0;
        for await (const chunk of segmentLines({ ...last, size }, true)) lines += chunk.length;
        nextSeq = last.firstSeq + lines;
        segment = { handle: await open(last.path, 'a'), size };
      }
      this.#writer = { nextSeq, segment, checkpoints: undefined };
    } catch (error) {
      await releaseLock(lock);
      throw error;
    }
  }

  /** Cuts a partial last line off `path` (never acknowledged: `append` resolves after the newline is fsynced). */
  async #cutTornTail(path: string): Promise<number> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r+');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return 0;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      let keep = size;
      const chunk = Buffer.allocUnsafe(64 * 1024);
      search: while (keep > 0) {
        const from = Math.max(0, keep - chunk.length);
        const { bytesRead } = await handle.read(chunk, 0, keep - from, from);
        for (let i = bytesRead - 1; i >= 0; i--) {
          if (chunk[i] === NEWLINE) {
            keep = from + i + 1;
            break search;
          }
        }
        keep = from;
      }
      if (keep === size) return size;
      await handle.truncate(keep);
      await handle.sync();
      const torn = { file: basename(path), offset: keep, bytes: size - keep };
      this.#tornTails.push(torn);
      this.#onTornTail(torn);
      return keep;
    } finally {
      await handle.close();
    }
  }

  async tail(): Promise<AuditTail> {
    this.#assertOpen();
    const segments = await this.#segments();
    let count = 0;
    let nextSeq = 0;
    let last: AuditRow | undefined;
    for (const [i, segment] of segments.entries()) {
      let lines = 0;
      let final: Buffer | undefined;
      for await (const chunk of segmentLines(segment, i === segments.length - 1)) {
        lines += chunk.length;
        final = chunk.at(-1);
      }
      count += lines;
      // A segment whose name is not a safe integer counts rows but gives no seq: the count no longer matches.
      if (final !== undefined && segment.firstSeq + lines > nextSeq) {
        nextSeq = segment.firstSeq + lines;
        last = rowOf(final, nextSeq - 1);
      }
    }
    return { count, nextSeq, last };
  }

  /**
   * Appends the batch to the current segment (a batch never spans files: a new segment starts only between batches),
   * then fsyncs it; resolves only after that. Refuses rows that do not continue the sequence, and rows this format
   * cannot hold exactly (a line break or lone surrogate in the text, an `at` that is not the text's own), keeping none.
   */
  append(rows: readonly AuditRow[]): Promise<void> {
    const run = this.#writes.then(() => this.#append(rows));
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async #append(rows: readonly AuditRow[]): Promise<void> {
    this.#assertOpen();
    await this.lockWriter();
    const writer = this.#writer as WriterState;
    if (this.#failure !== undefined) throw new AuditError('AUDIT_FAILED', 'an earlier write failed; reopen the store', { cause: this.#failure });
    for (const [i, row] of rows.entries()) {
      if (row.seq !== writer.nextSeq + i) throw new AuditError('AUDIT_OUT_OF_RANGE', `rows must continue the sequence at ${writer.nextSeq}`);
      if (/[\n\r]/.test(row.canonical) || !isWellFormed(row.canonical) || atOf(row.canonical) !== row.at) {
        throw new AuditError('AUDIT_MALFORMED_ENTRY', `entry ${row.seq} cannot be stored as one line exactly`);
      }
      if (row.leafHash.length !== HASH_LENGTH || row.chainHash.length !== HASH_LENGTH) throw new AuditError('AUDIT_MALFORMED_ENTRY', `entry ${row.seq} has a hash of the wrong length`);
    }
    const first = rows[0];
    if (first === undefined) return;
    const bytes = Buffer.from(rows.map(formatLine).join(''), 'utf8');
    if (writer.segment === undefined || (writer.segment.size >= this.#maxSegmentBytes && writer.segment.size > 0)) await this.#rotate(writer, first.seq);
    const segment = writer.segment as OpenSegment;
    try {
      await writeAll(segment.handle, bytes);
      await segment.handle.sync();
    } catch (error) {
      // A failed fsync may have dropped the dirty pages while a retry reports success: never write here again.
      this.#failure = error;
      await segment.handle.truncate(segment.size).catch(() => undefined);
      throw error;
    }
    segment.size += bytes.length;
    writer.nextSeq += rows.length;
  }

  /** Starts segment `entries-<firstSeq>.jsonl`; fsyncs the directory so the new file itself survives a crash. */
  async #rotate(writer: WriterState, firstSeq: number): Promise<void> {
    const handle = await open(join(this.#dir, segmentName(firstSeq)), 'ax');
    try {
      await syncDirectory(this.#dir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    await writer.segment?.handle.close();
    writer.segment = { handle, size: 0 };
  }

  async row(seq: number): Promise<AuditRow | undefined> {
    this.#assertOpen();
    if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
    const segments = await this.#segments();
    let index = -1;
    for (const [i, segment] of segments.entries()) if (segment.firstSeq <= seq) index = i;
    const segment = segments[index];
    if (segment === undefined) return undefined;
    let position = segment.firstSeq;
    for await (const chunk of segmentLines(segment, index === segments.length - 1)) {
      if (seq < position + chunk.length) return rowOf(chunk[seq - position] as Buffer, seq);
      position += chunk.length;
    }
    return undefined;
  }

  async *pages(): AsyncIterable<readonly AuditRow[]> {
    this.#assertOpen();
    const segments = await this.#segments();
    let page: AuditRow[] = [];
    for (const [i, segment] of segments.entries()) {
      let seq = segment.firstSeq;
      for await (const chunk of segmentLines(segment, i === segments.length - 1)) {
        for (const line of chunk) {
          page.push(rowOf(line, seq++));
          if (page.length === AUDIT_PAGE_SIZE) {
            yield page;
            page = [];
          }
        }
      }
    }
    if (page.length > 0) yield page;
  }

  async leafHashes(start: number, end: number): Promise<Uint8Array[]> {
    this.#assertOpen();
    const segments = await this.#segments();
    const leaves: Uint8Array[] = [];
    for (const [i, segment] of segments.entries()) {
      // Names sort by first seq and a line's seq is at least its segment's: nothing from here on is below `end`.
      if (segment.firstSeq >= end) break;
      let seq = segment.firstSeq;
      for await (const chunk of segmentLines(segment, i === segments.length - 1)) {
        for (const line of chunk) {
          if (seq >= start && seq < end) leaves.push(hashesOf(line)?.leaf ?? NO_HASH);
          seq += 1;
        }
      }
    }
    return leaves;
  }

  /** Appends the head to `checkpoints.jsonl` and fsyncs it (and the directory, when the file is new). */
  addCheckpoint(head: SignedTreeHead): Promise<void> {
    const run = this.#writes.then(() => this.#addCheckpoint(head));
    this.#writes = run.catch(() => undefined);
    return run;
  }

  async #addCheckpoint(head: SignedTreeHead): Promise<void> {
    this.#assertOpen();
    await this.lockWriter();
    const writer = this.#writer as WriterState;
    if (writer.checkpoints === undefined) {
      const path = join(this.#dir, CHECKPOINTS);
      try {
        writer.checkpoints = await open(path, 'ax');
        await syncDirectory(this.#dir);
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
        writer.checkpoints = await open(path, 'a');
      }
    }
    const { treeSize, rootHash, chainHash, at, keyId, signature } = head;
    await writeAll(writer.checkpoints, Buffer.from(`${JSON.stringify({ treeSize, rootHash, chainHash, at, keyId, signature })}\n`, 'utf8'));
    await writer.checkpoints.sync();
  }

  async checkpoints(): Promise<SignedTreeHead[]> {
    this.#assertOpen();
    const path = join(this.#dir, CHECKPOINTS);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    const heads: SignedTreeHead[] = [];
    for await (const chunk of segmentLines({ path, firstSeq: 0, size }, true)) for (const line of chunk) heads.push(headOf(line));
    // Stable: heads of equal size keep file order.
    return heads.sort((a, b) => a.treeSize - b.treeSize);
  }

  /** Waits for a write in progress, closes the files and removes the writer lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writes;
    await this.#locking?.catch(() => undefined);
    const writer = this.#writer;
    this.#writer = undefined;
    if (writer === undefined) return;
    await writer.segment?.handle.close();
    await writer.checkpoints?.close();
    await releaseLock(join(this.#dir, LOCK));
  }
}
