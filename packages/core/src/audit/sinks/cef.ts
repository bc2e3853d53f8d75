import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { defaultSeverity } from './severity.js';

/** Device fields of the CEF header. */
export interface CefOptions {
  /** Default `Rampart`. */
  readonly vendor?: string;
  /** Default `rampart`. */
  readonly product?: string;
  /** Default `1`. */
  readonly version?: string;
  /** CEF severity 0–10 of an event. Default derived from the syslog severity (critical 9, warning 6, notice 3, info 1). */
  readonly severity?: (event: SecurityEvent) => number;
}

/**
 * Header field escaping (CEF spec, "Header information"): `\` and `|` get a backslash, or a value with `|` would shift
 * every later header field. CR and LF are not allowed in the header at all; they become a space so one event stays one
 * line.
 */
export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, '\\$&').replace(/\r\n|[\r\n]/g, ' ');
}

/**
 * Extension value escaping (CEF spec, "Extension"): `\` and `=` get a backslash (an `=` would start a forged key),
 * CR and LF become `\r` and `\n` (a raw newline would start a forged event on a line-oriented collector).
 */
export function escapeCefValue(value: string): string {
  return value.replace(/[\\=]/g, '\\$&').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Extension keys are alphanumeric tokens; anything else in an attribute name becomes `_`. */
function cefKey(name: string): string {
  const key = name.replace(/[^A-Za-z0-9_.]/g, '_');
  return key === '' ? '_' : key;
}

const SYSLOG_TO_CEF = [10, 10, 9, 8, 6, 3, 1, 0] as const;

/** A CEF line formatter, with its options checked once. */
export interface CefFormatter {
  (event: SecurityEvent): string;
}

/**
 * Builds an ArcSight `CEF:0` formatter. The event type is the signature id and name; `rt` is the event time (ms
 * since the epoch), `suser` the subject, and each attribute an extension pair. Everything from the event is escaped,
 * so an attacker-chosen value cannot add header fields, extension keys or lines.
 */
export function cefFormatter(options: CefOptions = {}): CefFormatter {
  const vendor = escapeCefHeader(options.vendor ?? 'Rampart');
  const product = escapeCefHeader(options.product ?? 'rampart');
  const version = escapeCefHeader(options.version ?? '1');
  const severityOf = options.severity ?? ((event: SecurityEvent) => SYSLOG_TO_CEF[defaultSeverity(event)]);
  return (event) => {
    const severity = severityOf(event);
    if (!Number.isInteger(severity) || severity < 0 || severity > 10) throw new ConfigurationError('audit sink cef: severity must be 0 to 10');
    const type = escapeCefHeader(event.type);
    const extension = [`rt=${event.at.getTime()}`];
    if (event.subject !== undefined) extension.push(`suser=${escapeCefValue(event.subject)}`);
    for (const [name, value] of Object.entries(event.attributes ?? {})) extension.push(`${cefKey(name)}=${escapeCefValue(String(value))}`);
    return `CEF:0|${vendor}|${product}|${version}|${type}|${type}|${severity}|${extension.join(' ')}`;
  };
}
