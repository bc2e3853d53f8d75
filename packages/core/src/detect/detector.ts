import type { Clock } from '../clock.js';
import { ConfigurationError } from '../errors.js';
import type { SecurityEvent, SecurityEventType } from '../events.js';
import type { Awaitable, FirstSeenStore, WindowCounter } from './store.js';

/** What an alert's key names: an OAuth `grant` is a family of tokens too; a `client` is an OAuth client id. */
export type AlertKeyKind = 'account' | 'source' | 'principal' | 'family' | 'grant' | 'client';

export type AlertSeverity = 'low' | 'medium' | 'high';

/** Attribute values an alert may carry: identifiers, counts and times, never secrets. */
export type AlertDetails = Readonly<Record<string, string | number | boolean>>;

/** What a detector reports; `createDetectors` de-duplicates it, turns it into a `detect.alert` event and scrubs it. */
export interface AlertDraft {
  /** The detector's name, e.g. `brute_force`. */
  readonly detector: string;
  /** The account, source address, principal or token family the alert is about. */
  readonly key: string;
  readonly keyKind: AlertKeyKind;
  readonly severity: AlertSeverity;
  /** The count that crossed the threshold (attempts, accounts, denials…). */
  readonly count: number;
  readonly threshold: number;
  readonly windowMs: number;
  /** First and last time (epoch ms) of the evidence inside the window. */
  readonly first: number;
  readonly last: number;
  /** One alert per (detector, key) for this long. Default `windowMs`. */
  readonly dedupeMs?: number;
  /** The account the alert is about, when there is one. */
  readonly subject?: string;
  readonly details?: AlertDetails;
}

/** The shared state a detector may use. */
export interface DetectorContext {
  readonly counter: WindowCounter;
  readonly firstSeen: FirstSeenStore;
  readonly clock: Clock;
}

/**
 * One anomaly detector: reads the events of its `types` and says when they add up to an attack. It may throw;
 * `createDetectors` isolates it from the other detectors and from the caller.
 */
export interface Detector {
  readonly name: string;
  readonly types: readonly SecurityEventType[];
  inspect(event: SecurityEvent, context: DetectorContext): Awaitable<AlertDraft | undefined>;
}

/** Longest attribute value a detector reads; longer values are ignored rather than stored or repeated in an alert. */
export const MAX_ATTRIBUTE_LENGTH = 256;

/**
 * A non-empty string attribute of bounded length, or `undefined`. Protects the stores from oversized keys: a value
 * longer than {@link MAX_ATTRIBUTE_LENGTH} is ignored, never truncated into a collision.
 */
export function stringAttribute(event: SecurityEvent, name: string): string | undefined {
  const value = event.attributes?.[name];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length === 0 || trimmed.length > MAX_ATTRIBUTE_LENGTH ? undefined : trimmed;
}

/** The event's subject when it is usable as a key (non-empty, bounded, for the same reason as attributes). */
export function subjectOf(event: SecurityEvent): string | undefined {
  const subject = event.subject;
  return subject === undefined || subject.length === 0 || subject.length > MAX_ATTRIBUTE_LENGTH ? undefined : subject;
}

/**
 * Validates a threshold or duration option: a positive finite number (an integer where `integer`). Protects against a
 * zero, negative or NaN threshold silently turning a detector off or into an alert on every event.
 */
export function positive(name: string, value: number | undefined, fallback: number, integer = true): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result <= 0 || (integer && !Number.isSafeInteger(result))) {
    throw new ConfigurationError(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return result;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
