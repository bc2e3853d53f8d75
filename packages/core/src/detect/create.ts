import { systemClock, type Clock } from '../clock.js';
import type { SecurityEvent, SecurityEventSink } from '../events.js';
import { alertEvent, secretValuesOf } from './alert.js';
import { positive, type AlertDraft, type Detector, type DetectorContext } from './detector.js';
import { authzProbingDetector, type AuthzProbingOptions } from './detectors/authz-probing.js';
import { bruteForceDetector, type BruteForceOptions } from './detectors/brute-force.js';
import { credentialStuffingDetector, type CredentialStuffingOptions } from './detectors/credential-stuffing.js';
import { newCountryDetector, newDeviceDetector, type NewCountryOptions, type NewDeviceOptions } from './detectors/new-sign-in.js';
import { offHoursAdminDetector, type OffHoursAdminOptions } from './detectors/off-hours.js';
import { passwordSprayingDetector, type PasswordSprayingOptions } from './detectors/password-spraying.js';
import { refreshReuseDetector, type RefreshReuseOptions } from './detectors/refresh-reuse.js';
import { MemoryFirstSeenStore, MemoryWindowCounter } from './memory-store.js';
import type { FirstSeenStore, WindowCounter } from './store.js';

/** Options of the built-in detectors; `false` turns one off. */
export interface DefaultDetectorsOptions {
  readonly bruteForce?: BruteForceOptions | false;
  readonly credentialStuffing?: CredentialStuffingOptions | false;
  readonly passwordSpraying?: PasswordSprayingOptions | false;
  readonly refreshTokenReuse?: RefreshReuseOptions | false;
  readonly authzProbing?: AuthzProbingOptions | false;
  readonly newDevice?: NewDeviceOptions | false;
  /** The new-country detector runs only with a `locate` port. */
  readonly newCountry?: NewCountryOptions | false;
  readonly offHoursAdmin?: OffHoursAdminOptions | false;
}

/**
 * The built-in detectors with their defaults (see README for the thresholds). Protects against forgetting one: every
 * detector is on unless turned off by name, except new-country, which needs a `locate` port.
 */
export function defaultDetectors(options: DefaultDetectorsOptions = {}): Detector[] {
  const list: Detector[] = [];
  if (options.bruteForce !== false) list.push(bruteForceDetector(options.bruteForce));
  if (options.credentialStuffing !== false) list.push(credentialStuffingDetector(options.credentialStuffing));
  if (options.passwordSpraying !== false) list.push(passwordSprayingDetector(options.passwordSpraying));
  if (options.refreshTokenReuse !== false) list.push(refreshReuseDetector(options.refreshTokenReuse));
  if (options.authzProbing !== false) list.push(authzProbingDetector(options.authzProbing));
  if (options.newDevice !== false) list.push(newDeviceDetector(options.newDevice));
  if (options.newCountry !== undefined && options.newCountry !== false) list.push(newCountryDetector(options.newCountry));
  if (options.offHoursAdmin !== false) list.push(offHoursAdminDetector(options.offHoursAdmin));
  return list;
}

export interface CreateDetectorsOptions extends DefaultDetectorsOptions {
  /** Receives every `detect.alert`. A sink that throws is contained. */
  readonly alerts: SecurityEventSink;
  /** Replaces the built-in set (the per-detector options above are then ignored). */
  readonly detectors?: readonly Detector[];
  /** Default: a {@link MemoryWindowCounter} on `clock`. */
  readonly counter?: WindowCounter;
  /** Default: a {@link MemoryFirstSeenStore}. */
  readonly firstSeen?: FirstSeenStore;
  /** Stamps alerts and drives the default counter's windows. Default the system clock. */
  readonly clock?: Clock;
  /** Told about a detector, store or alert sink that failed; never about the event's content. */
  readonly onError?: (error: unknown, where: string) => void;
  /**
   * Events queued while the store is slow; above it events are dropped and counted. Default 10 000. Windows are
   * measured when an event is inspected, which is its arrival unless the queue is backed up.
   */
  readonly maxPending?: number;
}

export interface DetectorStats {
  readonly processed: number;
  readonly alerts: number;
  /** Alerts withheld because the same (detector, key) already alerted in its window. */
  readonly suppressed: number;
  readonly failures: number;
  readonly dropped: number;
}

/** A {@link SecurityEventSink} that feeds the detectors, with a way to wait for them. */
export interface Detectors extends SecurityEventSink {
  /** Resolves when every event received so far has been inspected and its alerts delivered. */
  idle(): Promise<void>;
  stats(): DetectorStats;
}

/**
 * Feeds every security event to the detectors, one event at a time in arrival order, and forwards their alerts,
 * de-duplicated per (detector, key, window) so one attack raises one alert rather than thousands, and scrubbed of
 * secrets. Protects the caller from the detectors: the returned sink never throws and never waits, a detector that
 * throws or a store that fails does not stop the others, and a backlog is bounded. `detect.alert` events are ignored
 * on input, so wiring the alerts back into the same event bus cannot loop.
 */
export function createDetectors(options: CreateDetectorsOptions): Detectors {
  const clock = options.clock ?? systemClock;
  const context: DetectorContext = {
    clock,
    counter: options.counter ?? new MemoryWindowCounter({ clock }),
    firstSeen: options.firstSeen ?? new MemoryFirstSeenStore(),
  };
  const detectors = options.detectors ?? defaultDetectors(options);
  const maxPending = positive('maxPending', options.maxPending, 10_000);
  let processed = 0;
  let alerts = 0;
  let suppressed = 0;
  let failures = 0;
  let dropped = 0;

  const report = (error: unknown, where: string): void => {
    failures += 1;
    try {
      options.onError?.(error, where);
    } catch {
      // The error reporter is the last resort; its own failure has nowhere to go.
    }
  };

  async function deliver(draft: AlertDraft, secrets: readonly string[]): Promise<void> {
    let fresh = true;
    try {
      fresh = await context.counter.claim(`${draft.detector}|${draft.keyKind}|${draft.key}`, draft.dedupeMs ?? draft.windowMs);
    } catch (error) {
      // Without the store a duplicate alert is better than a missed one.
      report(error, 'counter');
    }
    if (!fresh) {
      suppressed += 1;
      return;
    }
    const alert = alertEvent(draft, clock.now(), secrets);
    alerts += 1;
    try {
      options.alerts(alert);
    } catch (error) {
      report(error, 'alerts');
    }
  }

  async function inspect(event: SecurityEvent): Promise<void> {
    processed += 1;
    let secrets: readonly string[] | undefined;
    for (const detector of detectors) {
      if (!detector.types.includes(event.type)) continue;
      let draft: AlertDraft | undefined;
      try {
        draft = await detector.inspect(event, context);
      } catch (error) {
        report(error, detector.name);
        continue;
      }
      if (draft === undefined) continue;
      secrets ??= secretValuesOf(event);
      await deliver(draft, secrets);
    }
  }

  // One drain loop over an array rather than a promise per event: arrival order is kept, and a flood costs an array
  // slot per queued event, bounded by maxPending.
  let queue: SecurityEvent[] = [];
  let head = 0;
  let draining: Promise<void> | undefined;

  async function drain(): Promise<void> {
    try {
      while (head < queue.length) {
        const event = queue[head];
        head += 1;
        // Under a steady stream the loop may never end: drop the inspected front so the array stays bounded too.
        if (head >= 1024 && head * 2 >= queue.length) {
          queue = queue.slice(head);
          head = 0;
        }
        if (event === undefined) continue;
        try {
          await inspect(event);
        } catch (error) {
          report(error, 'detect');
        }
      }
    } finally {
      queue = [];
      head = 0;
      draining = undefined;
    }
  }

  const sink = (event: SecurityEvent): void => {
    if (event.type === 'detect.alert') return;
    if (queue.length - head >= maxPending) {
      dropped += 1;
      return;
    }
    queue.push(event);
    // Started on a later turn of the event loop, never in the caller's stack: detector work does not delay the producer
    // nor the I/O already waiting, and a detector or alert sink that emits an event while being called cannot start a
    // second, nested drain.
    draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain);
  };

  return Object.assign(sink, {
    idle: async (): Promise<void> => {
      // Events may arrive while waiting; a new drain starts only after the last one ended.
      while (draining !== undefined) await draining;
    },
    stats: (): DetectorStats => ({ processed, alerts, suppressed, failures, dropped }),
  });
}
