import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { defaultSeverity, type SyslogSeverity } from './severity.js';

/** The SD-ID of Rampart's structured data: `name@<private enterprise number>` (RFC 5424 §6.3.2). */
export const SD_ID = 'rampart@32473';

/** Header fields of RFC 5424 messages; checked once against the ABNF (§6) so no message is malformed. */
export interface Rfc5424Options {
  /** 0–23 (§6.2.1). Default 10, security/authorization. */
  readonly facility?: number;
  /** HOSTNAME, 1–255 PRINTUSASCII. Default `-` (NILVALUE). */
  readonly hostname?: string;
  /** APP-NAME, 1–48 PRINTUSASCII. Default `rampart`. */
  readonly appName?: string;
  /** PROCID, 1–128 PRINTUSASCII. Default the process id. */
  readonly procId?: string;
  /** Severity of an event. Default {@link defaultSeverity}. */
  readonly severity?: (event: SecurityEvent) => SyslogSeverity;
  /** MSG text of an event (sent after a UTF-8 BOM). Default `<type>` and ` subject=<subject>` when there is one. */
  readonly message?: (event: SecurityEvent) => string;
}

const PRINTUSASCII = /^[\x21-\x7e]+$/;
const BOM = '\uFEFF';

function header(name: string, value: string, max: number): string {
  if (!PRINTUSASCII.test(value) || value.length > max) {
    throw new ConfigurationError(`audit sink syslog: ${name} must be 1 to ${max} printable US-ASCII characters`);
  }
  return value;
}

/**
 * A header field derived from data (the MSGID from the event type): forced into PRINTUSASCII and the length bound,
 * because a space in a header field would shift every later field for the receiver's parser.
 */
function token(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** PARAM-NAME (SD-NAME, §6.3.3): 1–32 PRINTUSASCII except `=`, SP, `]` and `"`. */
function paramName(name: string): string {
  return token(name.replace(/[=\]"]/g, '_'), 32);
}

/** §6.3.3: inside PARAM-VALUE, `"`, `\` and `]` MUST be escaped with a backslash, or a value could close the element. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, '\\$&');
}

/** The formatter, with its options checked once. */
export interface Rfc5424Formatter {
  (event: SecurityEvent): string;
}

/**
 * Builds an RFC 5424 formatter: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [rampart@32473 …] BOM MSG`. Every
 * field is within its ABNF; values from the event only ever appear inside escaped PARAM-VALUEs or the MSG, so an
 * attacker-chosen attribute (a user name with `"] [` or a CR/LF) cannot forge fields or, with octet-counting framing,
 * a second message.
 */
export function rfc5424Formatter(options: Rfc5424Options = {}): Rfc5424Formatter {
  const facility = options.facility ?? 10;
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
    throw new ConfigurationError('audit sink syslog: facility must be a whole number from 0 to 23');
  }
  const hostname = options.hostname === undefined ? '-' : header('hostname', options.hostname, 255);
  const appName = header('appName', options.appName ?? 'rampart', 48);
  const procId = header('procId', options.procId ?? String(process.pid), 128);
  const severityOf = options.severity ?? defaultSeverity;
  const messageOf = options.message ?? ((event: SecurityEvent) => (event.subject === undefined ? event.type : `${event.type} subject=${event.subject}`));
  return (event) => {
    const severity = severityOf(event);
    if (!Number.isInteger(severity) || severity < 0 || severity > 7) throw new ConfigurationError('audit sink syslog: severity must be 0 to 7');
    // RFC 3339 (§6.2.3): toISOString is full-date "T" full-time with 3 fraction digits and "Z"; an invalid date throws.
    const timestamp = event.at.toISOString();
    const params = [`event="${escapeParamValue(event.type)}"`];
    if (event.subject !== undefined) params.push(`subject="${escapeParamValue(event.subject)}"`);
    for (const [name, value] of Object.entries(event.attributes ?? {})) {
      params.push(`${paramName(name)}="${escapeParamValue(String(value))}"`);
    }
    const pri = facility * 8 + severity;
    const msgId = token(event.type, 32);
    return `<${pri}>1 ${timestamp} ${hostname} ${appName} ${procId} ${msgId} [${SD_ID} ${params.join(' ')}] ${BOM}${messageOf(event)}`;
  };
}

/** RFC 6587 §3.4.1 octet-counting: `MSG-LEN SP SYSLOG-MSG`, the length in octets, so no byte inside can end the frame. */
export function octetCountingFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
