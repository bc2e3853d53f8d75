import { createServer as createHttpServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest } from '../testing/browser-client.fixtures.js';
import { startTestServer } from '../testing/server.fixtures.js';

interface ExportedSpan {
  readonly traceId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes: readonly { readonly key: string; readonly value: Record<string, unknown> }[];
}

describe('OpenTelemetry traces (a real OTLP/HTTP receiver on 127.0.0.1)', () => {
  let collector: Server;
  let endpoint = '';
  const bodies: string[] = [];
  beforeAll(async () => {
    collector = createHttpServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        if (request.url === '/v1/traces') bodies.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((ready) => collector.listen(0, '127.0.0.1', ready));
    const address = collector.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((done) => collector.close(done));
  });

  it('exports one span per request, joined to the caller\'s traceparent, with the route template and never the ids, query or headers', async () => {
    const t = await startTestServer({ env: { RAMPART_INSTANCE_ID: 'traced', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      await apiRequest(t.url, 'DELETE', '/v1/sessions/secret-handle-123?token=hunter2', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, authorization: 'Bearer not-a-jwt' } });
      await apiRequest(t.url, 'GET', '/readyz');
    } finally {
      await t.close(); // flushes the exporter
    }
    const text = bodies.join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('secret-handle-123');
    expect(text).not.toContain('not-a-jwt');
    const spans = bodies.flatMap((body) => {
      const parsed = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[] };
      return parsed.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans));
    });
    const sessions = spans.find((span) => span.name === 'DELETE /v1/sessions/:handle');
    expect(sessions?.traceId).toBe(traceId);
    expect(sessions?.parentSpanId).toBe('00f067aa0ba902b7');
    const status = sessions?.attributes.find((attribute) => attribute.key === 'http.response.status_code')?.value;
    expect(status).toEqual({ intValue: 401 });
    expect(spans.some((span) => span.name === 'GET /readyz')).toBe(true);
    expect(text).toContain('"service.instance.id"');
  });
});
