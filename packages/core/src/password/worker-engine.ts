import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { ConfigurationError } from '../errors.js';
import { startModuleWorker } from '../worker-module.js';
import type { PasswordHashingEngine } from './engine.js';
import type { HashReply, HashRequest, HashWorkerSettings } from './worker-protocol.js';

export interface WorkerHashingEngineOptions {
  /**
   * Threads that hash. Default `os.availableParallelism()`. Give the hasher a `concurrency` of twice this: each thread
   * then has its next call waiting in its queue (see {@link WorkerHashingEngine.concurrency}).
   */
  readonly threads?: number;
  /**
   * Added to each hashing thread's nice value on Linux (0–19). Default 10: the threads then yield a core to the event
   * loop as soon as it has work, so a login flood that keeps every core hashing does not also delay every other request.
   */
  readonly niceIncrement?: number;
}

/** A {@link PasswordHashingEngine} on its own worker threads. `close()` stops them; idle threads never keep a process alive. */
export interface WorkerHashingEngine extends PasswordHashingEngine {
  readonly threads: number;
  /** The hasher `concurrency` that keeps every thread busy: two calls per thread, one running and the next queued. */
  readonly concurrency: number;
  close(): Promise<void>;
}

/** A worker thread died under a hash (out of memory, terminated): the call is refused, the thread replaced on next use. */
export class HashWorkerError extends Error {
  override readonly name = 'HashWorkerError';
}

type Call = HashRequest extends infer R ? (R extends HashRequest ? Omit<R, 'id'> : never) : never;

interface Task {
  readonly request: HashRequest;
  readonly resolve: (value: string | boolean | Uint8Array) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | undefined;
  /** Posted to the thread, in order: the first is running, the rest wait in its message queue. */
  readonly tasks: Task[];
}

/**
 * Calls posted to a thread at once. With one, a thread that finishes waits for the event loop to hand it the next
 * call — and a busy event loop is exactly when that matters; with two, the next is already in its message queue.
 */
const PIPELINE_DEPTH = 2;

/**
 * The default engine's functions (`@node-rs/argon2`, `@node-rs/bcrypt`, `node:crypto`) on dedicated worker threads at a
 * lower scheduling priority, instead of libuv's thread pool at the event loop's own priority.
 *
 * Protects against: a password-hashing flood starving the event loop. Argon2id is meant to take all the CPU it is given;
 * on the default engine its threads compete with the event loop as equals, so every request — health checks, already
 * signed-in users — waits behind the hashing. Niced threads still use every idle cycle, so hashing throughput is
 * unchanged when nothing else needs the CPU. Pair with the hasher's bulkhead (same `concurrency` as `threads`), which
 * bounds how much hashing is admitted at all.
 */
export function createWorkerHashingEngine(options: WorkerHashingEngineOptions = {}): WorkerHashingEngine {
  const threads = options.threads ?? availableParallelism();
  const niceIncrement = options.niceIncrement ?? 10;
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > 256) throw new ConfigurationError('threads must be an integer from 1 to 256');
  if (!Number.isSafeInteger(niceIncrement) || niceIncrement < 0 || niceIncrement > 19) {
    throw new ConfigurationError('niceIncrement must be an integer from 0 to 19');
  }
  const settings: HashWorkerSettings = { niceIncrement };
  const slots: Slot[] = Array.from({ length: threads }, () => ({ worker: undefined, tasks: [] }));
  const queue: Task[] = [];
  let nextId = 0;
  let closed = false;

  const start = (slot: Slot): Worker => {
    const worker = startModuleWorker(import.meta.url, 'hash-worker', settings);
    let failure: Error | undefined;
    worker.on('message', (reply: HashReply) => {
      const task = slot.tasks[0];
      if (task === undefined || task.request.id !== reply.id) return;
      slot.tasks.shift();
      if (slot.tasks.length === 0) worker.unref();
      if (reply.ok) task.resolve(reply.value);
      else task.reject(new Error(reply.message));
      dispatch();
    });
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', () => {
      if (slot.worker === worker) slot.worker = undefined;
      for (const task of slot.tasks.splice(0)) task.reject(new HashWorkerError(`a hashing thread stopped: ${failure?.message ?? 'exited'}`));
      dispatch();
    });
    return worker;
  };

  const dispatch = (): void => {
    if (closed) return;
    // Idle threads first, then second places in the pipelines.
    for (let depth = 0; depth < PIPELINE_DEPTH; depth++) {
      for (const slot of slots) {
        if (slot.tasks.length > depth) continue;
        const task = queue.shift();
        if (task === undefined) return;
        slot.tasks.push(task);
        slot.worker ??= start(slot);
        // Held while it works, so a process awaiting a hash does not exit under it; idle, it keeps nothing alive.
        slot.worker.ref();
        slot.worker.postMessage(task.request, [task.request.password.buffer as ArrayBuffer]);
      }
    }
  };

  const call = (request: Call): Promise<string | boolean | Uint8Array> => {
    if (closed) return Promise.reject(new HashWorkerError('the hashing engine is closed'));
    return new Promise((resolve, reject) => {
      // A structured clone of a view copies its whole ArrayBuffer — for a pooled Buffer, 8 KiB of whatever else lives
      // there. The password is copied into a buffer of its own, which is then moved (transferred) to the thread.
      const password = new Uint8Array(request.password);
      queue.push({ request: { ...request, password, id: nextId++ }, resolve, reject });
      dispatch();
    });
  };

  const asString = async (value: Promise<string | boolean | Uint8Array>): Promise<string> => {
    const result = await value;
    if (typeof result !== 'string') throw new HashWorkerError('a hashing thread answered with the wrong type');
    return result;
  };
  const asBoolean = async (value: Promise<string | boolean | Uint8Array>): Promise<boolean> => {
    const result = await value;
    if (typeof result !== 'boolean') throw new HashWorkerError('a hashing thread answered with the wrong type');
    return result;
  };
  const asBuffer = async (value: Promise<string | boolean | Uint8Array>): Promise<Buffer> => {
    const result = await value;
    if (!(result instanceof Uint8Array)) throw new HashWorkerError('a hashing thread answered with the wrong type');
    return Buffer.from(result.buffer, result.byteOffset, result.byteLength);
  };

  return {
    threads,
    concurrency: threads * PIPELINE_DEPTH,
    argon2Hash: (password, parameters) => asString(call({ op: 'argon2Hash', password, parameters })),
    argon2Verify: (phc, password) => asBoolean(call({ op: 'argon2Verify', phc, password })),
    bcryptVerify: (password, encoded) => asBoolean(call({ op: 'bcryptVerify', password, encoded })),
    scrypt: (password, salt, keyLength, parameters) => asBuffer(call({ op: 'scrypt', password, salt, keyLength, parameters })),
    pbkdf2Sha256: (password, salt, iterations, keyLength) => asBuffer(call({ op: 'pbkdf2Sha256', password, salt, iterations, keyLength })),
    async close(): Promise<void> {
      closed = true;
      for (const task of queue.splice(0)) task.reject(new HashWorkerError('the hashing engine is closed'));
      await Promise.all(slots.map(async (slot) => slot.worker?.terminate()));
    },
  };
}
