import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../events.js';
import { PasswordHasherBusyError } from './errors.js';
import { createPasswordHasher } from './hasher.js';
import { createPasswordPolicy } from './policy.js';
import { countingEngine, FAST, gatedEngine, tick } from './testing.fixtures.js';

const PASSWORD = 'correct horse battery staple';

describe('attack: over-long passwords (hash-computation DoS)', () => {
  const huge = [
    'a'.repeat(1025),
    'a'.repeat(10_000),
    'x'.repeat(1_000_000),
    'é'.repeat(513), // 513 UTF-16 units but 1026 UTF-8 bytes
    '🔒'.repeat(257), // 514 UTF-16 units, 1028 UTF-8 bytes
    '\uFDFA'.repeat(100), // 300 bytes as typed, 3,300 after NFKC (U+FDFA expands to 18 characters)
  ];

  it('never reach the hash functions: verify, verify(null, …) and hash all refuse first', async () => {
    const spy = countingEngine();
    const stored = await createPasswordHasher(FAST).hash(PASSWORD);
    const hasher = createPasswordHasher({ ...FAST, engine: spy.engine });
    for (const password of huge) {
      expect(await hasher.verify(stored, password)).toEqual({ ok: false, reason: 'too_long' });
      expect(await hasher.verify(null, password)).toEqual({ ok: false, reason: 'too_long' });
      expect(await hasher.verifyUnknownUser(password)).toEqual({ ok: false, reason: 'too_long' });
      expect(await hasher.verify('$2b$04$IM70OVSK8.kNAdhC5U.vtOiG8vuzGMHQNS2QaxST1NZ5IGLR8M5tS', password)).toEqual({ ok: false, reason: 'too_long' });
      await expect(hasher.hash(password)).rejects.toMatchObject({ code: 'PASSWORD_TOO_LONG' });
    }
    expect(spy.calls).toEqual({ argon2Hash: 0, argon2Verify: 0, bcryptVerify: 0, scrypt: 0, pbkdf2Sha256: 0 });
    // …while a password at the bound does get hashed.
    expect((await hasher.verify(stored, 'a'.repeat(1024))).ok).toBe(false);
    expect(spy.calls.argon2Verify).toBe(1);
  });

  it('the bound is configurable, and the policy refuses the same inputs without estimating them', () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, maxBytes: 256, engine: spy.engine });
    expect(hasher.parameters.maxBytes).toBe(256);
    const policy = createPasswordPolicy();
    for (const password of huge) {
      const started = performance.now();
      expect(policy.check(password)).toEqual({ ok: false, violations: [{ code: 'too_long', maxBytes: 1024 }] });
      expect(performance.now() - started).toBeLessThan(250);
    }
  });
});

describe('attack: login flood against the hashing bulkhead', () => {
  it('refuses the excess immediately with PASSWORD_HASHER_BUSY while the admitted requests complete', async () => {
    const gate = gatedEngine();
    const events: SecurityEvent[] = [];
    const hasher = createPasswordHasher({ ...FAST, concurrency: 2, queue: 4, engine: gate.engine, events: (e) => events.push(e) });
    const stored = await (async () => {
      const plain = createPasswordHasher(FAST);
      return plain.hash(PASSWORD);
    })();

    const flood = Array.from({ length: 50 }, (_, i) => hasher.verify(stored, i % 2 === 0 ? PASSWORD : 'wrong password guess'));
    const settled = flood.map((p) => p.then((value) => ({ value }), (error: unknown) => ({ error })));
    // Nothing has been computed yet (the gate is shut), and the 44 refusals are already final.
    await tick();
    expect(gate.started()).toBe(2);
    expect(hasher.bulkhead.active).toBe(2);
    expect(hasher.bulkhead.queued).toBe(4);
    const early = await Promise.race([Promise.all(settled.slice(6)), new Promise((resolve) => setTimeout(resolve, 1000, 'timeout'))]);
    expect(early).not.toBe('timeout');
    for (const outcome of early as Array<{ error?: unknown }>) {
      expect(outcome.error).toBeInstanceOf(PasswordHasherBusyError);
      expect(outcome.error).toMatchObject({ code: 'PASSWORD_HASHER_BUSY' });
      expect((outcome.error as PasswordHasherBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    expect(events.filter((e) => e.type === 'password.hasher_busy')).toHaveLength(44);

    gate.open();
    const admitted = await Promise.all(settled.slice(0, 6));
    expect(admitted.map((o) => ('value' in o ? o.value : o.error))).toEqual([
      { ok: true, value: {} },
      { ok: false, reason: 'mismatch' },
      { ok: true, value: {} },
      { ok: false, reason: 'mismatch' },
      { ok: true, value: {} },
      { ok: false, reason: 'mismatch' },
    ]);
    expect(gate.started()).toBe(6);
    // Capacity is back once the flood has drained.
    expect(await hasher.verify(stored, PASSWORD)).toEqual({ ok: true, value: {} });
  });

  it('with the real Argon2 engine, concurrency + queue requests are served and the rest refused', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, concurrency: 2, queue: 3, engine: spy.engine });
    const stored = await hasher.hash(PASSWORD);
    const before = spy.calls.argon2Verify;
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => hasher.verify(stored, PASSWORD)));
    const served = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(served).toHaveLength(5);
    expect(served.every((o) => o.value.ok)).toBe(true);
    expect(refused).toHaveLength(35);
    expect(refused.every((o) => o.reason instanceof PasswordHasherBusyError)).toBe(true);
    expect(spy.calls.argon2Verify - before).toBe(5);
  });

  it('hash() is behind the same bulkhead', async () => {
    const gate = gatedEngine();
    const hasher = createPasswordHasher({ ...FAST, concurrency: 1, queue: 1, engine: gate.engine });
    const admitted = [hasher.hash(PASSWORD), hasher.hash(PASSWORD)];
    await expect(hasher.hash(PASSWORD)).rejects.toBeInstanceOf(PasswordHasherBusyError);
    await expect(hasher.verify(null, PASSWORD)).rejects.toBeInstanceOf(PasswordHasherBusyError);
    gate.open();
    expect(await Promise.all(admitted)).toHaveLength(2);
  });
});

describe('attack: user enumeration through verification cost', () => {
  it('an unknown user runs a real Argon2id verify at the current parameters, every time, and fails', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, memoryCost: 2048, timeCost: 2, engine: spy.engine });
    expect(await hasher.verify(null, PASSWORD)).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await hasher.verify(undefined, PASSWORD)).toEqual({ ok: false, reason: 'unknown_user' });
    expect(await hasher.verifyUnknownUser(PASSWORD)).toEqual({ ok: false, reason: 'unknown_user' });
    // The dummy hash is made once, lazily; each unknown-user call then costs one verify.
    expect(spy.calls.argon2Hash).toBe(1);
    expect(spy.calls.argon2Verify).toBe(3);
    expect(spy.verified.every((phc) => phc.startsWith('$argon2id$v=19$m=2048,t=2,p=1$'))).toBe(true);
    // The password really went into that verify (as its NFKC UTF-8 bytes), like a known user's would.
    expect(spy.inputs.slice(1).map((b) => Buffer.from(b).toString('utf8'))).toEqual([PASSWORD, PASSWORD, PASSWORD]);
  });

  it('a known user costs the same one verify at the same parameters', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, memoryCost: 2048, timeCost: 2, engine: spy.engine });
    const stored = await hasher.hash(PASSWORD);
    const before = { ...spy.calls };
    await hasher.verify(stored, 'a wrong guess here');
    expect(spy.calls.argon2Verify - before.argon2Verify).toBe(1);
    expect(spy.calls.argon2Hash - before.argon2Hash).toBe(0);
    expect(spy.verified.at(-1)!.slice(0, 30)).toBe('$argon2id$v=19$m=2048,t=2,p=1$');
  });

  it('with a pepper, the dummy path also derives the pepper', async () => {
    const { KeyRing } = await import('../crypto/keyring.js');
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, pepper: KeyRing.generate(), engine: spy.engine });
    expect(await hasher.verify(null, PASSWORD)).toEqual({ ok: false, reason: 'unknown_user' });
    expect(Buffer.from(spy.inputs.at(-1)!).toString('ascii')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('even the right password for the dummy cannot succeed: the result is always unknown_user', async () => {
    const hasher = createPasswordHasher({ ...FAST, engine: countingEngine().engine });
    for (const password of ['', 'x', PASSWORD]) expect((await hasher.verify(null, password)).ok).toBe(false);
  });

  it('a malformed stored hash also costs a real verify', async () => {
    const spy = countingEngine();
    const hasher = createPasswordHasher({ ...FAST, engine: spy.engine });
    expect(await hasher.verify('not a hash', PASSWORD)).toEqual({ ok: false, reason: 'malformed_hash' });
    expect(spy.calls.argon2Verify).toBe(1);
  });
});
