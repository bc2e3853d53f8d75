import { randomUUID } from 'node:crypto';
import { correlationIdFrom, PROBLEM_CONTENT_TYPE } from '@rampart/core/http';
import type {} from '@rampart/fastify'; // the `request.rampart` declaration
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';

/** The route label of a request no route matched: one value, however many distinct paths scanners try. */
export const UNMATCHED_ROUTE = '(unmatched)';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The route pattern (`/v1/accounts/:id`), never the URL: the URL carries query strings (tokens, emails) and path
 * values an attacker chooses, and as a metrics label every distinct path would be a new time series.
 */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/** The method, or `OTHER` for anything outside the usual set, so labels stay a small fixed set. */
export function methodOf(request: FastifyRequest): string {
  return KNOWN_METHODS.has(request.method) ? request.method : 'OTHER';
}

/** `2xx`, `4xx`…: the status class labels use (the exact status is in the logs). */
export function statusClassOf(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * Fastify's request id: the trace-id of a well-formed W3C `traceparent`, as the guard chain derives its correlation
 * id (so the two agree whenever the client sends one), else a random UUID. Never a client's `request-id` header
 * taken as is: that would let a client put arbitrary text into every log line of its request.
 */
export function requestIdFor(raw: IncomingMessage): string {
  const traceparent = raw.headers.traceparent;
  return typeof traceparent === 'string' ? correlationIdFrom(traceparent) : randomUUID();
}

// The correlation id of a problem sent before the chain handed the request over (a guard refused it): only the
// response body carries it then. Our own JSON, bounded; the id shapes correlationIdFrom produces.
const refusedIds = new WeakMap<FastifyRequest, string>();
const CORRELATION_ID = /"correlationId":"([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"/;
const MAX_PROBLEM_BYTES = 8192;

/**
 * Remembers the correlation id of every problem response sent while `request.rampart` is unset (a request the guard
 * chain refused: 413, 429, 403…), so the log line carries the id the client was shown and an operator can find the
 * request a user reports.
 */
export function rememberRefusedCorrelationIds(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.rampart === null || request.rampart === undefined) {
      const type = reply.getHeader('content-type');
      if (typeof payload === 'string' && payload.length <= MAX_PROBLEM_BYTES && typeof type === 'string' && type.startsWith(PROBLEM_CONTENT_TYPE)) {
        const id = CORRELATION_ID.exec(payload)?.[1];
        if (id !== undefined) refusedIds.set(request, id);
      }
    }
    done(null, payload);
  });
}

/**
 * The id that ties this request's log line to what the client saw: the guard chain's correlation id when the chain let
 * the request through, the one in the problem it was refused with otherwise, else Fastify's request id.
 */
export function correlationIdOf(request: FastifyRequest): string {
  return request.rampart?.correlationId ?? refusedIds.get(request) ?? request.id;
}
