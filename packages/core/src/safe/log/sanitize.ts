import { ConfigurationError } from '../../errors.js';

/** Longest string kept by default (UTF-16 code units of the input); the rest is cut with a visible marker. */
export const DEFAULT_MAX_LOG_STRING_LENGTH = 8192;

export interface SanitizeLogTextOptions {
  /** At most this many characters of the input are kept. Default {@link DEFAULT_MAX_LOG_STRING_LENGTH}. */
  readonly maxLength?: number;
}

/*
 * Escaped, so one value is always one visual line of inert text:
 * - `\` itself, so an attacker's literal `\n` can always be told apart from an escaped newline;
 * - C0 controls incl. CR, LF, TAB, VT, FF (log forging, CWE-117: a new line that looks like our own entry), ESC and BEL
 *   (ANSI/OSC terminal escapes: clear screen, set title, hyperlinks, on some terminals write to files), DEL;
 * - C1 controls: NEL U+0085 (a line break to many tools) and the 8-bit CSI U+009B / OSC U+009D;
 * - U+2028/2029 line and paragraph separators (line breaks to JavaScript-based viewers);
 * - bidi controls (ALM, LRM, RLM, LRE…RLO, LRI…PDI: "Trojan Source", CVE-2021-42574) and invisible characters used to
 *   make two different values look identical (ZWSP, WJ and invisible operators, BOM);
 * - lone surrogates, which a UTF-8 log file would silently turn into U+FFFD.
 */
const SPECIALS =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
  /[\\\0-\x1F\x7F-\x9F\u061C\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const SHORT: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeCharacter(c: string): string {
  const short = SHORT[c];
  if (short !== undefined) return short;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Throws a {@link ConfigurationError} unless `value` is a positive safe integer. */
export function checkPositiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`${name} must be a positive integer`);
  return value;
}

function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  // Never cut between the two halves of a surrogate pair: the half left behind would be escaped as garbage.
  const end = /[\uD800-\uDBFF]/.test(text.charAt(maxLength - 1)) ? maxLength - 1 : maxLength;
  return `${text.slice(0, end)}…[truncated ${text.length - end} chars]`;
}

/**
 * Makes untrusted text safe to write into a log line: CR/LF and every other control character, ANSI/OSC terminal
 * escape sequences (their ESC/BEL/CSI bytes), NEL, U+2028/2029, bidi overrides and invisible characters are replaced
 * by visible escapes (`\n`, `\x1b`, `\u202e`), the backslash is doubled so the escaping is unambiguous, and the text is
 * cut at `maxLength`. Protects against log forging (a fake "login ok" line), terminal hijacking when an operator runs
 * `tail` or `less -R`, and entries that display differently from what they contain. It does not redact secrets: see
 * `redactText` / `sanitizeForLog`.
 */
export function sanitizeLogText(text: string, options: SanitizeLogTextOptions = {}): string {
  const maxLength = checkPositiveInteger(options.maxLength ?? DEFAULT_MAX_LOG_STRING_LENGTH, 'maxLength');
  return truncate(text, maxLength).replace(SPECIALS, escapeCharacter);
}
