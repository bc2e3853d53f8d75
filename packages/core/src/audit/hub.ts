import { systemClock, type Clock } from '../clock.js';
import { createDetectors, type CreateDetectorsOptions, type Detectors, type DetectorStats } from '../detect/create.js';
import { ConfigurationError, RampartError } from '../errors.js';
import type { SecurityEvent, SecurityEventSink } from '../events.js';
import { eventToJson } from './canonical.js';
import type { AuditLog } from './log.js';
import { backoffMs } from './sinks/queue.js';
import type { AuditSink, SinkReport, SinkStats } from './sinks/sink.js';

/** Why the hub told `onError`. Stable, part of the public API. */
export type SecurityEventHubErrorCode =
  /** The log refused writes (its store failed a commit): what was in flight is lost, later events wait for `reopen`. */
  | 'AUDIT_HUB_LOG_FAILED'
  /** `reopen` failed; the hub tries again after a back-off. */
  | 'AUDIT_HUB_LOG_REOPEN_FAILED'
  /** Events the log cannot represent (a lone surrogate, a non-finite number): each is recorded as lost in its place. */
  | 'AUDIT_HUB_LOG_REFUSED'
  /** Closing the log failed (its final checkpoint or the store's close). */
  | 'AUDIT_HUB_LOG_CLOSE_FAILED'
  /** A sink threw from `write()` (or `close()`). */
  | 'AUDIT_HUB_SINK_FAILED'
  /** The detectors threw, or a detector, its store or the alert path failed inside them. */
  | 'AUDIT_HUB_DETECTORS_FAILED';

/**
 * What `onError` receives. It names the consumer and what kind of error it was, never the error's message: a sink or
 * detector may quote the event it failed on, and events hold account names and addresses. Coalesced: one report per
 * consumer and burst, `count` saying how many failures it stands for.
 */
export class SecurityEventHubError extends RampartError<SecurityEventHubErrorCode> {
  /** `log`, `sink <index> (<name>)` or `detectors (<where>)`. */
  readonly consumer: string;
  readonly count: number;

  constructor(code: SecurityEventHubErrorCode, consumer: string, count: number, kinds: string) {
    super(code, `audit hub: ${consumer}: ${count} failure${count === 1 ? '' : 's'}${kinds === '' ? '' : ` (${kinds})`}`);
    this.consumer = consumer;
    this.count = count;
  }
}

/** Options of the detectors the hub creates; alerts and errors go through the hub. */
export type HubDetectorsOptions = Omit<CreateDetectorsOptions, 'alerts' | 'onError'>;

/** Options for {@link createSecurityEventHub}. */
export interface SecurityEventHubOptions {
  /** The tamper-evident log every event is appended to. The hub owns it from now on and closes it in `close()`. */
  readonly log?: AuditLog;
  /**
   * Opens the log again after its store failed (an `AuditLog` refuses every append after a failed commit until
   * reopened), e.g. `() => AuditLog.open({ store: new SqliteAuditStore(path), signer })`. Retried with back-off. Without
   * it, a failed log stays failed and later events are counted as `failed`.
   */
  readonly reopen?: () => Promise<AuditLog>;
  /** SIEM sinks; every event is written to each. The hub closes them in `close()`. */
  readonly sinks?: readonly AuditSink[];
  /** Detectors fed with every event but alerts: an instance, or options to create them with alerts wired back in. */
  readonly detectors?: Detectors | HubDetectorsOptions;
  /** Told when a consumer fails, without event contents. Default: a process warning. Must not throw (contained if it does). */
  readonly onError?: (error: SecurityEventHubError) => void;
  /**
   * Most events waiting for the log (queued in the hub or handed to the log and not yet committed). Above it events
   * are dropped and counted until the backlog has halved; then one `audit.events_dropped` entry records them in their
   * place. Default 10 000.
   */
  readonly maxPending?: number;
  /** First delay before `reopen`; doubles per failed attempt, with jitter. Default 1 000 ms. */
  readonly reopenInitialMs?: number;
  /** Ceiling of that delay. Default 60 000 ms. */
  readonly reopenMaxMs?: number;
  /** Stamps drop records (and is the detectors' default clock). Default the system clock. */
  readonly clock?: Clock;
}

/** The log's side of {@link SecurityEventHubStats}. */
export interface HubLogStats {
  /** `failed` from a failed commit until `reopen` succeeds (for good without `reopen`). */
  readonly state: 'open' | 'failed' | 'closed';
  /** Events queued in the hub or handed to the log and not yet committed. */
  readonly pending: number;
  /** Events committed (drop records not included). */
  readonly logged: number;
  /** `audit.events_dropped` entries committed. */
  readonly dropRecords: number;
  /** Events not taken because the backlog was full, or because the hub was closed. */
  readonly dropped: number;
  /** Events the log cannot represent. */
  readonly refused: number;
  /** Events lost to a failed commit, or given up at `close()` or without `reopen` while the log was down. */
  readonly failed: number;
  /** Failed commits plus failed reopen attempts. */
  readonly failures: number;
  readonly reopened: number;
}

/** One sink's side of {@link SecurityEventHubStats}. */
export interface HubSinkStats {
  readonly name: string;
  /** Events handed to `write()` without it throwing. */
  readonly written: number;
  /** Times `write()` threw. */
  readonly failures: number;
  /** The sink's own counters (sent, dropped, failed, buffered); undefined if `stats()` threw. */
  readonly sink: SinkStats | undefined;
}

/** The detectors' side of {@link SecurityEventHubStats}. */
export interface HubDetectorStats {
  /** Events handed to the detectors. */
  readonly fed: number;
  /** Times the detectors threw, plus failures they reported (for detectors the hub created). */
  readonly failures: number;
  readonly detectors: DetectorStats | undefined;
}

/** Counters of a hub since it was created. */
export interface SecurityEventHubStats {
  /** Events given to the hub by callers (including after close). */
  readonly received: number;
  /** `detect.alert` events raised by the detectors the hub created. */
  readonly alerts: number;
  /** Events committed to the log. */
  readonly logged: number;
  /** Events that did not reach the log: dropped, refused, failed (see `log`), or received after close. */
  readonly dropped: number;
  /** Consumer failures of every kind. */
  readonly failures: number;
  readonly log: HubLogStats | undefined;
  readonly sinks: readonly HubSinkStats[];
  readonly detectors: HubDetectorStats | undefined;
}

/** A {@link SecurityEventSink} that fans every event out to the log, the SIEM sinks and the detectors. */
export interface SecurityEventHub extends SecurityEventSink {
  /**
   * Resolves once every event received so far is committed to the log (or counted as lost and, where the log works,
   * recorded), written to the sinks' queues and inspected by the detectors, with their alerts in turn committed.
   * Waits while the log is down and `reopen` is trying.
   */
  flush(): Promise<void>;
  /** The same as {@link flush}. */
  idle(): Promise<void>;
  /**
   * Pass as a sink's `events` option (`syslogSink({ …, events: (r) => hub.sinkLoss(r) })`): what a SIEM sink dropped or
   * failed to deliver is recorded in the audit log as `audit.events_dropped` (`sink`, `cause`, `count`, `total`), so a
   * flood that blinds the SIEM still leaves a trace in the trail.
   */
  sinkLoss(report: SinkReport): void;
  /** Refuses further events (counted), flushes, then closes the log (signing a final checkpoint) and the sinks. */
  close(): Promise<void>;
  stats(): SecurityEventHubStats;
}

const DEFAULT_MAX_PENDING = 10_000;
const MAX_TIMER_MS = 2_147_483_647;
/** Distinct event types a drop record lists by name; the rest are summed as `other`. */
const MAX_LISTED_TYPES = 16;
const EVENT_TYPE = /^[a-z][a-z0-9_]{0,31}(?:\.[a-z0-9_]{1,32}){0,4}$/;

function whole(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`audit hub: ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/**
 * Names an error by its class and code along the cause chain (`AuditError AUDIT_FAILED <- SqliteError SQLITE_FULL`),
 * never by its message, which may quote the event.
 */
function errorKinds(error: unknown): string {
  const kinds: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    if (typeof current !== 'object') {
      kinds.push(typeof current);
      break;
    }
    const { name, code } = current as { name?: unknown; code?: unknown };
    const parts = [typeof name === 'string' && /^[A-Z][A-Za-z0-9]{0,63}$/.test(name) ? name : 'object'];
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code)) parts.push(code);
    kinds.push(parts.join(' '));
    current = (current as { cause?: unknown }).cause;
  }
  return kinds.join(' <- ');
}

/** Coalesces failure reports per (code, consumer) and delivers them off the caller's stack, one batch per burst. */
class Reporter {
  readonly #onError: (error: SecurityEventHubError) => void;
  readonly #pending = new Map<string, { code: SecurityEventHubErrorCode; consumer: string; count: number; kinds: string }>();
  #scheduled: Promise<void> | undefined;

  constructor(onError: (error: SecurityEventHubError) => void) {
    this.#onError = onError;
  }

  report(code: SecurityEventHubErrorCode, consumer: string, error: unknown): void {
    const key = `${code}\u0000${consumer}`;
    const entry = this.#pending.get(key);
    if (entry !== undefined) entry.count += 1;
    else this.#pending.set(key, { code, consumer, count: 1, kinds: errorKinds(error) });
    // A macrotask, not a microtask: an onError that feeds the hub an event which fails again becomes a slow loop,
    // never one that starves the event loop.
    this.#scheduled ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.#scheduled = undefined;
        const batch = [...this.#pending.values()];
        this.#pending.clear();
        for (const { code: c, consumer: who, count, kinds } of batch) {
          try {
            this.#onError(new SecurityEventHubError(c, who, count, kinds));
          } catch {
            // The error channel is the last resort; its own failure has nowhere to go.
          }
        }
        resolve();
      });
    });
  }

  async idle(): Promise<void> {
    while (this.#scheduled !== undefined) await this.#scheduled;
  }
}

/**
 * Lost events awaiting their record: counted by cause and type. Sits in the log queue where the events went missing,
 * so the `audit.events_dropped` entry it becomes stands exactly in the gap.
 */
class LossTally {
  dropped = 0;
  refused = 0;
  failed = 0;
  /** Queue positions this record accounts for, so flush() knows when they are settled. */
  weight = 0;
  #firstAt = Number.POSITIVE_INFINITY;
  #lastAt = Number.NEGATIVE_INFINITY;
  readonly #types = new Map<string, number>();

  add(cause: 'dropped' | 'refused' | 'failed', type: unknown, at: number): void {
    this[cause] += 1;
    this.#note(typeof type === 'string' && EVENT_TYPE.test(type) ? type : 'other', 1);
    this.#firstAt = Math.min(this.#firstAt, at);
    this.#lastAt = Math.max(this.#lastAt, at);
  }

  /** Adds `other`'s counts to this tally. */
  absorb(other: LossTally): void {
    this.dropped += other.dropped;
    this.refused += other.refused;
    this.failed += other.failed;
    this.weight += other.weight;
    for (const [type, count] of other.#types) this.#note(type, count);
    this.#firstAt = Math.min(this.#firstAt, other.#firstAt);
    this.#lastAt = Math.max(this.#lastAt, other.#lastAt);
  }

  #note(type: string, count: number): void {
    const known = this.#types.has(type) || this.#types.size < MAX_LISTED_TYPES;
    const key = known ? type : 'other';
    this.#types.set(key, (this.#types.get(key) ?? 0) + count);
  }

  toEvent(now: number): SecurityEvent {
    const count = this.dropped + this.refused + this.failed;
    const listed = [...this.#types].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
    const attributes: Record<string, string | number> = {
      count,
      dropped: this.dropped,
      refused: this.refused,
      failed: this.failed,
      // "type count" pairs: no ':' or '=', so the log's name=value redaction cannot mistake `token.refresh.…` for a
      // secret name and blank the list.
      types: listed.map(([type, n]) => `${type} ${n}`).join(', '),
    };
    if (Number.isFinite(this.#firstAt)) {
      attributes.firstAt = new Date(this.#firstAt).toISOString();
      attributes.lastAt = new Date(this.#lastAt).toISOString();
    }
    return { type: 'audit.events_dropped', at: new Date(now), attributes };
  }
}

type Entry = SecurityEvent | LossTally;

const warn = (error: SecurityEventHubError): void => {
  process.emitWarning(error.message, 'RampartAuditWarning');
};

const isDetectors = (value: Detectors | HubDetectorsOptions): value is Detectors => typeof value === 'function';

/**
 * One sink for every control: appends each event to the tamper-evident log, writes it to every SIEM sink and feeds it
 * to the detectors, whose alerts come back in as events (logged and forwarded, never fed to the detectors again).
 *
 * Protects the request path (calling the hub is synchronous, O(1) per consumer, never throws and never waits for the
 * log); against silent loss (a flood or a slow or failed store fills a bounded backlog, after which events are dropped,
 * counted by cause and type, and recorded as an `audit.events_dropped` entry in their place in the log once it takes
 * writes again, so an attacker cannot flood the log to hide an action without the log saying so); against one broken
 * consumer disabling the others (each is isolated, failures are counted and reported without event contents); and
 * against feedback loops (alerts never reach the detectors). Events reach the log in the order the hub received them.
 */
export function createSecurityEventHub(options: SecurityEventHubOptions = {}): SecurityEventHub {
  const maxPending = whole('maxPending', options.maxPending, DEFAULT_MAX_PENDING, 1, 10_000_000);
  const resumeAt = Math.floor(maxPending / 2);
  const reopenInitialMs = whole('reopenInitialMs', options.reopenInitialMs, 1_000, 1, MAX_TIMER_MS);
  const reopenMaxMs = whole('reopenMaxMs', options.reopenMaxMs, Math.max(60_000, reopenInitialMs), reopenInitialMs, MAX_TIMER_MS);
  const reopen = options.reopen;
  if (reopen !== undefined && options.log === undefined) throw new ConfigurationError('audit hub: reopen needs a log');
  const clock = options.clock ?? systemClock;
  const reporter = new Reporter(options.onError ?? warn);
  const sinks = [...(options.sinks ?? [])];
  const sinkCounts = sinks.map((sink, i) => ({ consumer: `sink ${i} (${typeof sink.name === 'string' ? sink.name : '?'})`, written: 0, failures: 0 }));

  let received = 0;
  let alerts = 0;
  /** `detect.alert` events seen on any path: flush() repeats while alerts are still arriving. */
  let alertsSeen = 0;
  let afterClose = 0;
  let fed = 0;
  let detectorFailures = 0;

  const detectorOption = options.detectors;
  const detectors: Detectors | undefined =
    detectorOption === undefined
      ? undefined
      : isDetectors(detectorOption)
        ? detectorOption
        : createDetectors({
            clock,
            ...detectorOption,
            alerts: (alert) => {
              alerts += 1;
              accept(alert);
            },
            onError: (error, where) => {
              detectorFailures += 1;
              reporter.report('AUDIT_HUB_DETECTORS_FAILED', `detectors (${where})`, error);
            },
          });

  // --- the log path -------------------------------------------------------------------------------------------
  const hasLog = options.log !== undefined;
  let log: AuditLog | undefined = options.log;
  let state: 'open' | 'failed' | 'closed' = 'open';
  let queue: Entry[] = [];
  let head = 0;
  let queuedEvents = 0;
  let inFlight = 0;
  /** The tally taking drops while the backlog is full; the pump stops at it until the backlog has halved. */
  let open: LossTally | undefined;
  /** The tally at the queue's head taking what a failed commit lost, until the pump hands it to the reopened log. */
  let failure: LossTally | undefined;
  let pumpScheduled = false;
  let closing = false;
  let reopenTimer: NodeJS.Timeout | undefined;
  let reopening: Promise<void> | undefined;
  let reopenAttempt = 0;
  const counts = { logged: 0, dropRecords: 0, dropped: 0, refused: 0, failed: 0, failures: 0, reopened: 0 };
  // flush(): every queue position taken (an event or a drop tally) is settled once committed or given up.
  let admitted = 0;
  let settled = 0;
  let waiters: { target: number; resolve: () => void }[] = [];

  const backlog = (): number => queuedEvents + inFlight;

  function settle(weight: number): void {
    settled += weight;
    if (waiters.length === 0) return;
    const ready = waiters.filter((waiter) => waiter.target <= settled);
    waiters = waiters.filter((waiter) => waiter.target > settled);
    for (const waiter of ready) waiter.resolve();
  }

  function logSettled(target: number): Promise<void> {
    if (settled >= target) return Promise.resolve();
    return new Promise((resolve) => waiters.push({ target, resolve }));
  }

  function schedulePump(): void {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // Never in the caller's stack, and not in the caller's turn of the event loop either: redaction, canonical JSON and
    // hashing run after the I/O that is already waiting (a health probe, another request's next step), so a burst of
    // events does not add its work to the request that raised them and stretch the loop's longest turn.
    setImmediate(pump);
  }

  function toLog(event: SecurityEvent): void {
    if (state === 'closed') {
      counts.dropped += 1;
      return;
    }
    if (state === 'failed' && (reopen === undefined || closing)) {
      counts.failed += 1;
      return;
    }
    // Hysteresis: once full, drop until the backlog has halved, so a sustained flood yields one record per episode.
    if (open !== undefined || backlog() >= maxPending) {
      if (open === undefined) {
        open = new LossTally();
        open.weight = 1;
        queue.push(open);
        admitted += 1;
      }
      open.add('dropped', event.type, clock.now());
      counts.dropped += 1;
      return;
    }
    queue.push(event);
    queuedEvents += 1;
    admitted += 1;
    schedulePump();
  }

  function maybeResume(): void {
    if (open === undefined || backlog() > resumeAt) return;
    open = undefined;
    schedulePump();
  }

  function representable(event: SecurityEvent): unknown {
    try {
      eventToJson(event);
      return undefined;
    } catch (error) {
      return error ?? new Error('unrepresentable');
    }
  }

  /** Hands queued entries to the log in order; consecutive tallies and refused events become one drop record. */
  function pump(): void {
    pumpScheduled = false;
    if (state !== 'open' || log === undefined) return;
    let lost: LossTally | undefined;
    while (head < queue.length) {
      const entry = queue[head] as Entry;
      if (entry instanceof LossTally) {
        if (entry === open) break;
        if (entry === failure) failure = undefined;
        head += 1;
        if (lost === undefined) lost = entry;
        else lost.absorb(entry);
        continue;
      }
      head += 1;
      queuedEvents -= 1;
      const refusal = representable(entry);
      if (refusal !== undefined) {
        // Appending it would reject; recording its loss in its place keeps a crafted value from erasing an action.
        lost ??= new LossTally();
        lost.add('refused', entry.type, clock.now());
        lost.weight += 1;
        counts.refused += 1;
        reporter.report('AUDIT_HUB_LOG_REFUSED', 'log', refusal);
        continue;
      }
      if (lost !== undefined) {
        appendRecord(log, lost);
        lost = undefined;
      }
      appendEvent(log, entry);
    }
    if (lost !== undefined) appendRecord(log, lost);
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  function appendEvent(target: AuditLog, event: SecurityEvent): void {
    inFlight += 1;
    target.append(event).then(
      () => {
        inFlight -= 1;
        counts.logged += 1;
        settle(1);
        maybeResume();
      },
      (error: unknown) => {
        inFlight -= 1;
        appendFailed(target, error, event);
      },
    );
  }

  function appendRecord(target: AuditLog, tally: LossTally): void {
    const record = tally.toEvent(clock.now());
    toSinks(record);
    inFlight += 1;
    target.append(record).then(
      () => {
        inFlight -= 1;
        counts.dropRecords += 1;
        settle(tally.weight);
        maybeResume();
      },
      (error: unknown) => {
        inFlight -= 1;
        // The record itself is lost: what it counted goes into the next one (its events were counted already).
        appendFailed(target, error, tally);
      },
    );
  }

  /**
   * A rejected append of `lost` (an event, or a drop record's tally): the log failed, and refuses everything from now
   * on, or (not expected after the pump's check) it refused this one entry.
   */
  function appendFailed(target: AuditLog, error: unknown, lost: Entry): void {
    const refusedOne = error instanceof RampartError && error.code === 'AUDIT_UNREPRESENTABLE';
    if (!refusedOne && state === 'open' && target === log) {
      state = 'failed';
      counts.failures += 1;
      reporter.report('AUDIT_HUB_LOG_FAILED', 'log', error);
      recover();
    }
    // Where the loss gets recorded; undefined when no log will take it (counted only).
    let tally: LossTally | undefined;
    if (state === 'closed' || (!refusedOne && (reopen === undefined || closing))) {
      tally = undefined;
    } else if (refusedOne) {
      // The log stays usable: record the loss behind what is queued (the pump merges adjacent tallies).
      tally = new LossTally();
      queue.push(tally);
      schedulePump();
    } else {
      // Everything in flight precedes everything queued, so the failure tally goes to the head.
      if (failure === undefined) {
        failure = new LossTally();
        queue.splice(head, 0, failure);
      }
      tally = failure;
    }
    if (lost instanceof LossTally) {
      // A drop record: its events were counted when they were lost; the next record restates them.
      if (tally === undefined) settle(lost.weight);
      else tally.absorb(lost);
      maybeResume();
      return;
    }
    const cause = refusedOne ? 'refused' : 'failed';
    counts[cause] += 1;
    if (tally === undefined) {
      settle(1);
    } else {
      tally.add(cause, lost.type, clock.now());
      tally.weight += 1;
    }
    // The backlog shrank without an acknowledgement: the drop tally must not wait for one that never comes.
    maybeResume();
  }

  /** Gives up what waits for a log that will not come back: counted as failed, settled for flush(). */
  function abandon(): void {
    for (let i = head; i < queue.length; i += 1) {
      const entry = queue[i] as Entry;
      if (entry instanceof LossTally) {
        settle(entry.weight);
      } else {
        counts.failed += 1;
        settle(1);
      }
    }
    queue = [];
    head = 0;
    queuedEvents = 0;
    open = undefined;
    failure = undefined;
  }

  function recover(): void {
    if (reopen === undefined || closing) {
      abandon();
      return;
    }
    reopenAttempt += 1;
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      reopening = reopenNow(true).finally(() => {
        reopening = undefined;
      });
    }, backoffMs(reopenAttempt, reopenInitialMs, reopenMaxMs));
    // Recovery must not keep a process alive that has nothing else to do.
    reopenTimer.unref();
  }

  async function reopenNow(retry: boolean): Promise<void> {
    if (reopen === undefined) return;
    const failed = log;
    log = undefined;
    if (failed !== undefined) {
      try {
        // A failed log signs nothing on close; this releases its store (and a PostgreSQL writer lock).
        await failed.close();
      } catch (error) {
        reporter.report('AUDIT_HUB_LOG_CLOSE_FAILED', 'log', error);
      }
    }
    try {
      log = await reopen();
    } catch (error) {
      counts.failures += 1;
      reporter.report('AUDIT_HUB_LOG_REOPEN_FAILED', 'log', error);
      if (retry && !closing) recover();
      return;
    }
    state = 'open';
    reopenAttempt = 0;
    counts.reopened += 1;
    schedulePump();
  }

  // --- fan-out ------------------------------------------------------------------------------------------------
  function toSinks(event: SecurityEvent): void {
    for (let i = 0; i < sinks.length; i += 1) {
      const counters = sinkCounts[i] as (typeof sinkCounts)[number];
      try {
        (sinks[i] as AuditSink).write(event);
        counters.written += 1;
      } catch (error) {
        counters.failures += 1;
        reporter.report('AUDIT_HUB_SINK_FAILED', counters.consumer, error);
      }
    }
  }

  function accept(event: SecurityEvent): void {
    const type: unknown = event.type;
    if (type === 'detect.alert') alertsSeen += 1;
    if (hasLog) toLog(event);
    toSinks(event);
    // Alerts never go back to the detectors: an alert about an alert would feed itself.
    if (detectors !== undefined && type !== 'detect.alert') {
      try {
        detectors(event);
        fed += 1;
      } catch (error) {
        detectorFailures += 1;
        reporter.report('AUDIT_HUB_DETECTORS_FAILED', 'detectors', error);
      }
    }
  }

  let closed = false;
  let closingDone: Promise<void> | undefined;

  const hub = (event: SecurityEvent): void => {
    try {
      received += 1;
      if (closed) {
        afterClose += 1;
        if (hasLog) counts.dropped += 1;
        return;
      }
      accept(event);
    } catch {
      // Nothing the hub does may fail the request that produced the event (events.ts contract).
    }
  };

  async function flush(): Promise<void> {
    for (;;) {
      const seen = alertsSeen;
      if (detectors !== undefined) await detectors.idle();
      await logSettled(admitted);
      await reporter.idle();
      // Alerts raised meanwhile were admitted after the snapshot: go round once more for them.
      if (alertsSeen === seen) return;
    }
  }

  async function closeNow(): Promise<void> {
    // Alerts about events received so far may come back through the public entry (detectors wired by the caller):
    // let the detectors finish before the door shuts.
    if (detectors !== undefined) await detectors.idle();
    closed = true;
    // From here on a failure gives up instead of scheduling another reopen, so close() cannot wait forever.
    closing = true;
    if (reopenTimer !== undefined) {
      clearTimeout(reopenTimer);
      reopenTimer = undefined;
      // One last attempt, so a store that came back still gets what is queued.
      reopening ??= reopenNow(false);
    }
    if (reopening !== undefined) await reopening;
    if (state === 'failed') abandon();
    await flush();
    state = 'closed';
    const closings: Promise<void>[] = [];
    if (log !== undefined) {
      closings.push(
        log.close().then(
          () => undefined,
          (error: unknown) => {
            reporter.report('AUDIT_HUB_LOG_CLOSE_FAILED', 'log', error);
          },
        ),
      );
    }
    sinks.forEach((sink, i) => {
      closings.push(
        (async () => {
          try {
            await sink.close();
          } catch (error) {
            const counters = sinkCounts[i] as (typeof sinkCounts)[number];
            counters.failures += 1;
            reporter.report('AUDIT_HUB_SINK_FAILED', counters.consumer, error);
          }
        })(),
      );
    });
    await Promise.all(closings);
    await reporter.idle();
  }

  function stats(): SecurityEventHubStats {
    const sinkStats = sinks.map((sink, i): HubSinkStats => {
      const counters = sinkCounts[i] as (typeof sinkCounts)[number];
      let own: SinkStats | undefined;
      try {
        own = sink.stats();
      } catch {
        own = undefined;
      }
      return { name: typeof sink.name === 'string' ? sink.name : '?', written: counters.written, failures: counters.failures, sink: own };
    });
    let detectorStats: DetectorStats | undefined;
    try {
      detectorStats = detectors?.stats();
    } catch {
      detectorStats = undefined;
    }
    const logStats: HubLogStats | undefined = hasLog ? { state, pending: backlog(), ...counts } : undefined;
    return {
      received,
      alerts,
      logged: counts.logged,
      dropped: counts.dropped + counts.refused + counts.failed + (hasLog ? 0 : afterClose),
      failures: counts.failures + sinkStats.reduce((sum, sink) => sum + sink.failures, 0) + detectorFailures,
      log: logStats,
      sinks: sinkStats,
      detectors: detectors === undefined ? undefined : { fed, failures: detectorFailures, detectors: detectorStats },
    };
  }

  /** A sink's loss report, recorded in the log only: sending it to the sinks could feed a dead sink its own reports. */
  const sinkLoss = (report: SinkReport): void => {
    if (!hasLog) return;
    const cause = report.type === 'audit.sink.dropped' ? 'sink_dropped' : 'sink_failed';
    toLog({ type: 'audit.events_dropped', at: new Date(clock.now()), attributes: { count: report.count, total: report.total, sink: report.sink, cause } });
  };

  return Object.assign(hub, {
    sinkLoss,
    flush,
    idle: flush,
    close: (): Promise<void> => (closingDone ??= closeNow()),
    stats,
  });
}
