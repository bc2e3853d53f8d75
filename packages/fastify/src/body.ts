import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import {
  BODY_LIMIT,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_FORM_FIELDS,
  ProblemError,
  bodyProblem,
  formProblem,
  parseForm,
  parseJson,
  readBody,
  type ParseJsonOptions,
} from '@rampart/core/http';

/** Limits of the JSON and form parsers the plugin installs. */
export interface BodyOptions {
  /**
   * Largest body in bytes when the chain has no `bodyLimits` guard; with one, the guard's limit for the route
   * applies. Default 102400 (100 KiB).
   */
  readonly maxBytes?: number;
  /** Deepest JSON nesting accepted (`{}` is 1). Default 32. */
  readonly maxDepth?: number;
  /** Most JSON members (object keys plus array elements) accepted in total. Default 10 000. */
  readonly maxKeys?: number;
  /** Most urlencoded form fields accepted. Default 1000. */
  readonly maxFields?: number;
}

type ParserDone = (error: Error | null, body?: unknown) => void;

function limitFor(request: FastifyRequest, fallback: number): number {
  return request.rampart?.get(BODY_LIMIT) ?? fallback;
}

/**
 * Replaces Fastify's JSON parser, and adds an urlencoded form parser, in the plugin's scope. Both read the raw stream
 * with core's `readBody` (the limit is enforced while reading, so a chunked body cannot grow past it: 413) and parse
 * with core's `parseJson` (depth, member count, `__proto__` / `constructor.prototype` refused: 400) or a
 * prototype-free form parser. Refusals are {@link ProblemError}s: the error handler sends their problem.
 */
export function installBodyParsers(fastify: FastifyInstance, options: BodyOptions): void {
  const fallback = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const jsonLimits: Omit<ParseJsonOptions, 'maxBytes'> = {
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    ...(options.maxKeys === undefined ? {} : { maxKeys: options.maxKeys }),
  };
  // Checks the limits at startup (parseJson throws a ConfigurationError on a bad one), not on the first request.
  parseJson('{}', { maxBytes: fallback, ...jsonLimits });
  const maxFields = options.maxFields ?? DEFAULT_MAX_FORM_FIELDS;

  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', function rampartJson(request: FastifyRequest, payload: IncomingMessage, done: ParserDone) {
    const limit = limitFor(request, fallback);
    readBody(payload, limit).then(
      (read) => {
        if (!read.ok) {
          done(new ProblemError(bodyProblem(read.reason)));
          return;
        }
        const parsed = parseJson(read.value, { maxBytes: limit, ...jsonLimits });
        if (parsed.ok) done(null, parsed.value);
        else done(new ProblemError(bodyProblem(parsed.reason)));
      },
      (error: unknown) => {
        done(error instanceof Error ? error : new Error('body read failed'));
      },
    );
  });

  if (fastify.hasContentTypeParser('application/x-www-form-urlencoded')) fastify.removeContentTypeParser('application/x-www-form-urlencoded');
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    function rampartForm(request: FastifyRequest, payload: IncomingMessage, done: ParserDone) {
      readBody(payload, limitFor(request, fallback)).then(
        (read) => {
          if (!read.ok) {
            done(new ProblemError(bodyProblem(read.reason)));
            return;
          }
          const parsed = parseForm(read.value, maxFields);
          if (parsed.ok) done(null, parsed.value);
          else done(new ProblemError(formProblem(parsed.reason)));
        },
        (error: unknown) => {
          done(error instanceof Error ? error : new Error('body read failed'));
        },
      );
    },
  );
}
