import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../clock.js';
import type { Detectors } from '../detect/create.js';
import type { Detector } from '../detect/detector.js';
import { bruteForceDetector } from '../detect/detectors/brute-force.js';
import { ConfigurationError } from '../errors.js';
import { securityEvent, type SecurityEvent, type SecurityEventType } from '../events.js';
import { loginThrottle } from '../ratelimit/login.js';
import { MemoryRateLimitStore } from '../ratelimit/memory-store.js';
import { createSessionManager } from '../session/manager.js';
import { MemorySessionStore } from '../session/memory-store.js';
import { parseCanonicalEntry, type AuditEventJson } from './canonical.js';
import { checkpointSigner } from './checkpoint.js';
import { createSecurityEventHub, type SecurityEventHubError } from './hub.js';
import { AuditLog } from './log.js';
import type { AuditSink } from './sinks/sink.js';
import { syslogSink } from './sinks/syslog.js';
import { listenCollector, parseSyslog, type Collector } from './sinks/testing.fixtures.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { MemoryAuditStore, type AuditRow } from './store.js';
import { verify } from './verify.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-audit-hub-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let files = 0;
const dbPath = (): string => join(root, `hub${++files}.db`);

const keys = generateKeyPairSync('ed25519');
const signer = checkpointSigner(keys.privateKey);
const openLog = (store: SqliteAuditStore | MemoryAuditStore): Promise<AuditLog> => AuditLog.open({ store, signer, checkpointIntervalMs: 0 });
/** Monday 5 January 2026, 10:00 UTC: inside the off-hours detector's working hours. */
const MONDAY_10 = Date.UTC(2026, 0, 5, 10);

/** A numbered event, so order can be read back from the log and the collector. */
const numbered = (n: number, type: SecurityEventType = 'auth.login.failed', subject = `user${n}`): SecurityEvent => securityEvent(type, subject, { n });

/** Every event in the log file, in seq order (read through a fresh connection, as an auditor would). */
async function logged(path: string): Promise<AuditEventJson[]> {
  const store = new SqliteAuditStore(path);
  try {
    const events: AuditEventJson[] = [];
    for await (const page of store.pages()) for (const row of page) events.push(parseCanonicalEntry(row.canonical).event);
    return events;
  } finally {
    await store.close();
  }
}

async function verified(path: string): Promise<Awaited<ReturnType<typeof verify>>> {
  const store = new SqliteAuditStore(path);
  try {
    return await verify(store, { publicKey: keys.publicKey });
  } finally {
    await store.close();
  }
}

const numbers = (events: readonly AuditEventJson[]): unknown[] => events.map((event) => (event.type === 'audit.events_dropped' ? 'drop' : event.attributes?.n));

/** Waits (by polling, never asserting how long) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

/**
 * A real SQLite store whose commits wait while held (a slow disk or network database) and fail while `failing` (a
 * full disk; the error quotes the rows, as some drivers do).
 */
class ControlledStore extends SqliteAuditStore {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  failing = false;
  /** Rows handed to the store and not yet committed. */
  held = 0;
  maxHeld = 0;
  hold(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }
  release(): void {
    this.#open?.();
    this.#gate = undefined;
  }
  override async append(rows: readonly AuditRow[]): Promise<void> {
    this.held += rows.length;
    this.maxHeld = Math.max(this.maxHeld, this.held);
    await this.#gate;
    this.held -= rows.length;
    if (this.failing) throw new Error(`disk full while writing ${rows.map((row) => row.canonical).join()}`);
    return super.append(rows);
  }
}

let collector: Collector;
beforeAll(async () => {
  collector = await listenCollector();
});
afterAll(async () => {
  await collector.close();
});

/** Messages the collector received from `start` on, parsed; `n` and the message id of each. */
function collected(start: number): { msgId: string; n: string | undefined; params: [string, string][] }[] {
  return collector.messages.slice(start).map((message) => {
    const parsed = parseSyslog(message);
    return { msgId: parsed.msgId, n: parsed.params.find(([name]) => name === 'n')?.[1], params: parsed.params };
  });
}

describe('createSecurityEventHub', () => {
  it('controls wired to the hub fill the log and a syslog collector; a brute-force stream raises one detect.alert, logged and forwarded', async () => {
    const path = dbPath();
    const start = collector.messages.length;
    const hub = createSecurityEventHub({
      log: await openLog(new SqliteAuditStore(path)),
      sinks: [syslogSink({ host: '127.0.0.1', port: collector.port, appName: 'shop' })],
      detectors: { clock: new ManualClock(MONDAY_10) },
    });
    // What the controls emitted, in order, as the hub received it.
    const emitted: SecurityEvent[] = [];
    const events = (event: SecurityEvent): void => {
      emitted.push(event);
      hub(event);
    };
    const throttle = loginThrottle({ store: new MemoryRateLimitStore(), perAccount: { freeAttempts: 100, lockAfter: 200 }, events });
    const sessions = createSessionManager({ store: new MemorySessionStore(), events });

    const anonymous = await sessions.create();
    for (let i = 0; i < 30; i += 1) {
      expect((await throttle.check('alice', '203.0.113.7')).allowed).toBe(true);
      await throttle.recordFailure('alice', '203.0.113.7');
    }
    expect((await throttle.check('alice', '198.51.100.4')).allowed).toBe(true);
    await throttle.recordSuccess('alice', '198.51.100.4');
    expect((await sessions.login(anonymous.id, 'alice')).ok).toBe(true);
    await hub.close();

    const entries = await logged(path);
    const alerts = entries.filter((event) => event.type === 'detect.alert');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.attributes).toMatchObject({ detector: 'brute_force', key: throttle.accountId('alice'), count: 10 });
    // Everything the controls emitted is in the log, in order; the alert comes after the failure that crossed the threshold.
    const others = entries.filter((event) => event.type !== 'detect.alert');
    expect(others.map((event) => [event.type, event.subject])).toEqual(emitted.map((event) => [event.type, event.subject]));
    expect(emitted.map((event) => event.type)).toEqual(expect.arrayContaining(['session.created', 'auth.login.failed', 'auth.login.succeeded']));
    const alertAt = entries.findIndex((event) => event.type === 'detect.alert');
    expect(entries.slice(0, alertAt).filter((event) => event.type === 'auth.login.failed').length).toBeGreaterThanOrEqual(10);

    await collector.received(start + emitted.length + 1);
    const messages = collected(start);
    expect(messages).toHaveLength(emitted.length + 1);
    expect(messages.filter((message) => message.msgId === 'detect.alert')).toHaveLength(1);

    expect(await verified(path)).toEqual({ ok: true, entries: emitted.length + 1, checkpoints: 1 });
    const stats = hub.stats();
    expect(stats).toMatchObject({ received: emitted.length, alerts: 1, logged: emitted.length + 1, dropped: 0, failures: 0 });
    // The alert went to the log and the sink but never back into the detectors.
    expect(stats.detectors).toMatchObject({ fed: emitted.length, failures: 0, detectors: { processed: emitted.length, alerts: 1 } });
    expect(stats.sinks[0]).toMatchObject({ name: 'syslog', written: emitted.length + 1, failures: 0, sink: { sent: emitted.length + 1, dropped: 0 } });
  });

  it('events reach the log in the order the hub received them: across bursts, awaits and a slow store', async () => {
    const path = dbPath();
    const store = new ControlledStore(path);
    const hub = createSecurityEventHub({ log: await openLog(store) });
    let n = 0;
    store.hold();
    for (let burst = 0; burst < 20; burst += 1) {
      for (let i = 0; i < 1 + burst * 7; i += 1) hub(numbered(n++));
      if (burst % 3 === 0) await Promise.resolve();
      if (burst % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      if (burst === 10) store.release();
    }
    await hub.flush();
    expect(hub.stats().log).toMatchObject({ pending: 0, logged: n, dropped: 0 });
    await hub.close();
    expect(numbers(await logged(path))).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(await verified(path)).toMatchObject({ ok: true, entries: n });
  });

  it('attack: a flood while the log store is slow keeps memory bounded; drops are counted by type and recorded in their place once the log takes writes again', async () => {
    const path = dbPath();
    const store = new ControlledStore(path);
    const start = collector.messages.length;
    const hub = createSecurityEventHub({
      log: await openLog(store),
      maxPending: 100,
      // Room for the whole flood: this test is about the log's bound, not the sink's.
      sinks: [syslogSink({ host: '127.0.0.1', port: collector.port, bufferSize: 20_000 })],
    });
    store.hold();
    for (let i = 0; i < 100; i += 1) hub(numbered(i));
    // The action the attacker floods to hide, inside the flood.
    hub(numbered(100, 'authz.denied', 'mallory'));
    hub(numbered(101, 'token.refresh.reuse_detected', 'mallory'));
    for (let tick = 0; tick < 10; tick += 1) {
      for (let i = 0; i < 1000; i += 1) hub(numbered(102 + tick * 1000 + i));
      await new Promise((resolve) => setImmediate(resolve));
      expect(hub.stats().log?.pending).toBeLessThanOrEqual(100);
    }
    const flooded = 102 + 10 * 1000;
    expect(hub.stats()).toMatchObject({ received: flooded, logged: 0, dropped: flooded - 100, log: { state: 'open', pending: 100, dropped: flooded - 100 } });
    expect(store.maxHeld).toBeLessThanOrEqual(100);

    store.release();
    await hub.flush();
    hub(numbered(flooded));
    await hub.close();

    const entries = await logged(path);
    // 0..99, then one record standing in the gap, then what came after: nothing vanished without a trace.
    expect(numbers(entries)).toEqual([...Array.from({ length: 100 }, (_, i) => i), 'drop', flooded]);
    const record = entries[100];
    expect(record?.attributes).toMatchObject({
      count: flooded - 100,
      dropped: flooded - 100,
      refused: 0,
      failed: 0,
      // The list survives the log's redaction, names included.
      types: `auth.login.failed ${flooded - 102}, authz.denied 1, token.refresh.reuse_detected 1`,
    });
    expect(typeof record?.attributes?.firstAt).toBe('string');
    expect(await verified(path)).toMatchObject({ ok: true, entries: 102 });
    expect(hub.stats().log).toMatchObject({ logged: 101, dropRecords: 1, dropped: flooded - 100, pending: 0 });

    // The SIEM got every event the sink could buffer, and the drop record too.
    await collector.received(start + 1);
    await until(() => collected(start).some((message) => message.msgId === 'audit.events_dropped'));
  });

  it('a failed log store: reported without event contents, the sink goes on, later events wait (bounded), the log is reopened and every loss recorded in place', async () => {
    const path = dbPath();
    const first = new ControlledStore(path);
    let down = false;
    let reopenCalls = 0;
    const errors: SecurityEventHubError[] = [];
    const start = collector.messages.length;
    const hub = createSecurityEventHub({
      log: await openLog(first),
      reopen: async () => {
        reopenCalls += 1;
        if (down) throw new Error('store still down (last event for alice@example.com)');
        return openLog(new SqliteAuditStore(path));
      },
      reopenInitialMs: 1,
      reopenMaxMs: 5,
      maxPending: 20,
      sinks: [syslogSink({ host: '127.0.0.1', port: collector.port })],
      onError: (error) => errors.push(error),
    });
    const emit = (from: number, to: number): void => {
      for (let n = from; n < to; n += 1) hub(numbered(n, 'auth.login.failed', 'alice@example.com'));
    };

    emit(0, 5);
    await hub.flush();
    first.failing = true;
    down = true;
    emit(5, 10); // in flight when the store fails
    await until(() => hub.stats().log?.state === 'failed');
    emit(10, 40); // 20 wait for the log, 10 are dropped
    expect(hub.stats().log).toMatchObject({ state: 'failed', pending: 20, failed: 5, dropped: 10 });
    await until(() => reopenCalls >= 2);
    expect(hub.stats().log?.state).toBe('failed');

    down = false;
    await hub.flush();
    emit(40, 41);
    await hub.close();

    expect(numbers(await logged(path))).toEqual([0, 1, 2, 3, 4, 'drop', ...Array.from({ length: 20 }, (_, i) => 10 + i), 'drop', 40]);
    const records = (await logged(path)).filter((event) => event.type === 'audit.events_dropped');
    expect(records.map((record) => record.attributes)).toMatchObject([
      { count: 5, failed: 5, dropped: 0, types: 'auth.login.failed 5' },
      { count: 10, dropped: 10, failed: 0, types: 'auth.login.failed 10' },
    ]);
    expect(await verified(path)).toMatchObject({ ok: true, entries: 28 });
    expect(hub.stats().log).toMatchObject({ state: 'closed', logged: 26, dropRecords: 2, failed: 5, dropped: 10, reopened: 1 });

    // The sink never stopped: it got all 41 events and both records.
    await collector.received(start + 43);
    expect(collected(start).filter((message) => message.msgId === 'auth.login.failed')).toHaveLength(41);

    const codes = new Set(errors.map((error) => error.code));
    expect(codes).toEqual(new Set(['AUDIT_HUB_LOG_FAILED', 'AUDIT_HUB_LOG_REOPEN_FAILED']));
    expect(errors.find((error) => error.code === 'AUDIT_HUB_LOG_FAILED')?.message).toMatch(/AuditError AUDIT_FAILED <- Error/);
    for (const error of errors) {
      expect(error.message).not.toMatch(/alice|example\.com|auth\.login/);
      expect(error.cause).toBeUndefined();
    }
  });

  it('a store failing while the backlog is full: the failed and the dropped are recorded together, before what came after', async () => {
    const path = dbPath();
    const store = new ControlledStore(path);
    let back: () => void = () => undefined;
    const storeBack = new Promise<void>((resolve) => (back = resolve));
    const hub = createSecurityEventHub({
      log: await openLog(store),
      reopen: async () => {
        await storeBack;
        return openLog(new SqliteAuditStore(path));
      },
      reopenInitialMs: 1,
      reopenMaxMs: 5,
      maxPending: 5,
      onError: () => undefined,
    });
    store.hold();
    for (let n = 0; n < 8; n += 1) hub(numbered(n)); // 0..4 wait for the store, 5..7 are dropped
    await until(() => store.held === 5);
    store.failing = true;
    store.release();
    await until(() => hub.stats().log?.state === 'failed');
    for (let n = 8; n < 10; n += 1) hub(numbered(n, 'authz.denied')); // the backlog is empty again: these wait
    expect(hub.stats().log).toMatchObject({ state: 'failed', pending: 2, failed: 5, dropped: 3 });
    back();
    await hub.close();
    const entries = await logged(path);
    expect(numbers(entries)).toEqual(['drop', 8, 9]);
    expect(entries[0]?.attributes).toMatchObject({ count: 8, failed: 5, dropped: 3, types: 'auth.login.failed 8' });
    expect(await verified(path)).toMatchObject({ ok: true, entries: 3 });
  });

  it('without reopen, a failed log stays failed: later events are counted as failed and flush() and close() still return', async () => {
    class DeadStore extends MemoryAuditStore {
      override append(): Promise<void> {
        return Promise.reject(new Error('gone'));
      }
    }
    const errors: SecurityEventHubError[] = [];
    const hub = createSecurityEventHub({ log: await openLog(new DeadStore()), onError: (error) => errors.push(error) });
    for (let n = 0; n < 5; n += 1) hub(numbered(n));
    await hub.flush();
    for (let n = 5; n < 8; n += 1) hub(numbered(n));
    await hub.close();
    expect(hub.stats()).toMatchObject({ received: 8, logged: 0, dropped: 8, log: { state: 'closed', failed: 8, pending: 0 } });
    expect(errors.map((error) => error.code)).toEqual(['AUDIT_HUB_LOG_FAILED']);
  });

  it('a throwing sink and a throwing detector stop neither the log, the other sink nor the other detectors; reports are coalesced and hold no event contents', async () => {
    const path = dbPath();
    const start = collector.messages.length;
    const broken: AuditSink = {
      name: 'broken',
      write: (event) => {
        throw new Error(`cannot send ${JSON.stringify(event)}`);
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      stats: () => ({ sent: 0, dropped: 0, failed: 0, buffered: 0 }),
    };
    const exploding: Detector = {
      name: 'exploding',
      types: ['auth.login.failed'],
      inspect: (event) => {
        throw new Error(`cannot inspect ${event.subject ?? ''}`);
      },
    };
    const errors: SecurityEventHubError[] = [];
    const hub = createSecurityEventHub({
      log: await openLog(new SqliteAuditStore(path)),
      sinks: [broken, syslogSink({ host: '127.0.0.1', port: collector.port })],
      detectors: { clock: new ManualClock(MONDAY_10), detectors: [exploding, bruteForceDetector()] },
      onError: (error) => errors.push(error),
    });
    const results: unknown[] = [];
    const call: (event: SecurityEvent) => unknown = hub;
    for (let n = 0; n < 12; n += 1) results.push(call(numbered(n, 'auth.login.failed', 'victim@example.com')));
    await hub.close();

    expect(results.every((result) => result === undefined)).toBe(true);
    const entries = await logged(path);
    expect(entries.map((event) => event.type)).toEqual([...Array<string>(12).fill('auth.login.failed'), 'detect.alert']);
    await collector.received(start + 13);
    expect(collected(start).map((message) => message.msgId)).toEqual([...Array<string>(12).fill('auth.login.failed'), 'detect.alert']);
    expect(await verified(path)).toMatchObject({ ok: true, entries: 13 });

    const sum = (code: string): number => errors.filter((error) => error.code === code).reduce((total, error) => total + error.count, 0);
    expect(sum('AUDIT_HUB_SINK_FAILED')).toBe(13);
    expect(sum('AUDIT_HUB_DETECTORS_FAILED')).toBe(12);
    // One report per burst, not one per failure.
    expect(errors.length).toBeLessThan(25);
    expect(errors.find((error) => error.code === 'AUDIT_HUB_SINK_FAILED')?.consumer).toBe('sink 0 (broken)');
    expect(errors.find((error) => error.code === 'AUDIT_HUB_DETECTORS_FAILED')?.consumer).toBe('detectors (exploding)');
    for (const error of errors) expect(error.message).not.toMatch(/victim|example\.com/);
    expect(hub.stats()).toMatchObject({ failures: 25, logged: 13, sinks: [{ written: 0, failures: 13 }, { written: 13, failures: 0 }] });
  });

  it('attack: alerts cannot loop — an alert reaching the hub, from its detectors or from outside, is logged and forwarded but never fed to the detectors', async () => {
    const path = dbPath();
    const forwarded: SecurityEvent[] = [];
    const sink: AuditSink = {
      name: 'memory',
      write: (event) => forwarded.push(event),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      stats: () => ({ sent: forwarded.length, dropped: 0, failed: 0, buffered: 0 }),
    };
    // Detectors wired by the caller that alert on everything they are fed, alerts included, and send the alert back
    // into the hub: fed its own alerts, this would echo (capped at 20 so a regression fails instead of hanging).
    const wiring: { hub?: (event: SecurityEvent) => void } = {};
    const seen: SecurityEvent[] = [];
    const echoing: Detectors = Object.assign(
      (event: SecurityEvent): void => {
        seen.push(event);
        if (seen.length > 20) return;
        queueMicrotask(() => wiring.hub?.(securityEvent('detect.alert', event.subject, { detector: 'echo' })));
      },
      {
        idle: () => new Promise<void>((resolve) => setImmediate(resolve)),
        stats: () => ({ processed: seen.length, alerts: 0, suppressed: 0, failures: 0, dropped: 0 }),
      },
    );
    const hub = createSecurityEventHub({ log: await openLog(new SqliteAuditStore(path)), sinks: [sink], detectors: echoing });
    wiring.hub = hub;
    hub(numbered(0, 'auth.login.failed', 'a'));
    hub(securityEvent('detect.alert', 'b', { detector: 'external' }));
    hub(numbered(1, 'auth.login.failed', 'c'));
    await hub.close();

    expect(seen.map((event) => [event.type, event.subject])).toEqual([
      ['auth.login.failed', 'a'],
      ['auth.login.failed', 'c'],
    ]);
    const entries = (await logged(path)).map((event) => [event.type, event.subject]);
    expect(entries).toEqual([
      ['auth.login.failed', 'a'],
      ['detect.alert', 'b'],
      ['auth.login.failed', 'c'],
      ['detect.alert', 'a'],
      ['detect.alert', 'c'],
    ]);
    expect(forwarded.map((event) => [event.type, event.subject])).toEqual(entries);
    expect(hub.stats().detectors?.fed).toBe(2);
  });

  it('detectors the hub creates ignore their own alerts too', async () => {
    const hub = createSecurityEventHub({ detectors: { clock: new ManualClock(MONDAY_10), detectors: [bruteForceDetector({ threshold: 2 })] } });
    for (let n = 0; n < 5; n += 1) hub(numbered(n, 'auth.login.failed', 'acct-1'));
    await hub.close();
    expect(hub.stats()).toMatchObject({ received: 5, alerts: 1, detectors: { fed: 5, detectors: { processed: 5, alerts: 1 } } });
  });

  it('attack: an event the log cannot represent (a lone surrogate in a user name) is recorded as lost in its place, not silently skipped', async () => {
    const path = dbPath();
    const errors: SecurityEventHubError[] = [];
    const hub = createSecurityEventHub({ log: await openLog(new SqliteAuditStore(path)), onError: (error) => errors.push(error) });
    hub(numbered(0));
    hub(securityEvent('authz.denied', 'mallory\uD800', { n: 1 }));
    hub(securityEvent('authz.allowed', 'mallory', { n: 2 }));
    await hub.close();
    const entries = await logged(path);
    expect(numbers(entries)).toEqual([0, 'drop', 2]);
    expect(entries[1]?.attributes).toMatchObject({ count: 1, refused: 1, types: 'authz.denied 1' });
    expect(hub.stats()).toMatchObject({ logged: 2, dropped: 1, log: { refused: 1, dropRecords: 1 } });
    expect(errors.map((error) => error.code)).toEqual(['AUDIT_HUB_LOG_REFUSED']);
    expect(errors[0]?.message).not.toContain('mallory');
    expect(await verified(path)).toMatchObject({ ok: true, entries: 3 });
  });

  it('never throws into the caller, and counts what arrives after close()', async () => {
    const hub = createSecurityEventHub({ log: await openLog(new MemoryAuditStore()), onError: () => undefined });
    const call: (event: unknown) => unknown = hub as (event: unknown) => unknown;
    expect(call(null)).toBeUndefined();
    expect(call(numbered(0))).toBeUndefined();
    await hub.close();
    expect(call(numbered(1))).toBeUndefined();
    await hub.close();
    expect(hub.stats()).toMatchObject({ received: 3, logged: 1, log: { state: 'closed', dropped: 1 } });
  });

  it('refuses unsafe configuration', () => {
    expect(() => createSecurityEventHub({ maxPending: 0 })).toThrow(ConfigurationError);
    expect(() => createSecurityEventHub({ maxPending: 1.5 })).toThrow(ConfigurationError);
    expect(() => createSecurityEventHub({ reopenInitialMs: 10, reopenMaxMs: 5 })).toThrow(ConfigurationError);
    expect(() => createSecurityEventHub({ reopen: () => Promise.reject(new Error('no')) })).toThrow(/reopen needs a log/);
  });
});

describe('SIEM sink losses', () => {
  it('records what a dead SIEM sink dropped in the audit log, and never sends the report to the sinks', async () => {
    // A port nobody listens on: the sink can never deliver, its 5-event buffer fills, and the rest are dropped.
    const dead = await listenCollector();
    const port = dead.port;
    await dead.close();
    const store = new SqliteAuditStore(dbPath());
    const log = await openLog(store);
    // The sink is made before the hub it reports to.
    const wiring: { hub?: ReturnType<typeof createSecurityEventHub> } = {};
    const sink = syslogSink({ host: '127.0.0.1', port, bufferSize: 5, retryInitialMs: 10, retryMaxMs: 20, flushTimeoutMs: 50, closeTimeoutMs: 50, events: (report) => wiring.hub?.sinkLoss(report) });
    const hub = createSecurityEventHub({ log, sinks: [sink] });
    wiring.hub = hub;
    for (let i = 0; i < 20; i++) hub(securityEvent('authz.denied', `user${i}`));
    await vi.waitFor(async () => {
      await hub.flush();
      const rows = (await collect(store)).map((row) => parseCanonicalEntry(row.canonical).event);
      const losses = rows.filter((event) => event.type === 'audit.events_dropped' && event.attributes?.sink === 'syslog');
      expect(losses.reduce((sum, event) => sum + Number(event.attributes?.count ?? 0), 0)).toBeGreaterThanOrEqual(15);
    }, { timeout: 5000, interval: 50 });
    // Every original event is in the log, whatever the SIEM lost.
    const logged = (await collect(store)).map((row) => parseCanonicalEntry(row.canonical).event);
    expect(logged.filter((event) => event.type === 'authz.denied')).toHaveLength(20);
    expect(sink.stats().dropped).toBeGreaterThanOrEqual(15);
    // The loss reports went to the log only: the sink saw exactly the 20 events written through the hub.
    expect(hub.stats().sinks[0]?.written).toBe(20);
    await hub.close();
  });
});

async function collect(store: SqliteAuditStore | MemoryAuditStore): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for await (const page of store.pages()) rows.push(...page);
  return rows;
}
