import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { nodeHashingEngine } from './engine.js';
import { createPasswordHasher } from './hasher.js';
import { FAST } from './testing.fixtures.js';
import { createWorkerHashingEngine, HashWorkerError } from './worker-engine.js';

const PASSWORD = new TextEncoder().encode('correct horse battery staple');
const SALT = new Uint8Array(16).fill(7);
const ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1, outputLen: 32, salt: SALT };

/** The nice value of every thread of this process, from /proc (field 19 of stat, after the parenthesised name). */
function threadNiceValues(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nice.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nice;
}

describe('createWorkerHashingEngine', () => {
  const engine = createWorkerHashingEngine({ threads: 2 });
  afterAll(() => engine.close());

  it('computes exactly what the default engine computes, for every function', async () => {
    const phc = await engine.argon2Hash(PASSWORD, ARGON2);
    expect(phc).toBe(await nodeHashingEngine.argon2Hash(PASSWORD, ARGON2));
    expect(await engine.argon2Verify(phc, PASSWORD)).toBe(true);
    expect(await engine.argon2Verify(phc, new TextEncoder().encode('correct horse battery stapler'))).toBe(false);
    const bcrypt = '$2b$04$' + 'abcdefghijklmnopqrstuu' + 'abcdefghijklmnopqrstuvwxyz01234';
    await expect(engine.bcryptVerify(PASSWORD, bcrypt)).resolves.toBe(await nodeHashingEngine.bcryptVerify(PASSWORD, bcrypt));
    const scrypt = { N: 1024, r: 8, p: 1, maxmem: 32 * 1024 * 1024 };
    expect(Buffer.compare(await engine.scrypt(PASSWORD, SALT, 32, scrypt), await nodeHashingEngine.scrypt(PASSWORD, SALT, 32, scrypt))).toBe(0);
    expect(Buffer.compare(await engine.pbkdf2Sha256(PASSWORD, SALT, 1000, 32), await nodeHashingEngine.pbkdf2Sha256(PASSWORD, SALT, 1000, 32))).toBe(0);
  });

  it('leaves the caller’s password buffer intact (it is copied, never detached or wiped)', async () => {
    const password = Buffer.from('a password in a pooled buffer');
    const copy = Buffer.from(password);
    await engine.argon2Hash(password, ARGON2);
    expect(password.byteLength).toBe(copy.byteLength);
    expect(password.equals(copy)).toBe(true);
  });

  it('reports a hash function’s error as a rejection and keeps serving', async () => {
    await expect(engine.argon2Verify('$argon2id$v=19$m=1024,t=1,p=1$not-base64$', PASSWORD)).rejects.toThrow();
    expect(await engine.argon2Verify(await engine.argon2Hash(PASSWORD, ARGON2), PASSWORD)).toBe(true);
  });

  it('runs more calls than threads, all of them, none lost', async () => {
    const hashes = await Promise.all(Array.from({ length: 9 }, (_, i) => engine.argon2Hash(PASSWORD, { ...ARGON2, salt: new Uint8Array(16).fill(i) })));
    expect(new Set(hashes).size).toBe(9);
    expect(await Promise.all(hashes.map((phc) => engine.argon2Verify(phc, PASSWORD)))).toEqual(Array(9).fill(true));
  });

  it.runIf(process.platform === 'linux')('lowers the priority of its own threads only, never the event loop’s', async () => {
    const before = threadNiceValues();
    const niced = createWorkerHashingEngine({ threads: 3, niceIncrement: 7 });
    try {
      await Promise.all(Array.from({ length: 3 }, () => niced.argon2Hash(PASSWORD, ARGON2)));
      const after = threadNiceValues();
      const mainNice = after.get(process.pid);
      expect(mainNice).toBe(before.get(process.pid));
      const renicedThreads = [...after].filter(([tid, nice]) => !before.has(tid) && nice === (mainNice as number) + 7);
      expect(renicedThreads).toHaveLength(3);
      // Nothing that existed before — the event loop, libuv's pool, V8's helpers, other workers — was touched.
      for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid)).toBe(nice);
    } finally {
      await niced.close();
    }
  });

  it('refuses calls once closed, and rejects what was still queued', async () => {
    const closing = createWorkerHashingEngine({ threads: 1 });
    const running = closing.argon2Hash(PASSWORD, { ...ARGON2, memoryCost: 8192, timeCost: 3 });
    const queued = closing.argon2Hash(PASSWORD, ARGON2);
    const refusals = Promise.all([expect(queued).rejects.toBeInstanceOf(HashWorkerError), expect(running).rejects.toBeInstanceOf(HashWorkerError)]);
    await closing.close();
    await refusals;
    await expect(closing.argon2Verify('$argon2id$', PASSWORD)).rejects.toBeInstanceOf(HashWorkerError);
  });

  it('refuses settings out of range', () => {
    expect(() => createWorkerHashingEngine({ threads: 0 })).toThrow(ConfigurationError);
    expect(() => createWorkerHashingEngine({ niceIncrement: 20 })).toThrow(ConfigurationError);
    expect(() => createWorkerHashingEngine({ niceIncrement: -1 })).toThrow(ConfigurationError);
  });

  it('serves a password hasher: hash, verify, mismatch, unknown user', async () => {
    const hasher = createPasswordHasher({ ...FAST, engine, concurrency: engine.concurrency });
    const hash = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(hash, 'correct horse battery staple')).toEqual({ ok: true, value: {} });
    expect(await hasher.verify(hash, 'correct horse battery stapler')).toEqual({ ok: false, reason: 'mismatch' });
    expect(await hasher.verify(undefined, 'correct horse battery staple')).toEqual({ ok: false, reason: 'unknown_user' });
  });
});
