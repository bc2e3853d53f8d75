import type { Request, RequestHandler, Response } from 'express';
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
} from '@rampart/core/http';
import { correlationIdOf, sendProblem } from './problem.js';

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

/** RFC 9112 §6.3: a request without `Transfer-Encoding` and with no or a zero `Content-Length` has no body. */
export function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Whether a request is an urlencoded form, by the same media-type rules as the body guard. */
export const isUrlencoded = mediaTypeAllowlist(['application/x-www-form-urlencoded']);

/** The byte limit for this request: the body guard's for the route, else the parser's own. */
function limitFor(res: Response, fallback: number): number {
  return res.locals.rampart?.get(BODY_LIMIT) ?? fallback;
}

/**
 * Reads and parses an urlencoded form within the limits, answering the refusal itself. Resolves to the fields, or
 * `undefined` when a problem was sent.
 */
export async function readForm(req: Request, res: Response, options: FormBodyOptions): Promise<Readonly<Record<string, string | readonly string[]>> | undefined> {
  const read = await readBody(req, limitFor(res, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES));
  if (!read.ok) {
    sendProblem(res, bodyProblem(read.reason), correlationIdOf(req, res));
    return undefined;
  }
  const parsed = parseForm(read.value, options.maxFields ?? DEFAULT_MAX_FORM_FIELDS);
  if (!parsed.ok) {
    sendProblem(res, formProblem(parsed.reason), correlationIdOf(req, res));
    return undefined;
  }
  return parsed.value;
}

/**
 * JSON body parser for Express built on core's `readBody` and `parseJson`, to use instead of `express.json()`.
 *
 * Protects against oversized bodies whatever their framing (the limit is enforced while reading, so a chunked body
 * cannot grow past it: 413), deeply nested or member-heavy documents that exhaust the stack or CPU (400), prototype
 * pollution through `__proto__` or `constructor.prototype` keys (the whole body is refused: 400), invalid UTF-8, and
 * bodies of another media type reaching a JSON handler (415). Refusals are problems; the parser's message never is.
 */
export function rampartJson(options: JsonBodyOptions = {}): RequestHandler {
  const fallback = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const accepts = mediaTypeAllowlist(options.contentTypes ?? ['application/json']);
  const { maxDepth, maxKeys } = options;
  // Checks the limits at startup (parseJson throws a ConfigurationError on a bad one), not on the first request.
  parseJson('{}', { maxBytes: fallback, ...(maxDepth === undefined ? {} : { maxDepth }), ...(maxKeys === undefined ? {} : { maxKeys }) });
  return function rampartJsonBody(req, res, next) {
    if (req.body !== undefined || !hasBody(req)) {
      next();
      return undefined;
    }
    if (!accepts(req.headers['content-type'])) {
      sendProblem(res, bodyProblem('unsupported_media_type'), correlationIdOf(req, res));
      return undefined;
    }
    const limit = limitFor(res, fallback);
    return readBody(req, limit).then((read) => {
      if (!read.ok) {
        sendProblem(res, bodyProblem(read.reason), correlationIdOf(req, res));
        return;
      }
      const parsed = parseJson(read.value, {
        maxBytes: limit,
        ...(maxDepth === undefined ? {} : { maxDepth }),
        ...(maxKeys === undefined ? {} : { maxKeys }),
      });
      if (!parsed.ok) {
        sendProblem(res, bodyProblem(parsed.reason), correlationIdOf(req, res));
        return;
      }
      req.body = parsed.value;
      next();
    });
  };
}

/**
 * Urlencoded form parser for Express, to use instead of `express.urlencoded()`: the body limit is enforced while
 * reading (413), fields are capped (400), and the result has no prototype, so `__proto__` and `constructor` fields
 * pollute nothing. A form that `rampart()` already read to finish a CSRF check is not read twice.
 */
export function rampartForm(options: FormBodyOptions = {}): RequestHandler {
  return function rampartFormBody(req, res, next) {
    if (req.body !== undefined || !hasBody(req)) {
      next();
      return undefined;
    }
    if (!isUrlencoded(req.headers['content-type'])) {
      sendProblem(res, bodyProblem('unsupported_media_type'), correlationIdOf(req, res));
      return undefined;
    }
    return readForm(req, res, options).then((form) => {
      if (form === undefined) return;
      req.body = form;
      next();
    });
  };
}
