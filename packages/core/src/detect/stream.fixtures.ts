import { ManualClock } from '../clock.js';
import type { SecurityEvent, SecurityEventType } from '../events.js';
import { createDetectors, type CreateDetectorsOptions, type Detectors } from './create.js';

/** Monday 5 January 2026, 10:00 UTC: inside the default working hours. */
export const MONDAY_10 = Date.UTC(2026, 0, 5, 10);

export type Attributes = Readonly<Record<string, string | number | boolean>>;

export interface Harness {
  readonly clock: ManualClock;
  readonly alerts: SecurityEvent[];
  readonly detectors: Detectors;
  /** Moves the clock by `stepMs`, sends one event stamped with the new time and waits until it is inspected. */
  emit(type: SecurityEventType, subject: string | undefined, attributes?: Attributes, stepMs?: number): Promise<void>;
  /** The alerts' attributes, in order. */
  raised(): Attributes[];
}

/** A detector pipeline on a manual clock that records its alerts. */
export function harness(options: Partial<CreateDetectorsOptions> = {}, start = MONDAY_10): Harness {
  const clock = new ManualClock(start);
  const alerts: SecurityEvent[] = [];
  const detectors = createDetectors({ clock, alerts: (alert) => alerts.push(alert), ...options });
  return {
    clock,
    alerts,
    detectors,
    async emit(type, subject, attributes, stepMs = 1000) {
      clock.advance(stepMs);
      detectors({
        type,
        at: new Date(clock.now()),
        ...(subject === undefined ? {} : { subject }),
        ...(attributes === undefined ? {} : { attributes }),
      });
      await detectors.idle();
    },
    raised: () => alerts.map((alert) => alert.attributes ?? {}),
  };
}

/** ISO time of `start` plus `ms`. */
export const iso = (ms: number, start = MONDAY_10): string => new Date(start + ms).toISOString();
