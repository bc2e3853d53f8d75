import { DEFAULT_MAX_BODY_BYTES } from '../body/limits.js';
import { mediaTypeAllowlist } from '../body/media-type.js';
import { bodyProblem } from '../body/problems.js';
import { parseJson, type ParseJsonOptions } from '../body/json.js';
import { readBody } from '../body/read.js';
import type { Problem } from '../problem/problem.js';
import { DEFAULT_MAX_FORM_FIELDS, formProblem, parseForm, type FormFields } from './form.js';

/** Limits of the adapters' JSON body parsers (`rampartJson`). */
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

/** Limits of the adapters' form parsers (`rampartForm`) and of the form bodies read to finish a CSRF check. */
export interface FormBodyOptions {
  /** Largest body in bytes when the chain has no `bodyLimits` guard. Default 102400 (100 KiB). */
  readonly maxBytes?: number;
  /** Most fields accepted. Default 1000. */
  readonly maxFields?: number;
}

/** A body read and parsed, or the problem to answer with. */
export type BodyOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: Problem };

/** A JSON body reader with its limits checked once, when the adapter's parser is built. */
export interface JsonBodyReader {
  /** The byte limit when the chain has no `bodyLimits` guard. */
  readonly maxBytes: number;
  /** Whether a `Content-Type` is one this parser takes (the rules of the body guard). */
  accepts(contentType: string | undefined): boolean;
  /** Reads at most `limit` bytes of `body` and parses them as JSON. */
  read(body: AsyncIterable<Uint8Array>, limit: number): Promise<BodyOutcome<unknown>>;
}

/**
 * Builds the JSON body reader every adapter's `rampartJson` uses: core's `readBody` and `parseJson` under one set of
 * limits, with a bad limit refused at start-up (a `ConfigurationError`), not on the first request.
 *
 * Protects against oversized bodies whatever their framing (the limit is enforced while reading, so a chunked body
 * cannot grow past it: 413), deeply nested or member-heavy documents that exhaust the stack or CPU (400), prototype
 * pollution through `__proto__` or `constructor.prototype` keys (400), invalid UTF-8, and bodies of another media
 * type (415). Refusals are problems; the parser's message never is.
 */
export function jsonBodyReader(options: JsonBodyOptions = {}): JsonBodyReader {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { maxDepth, maxKeys } = options;
  const limits: Omit<ParseJsonOptions, 'maxBytes'> = {
    ...(maxDepth === undefined ? {} : { maxDepth }),
    ...(maxKeys === undefined ? {} : { maxKeys }),
  };
  parseJson('{}', { maxBytes, ...limits });
  const accepts = mediaTypeAllowlist(options.contentTypes ?? ['application/json']);
  return {
    maxBytes,
    accepts,
    async read(body, limit) {
      const read = await readBody(body, limit);
      if (!read.ok) return { ok: false, problem: bodyProblem(read.reason) };
      const parsed = parseJson(read.value, { maxBytes: limit, ...limits });
      return parsed.ok ? parsed : { ok: false, problem: bodyProblem(parsed.reason) };
    },
  };
}

/** Whether a request is an urlencoded form, by the same media-type rules as the body guard. */
export const isUrlencoded = mediaTypeAllowlist(['application/x-www-form-urlencoded']);

/**
 * Reads at most `limit` bytes of an urlencoded form and parses it without a prototype (see `parseForm`): what every
 * adapter's `rampartForm`, and its CSRF form-field check, reads forms with.
 */
export async function readFormBody(
  body: AsyncIterable<Uint8Array>,
  limit: number,
  maxFields: number = DEFAULT_MAX_FORM_FIELDS,
): Promise<BodyOutcome<FormFields>> {
  const read = await readBody(body, limit);
  if (!read.ok) return { ok: false, problem: bodyProblem(read.reason) };
  const parsed = parseForm(read.value, maxFields);
  return parsed.ok ? parsed : { ok: false, problem: formProblem(parsed.reason) };
}
