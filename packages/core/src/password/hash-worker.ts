// Worker thread of the worker hashing engine (worker-engine.ts): runs the hash functions synchronously on its own thread,
// which lowered its own scheduling priority first, so that a login flood saturating every core with Argon2id still
// leaves the event loop first in line for CPU.
import { hashSync as argon2HashSync, verifySync as argon2VerifySync } from '@node-rs/argon2';
import { verifySync as bcryptVerifySync } from '@node-rs/bcrypt';
import { pbkdf2Sync, scryptSync } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { argon2idOptions } from './engine.js';
import type { HashRequest, HashReply, HashWorkerSettings } from './worker-protocol.js';

const settings = workerData as HashWorkerSettings;

/*
 * On Linux a nice value belongs to a thread (setpriority(PRIO_PROCESS, 0) acts on the calling thread only, see
 * setpriority(2) "BUGS"), so this lowers this worker and nothing else. Elsewhere it would renice the whole process,
 * event loop included — the opposite of the point — so it is Linux only.
 */
if (process.platform === 'linux' && settings.niceIncrement > 0) {
  setPriority(0, Math.min(19, getPriority(0) + settings.niceIncrement));
}

function run(request: HashRequest): string | boolean | Buffer {
  switch (request.op) {
    case 'argon2Hash':
      return argon2HashSync(request.password, argon2idOptions(request.parameters));
    case 'argon2Verify':
      return argon2VerifySync(request.phc, request.password);
    case 'bcryptVerify':
      return bcryptVerifySync(request.password, request.encoded);
    case 'scrypt':
      return scryptSync(request.password, request.salt, request.keyLength, request.parameters);
    case 'pbkdf2Sha256':
      return pbkdf2Sync(request.password, request.salt, request.iterations, request.keyLength, 'sha256');
  }
}

parentPort?.on('message', (request: HashRequest) => {
  let reply: HashReply;
  try {
    reply = { id: request.id, ok: true, value: run(request) };
  } catch (error) {
    reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  } finally {
    // The structured clone of the password is this thread's own copy: wipe it rather than leave it to the collector.
    request.password.fill(0);
  }
  parentPort?.postMessage(reply);
});
