import { MIMEType } from 'node:util';
import { ConfigurationError } from '../../errors.js';

/** Longest Content-Type read; real ones are tens of bytes. */
const MAX_CONTENT_TYPE_LENGTH = 256;
/** Visible ASCII, SP and HTAB only (RFC 9110 §5.5 field-value, minus obs-text): no CR, LF, NUL or Unicode lookalikes. */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
const UTF8_LABELS = new Set(['utf-8', 'utf8']);

/** `application/json` and every `+json` type (RFC 6839 §3.1): JSON is UTF-8 only (RFC 8259 §8.1). */
function isJson(essence: string): boolean {
  return essence === 'application/json' || essence.endsWith('+json');
}

function parseMediaType(value: string): MIMEType | undefined {
  try {
    return new MIMEType(value);
  } catch {
    return undefined;
  }
}

/**
 * Builds a Content-Type check against an allowlist of media types (`type/subtype`, no parameters, no wildcards).
 *
 * Protects against parser confusion: a body declared `text/plain` or `application/x-www-form-urlencoded` (what a
 * cross-site form can send without a preflight) reaching a JSON handler, and a JSON body in another charset
 * (`charset=utf-16`, `utf-7`) that a filter in front decodes differently from the application. The value is parsed
 * with Node's WHATWG `MIMEType`; type and subtype compare case-insensitively and parameters are ignored, except that a
 * JSON type's `charset`, when present, must be UTF-8, and must appear once.
 */
export function mediaTypeAllowlist(types: readonly string[]): (contentType: string | undefined) => boolean {
  const allowed = new Set<string>();
  // Exact strings clients commonly send, so the usual request skips the parser.
  const fast = new Set<string>();
  for (const [index, type] of types.entries()) {
    const parsed = typeof type === 'string' ? parseMediaType(type) : undefined;
    if (parsed === undefined || type.includes('*') || [...parsed.params.keys()].length !== 0 || parsed.essence !== type.trim().toLowerCase()) {
      throw new ConfigurationError(`body: contentTypes[${index}] is not a media type "type/subtype" without parameters`);
    }
    allowed.add(parsed.essence);
    fast.add(parsed.essence);
    if (isJson(parsed.essence)) {
      for (const separator of [';', '; ']) for (const charset of ['utf-8', 'UTF-8']) fast.add(`${parsed.essence}${separator}charset=${charset}`);
    }
  }

  return (contentType) => {
    if (contentType === undefined) return false;
    if (fast.has(contentType)) return true;
    if (contentType.length > MAX_CONTENT_TYPE_LENGTH || !FIELD_VALUE.test(contentType)) return false;
    const parsed = parseMediaType(contentType);
    if (parsed === undefined || !allowed.has(parsed.essence)) return false;
    if (!isJson(parsed.essence)) return true;
    const lower = contentType.toLowerCase();
    // Parsers disagree on which of two charsets wins (WHATWG: the first); refuse rather than pick.
    if (lower.indexOf('charset') !== lower.lastIndexOf('charset')) return false;
    const charset = parsed.params.get('charset');
    return charset === null || UTF8_LABELS.has(charset.toLowerCase());
  };
}
