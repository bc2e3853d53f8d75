import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import type { SecurityEvent } from '../events.js';
import type { Result } from '../result.js';
import { SessionError } from './errors.js';
import { sessionKey } from './id.js';
import { createSessionManager, type SessionManager, type SessionManagerOptions } from './manager.js';
import { MemorySessionStore } from './memory-store.js';
import type { IssuedSession } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.reason}`);
  return result.value;
}

let clock: ManualClock;
let store: MemorySessionStore;
let events: SecurityEvent[];

function manager(options: Partial<SessionManagerOptions> = {}): SessionManager {
  return createSessionManager({ store, clock, events: (e) => events.push(e), ...options });
}

beforeEach(() => {
  clock = new ManualClock();
  store = new MemorySessionStore();
  events = [];
});

describe('create and validate', () => {
  it('issues an anonymous session that validates, with a handle and no id in the view', async () => {
    const sessions = manager();
    const { id, session } = await sessions.create({ cart: ['book'] });
    const checked = value(await sessions.validate(id));
    expect(checked).toEqual(session);
    expect(checked.userId).toBeUndefined();
    expect(checked.data).toEqual({ cart: ['book'] });
    expect(JSON.stringify(checked)).not.toContain(id);
    expect(Object.isFrozen(checked.data)).toBe(true);
  });

  it('stores only the hash of the id', async () => {
    const { id } = await manager().create();
    expect(await store.get(id)).toBeUndefined();
    expect(await store.get(sessionKey(id))).toBeDefined();
  });

  it('attack: guessed and garbage ids are refused without throwing', async () => {
    const sessions = manager();
    await sessions.create();
    const garbage: unknown[] = [undefined, null, 0, {}, [], '', 'x', "' OR 1=1 --", 'A'.repeat(43), 'a'.repeat(1_000_000), `${'a'.repeat(42)};`];
    for (const id of garbage) {
      const result = await sessions.validate(id);
      expect(result.ok).toBe(false);
    }
    expect(await sessions.validate('A'.repeat(43))).toEqual({ ok: false, reason: 'unknown' });
    expect(await sessions.validate('not an id')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('attack: the store key (from a leaked store) does not work as a session id', async () => {
    const sessions = manager();
    const { id } = await sessions.create();
    expect(await sessions.validate(sessionKey(id))).toEqual({ ok: false, reason: 'unknown' });
  });

  it('fails closed when the store fails', async () => {
    class BrokenStore extends MemorySessionStore {
      override get(): Promise<undefined> {
        return Promise.reject(new Error('down'));
      }
    }
    const sessions = createSessionManager({ store: new BrokenStore(), clock });
    const { id } = await sessions.create();
    expect(await sessions.validate(id)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('refuses session data that is not small JSON', async () => {
    const sessions = manager({ maxDataBytes: 64 });
    await expect(sessions.create({ big: 'x'.repeat(100) })).rejects.toThrow(SessionError);
    await expect(sessions.create({ n: 1n } as never)).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' });
    await expect(sessions.create([] as never)).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' });
  });
});

describe('attack: session fixation', () => {
  it('an attacker-planted anonymous id is dead after the victim logs in, and the new id differs', async () => {
    const sessions = manager();
    const planted = await sessions.create(); // the attacker's own anonymous session, planted in the victim's browser
    const afterLogin = value(await sessions.login(planted.id, 'victim'));
    expect(afterLogin.id).not.toBe(planted.id);
    expect(afterLogin.session.handle).not.toBe(planted.session.handle);
    expect(await sessions.validate(planted.id)).toEqual({ ok: false, reason: 'revoked' });
    expect(value(await sessions.validate(afterLogin.id)).userId).toBe('victim');
    expect(events.map((e) => e.type)).toEqual(['session.created', 'session.rotated']);
    expect(events[1]?.attributes).toMatchObject({ reason: 'login', previousHandle: planted.session.handle });
  });

  it('an anonymous session carries its data into the login; an unknown planted id is ignored', async () => {
    const sessions = manager();
    const anonymous = await sessions.create({ cart: [1] });
    expect(value(await sessions.login(anonymous.id, 'u')).session.data).toEqual({ cart: [1] });
    const fresh = value(await sessions.login('B'.repeat(43), 'u'));
    expect(fresh.session.data).toEqual({});
    expect(value(await sessions.login(undefined, 'u')).session.userId).toBe('u');
  });

  it("another user's session planted before login is killed, and its data does not follow", async () => {
    const sessions = manager();
    const attacker = value(await sessions.login(undefined, 'attacker'));
    const victim = value(await sessions.login(attacker.id, 'victim'));
    expect(victim.session.data).toEqual({});
    expect(await sessions.validate(attacker.id)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('rotate on a privilege change kills the old id and keeps the absolute deadline', async () => {
    const sessions = manager();
    const before = value(await sessions.login(undefined, 'u'));
    clock.advance(10 * MINUTE);
    const after = value(await sessions.rotate(before.id, { privilegeChanged: true }));
    expect(after.id).not.toBe(before.id);
    expect(after.session.absoluteExpiresAt).toBe(before.session.absoluteExpiresAt);
    expect(after.session.createdAt).toBe(before.session.createdAt);
    expect(await sessions.validate(before.id)).toEqual({ ok: false, reason: 'revoked' });
    expect(events.at(-1)?.attributes).toMatchObject({ reason: 'privilege_change' });
    expect(await sessions.rotate(before.id)).toEqual({ ok: false, reason: 'revoked' });
    expect(await sessions.rotate('junk')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('login and rotate set authentication facts with the new id only: the old id never shows them', async () => {
    const sessions = manager();
    const anonymous = await sessions.create({ cart: [1] });
    const signedIn = value(await sessions.login(anonymous.id, 'u', { data: { authTime: 1, amr: ['pwd'] } }));
    expect(signedIn.session.data).toEqual({ cart: [1], authTime: 1, amr: ['pwd'] });
    const steppedUp = value(await sessions.rotate(signedIn.id, { privilegeChanged: true, data: { mfaAt: 2, amr: ['pwd', 'otp'] } }));
    expect(steppedUp.session.data).toEqual({ cart: [1], authTime: 1, amr: ['pwd', 'otp'], mfaAt: 2 });
    expect(await sessions.validate(signedIn.id)).toEqual({ ok: false, reason: 'revoked' });
    // Facts given at login replace what a planted anonymous session claimed about the authentication.
    const planted = await sessions.create({ mfaAt: 99 });
    expect(value(await sessions.login(planted.id, 'v', { data: { mfaAt: 0 } })).session.data).toEqual({ mfaAt: 0 });
    await expect(sessions.login(undefined, 'w', { data: { big: 'x'.repeat(5000) } })).rejects.toMatchObject({ code: 'SESSION_DATA_INVALID' });
  });

  it('attack: a thief and the victim rotating the same id at once never both get a live session', async () => {
    const sessions = manager();
    const { id } = value(await sessions.login(undefined, 'u'));
    const results = await Promise.all([sessions.rotate(id), sessions.rotate(id)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, reason: 'revoked' });
    expect(await sessions.list('u')).toHaveLength(1);
  });

  it('a double-submitted login still logs in once each, and the anonymous id is dead', async () => {
    const sessions = manager();
    const anonymous = await sessions.create({ cart: [1] });
    const [a, b] = await Promise.all([sessions.login(anonymous.id, 'u'), sessions.login(anonymous.id, 'u')]);
    expect(a.ok && b.ok).toBe(true);
    expect(await sessions.validate(anonymous.id)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('rotate binding a new user starts a new absolute lifetime', async () => {
    const sessions = manager();
    const anonymous = await sessions.create();
    clock.advance(5 * MINUTE);
    const bound = value(await sessions.rotate(anonymous.id, { userId: 'u' }));
    expect(bound.session.createdAt).toBe(clock.now());
    expect(bound.session.userId).toBe('u');
  });
});

describe('attack: idle and absolute timeouts', () => {
  it('a session unused for the idle timeout is refused', async () => {
    const sessions = manager();
    const { id } = await sessions.create();
    clock.advance(30 * MINUTE - 1);
    expect((await sessions.validate(id)).ok).toBe(true);
    clock.advance(30 * MINUTE);
    expect(await sessions.validate(id)).toEqual({ ok: false, reason: 'idle_timeout' });
  });

  it('activity keeps a session alive, but never past the absolute timeout', async () => {
    const sessions = manager();
    const { id } = value(await sessions.login(undefined, 'u'));
    for (let elapsed = 0; elapsed < 12 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
      clock.advance(20 * MINUTE);
      expect((await sessions.validate(id)).ok).toBe(true);
    }
    clock.advance(20 * MINUTE);
    expect(await sessions.validate(id)).toEqual({ ok: false, reason: 'absolute_timeout' });
  });

  it('rotation does not extend the absolute timeout', async () => {
    const sessions = manager({ idleTimeoutSeconds: 600, absoluteTimeoutSeconds: 3600 });
    let { id } = value(await sessions.login(undefined, 'u'));
    for (let i = 0; i < 6; i++) {
      clock.advance(9 * MINUTE);
      id = value(await sessions.rotate(id)).id;
    }
    clock.advance(7 * MINUTE);
    expect(await sessions.validate(id)).toEqual({ ok: false, reason: 'absolute_timeout' });
  });

  it('writes activity at most once per touch interval, and the idle deadline is never late', async () => {
    const sessions = manager();
    const { id, session } = await sessions.create();
    clock.advance(30_000);
    expect(value(await sessions.validate(id)).lastSeenAt).toBe(session.createdAt);
    clock.advance(30_000);
    const touched = value(await sessions.validate(id));
    expect(touched.lastSeenAt).toBe(clock.now());
    expect(touched.idleExpiresAt).toBe(clock.now() + 30 * MINUTE);
    clock.advance(30_000);
    // Within the touch interval: not written, so the deadline still counts from the last write. The session dies up
    // to one interval early, never late.
    expect(value(await sessions.validate(id)).lastSeenAt).toBe(touched.lastSeenAt);
    clock.advance(30 * MINUTE - 30_000);
    expect(await sessions.validate(id)).toEqual({ ok: false, reason: 'idle_timeout' });
  });

  it('refuses unsafe timeout configuration', () => {
    expect(() => manager({ idleTimeoutSeconds: 0 })).toThrow(ConfigurationError);
    expect(() => manager({ idleTimeoutSeconds: 3600, absoluteTimeoutSeconds: 60 })).toThrow(ConfigurationError);
    expect(() => manager({ idleTimeoutSeconds: 60, touchIntervalSeconds: 60 })).toThrow(ConfigurationError);
    expect(() => manager({ maxSessionsPerUser: 0 })).toThrow(ConfigurationError);
    expect(() => manager({ limitPolicy: 'ignore' as never })).toThrow(ConfigurationError);
  });
});

describe('attack: concurrent-session limit', () => {
  it('evict-oldest: the oldest session dies when the limit is passed', async () => {
    const sessions = manager({ maxSessionsPerUser: 2 });
    const first = value(await sessions.login(undefined, 'u'));
    clock.advance(1000);
    const second = value(await sessions.login(undefined, 'u'));
    clock.advance(1000);
    const third = value(await sessions.login(undefined, 'u'));
    expect(await sessions.validate(first.id)).toEqual({ ok: false, reason: 'revoked' });
    expect((await sessions.validate(second.id)).ok).toBe(true);
    expect((await sessions.validate(third.id)).ok).toBe(true);
    const evicted = events.filter((e) => e.type === 'session.evicted');
    expect(evicted).toHaveLength(1);
    expect(evicted[0]).toMatchObject({ subject: 'u', attributes: { handle: first.session.handle } });
  });

  it('refuse-new: a login beyond the limit is refused and existing sessions survive', async () => {
    const sessions = manager({ maxSessionsPerUser: 2, limitPolicy: 'refuse-new' });
    const a = value(await sessions.login(undefined, 'u'));
    const b = value(await sessions.login(undefined, 'u'));
    const anonymous = await sessions.create();
    expect(await sessions.login(anonymous.id, 'u')).toEqual({ ok: false, reason: 'limit_reached' });
    expect((await sessions.validate(anonymous.id)).ok).toBe(true); // nothing changed
    expect((await sessions.validate(a.id)).ok && (await sessions.validate(b.id)).ok).toBe(true);
    expect(events.filter((e) => e.type === 'session.refused_limit')).toHaveLength(1);
    // Another user is not affected, and an expired session frees its slot.
    expect((await sessions.login(undefined, 'other')).ok).toBe(true);
    clock.advance(31 * MINUTE);
    expect((await sessions.login(undefined, 'u')).ok).toBe(true);
  });

  it.each(['refuse-new', 'evict-oldest'] as const)('%s: 50 concurrent logins for one user never exceed the limit', async (limitPolicy) => {
    const sessions = manager({ maxSessionsPerUser: 3, limitPolicy });
    const results = await Promise.all(Array.from({ length: 50 }, () => sessions.login(undefined, 'u')));
    const issued = results.filter((r): r is { ok: true; value: IssuedSession } => r.ok);
    expect(issued).toHaveLength(limitPolicy === 'refuse-new' ? 3 : 50);
    expect(await sessions.list('u')).toHaveLength(3);
    const live = await Promise.all(issued.map(async (r) => (await sessions.validate(r.value.id)).ok));
    expect(live.filter(Boolean)).toHaveLength(3);
  });
});

describe('list and revoke', () => {
  it('lists live sessions with handles, never ids, flagging the current one', async () => {
    const sessions = manager();
    const a = value(await sessions.login(undefined, 'u'));
    clock.advance(1000);
    const b = value(await sessions.login(undefined, 'u'));
    const listed = await sessions.list('u', { current: b.id });
    expect(listed.map((s) => [s.handle, s.current])).toEqual([
      [a.session.handle, false],
      [b.session.handle, true],
    ]);
    expect(JSON.stringify(listed)).not.toContain(a.id);
    expect(JSON.stringify(listed)).not.toContain(sessionKey(a.id));
    expect(JSON.stringify(events)).not.toContain(a.id);
  });

  it('attack: a revoked session is refused (logout)', async () => {
    const sessions = manager();
    const { id } = value(await sessions.login(undefined, 'u'));
    expect(await sessions.revoke(id)).toBe(true);
    expect(await sessions.validate(id)).toEqual({ ok: false, reason: 'revoked' });
    expect(await sessions.revoke(id)).toBe(false);
    expect(await sessions.revoke({ not: 'an id' })).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'session.revoked', subject: 'u' });
  });

  it('revokes by handle only within the owning user (no IDOR through handles)', async () => {
    const sessions = manager();
    const victim = value(await sessions.login(undefined, 'victim'));
    expect(await sessions.revokeHandle('attacker', victim.session.handle)).toBe(false);
    expect((await sessions.validate(victim.id)).ok).toBe(true);
    expect(await sessions.revokeHandle('victim', victim.session.handle)).toBe(true);
    expect(await sessions.validate(victim.id)).toEqual({ ok: false, reason: 'revoked' });
  });

  it('attack: revokeAll after a password change kills every session of the user', async () => {
    const sessions = manager();
    const stolen = await Promise.all([1, 2, 3].map(() => sessions.login(undefined, 'u')));
    const other = value(await sessions.login(undefined, 'other'));
    expect(await sessions.revokeAll('u')).toBe(3);
    for (const s of stolen) expect(await sessions.validate(value(s).id)).toEqual({ ok: false, reason: 'revoked' });
    expect((await sessions.validate(other.id)).ok).toBe(true);
    expect(await sessions.list('u')).toEqual([]);
  });

  it('revokeAll can keep the current session, and a malformed except keeps none', async () => {
    const sessions = manager();
    const [a, b] = [value(await sessions.login(undefined, 'u')), value(await sessions.login(undefined, 'u'))];
    expect(await sessions.revokeAll('u', { except: b.id })).toBe(1);
    expect(await sessions.validate(a.id)).toEqual({ ok: false, reason: 'revoked' });
    expect((await sessions.validate(b.id)).ok).toBe(true);
    expect(await sessions.revokeAll('u', { except: 'garbage' })).toBe(1);
    expect((await sessions.validate(b.id)).ok).toBe(false);
  });

  it('sweep removes expired sessions from the store', async () => {
    const sessions = manager();
    await sessions.create();
    await sessions.login(undefined, 'u');
    clock.advance(31 * MINUTE);
    expect(await sessions.sweep()).toBe(2);
    expect(store.size).toBe(0);
  });

  it('refuses an invalid user id', async () => {
    const sessions = manager();
    await expect(sessions.login(undefined, '')).rejects.toMatchObject({ code: 'SESSION_USER_INVALID' });
    await expect(sessions.revokeAll('x'.repeat(300))).rejects.toThrow(SessionError);
  });

  it('a throwing event sink does not break a session change', async () => {
    const sessions = createSessionManager({ store, clock, events: () => { throw new Error('sink down'); } });
    const { id } = await sessions.create();
    expect((await sessions.validate(id)).ok).toBe(true);
  });
});
