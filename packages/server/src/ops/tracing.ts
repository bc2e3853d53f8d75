import { context, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The server's tracing: spans out to an OTLP collector, flushed on close. */
export interface ServerTracing {
  /** Exports what is pending and stops. */
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's span, when tracing is on. */
    traceSpan?: Span;
  }
}

const getter = {
  keys: (carrier: FastifyRequest['headers']) => Object.keys(carrier),
  get: (carrier: FastifyRequest['headers'], key: string) => carrier[key],
};

/**
 * One server span per request, exported over OTLP/HTTP to `endpoint` (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), joined to
 * the caller's trace by the W3C `traceparent` header — the same trace id the problem details' correlation id carries.
 *
 * What a span holds is chosen, not collected: the method, the route *template* (`/v1/sessions/:handle`, never the
 * path with its ids nor the query string with its tokens), the status code and the correlation id. No headers, no
 * client address, no body: traces travel to third-party backends and are read by more people than the audit trail.
 * A provider of its own (not the global one), so embedding applications keep theirs.
 */
export function startTracing(app: FastifyInstance, endpoint: string, attributes: Readonly<Record<string, string>>): ServerTracing {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'rampart', ...attributes }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: endpoint }), scheduledDelayMillis: 1_000 })],
  });
  const tracer = provider.getTracer('@rampart/server');
  const propagator = new W3CTraceContextPropagator();
  app.decorateRequest('traceSpan', undefined);
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagator.extract(context.active(), request.headers, getter);
    const route = request.routeOptions.url ?? 'unmatched';
    request.traceSpan = tracer.startSpan(`${request.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } }, parent);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = request.traceSpan;
    if (span !== undefined) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      const correlationId = request.rampart?.correlationId;
      if (correlationId !== undefined) span.setAttribute('rampart.correlation_id', correlationId);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
  return {
    close: async () => {
      await provider.shutdown();
    },
  };
}
