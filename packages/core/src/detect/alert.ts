import type { SecurityEvent } from '../events.js';
import { isSecretKey } from '../safe/log/secret-keys.js';
import { REDACTED, redactText } from '../safe/log/secret-shapes.js';
import type { AlertDraft } from './detector.js';

/** Secret values shorter than this are not searched for: they would match counts and dates, not leak anything. */
const MIN_SECRET_LENGTH = 4;

/** The values an event carries under secret-looking names (`password`, `refreshToken`, …), which no alert may repeat. */
export function secretValuesOf(event: SecurityEvent): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(event.attributes ?? {})) {
    if (typeof value === 'boolean' || !isSecretKey(name)) continue;
    const text = String(value);
    if (text.length >= MIN_SECRET_LENGTH) values.push(text);
  }
  return values;
}

/**
 * Scrubs a text for an alert: a value containing one of the event's secret values is replaced whole, and secrets
 * recognisable by shape (JWTs, API keys, bearer tokens…) are redacted. Protects against an alert carrying a password
 * or token into logs and tickets, even where a producer misplaced it under an innocent attribute.
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  if (secrets.some((secret) => text.includes(secret))) return REDACTED;
  return redactText(text);
}

/** Builds the `detect.alert` event of a draft, scrubbed against the triggering event's secret values. */
export function alertEvent(draft: AlertDraft, at: number, secrets: readonly string[]): SecurityEvent {
  const attributes: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(draft.details ?? {})) {
    // The fixed fields below win over a detail of the same name: a detector cannot relabel an alert.
    attributes[name] = typeof value === 'string' ? scrubText(value, secrets) : value;
  }
  Object.assign(attributes, {
    detector: draft.detector,
    key: scrubText(draft.key, secrets),
    keyKind: draft.keyKind,
    severity: draft.severity,
    count: draft.count,
    threshold: draft.threshold,
    windowSeconds: Math.round(draft.windowMs / 1000),
    firstAt: new Date(draft.first).toISOString(),
    lastAt: new Date(draft.last).toISOString(),
  });
  return {
    type: 'detect.alert',
    at: new Date(at),
    ...(draft.subject === undefined ? {} : { subject: scrubText(draft.subject, secrets) }),
    attributes,
  };
}
