import canonicalize from 'canonicalize';
import type { SecurityEvent } from '../events.js';
import { AuditError } from './errors.js';

/** A JSON value as RFC 8785 sees it. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A {@link SecurityEvent} as plain JSON: `at` is an ISO 8601 string. */
export interface AuditEventJson {
  readonly type: string;
  readonly at: string;
  readonly subject?: string;
  readonly attributes?: Readonly<Record<string, string | number | boolean>>;
}

/** One audit entry: what is hashed, chained and signed. */
export interface AuditEntry {
  readonly seq: number;
  /** When the log accepted the entry (ISO 8601). */
  readonly at: string;
  readonly event: AuditEventJson;
}

const MAX_DEPTH = 32;

/** ES2024 `String.prototype.isWellFormed` (V8 11.1+, so every supported Node): native, no per-character JS loop. */
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();

function hasLoneSurrogate(text: string): boolean {
  return !isWellFormed(text);
}

function refuse(path: string, why: string): never {
  throw new AuditError('AUDIT_UNREPRESENTABLE', `value at ${path} ${why}`);
}

/** Walks the value before canonicalize sees it: canonicalize silently drops `undefined`, calls `toJSON` and throws
 * untyped errors, each of which would make the hashed bytes differ from what the caller thinks was logged. */
function check(value: unknown, path: string, depth: number, stack: Set<object>): void {
  switch (typeof value) {
    case 'string':
      if (hasLoneSurrogate(value)) refuse(path, 'holds a lone surrogate (not representable in UTF-8)');
      return;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, 'is not a finite number');
      return;
    case 'boolean':
      return;
    case 'object': {
      if (value === null) return;
      if (depth >= MAX_DEPTH) refuse(path, `is nested deeper than ${MAX_DEPTH}`);
      if (stack.has(value)) refuse(path, 'is a cycle');
      stack.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) refuse(`${path}[${i}]`, 'is a hole');
          check(value[i], `${path}[${i}]`, depth + 1, stack);
        }
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) refuse(path, 'is not a plain object');
        if (Object.getOwnPropertySymbols(value).length > 0) refuse(path, 'has symbol keys');
        for (const [key, child] of Object.entries(value)) {
          if (hasLoneSurrogate(key)) refuse(path, 'has a key with a lone surrogate');
          check(child, `${path}.${key}`, depth + 1, stack);
        }
      }
      stack.delete(value);
      return;
    }
    default:
      refuse(path, `is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`);
  }
}

/**
 * RFC 8785 (JCS) canonical JSON of `value`, through the `canonicalize` package. Refuses, with
 * `AUDIT_UNREPRESENTABLE`, anything JSON cannot carry exactly, so two parties hashing the same logical value always
 * hash the same bytes and no value is silently altered on the way into the log.
 */
export function canonicalJson(value: unknown): string {
  check(value, '$', 0, new Set());
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (cause) {
    throw new AuditError('AUDIT_UNREPRESENTABLE', 'value cannot be canonicalised', { cause });
  }
  if (text === undefined) throw new AuditError('AUDIT_UNREPRESENTABLE', 'value has no JSON form');
  return text;
}

/**
 * Converts a {@link SecurityEvent} to plain JSON, rejecting an invalid `at` and any attribute that is not a string,
 * finite number or boolean, so what is hashed is exactly what an auditor reads back.
 */
export function eventToJson(event: SecurityEvent): AuditEventJson {
  const at: unknown = event.at;
  if (!(at instanceof Date) || !Number.isFinite(at.getTime())) throw new AuditError('AUDIT_UNREPRESENTABLE', 'event.at is not a valid Date');
  const json: { type: string; at: string; subject?: string; attributes?: Record<string, string | number | boolean> } = {
    type: event.type,
    at: at.toISOString(),
  };
  if (event.subject !== undefined) json.subject = event.subject;
  if (event.attributes !== undefined) json.attributes = { ...event.attributes };
  assertEventShape(json, 'event');
  return json;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const EVENT_FIELDS = new Set(['type', 'at', 'subject', 'attributes']);

function refuseEvent(where: string, why: string): never {
  throw new AuditError(where === 'event' ? 'AUDIT_UNREPRESENTABLE' : 'AUDIT_MALFORMED_ENTRY', `${where} ${why}`);
}

/**
 * The checks {@link check} would make, for the one shape an event has, in one pass (it runs on every append): known
 * fields only, a non-empty string type, string `at` and `subject`, a plain attributes object whose values are
 * strings, finite numbers or booleans, and no lone surrogate in any string or name.
 */
function assertEventShape(value: unknown, where: string): asserts value is AuditEventJson {
  if (!isRecord(value)) return refuseEvent(where, 'is not an object');
  const fields = Object.keys(value);
  for (let i = 0; i < fields.length; i++) if (!EVENT_FIELDS.has(fields[i] as string)) refuseEvent(where, `has unknown field ${JSON.stringify(fields[i])}`);
  const { type, at, subject } = value;
  if (typeof type !== 'string' || type === '') refuseEvent(where, '.type is not a non-empty string');
  if (typeof at !== 'string') refuseEvent(where, '.at is not a string');
  if ('subject' in value && typeof subject !== 'string') refuseEvent(where, '.subject is not a string');
  if (!isWellFormed(type)) refuseEvent(where, '.type holds a lone surrogate (not representable in UTF-8)');
  if (!isWellFormed(at)) refuseEvent(where, '.at holds a lone surrogate (not representable in UTF-8)');
  if (typeof subject === 'string' && !isWellFormed(subject)) refuseEvent(where, '.subject holds a lone surrogate (not representable in UTF-8)');
  if (!('attributes' in value)) return;
  const attributes = value.attributes;
  if (!isRecord(attributes)) return refuseEvent(where, '.attributes is not an object');
  const proto: unknown = Object.getPrototypeOf(attributes);
  if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(attributes).length > 0) refuseEvent(where, '.attributes is not a plain object');
  const names = Object.keys(attributes);
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const v = attributes[name];
    if (typeof v === 'string') {
      if (!isWellFormed(v)) refuseEvent(where, '.attributes holds a lone surrogate (not representable in UTF-8)');
    } else if (typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
      refuseEvent(where, `.attributes.${name} is not a string, finite number or boolean`);
    }
    if (!isWellFormed(name)) refuseEvent(where, '.attributes holds a lone surrogate (not representable in UTF-8)');
  }
}

/**
 * RFC 8785 text of an event, written directly for its one shape: keys in UTF-16 code-unit order (`at` < `attributes`
 * < `subject` < `type`; attribute names sorted by `Array.prototype.sort`, which compares code units as §3.2.3 asks),
 * strings and numbers by `JSON.stringify`, which is how §3.2.2 defines them. The generic `canonicalize` walk costs more
 * than the rest of an append; a property test holds this writer equal to it.
 */
function canonicalEvent(event: AuditEventJson): string {
  let out = `{"at":${JSON.stringify(event.at)}`;
  const attributes = event.attributes;
  if (attributes !== undefined) {
    const names = Object.keys(attributes).sort();
    out += ',"attributes":{';
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      out += `${i === 0 ? '' : ','}${JSON.stringify(name)}:${JSON.stringify(attributes[name])}`;
    }
    out += '}';
  }
  if (event.subject !== undefined) out += `,"subject":${JSON.stringify(event.subject)}`;
  return `${out},"type":${JSON.stringify(event.type)}}`;
}

/**
 * The canonical text of an entry: the exact bytes behind its leaf hash (RFC 8785 of `{ seq, at, event }`). Refuses,
 * with `AUDIT_UNREPRESENTABLE`, an entry whose event is not the event shape or holds what JSON cannot carry exactly.
 */
export function canonicalEntry(entry: AuditEntry): string {
  if (!Number.isSafeInteger(entry.seq) || entry.seq < 0) throw new AuditError('AUDIT_UNREPRESENTABLE', 'entry.seq is not a non-negative safe integer');
  if (typeof entry.at !== 'string' || !isWellFormed(entry.at)) throw new AuditError('AUDIT_UNREPRESENTABLE', 'entry.at is not a well-formed string');
  assertEventShape(entry.event, 'event');
  return writeCanonicalEntry(entry);
}

/**
 * @internal {@link canonicalEntry} without its checks, for the log's append path only: its event has passed
 * {@link eventToJson} and then redaction, whose output is strings (control characters and lone surrogates escaped),
 * finite numbers and booleans, and its seq and time are the log's own.
 */
export function writeCanonicalEntry(entry: AuditEntry): string {
  return `{"at":${JSON.stringify(entry.at)},"event":${canonicalEvent(entry.event)},"seq":${entry.seq}}`;
}

/**
 * Parses stored canonical text back into an entry and refuses it unless it is well-shaped and byte-for-byte canonical,
 * so an edit that keeps the JSON meaning (reordered keys, added whitespace, a duplicate key) is still an edit.
 */
export function parseCanonicalEntry(text: string): AuditEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new AuditError('AUDIT_MALFORMED_ENTRY', 'entry is not JSON', { cause });
  }
  if (!isRecord(parsed) || Object.keys(parsed).length !== 3 || !Number.isSafeInteger(parsed.seq) || typeof parsed.at !== 'string') {
    throw new AuditError('AUDIT_MALFORMED_ENTRY', 'entry is not { seq, at, event }');
  }
  assertEventShape(parsed.event, 'entry.event');
  const entry: AuditEntry = { seq: parsed.seq as number, at: parsed.at, event: parsed.event };
  let again: string;
  try {
    again = canonicalEntry(entry);
  } catch (cause) {
    throw new AuditError('AUDIT_MALFORMED_ENTRY', 'entry cannot be canonicalised', { cause });
  }
  if (again !== text) throw new AuditError('AUDIT_MALFORMED_ENTRY', 'entry is not in canonical form');
  return entry;
}
