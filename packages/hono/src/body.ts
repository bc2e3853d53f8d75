import type { Context, MiddlewareHandler } from 'hono';
import {
  BODY_LIMIT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_FORM_FIELDS,
  bodyProblem,
  formProblem,
  mediaTypeAllowlist,
  parseForm,
  parseJson,
  readBody,
  type FormFields,
  type Problem,
} from '@rampart/core/http';
import type { RampartEnv } from './env.js';
import { correlationIdOf } from './correlation.js';
import { problemResponse } from './problem.js';

/** Limits of {@link rampartJson}. */
export interface JsonBodyOptions {
  /**
   * Largest body in bytes when the chain has no `bodyLimits` guard; with one, the guard's limit for the route
   * applies. Default 102400 (100 KiB).
   */
  readonly maxBytes?: number;
  /** Deepest nesting accepted (`{}` is 1). Default 32. */
  readonly maxDepth?: number;
  /** Most members (object keys plus array elements) accepted in total. Default 10 000. */
  readonly maxKeys?: number;
  /** Media types parsed as JSON. Default `['application/json']`. */
  readonly contentTypes?: readonly string[];
}

/** Limits of {@link rampartForm} and of the form bodies `rampart()` reads to finish a CSRF check. */
export interface FormBodyOptions {
  /** Largest body in bytes when the chain has no `bodyLimits` guard. Default 102400 (100 KiB). */
  readonly maxBytes?: number;
  /** Most fields accepted. Default 1000. */
  readonly maxFields?: number;
}

/** Whether a request is an urlencoded form, by the same media-type rules as the body guard. */
export const isUrlencoded = mediaTypeAllowlist(['application/x-www-form-urlencoded']);

const EMPTY: AsyncIterable<Uint8Array> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
};

/**
 * Whether the request has a body. On the wire (RFC 9112 §6.3) only `Transfer-Encoding` or a non-zero `Content-Length`
 * makes one, and `@hono/node-server` requests are judged by that alone; a `Request` built in code (`app.request()`,
 * some runtimes) may carry a body without either header, so there the body itself decides.
 */
function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  if (c.req.header('transfer-encoding') !== undefined || (length !== undefined && length !== '0')) return true;
  if (length === '0' || (c.env as { incoming?: unknown } | undefined)?.incoming !== undefined) return false;
  return c.req.raw.body !== null;
}

function limitFor(c: Context<RampartEnv>, fallback: number): number {
  // Typed as always set, but a body middleware may be mounted without `rampart()` in front of it.
  const state = c.get('rampart') as RampartEnv['Variables']['rampart'] | undefined;
  return state?.get(BODY_LIMIT) ?? fallback;
}

/** Reads the raw body within `limit`: the guard's limit for the route, enforced while reading. */
async function readRaw(c: Context, limit: number): Promise<{ ok: true; value: Buffer } | { ok: false; problem: Problem }> {
  // The Fetch body stream is async-iterable in Node; a request without a body reads as empty.
  const read = await readBody((c.req.raw.body as AsyncIterable<Uint8Array> | null) ?? EMPTY, limit);
  return read.ok ? read : { ok: false, problem: bodyProblem(read.reason) };
}

/** Reads and parses an urlencoded form within the limits; a refusal comes back as its problem. */
export async function readForm(
  c: Context<RampartEnv>,
  options: FormBodyOptions,
): Promise<{ ok: true; value: FormFields } | { ok: false; problem: Problem }> {
  const read = await readRaw(c, limitFor(c, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES));
  if (!read.ok) return read;
  const parsed = parseForm(read.value, options.maxFields ?? DEFAULT_MAX_FORM_FIELDS);
  return parsed.ok ? parsed : { ok: false, problem: formProblem(parsed.reason) };
}

/**
 * JSON body middleware for Hono built on core's `readBody` and `parseJson`, to use instead of `await c.req.json()`:
 * the parsed body is `c.get('body')`. Register it after `rampart()`, on the routes that take JSON.
 *
 * Protects against oversized bodies whatever their framing (the limit is enforced while reading, so a chunked body
 * cannot grow past it: 413), deeply nested or member-heavy documents that exhaust the stack or CPU (400), prototype
 * pollution through `__proto__` or `constructor.prototype` keys (the whole body is refused: 400), invalid UTF-8, and
 * bodies of another media type reaching a JSON handler (415). Refusals are problems; the parser's message never is.
 */
export function rampartJson(options: JsonBodyOptions = {}): MiddlewareHandler<RampartEnv> {
  const fallback = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const accepts = mediaTypeAllowlist(options.contentTypes ?? ['application/json']);
  const { maxDepth, maxKeys } = options;
  const limits = { ...(maxDepth === undefined ? {} : { maxDepth }), ...(maxKeys === undefined ? {} : { maxKeys }) };
  // Checks the limits at startup (parseJson throws a ConfigurationError on a bad one), not on the first request.
  parseJson('{}', { maxBytes: fallback, ...limits });
  return async function rampartJsonBody(c, next) {
    if (c.get('body') !== undefined || !hasBody(c)) {
      await next();
      return undefined;
    }
    if (!accepts(c.req.header('content-type'))) return problemResponse(c, bodyProblem('unsupported_media_type'), correlationIdOf(c));
    const limit = limitFor(c, fallback);
    const read = await readRaw(c, limit);
    if (!read.ok) return problemResponse(c, read.problem, correlationIdOf(c));
    const parsed = parseJson(read.value, { maxBytes: limit, ...limits });
    if (!parsed.ok) return problemResponse(c, bodyProblem(parsed.reason), correlationIdOf(c));
    c.set('body', parsed.value);
    await next();
    return undefined;
  };
}

/**
 * Urlencoded form middleware for Hono, to use instead of `await c.req.parseBody()`: the body limit is enforced while
 * reading (413), fields are capped (400), and the result (`c.get('body')`) has no prototype, so `__proto__` and
 * `constructor` fields pollute nothing. A form that `rampart()` already read to finish a CSRF check is not read twice.
 */
export function rampartForm(options: FormBodyOptions = {}): MiddlewareHandler<RampartEnv> {
  return async function rampartFormBody(c, next) {
    if (c.get('body') !== undefined || !hasBody(c)) {
      await next();
      return undefined;
    }
    if (!isUrlencoded(c.req.header('content-type'))) return problemResponse(c, bodyProblem('unsupported_media_type'), correlationIdOf(c));
    const form = await readForm(c, options);
    if (!form.ok) return problemResponse(c, form.problem, correlationIdOf(c));
    c.set('body', form.value);
    await next();
    return undefined;
  };
}
