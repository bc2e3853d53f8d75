import type { Request, RequestHandler, Response } from 'express';
import {
  BODY_LIMIT,
  DEFAULT_MAX_BODY_BYTES,
  bodyProblem,
  isUrlencoded,
  jsonBodyReader,
  readFormBody,
  type FormBodyOptions,
  type FormFields,
  type JsonBodyOptions,
} from '@rampart/core/http';
import { correlationIdOf, sendProblem } from './problem.js';

/** RFC 9112 §6.3: a request without `Transfer-Encoding` and with no or a zero `Content-Length` has no body. */
export function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The byte limit for this request: the body guard's for the route, else the parser's own. */
function limitFor(res: Response, fallback: number): number {
  return res.locals.rampart?.get(BODY_LIMIT) ?? fallback;
}

/**
 * Reads and parses an urlencoded form within the limits, answering the refusal itself. Resolves to the fields, or
 * `undefined` when a problem was sent.
 */
export async function readForm(req: Request, res: Response, options: FormBodyOptions): Promise<FormFields | undefined> {
  const form = await readFormBody(req, limitFor(res, options.maxBytes ?? DEFAULT_MAX_BODY_BYTES), options.maxFields);
  if (form.ok) return form.value;
  sendProblem(res, form.problem, correlationIdOf(req, res));
  return undefined;
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
  const reader = jsonBodyReader(options);
  return function rampartJsonBody(req, res, next) {
    if (req.body !== undefined || !hasBody(req)) {
      next();
      return undefined;
    }
    if (!reader.accepts(req.headers['content-type'])) {
      sendProblem(res, bodyProblem('unsupported_media_type'), correlationIdOf(req, res));
      return undefined;
    }
    return reader.read(req, limitFor(res, reader.maxBytes)).then((parsed) => {
      if (!parsed.ok) {
        sendProblem(res, parsed.problem, correlationIdOf(req, res));
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
