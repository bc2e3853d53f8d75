import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import type { SecurityEvent } from '../../events.js';
import { TotpSecretError } from './errors.js';
import { MemoryTotpReplayStore } from './replay-store.js';
import { Totp } from './totp.js';
import type { TotpOptions } from './options.js';

const STEP = 30_000;
// A fixed secret and a fixed clock make every outcome deterministic: the tests assert (rather than skip) that the codes
// they compare differ.
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32 of '12345678901234567890', 160 bits

function setup(overrides: Partial<TotpOptions> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const events: SecurityEvent[] = [];
  const totp = new Totp({
    issuer: 'Rampart',
    clock,
    replayStore: new MemoryTotpReplayStore({ clock }),
    events: (event) => events.push(event),
    ...overrides,
  });
  return { clock, events, totp, secret: SECRET };
}

describe('TOTP attacks', () => {
  it('replay: the same code twice is refused the second time, with an event that holds no code', async () => {
    const { totp, secret, events, clock } = setup();
    const code = totp.generate(secret);

    expect((await totp.verify({ subject: 'alice', secret, code })).ok).toBe(true);
    expect(await totp.verify({ subject: 'alice', secret, code })).toEqual({ ok: false, reason: 'replayed' });

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'mfa.totp.replay', subject: 'alice' });
    expect(JSON.stringify(events)).not.toContain(code);
    expect(JSON.stringify(events)).not.toContain(secret);
    // Still refused later in the window.
    clock.advance(STEP);
    expect(await totp.verify({ subject: 'alice', secret, code })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('an older code from the window is refused after a newer one was accepted', async () => {
    const { totp, secret, clock } = setup();
    const older = totp.generate(secret, clock.now() - STEP);
    const current = totp.generate(secret);
    expect(older).not.toBe(current);

    expect((await totp.verify({ subject: 'alice', secret, code: current })).ok).toBe(true);
    expect(await totp.verify({ subject: 'alice', secret, code: older })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('a code from the next step used early blocks the current step code (steps only move forward)', async () => {
    const { totp, secret, clock } = setup();
    const next = totp.generate(secret, clock.now() + STEP);
    const current = totp.generate(secret);

    expect((await totp.verify({ subject: 'alice', secret, code: next })).ok).toBe(true);
    expect(await totp.verify({ subject: 'alice', secret, code: current })).toEqual({ ok: false, reason: 'replayed' });
  });

  it('concurrent verification of one code: exactly one succeeds', async () => {
    const { totp, secret } = setup();
    const code = totp.generate(secret);

    const results = await Promise.all(Array.from({ length: 20 }, () => totp.verify({ subject: 'alice', secret, code })));

    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed')).toHaveLength(19);
  });

  it('replay state is per subject: one user using a code does not block another credential', async () => {
    const { totp, secret } = setup();
    const code = totp.generate(secret);
    expect((await totp.verify({ subject: 'alice', secret, code })).ok).toBe(true);
    expect((await totp.verify({ subject: 'alice:backup-device', secret, code })).ok).toBe(true);
  });

  it('codes from outside the window are invalid (window 1 accepts exactly now-1..now+1)', async () => {
    const { totp, secret, clock } = setup();
    const t = clock.now();
    for (const offset of [-2, 2, -10, 100]) {
      const code = totp.generate(secret, t + offset * STEP);
      expect([-1, 0, 1].map((d) => totp.generate(secret, t + d * STEP))).not.toContain(code);
      expect(await totp.verify({ subject: `u${offset}`, secret, code })).toEqual({ ok: false, reason: 'invalid' });
    }
    expect((await totp.verify({ subject: 'edge-1', secret, code: totp.generate(secret, t - STEP) })).ok).toBe(true);
    expect((await totp.verify({ subject: 'edge+1', secret, code: totp.generate(secret, t + STEP) })).ok).toBe(true);
  });

  it('window 0 accepts only the current step', async () => {
    const { totp, secret, clock } = setup({ window: 0 });
    const previous = totp.generate(secret, clock.now() - STEP);
    expect(previous).not.toBe(totp.generate(secret));
    expect(await totp.verify({ subject: 'alice', secret, code: previous })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a code expires as the clock moves on', async () => {
    const { totp, secret, clock } = setup();
    const code = totp.generate(secret);
    clock.advance(3 * STEP);
    expect([-1, 0, 1].map((d) => totp.generate(secret, clock.now() + d * STEP))).not.toContain(code);
    expect(await totp.verify({ subject: 'alice', secret, code })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('non-digit, over-long, short, Unicode-digit and non-string input is malformed, never thrown', async () => {
    const { totp, secret } = setup();
    const code = totp.generate(secret);
    const hostile: unknown[] = [
      '', 'abcdef', `${code}0`, code.slice(1), `-${code.slice(1)}`, '12345e', '1e5000', '٠١٢٣٤٥', '１２３４５６',
      '0x1234', ' '.repeat(10_000) + code, `${code}\u0000`, null, undefined, 123456, Number(code), {}, [code],
      { toString: () => code }, Symbol('x'),
    ];
    for (const input of hostile) {
      expect(await totp.verify({ subject: 'alice', secret, code: input })).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('accepts the code as apps display it (spaces) but only the configured length', async () => {
    const { totp, secret } = setup({ digits: 8 });
    const code = totp.generate(secret);
    expect(code).toMatch(/^[0-9]{8}$/);
    expect(await totp.verify({ subject: 'a', secret, code: code.slice(2) })).toEqual({ ok: false, reason: 'malformed' });
    expect((await totp.verify({ subject: 'a', secret, code: ` ${code.slice(0, 4)} ${code.slice(4)}\t` })).ok).toBe(true);
  });

  it('an 80-bit secret is refused at enrollment and at verification', async () => {
    const { totp } = setup();
    const short = 'JBSWY3DPEHPK3PXP'; // 16 base32 chars = 80 bits
    await expect(totp.enroll({ label: 'alice@example.com', secret: short })).rejects.toMatchObject({ code: 'TOTP_SECRET_TOO_SHORT' });
    await expect(totp.verify({ subject: 'alice', secret: short, code: '123456' })).rejects.toBeInstanceOf(TotpSecretError);
    expect(() => totp.generate(short)).toThrow(TotpSecretError);
  });

  it('a failing replay store denies (fail closed) instead of accepting', async () => {
    const secret = SECRET;
    const clock = new ManualClock();
    const totp = new Totp({
      issuer: 'Rampart',
      clock,
      replayStore: { acceptStep: () => Promise.reject(new Error('store down')) },
    });
    await expect(totp.verify({ subject: 'alice', secret, code: totp.generate(secret) })).rejects.toThrow('store down');
  });
});
