import { SessionError } from './errors.js';
import type { JsonValue, SessionData } from './types.js';

function deepFreeze(value: JsonValue): void {
  if (typeof value !== 'object' || value === null) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

/**
 * Turns caller data into what a session stores: a frozen JSON round trip of a plain object, at most `maxBytes` of
 * UTF-8 JSON.
 *
 * Protects against session data that a real store cannot persist faithfully (functions, `BigInt`, cycles, class
 * instances), against sessions used as unbounded storage, and against later mutation of the caller's object changing
 * what the store holds.
 */
export function normalizeSessionData(data: unknown, maxBytes: number): SessionData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SessionError('SESSION_DATA_INVALID', 'session data must be a plain JSON object');
  }
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch {
    throw new SessionError('SESSION_DATA_INVALID', 'session data must be JSON-serializable (no BigInt, no cycles)');
  }
  if (Buffer.byteLength(json, 'utf8') > maxBytes) {
    throw new SessionError('SESSION_DATA_INVALID', `session data exceeds ${maxBytes} bytes of JSON`);
  }
  const copy = JSON.parse(json) as Record<string, JsonValue>;
  deepFreeze(copy);
  return copy;
}
