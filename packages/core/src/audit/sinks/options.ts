import { ConfigurationError } from '../../errors.js';

const MAX_TIMER_MS = 2_147_483_647; // setTimeout's ceiling

/** Validates a whole-number option at construction, so a bad value is a `ConfigurationError` now, not a silent loss later. */
export function whole(sink: string, name: string, value: unknown, fallback: number, min: number, max = MAX_TIMER_MS): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`audit sink ${sink}: ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}
