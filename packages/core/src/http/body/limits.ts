import { ConfigurationError } from '../../errors.js';
import { securityEvent, type SecurityEventSink } from '../../events.js';
import type { Problem } from '../problem/problem.js';
import { CONTINUE, contextKey, type ContextKey, type Deny, type Guard, type GuardContext, type RequestView, type Verdict } from '../chain/types.js';
import { mediaTypeAllowlist } from './media-type.js';
import { bodyProblem, type BodyRefusal } from './problems.js';

/** Default body limit: 100 KiB, as body-parser and Fastify-sized JSON APIs use. */
export const DEFAULT_MAX_BODY_BYTES = 102_400;

/** A per-route override. The first rule that matches the request wins; unmatched requests get the defaults. */
export interface BodyRoute {
  /** Upper-case method; any method when absent. */
  readonly method?: string;
  /** An exact path (`/avatar`), or a prefix ending in `*` (`/uploads/*`). Compared with the path as sent. */
  readonly path: string;
  readonly maxBytes?: number;
  readonly contentTypes?: readonly string[];
  /** Named loosening: accept a body on GET (a search API that takes a JSON query). */
  readonly allowBodyOnGet?: boolean;
}

export interface BodyLimitsOptions {
  /** Largest body in bytes. Default 102400 (100 KiB). */
  readonly maxBytes?: number;
  /** Media types accepted (`type/subtype`). Default `['application/json']`. */
  readonly contentTypes?: readonly string[];
  readonly routes?: readonly BodyRoute[];
  /** Named loosening: content codings accepted besides `identity` (`['gzip']`); the limit then bounds compressed bytes. */
  readonly allowContentEncodings?: readonly string[];
  /** Receives `http.body.refused` per refusal is the chain's job; this sink gets `config.loosened` once, at build. */
  readonly events?: SecurityEventSink;
}

/**
 * The byte limit that applies to this request's body, set by the guard for the adapter: a chunked body has no
 * declared length, so the adapter enforces the limit while reading (`readBody`).
 */
export const BODY_LIMIT: ContextKey<number> = contextKey<number>('body-limit');

interface CompiledRule {
  readonly method: string | undefined;
  readonly exact: string | undefined;
  readonly prefix: string | undefined;
  readonly maxBytes: number;
  readonly accepts: (contentType: string | undefined) => boolean;
  readonly allowBodyOnGet: boolean;
  readonly unsupported: Deny;
  readonly unsupportedPost: Deny;
  readonly unsupportedPatch: Deny;
}

/** Methods whose content has no defined semantics (RFC 9110 §9.3.1, §9.3.2) or is forbidden (§9.3.8, TRACE). */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE', 'CONNECT']);
/** RFC 9110 §8.6: 1*DIGIT. No sign, no list, no whitespace, and few enough digits to stay an exact integer. */
const CONTENT_LENGTH = /^\d{1,15}$/;
const METHOD = /^[A-Z]+$/;
/**
 * Paths a router may resolve differently from a plain string comparison: dot segments, encoded slashes, dots and
 * backslashes. A route rule loosens limits, so such a path gets the defaults rather than a guess.
 */
const AMBIGUOUS_PATH = /(?:^|\/)\.\.?(?:\/|$)|%2[ef]|%5c|\\/i;

function validSize(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new ConfigurationError(`body: ${field} must be a whole number of bytes`);
  }
  return value;
}

function frozenDeny(value: Problem): Deny {
  return Object.freeze({ action: 'deny', problem: value });
}

function unsupportedWith(header: string | undefined, types: readonly string[]): Deny {
  const base = bodyProblem('unsupported_media_type');
  if (header === undefined) return frozenDeny(base);
  // RFC 9110 §15.5.16: a 415 may name the accepted types (Accept-Post, Accept-Patch per RFC 5789 §3.1).
  return frozenDeny(Object.freeze({ ...base, headers: Object.freeze({ [header]: types.join(', ') }) }));
}

function compileRule(route: BodyRoute | undefined, maxBytes: number, contentTypes: readonly string[], index: number): CompiledRule {
  const field = route === undefined ? 'options' : `routes[${index}]`;
  let exact: string | undefined;
  let prefix: string | undefined;
  if (route !== undefined) {
    const path: unknown = route.path;
    const star = typeof path === 'string' ? path.indexOf('*') : -1;
    if (typeof path !== 'string' || !path.startsWith('/') || (star !== -1 && star !== path.length - 1)) {
      throw new ConfigurationError(`body: ${field}.path must start with "/" and may end in "*"`);
    }
    if (path.endsWith('*')) prefix = path.slice(0, -1);
    else exact = path;
    if (route.method !== undefined && !METHOD.test(route.method)) throw new ConfigurationError(`body: ${field}.method must be upper case`);
  }
  const types = route?.contentTypes ?? contentTypes;
  return {
    method: route?.method,
    exact,
    prefix,
    maxBytes: validSize(route?.maxBytes, `${field}.maxBytes`) ?? maxBytes,
    accepts: mediaTypeAllowlist(types),
    allowBodyOnGet: route?.allowBodyOnGet === true,
    unsupported: unsupportedWith(undefined, types),
    unsupportedPost: unsupportedWith('accept-post', types),
    unsupportedPatch: unsupportedWith('accept-patch', types),
  };
}

/**
 * The request-body guard (`guardName: 'body'`): refuses, before the application reads a byte, bodies that are too
 * large (413), of a media type or content coding the route does not accept (415), framed ambiguously (400), or sent
 * with a method that takes none (400).
 *
 * Protects against memory and CPU exhaustion by large bodies, against request smuggling through conflicting
 * `Content-Length` / `Transfer-Encoding`, against decompression bombs (content codings are refused unless named),
 * and against cross-site form posts and charset tricks reaching a JSON handler. A chunked body has no declared
 * length: the guard leaves its limit under {@link BODY_LIMIT} for the adapter to enforce with `readBody`.
 */
export function bodyLimits(options: BodyLimitsOptions = {}): Guard {
  const maxBytes = validSize(options.maxBytes, 'maxBytes') ?? DEFAULT_MAX_BODY_BYTES;
  const contentTypes = options.contentTypes ?? ['application/json'];
  const fallback = compileRule(undefined, maxBytes, contentTypes, 0);
  const rules = (options.routes ?? []).map((route, index) => compileRule(route, maxBytes, contentTypes, index));
  const encodings = new Set(['identity', ...(options.allowContentEncodings ?? []).map((coding) => coding.toLowerCase())]);

  const events = options.events;
  if (events !== undefined) {
    const loosened = (option: string): void => {
      events(securityEvent('config.loosened', undefined, { control: 'http.body', option }));
    };
    if (encodings.size > 1) loosened('allowContentEncodings');
    if (rules.some((rule) => rule.allowBodyOnGet)) loosened('allowBodyOnGet');
  }

  const denials = new Map<BodyRefusal, Deny>();
  function refuse(context: GuardContext, reason: BodyRefusal): Deny {
    context.emit(securityEvent('http.body.refused', undefined, { reason }));
    let verdict = denials.get(reason);
    if (verdict === undefined) {
      verdict = frozenDeny(bodyProblem(reason));
      denials.set(reason, verdict);
    }
    return verdict;
  }

  function ruleFor(request: RequestView): CompiledRule {
    if (rules.length === 0 || AMBIGUOUS_PATH.test(request.path)) return fallback;
    const path = request.path;
    for (const rule of rules) {
      if (rule.method !== undefined && rule.method !== request.method) continue;
      if (rule.exact === undefined ? path.startsWith(rule.prefix as string) : path === rule.exact) return rule;
    }
    return fallback;
  }

  const guard = (request: RequestView, context: GuardContext): Verdict => {
    const transferEncoding = request.header('transfer-encoding');
    const contentLength = request.header('content-length');
    let declared: number | undefined;
    if (transferEncoding === undefined) {
      // No framing header, or an explicit zero: there is no body to check (RFC 9112 §6.3).
      if (contentLength === undefined || contentLength === '0') return CONTINUE;
      if (!CONTENT_LENGTH.test(contentLength)) return refuse(context, 'bad_framing');
      declared = Number(contentLength);
      if (declared === 0) return CONTINUE;
    } else if (contentLength !== undefined || transferEncoding.trim().toLowerCase() !== 'chunked') {
      // Both framings at once is the request-smuggling signature (RFC 9112 §6.1, §6.3); other codings than chunked
      // alone hide the body's real size.
      return refuse(context, 'bad_framing');
    }

    const rule = ruleFor(request);
    if (BODYLESS.has(request.method) && !(rule.allowBodyOnGet && request.method === 'GET')) return refuse(context, 'not_allowed');
    if (declared !== undefined && declared > rule.maxBytes) return refuse(context, 'too_large');
    const coding = request.header('content-encoding');
    if (coding !== undefined && !encodings.has(coding.trim().toLowerCase())) return refuse(context, 'unsupported_encoding');
    if (!rule.accepts(request.header('content-type'))) {
      context.emit(securityEvent('http.body.refused', undefined, { reason: 'unsupported_media_type' }));
      if (request.method === 'POST') return rule.unsupportedPost;
      return request.method === 'PATCH' ? rule.unsupportedPatch : rule.unsupported;
    }
    context.set(BODY_LIMIT, rule.maxBytes);
    return CONTINUE;
  };
  return Object.assign(guard, { guardName: 'body' });
}
