import type { Context, MiddlewareHandler } from 'hono';
import {
  BODY_LIMIT,
  DEFAULT_MAX_BODY_BYTES,
  bodyProblem,
  isUrlencoded,
  jsonBodyReader,
  readFormBody,
  type BodyOutcome,
  type FormBodyOptions,
  type FormFields,
  type JsonBodyOptions,
} from '@rampart/core/http';
import type { RampartEnv } from './env.js';
import { correlationIdOf } from './correlation.js';
import { problemResponse } from './problem.js';

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

/** The request's body stream; a request without a body reads as empty. */
function bodyOf(c: Context): AsyncIterable<Uint8Array> {
  // The Fetch body stream is async-iterable in Node.
  return (c.req.raw.body as AsyncIterable<Uint8Array> | null) ?? EMPTY;
}

/** Reads and parses an urlencoded form within the limits; a refusal comes back as its problem. */
export function readForm(c: Context<RampartEnv>, options: FormBodyOptions): Promise<BodyOutcome<FormFields>> {
  return readFormBody(bodyOf(c), limitFor(c, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES), options.maxFields);
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
  const reader = jsonBodyReader(options);
  return async function rampartJsonBody(c, next) {
    if (c.get('body') !== undefined || !hasBody(c)) {
      await next();
      return undefined;
    }
    if (!reader.accepts(c.req.header('content-type'))) return problemResponse(c, bodyProblem('unsupported_media_type'), correlationIdOf(c));
    const parsed = await reader.read(bodyOf(c), limitFor(c, reader.maxBytes));
    if (!parsed.ok) return problemResponse(c, parsed.problem, correlationIdOf(c));
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
