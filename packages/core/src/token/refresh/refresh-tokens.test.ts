import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { KeyRing } from '../../crypto/keyring.js';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { MemoryRefreshTokenStore } from './memory-store.js';
import { hashRefreshToken, RefreshTokens, type RefreshTokensOptions } from './refresh-tokens.js';
import type { RefreshTokenStore } from './store.js';

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

function setup(options: Partial<RefreshTokensOptions> = {}) {
  const clock = new ManualClock();
  const store = new MemoryRefreshTokenStore();
  const events: SecurityEvent[] = [];
  const ring = KeyRing.generate();
  const tokens = new RefreshTokens({ store, ring, clock, events: (e) => events.push(e), ...options });
  return { clock, store, events, ring, tokens };
}

async function mustRefresh(tokens: RefreshTokens, token: string): Promise<string> {
  const result = await tokens.refresh(token);
  if (!result.ok) throw new Error(`refresh refused: ${result.reason}`);
  return result.value.token;
}

function flip(token: string, index: number): string {
  const c = token[index] === 'A' ? 'B' : 'A';
  return token.slice(0, index) + c + token.slice(index + 1);
}

describe('RefreshTokens', () => {
  it('issues 256-bit opaque tokens and rotates on every use', async () => {
    const { tokens, events, clock } = setup();
    const first = await tokens.issue('user-1');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(first.token, 'base64url')).toHaveLength(32);
    expect(first.subject).toBe('user-1');
    clock.advance(DAY);
    const next = await tokens.refresh(first.token);
    expect(next.ok).toBe(true);
    if (!next.ok) return;
    expect(next.value.token).not.toBe(first.token);
    expect(next.value.familyId).toBe(first.familyId);
    expect(next.value.expiresAt).toBe(clock.now() + 7 * DAY);
    expect(next.value.familyExpiresAt).toBe(first.familyExpiresAt);
    expect(events.map((e) => e.type)).toEqual(['token.refresh.rotated']);
    expect(events[0]?.attributes).toEqual({ familyId: first.familyId });
  });

  it('attack: a database leak yields no usable token (only hashes are stored; the grace copy is encrypted)', async () => {
    const written: unknown[] = [];
    const inner = new MemoryRefreshTokenStore();
    const spy: RefreshTokenStore = {
      createFamily: (f, t) => (written.push(f, t), inner.createFamily(f, t)),
      findByHash: (h) => inner.findByHash(h),
      rotate: (r) => (written.push(r), inner.rotate(r)),
      revokeFamily: (id, at, reason) => inner.revokeFamily(id, at, reason),
      revokeSubject: (s, at, reason) => inner.revokeSubject(s, at, reason),
      deleteExpired: (now) => inner.deleteExpired(now),
    };
    const { tokens } = setup({ store: spy });
    const first = await tokens.issue('user-1');
    const second = await mustRefresh(tokens, first.token);
    const dump = JSON.stringify(written);
    expect(dump).not.toContain(first.token);
    expect(dump).not.toContain(second);
    expect(dump).toContain(hashRefreshToken(first.token));
    // Presenting a stored hash as a token does not work either.
    expect(await tokens.refresh(hashRefreshToken(second))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('attack: reuse of an exchanged token revokes the whole family, newest token included, and emits events', async () => {
    const { tokens, events, clock } = setup();
    const stolen = await tokens.issue('user-1');
    const t2 = await mustRefresh(tokens, stolen.token);
    clock.advance(10 * SECOND);
    const t3 = await mustRefresh(tokens, t2);
    clock.advance(10 * SECOND);

    expect(await tokens.refresh(stolen.token)).toEqual({ ok: false, reason: 'reused' });

    const types = events.map((e) => e.type);
    expect(types).toContain('token.refresh.reuse_detected');
    expect(types).toContain('token.refresh.family_revoked');
    const revoked = events.find((e) => e.type === 'token.refresh.family_revoked');
    expect(revoked?.subject).toBe('user-1');
    expect(revoked?.attributes).toEqual({ familyId: stolen.familyId, reason: 'reuse' });
    // Every token of the family is dead, the legitimate newest one too.
    for (const token of [stolen.token, t2, t3]) expect((await tokens.refresh(token)).ok).toBe(false);
    expect(await tokens.refresh(t3)).toEqual({ ok: false, reason: 'revoked' });
    // The family is revoked once, so the event is emitted once.
    expect(types.filter((t) => t === 'token.refresh.family_revoked')).toHaveLength(1);
  });

  it('events carry family ids, never tokens or token hashes', async () => {
    const { tokens, events, clock } = setup();
    const first = await tokens.issue('user-1');
    const second = await mustRefresh(tokens, first.token);
    clock.advance(DAY);
    await tokens.refresh(first.token);
    const dump = JSON.stringify(events);
    for (const secret of [first.token, second, hashRefreshToken(first.token), hashRefreshToken(second)]) {
      expect(dump).not.toContain(secret);
    }
  });

  it('within the grace window a second presentation returns the same successor; afterwards it is reuse', async () => {
    const { tokens, clock } = setup({ reuseGraceMs: 5 * SECOND });
    const first = await tokens.issue('user-1');
    const a = await tokens.refresh(first.token);
    clock.advance(4 * SECOND);
    const b = await tokens.refresh(first.token);
    expect(a.ok && b.ok && a.value.token === b.value.token).toBe(true);
    expect(a.ok && b.ok && a.value.expiresAt === b.value.expiresAt).toBe(true);
    clock.advance(2 * SECOND);
    expect(await tokens.refresh(first.token)).toEqual({ ok: false, reason: 'reused' });
  });

  it('attack: within the grace window, a parent whose successor was already exchanged is reuse', async () => {
    const { tokens } = setup({ reuseGraceMs: 5 * SECOND });
    const first = await tokens.issue('user-1');
    const second = await mustRefresh(tokens, first.token);
    const third = await mustRefresh(tokens, second);
    expect(await tokens.refresh(first.token)).toEqual({ ok: false, reason: 'reused' });
    expect(await tokens.refresh(third)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('attack: two parallel refreshes of one token never yield two valid successors (grace window)', async () => {
    const { tokens } = setup();
    const first = await tokens.issue('user-1');
    const results = await Promise.all([tokens.refresh(first.token), tokens.refresh(first.token)]);
    const returned = new Set(results.flatMap((r) => (r.ok ? [r.value.token] : [])));
    expect(returned.size).toBe(1); // both callers got the one successor
    let valid = 0;
    for (const token of returned) if ((await tokens.refresh(token)).ok) valid += 1;
    expect(valid).toBeLessThanOrEqual(1);
  });

  it('attack: five parallel refreshes of one token never yield two valid successors (no grace window)', async () => {
    const { tokens, events } = setup({ reuseGraceMs: 0, ring: undefined });
    const first = await tokens.issue('user-1');
    const results = await Promise.all(Array.from({ length: 5 }, () => tokens.refresh(first.token)));
    expect(results.filter((r) => r.ok).length).toBeLessThanOrEqual(1);
    const returned = results.flatMap((r) => (r.ok ? [r.value.token] : []));
    let valid = 0;
    for (const token of returned) if ((await tokens.refresh(token)).ok) valid += 1;
    expect(valid).toBeLessThanOrEqual(1);
    // Without a grace window, the losers are indistinguishable from a thief: the family is revoked.
    expect(events.map((e) => e.type)).toContain('token.refresh.family_revoked');
  });

  it('attack: a token idle longer than the idle lifetime is refused; rotation restarts the idle clock', async () => {
    const { tokens, clock } = setup({ idleLifetimeMs: DAY, absoluteLifetimeMs: 30 * DAY });
    const first = await tokens.issue('user-1');
    clock.advance(DAY - 1);
    const second = await mustRefresh(tokens, first.token);
    clock.advance(DAY - 1);
    const third = await mustRefresh(tokens, second);
    clock.advance(DAY);
    expect(await tokens.refresh(third)).toEqual({ ok: false, reason: 'expired' });
  });

  it('attack: a family past its absolute lifetime is refused however recently rotated', async () => {
    const { tokens, clock } = setup({ idleLifetimeMs: 2 * DAY, absoluteLifetimeMs: 5 * DAY });
    const first = await tokens.issue('user-1');
    let token = first.token;
    for (let day = 1; day < 5; day += 1) {
      clock.advance(DAY);
      token = await mustRefresh(tokens, token);
    }
    clock.advance(DAY);
    expect(await tokens.refresh(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('attack: tampered, garbage and non-string tokens are refused with a typed failure', async () => {
    const { tokens } = setup();
    const { token } = await tokens.issue('user-1');
    for (let i = 0; i < token.length; i += 7) expect(await tokens.refresh(flip(token, i))).toEqual({ ok: false, reason: 'unknown' });
    for (const garbage of ['', token + 'A', token.slice(1), `${token.slice(0, 42)}=`, ' '.repeat(43), 'x'.repeat(100_000)]) {
      expect(await tokens.refresh(garbage)).toEqual({ ok: false, reason: 'malformed' });
    }
    for (const value of [null, undefined, 42, {}, [token], { token }, true]) {
      expect(await tokens.refresh(value)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect((await tokens.refresh(token)).ok).toBe(true);
  });

  it('never throws on arbitrary input (property)', async () => {
    const { tokens } = setup();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ minLength: 43, maxLength: 43 }), fc.anything()), async (value) => {
        const result = await tokens.refresh(value);
        expect(result.ok).toBe(false);
        expect(['malformed', 'unknown']).toContain(result.ok ? '' : result.reason);
      }),
      { numRuns: 300 },
    );
  });

  it('attack: a successor sealed under a retired key is not handed out; it counts as reuse (fail closed)', async () => {
    const { tokens, ring } = setup();
    const first = await tokens.issue('user-1');
    await mustRefresh(tokens, first.token);
    const old = ring.active.kid;
    ring.rotate();
    ring.retire(old);
    expect(await tokens.refresh(first.token)).toEqual({ ok: false, reason: 'reused' });
  });

  it('logout: revoke(token) ends that login only', async () => {
    const { tokens, events } = setup();
    const a = await tokens.issue('user-1');
    const b = await tokens.issue('user-1');
    expect(await tokens.revoke(a.token)).toEqual({ ok: true, value: { familyId: a.familyId } });
    expect(await tokens.refresh(a.token)).toEqual({ ok: false, reason: 'revoked' });
    expect((await tokens.refresh(b.token)).ok).toBe(true);
    expect(events.find((e) => e.type === 'token.refresh.family_revoked')?.attributes).toEqual({ familyId: a.familyId, reason: 'logout' });
    expect(await tokens.revoke('nope')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('logout everywhere: revokeAllForSubject kills every family of that subject and no other', async () => {
    const { tokens, events } = setup();
    const mine = [await tokens.issue('user-1'), await tokens.issue('user-1'), await tokens.issue('user-1')];
    const other = await tokens.issue('user-2');
    const rotated = await mustRefresh(tokens, mine[0]!.token);
    expect(await tokens.revokeAllForSubject('user-1')).toBe(3);
    expect(await tokens.revokeAllForSubject('user-1')).toBe(0);
    for (const token of [rotated, mine[1]!.token, mine[2]!.token]) expect(await tokens.refresh(token)).toEqual({ ok: false, reason: 'revoked' });
    expect((await tokens.refresh(other.token)).ok).toBe(true);
    expect(events.filter((e) => e.type === 'token.refresh.family_revoked')).toHaveLength(3);
    expect(await tokens.revokeFamily(other.familyId)).toBe(true);
    expect(await tokens.revokeFamily(other.familyId)).toBe(false);
  });

  it('a sink that throws does not change the outcome', async () => {
    const { tokens } = setup({
      events: () => {
        throw new Error('sink down');
      },
    });
    const { token } = await tokens.issue('user-1');
    expect((await tokens.refresh(token)).ok).toBe(true);
  });

  it('refuses unsafe configuration', () => {
    const store = new MemoryRefreshTokenStore();
    expect(() => new RefreshTokens({ store })).toThrow(ConfigurationError);
    expect(() => new RefreshTokens({ store, reuseGraceMs: 0, idleLifetimeMs: 10 * DAY, absoluteLifetimeMs: DAY })).toThrow(ConfigurationError);
    expect(() => new RefreshTokens({ store, ring: KeyRing.generate(), reuseGraceMs: 10 * 60 * SECOND })).toThrow(ConfigurationError);
    expect(() => new RefreshTokens({ store, reuseGraceMs: 0, idleLifetimeMs: Number.NaN })).toThrow(ConfigurationError);
    expect(() => new RefreshTokens({ store, reuseGraceMs: 0 })).not.toThrow();
  });
});

describe('MemoryRefreshTokenStore', () => {
  it('rotate is atomic: of concurrent rotations of one parent exactly one wins, the rest see its write', async () => {
    const store = new MemoryRefreshTokenStore();
    await store.createFamily(
      { id: 'f', subject: 's', createdAt: 0, absoluteExpiresAt: 100 },
      { id: 't0', familyId: 'f', tokenHash: 'h0', issuedAt: 0 },
    );
    const outcomes = await Promise.all(
      [1, 2, 3].map((n) =>
        store.rotate({ parentHash: 'h0', usedAt: 1, successor: { id: `t${n}`, familyId: 'f', tokenHash: `h${n}`, issuedAt: 1, parentId: 't0' } }),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rotated')).toHaveLength(1);
    const losers = outcomes.flatMap((o) => (o.status === 'already_used' ? [o.entry.token.successorId] : []));
    expect(losers).toEqual(['t1', 't1']);
    expect(await store.findByHash('h2')).toBeUndefined();
  });

  it('deleteExpired erases grace copies after the window and families after their absolute lifetime', async () => {
    const { tokens, store, clock } = setup({ absoluteLifetimeMs: DAY, idleLifetimeMs: DAY });
    const first = await tokens.issue('user-1');
    await mustRefresh(tokens, first.token);
    clock.advance(10 * SECOND);
    expect(await store.deleteExpired(clock.now())).toBe(0);
    expect((await store.findByHash(hashRefreshToken(first.token)))?.token.sealedSuccessor).toBeUndefined();
    clock.advance(DAY);
    expect(await store.deleteExpired(clock.now())).toBe(1);
    expect(store.familyCount).toBe(0);
    expect(await tokens.refresh(first.token)).toEqual({ ok: false, reason: 'unknown' });
  });
});
