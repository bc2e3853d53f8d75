import type Database from 'better-sqlite3';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigurationError } from '../errors.js';

/**
 * Durable commits for a better-sqlite3 database in WAL mode without an fsync on the event loop.
 *
 * better-sqlite3 is synchronous: with `synchronous = FULL` every commit waits for the disk's fsync on the one thread that
 * also parses every request, so under write load every request — health checks, reads — waits behind the disk. This puts
 * the connection on `synchronous = NORMAL` (commits are written to the WAL, which a process crash does not lose, and
 * SQLite still syncs around checkpoints) and makes durability explicit: {@link WalGroupCommit.sync} fdatasyncs the WAL
 * on libuv's thread pool and resolves once every transaction committed before the call is on stable storage.
 * Concurrent callers share one fsync (group commit). A caller that answers only after `sync()` resolves gives exactly
 * `synchronous = FULL`'s promise — an acknowledged write survives power loss — while the event loop keeps serving.
 *
 * One difference remains, and is the usual one of group commit: between its commit and the fsync, a transaction's
 * writes are already visible to other readers of the database.
 */
export interface WalGroupCommit {
  /** Resolves when every transaction committed before this call is on stable storage; rejects if the disk failed. */
  sync(): Promise<void>;
  /** Releases the WAL's file handle (after the last `sync`). */
  close(): Promise<void>;
}

/**
 * Switches `database` (already in WAL mode; `:memory:` is accepted and needs no sync) to `synchronous = NORMAL` and
 * returns the group commit that makes its writes durable. Call `sync()` after each write transaction, before answering.
 *
 * Protects against: losing acknowledged writes (audit entries, sessions, revocations) to a power loss, without letting a
 * slow disk stall every request of the process.
 */
export function walGroupCommit(database: Database.Database): WalGroupCommit {
  if (database.memory) return { sync: () => Promise.resolve(), close: () => Promise.resolve() };
  const mode: unknown = database.pragma('journal_mode', { simple: true });
  if (mode !== 'wal') throw new ConfigurationError(`walGroupCommit needs journal_mode = WAL (the database is in ${String(mode)})`);
  database.pragma('synchronous = NORMAL');
  const walPath = `${database.name}-wal`;
  let wal: Promise<FileHandle | undefined> | undefined;
  let inflight: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  // After a failed fsync the kernel may have dropped the dirty pages and report the next fsync as a success; nothing
  // written since can be called durable, so the failure sticks (PostgreSQL's answer to "fsyncgate" is the same).
  let failure: Error | undefined;

  const openWal = async (): Promise<FileHandle | undefined> => {
    let handle: FileHandle;
    try {
      handle = await open(walPath, 'r');
    } catch (error) {
      // No WAL: nothing has been written since the last connection closed and checkpointed (and synced) it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    // The WAL's directory entry must be durable too, or a new WAL file could vanish with its frames.
    const directory = await open(dirname(walPath), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return handle;
  };

  const flush = async (): Promise<void> => {
    if (failure !== undefined) throw failure;
    wal ??= openWal();
    let handle: FileHandle | undefined;
    try {
      handle = await wal;
    } catch (error) {
      wal = undefined;
      throw error;
    }
    if (handle === undefined) {
      wal = undefined;
      return;
    }
    try {
      await handle.datasync();
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw failure;
    }
  };

  const start = (): Promise<void> => {
    const run = flush().finally(() => {
      if (inflight === run) inflight = undefined;
    });
    inflight = run;
    return run;
  };

  return {
    sync(): Promise<void> {
      if (queued !== undefined) return queued;
      if (inflight === undefined) return start();
      // An fsync is running, and may have started before this caller's commit: the next one, which starts after it,
      // covers every caller that arrives until it starts.
      const next = inflight.then(
        () => {
          queued = undefined;
          return start();
        },
        () => {
          queued = undefined;
          return start();
        },
      );
      queued = next;
      return next;
    },
    async close(): Promise<void> {
      await Promise.allSettled([inflight, queued]);
      const handle = await wal?.catch(() => undefined);
      wal = undefined;
      await handle?.close();
    },
  };
}
