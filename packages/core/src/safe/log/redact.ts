import { checkPositiveInteger, DEFAULT_MAX_LOG_STRING_LENGTH, sanitizeLogText } from './sanitize.js';
import { isSecretKey } from './secret-keys.js';
import { isCardNumberValue, REDACTED, redactText } from './secret-shapes.js';

/** A value as it goes to a log or audit entry: plain data only, no prototypes, getters, cycles or binary. */
export type LogValue = string | number | boolean | null | undefined | readonly LogValue[] | { readonly [key: string]: LogValue };

export const DEFAULT_REDACT_MAX_DEPTH = 8;
export const DEFAULT_REDACT_MAX_NODES = 10_000;

export interface RedactOptions {
  /** More secret field names, matched like the built-in ones: case- and separator-insensitive, contained anywhere. */
  readonly secretKeys?: readonly string[];
  /** Objects and arrays nested deeper than this become `'[Truncated]'`. Default {@link DEFAULT_REDACT_MAX_DEPTH}. */
  readonly maxDepth?: number;
  /** At most this many values are copied in total; the rest become `'[Truncated]'`. Default {@link DEFAULT_REDACT_MAX_NODES}. */
  readonly maxNodes?: number;
}

export interface SanitizeForLogOptions extends RedactOptions {
  /** Longest string kept (see `sanitizeLogText`). Default 8192. */
  readonly maxStringLength?: number;
}

const CIRCULAR = '[Circular]';
const TRUNCATED = '[Truncated]';
const UNREADABLE = '[Unreadable]';

interface Walk {
  readonly text: (value: string) => string;
  readonly key: (value: string) => string;
  readonly secretKeys: readonly string[];
  readonly maxDepth: number;
  nodesLeft: number;
  readonly ancestors: Set<object>;
}

/** An own data property, even for `__proto__`: assignment would set the copy's prototype instead. */
function define(target: Record<string, LogValue>, key: string, value: LogValue): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function copyEntries(entries: Iterable<readonly [string, () => unknown]>, walk: Walk, depth: number): LogValue {
  const out: Record<string, LogValue> = {};
  for (const [key, read] of entries) {
    if (isSecretKey(key, walk.secretKeys)) {
      define(out, walk.key(key), REDACTED);
      continue;
    }
    let value: unknown;
    try {
      value = read();
    } catch {
      value = UNREADABLE;
    }
    define(out, walk.key(key), visit(value, walk, depth + 1));
  }
  return out;
}

function ownEntries(object: object): [string, () => unknown][] {
  return Object.keys(object).map((key) => [key, () => (object as Record<string, unknown>)[key]]);
}

function visitObject(value: object, walk: Walk, depth: number): LogValue {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof URL) return walk.text(value.href);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[Binary ${value.byteLength} bytes]`;
  if (value instanceof RegExp) return walk.text(String(value));
  if (value instanceof Error) {
    const entries: [string, () => unknown][] = [
      ['name', () => value.name],
      ['message', () => value.message],
      ['stack', () => value.stack],
      ...ownEntries(value).filter(([key]) => key !== 'name' && key !== 'message' && key !== 'stack'),
    ];
    if ('cause' in value) entries.push(['cause', () => value.cause]);
    return copyEntries(entries, walk, depth);
  }
  if (Array.isArray(value)) {
    const out: LogValue[] = [];
    for (let i = 0; i < value.length; i += 1) out.push(visit((value as unknown[])[i], walk, depth + 1));
    return out;
  }
  if (value instanceof Set) return [...(value as Set<unknown>)].map((item) => visit(item, walk, depth + 1));
  if (value instanceof Map) {
    const entries = [...(value as Map<unknown, unknown>)].map(([key, item]): [string, () => unknown] => [
      typeof key === 'string' ? key : typeof key === 'object' && key !== null ? '[object]' : String(key),
      () => item,
    ]);
    return copyEntries(entries, walk, depth);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return visit(toJSON.call(value), walk, depth);
  return copyEntries(ownEntries(value), walk, depth);
}

function visit(value: unknown, walk: Walk, depth: number): LogValue {
  if (walk.nodesLeft <= 0) return TRUNCATED;
  walk.nodesLeft -= 1;
  switch (typeof value) {
    case 'string':
      return walk.text(value);
    case 'number':
      return isCardNumberValue(value) ? '[REDACTED:card]' : value;
    case 'bigint':
      return isCardNumberValue(value) ? '[REDACTED:card]' : value.toString();
    case 'boolean':
    case 'undefined':
      return value;
    case 'symbol':
      return walk.text(value.toString());
    case 'function':
      return '[Function]';
    default:
      break;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (walk.ancestors.has(value)) return CIRCULAR;
  if (depth >= walk.maxDepth) return TRUNCATED;
  walk.ancestors.add(value);
  try {
    return visitObject(value, walk, depth);
  } catch {
    // A Proxy whose traps throw, a toJSON that throws: the log entry must still be written.
    return UNREADABLE;
  } finally {
    walk.ancestors.delete(value);
  }
}

function walker(options: RedactOptions, text: (value: string) => string, key: (value: string) => string): Walk {
  return {
    text,
    key,
    secretKeys: options.secretKeys ?? [],
    maxDepth: checkPositiveInteger(options.maxDepth ?? DEFAULT_REDACT_MAX_DEPTH, 'maxDepth'),
    nodesLeft: checkPositiveInteger(options.maxNodes ?? DEFAULT_REDACT_MAX_NODES, 'maxNodes'),
    ancestors: new Set(),
  };
}

/**
 * Returns a redacted deep copy of `value`, never mutating it: values under secret field names (see `isSecretKey`)
 * become `[REDACTED]`, secrets recognised by shape inside strings become `[REDACTED:<kind>]` (see `redactText`), and
 * numbers that are card numbers are redacted. Cycles become `[Circular]`; depth and size are bounded
 * (`[Truncated]`); getters and proxies that throw become `[Unreadable]`; binary data is summarised, never copied.
 * Protects against secrets, tokens and card data reaching logs and audit entries inside structured data.
 */
export function redactSecrets(value: unknown, options: RedactOptions = {}): LogValue {
  const secretKeys = options.secretKeys ?? [];
  return visit(value, walker(options, (text) => redactText(text, { secretKeys }), (key) => key), 0);
}

/**
 * {@link redactSecrets}, then `sanitizeLogText` on every string and every key: the one call to make before handing
 * untrusted data to a logger. Protects against secrets in logs and against log forging, ANSI escape injection and bidi
 * spoofing through any value or field name.
 */
export function sanitizeForLog(value: unknown, options: SanitizeForLogOptions = {}): LogValue {
  const secretKeys = options.secretKeys ?? [];
  const maxLength = checkPositiveInteger(options.maxStringLength ?? DEFAULT_MAX_LOG_STRING_LENGTH, 'maxStringLength');
  const text = (raw: string): string => sanitizeLogText(redactText(raw, { secretKeys }), { maxLength });
  const key = (raw: string): string => sanitizeLogText(raw, { maxLength: 256 });
  return visit(value, walker(options, text, key), 0);
}
