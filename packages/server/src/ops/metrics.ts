import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, type AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { ServerConfig } from '../config/config.js';
import { methodOf, routeOf, statusClassOf } from './request-facts.js';

/** The metrics path, on the metrics listener and (when exposed there) on the main port. */
export const METRICS_PATH = '/metrics';

const LABELS = ['method', 'route', 'status_class'] as const;
type Label = (typeof LABELS)[number];

/**
 * The server's Prometheus metrics, in a registry of its own: the process's defaults (CPU, memory, event loop, GC,
 * handles) and HTTP requests counted and timed by method, route pattern and status class. Labels come from a fixed
 * set of values (route patterns, not paths), so a client requesting a million distinct URLs cannot make a million
 * time series (memory exhaustion of the server and of the monitoring system).
 */
export class ServerMetrics {
  /** Its own registry, not prom-client's global one: two servers in one process never mix their counts. */
  readonly registry = new Registry();
  readonly #requests: Counter<Label>;
  readonly #duration: Histogram<Label>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.#requests = new Counter({ name: 'rampart_http_requests_total', help: 'HTTP requests answered, by method, route pattern and status class.', labelNames: LABELS, registers: [this.registry] });
    this.#duration = new Histogram({
      name: 'rampart_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, by method, route pattern and status class.',
      labelNames: LABELS,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /** Counts one answered request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status_class: statusClassOf(status) };
    this.#requests.inc(labels);
    this.#duration.observe(labels, seconds);
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ readonly contentType: string; readonly body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Counts every response the app sends, including refusals by the guard chain and 404s. */
export function countRequests(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observe(methodOf(request), routeOf(request), reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * Where /metrics is served:
 * - `listener`: `metrics.port` is set. A separate socket on `metrics.host` (default 127.0.0.1); the main port has no
 *   /metrics at all, so putting the API on the internet never puts the metrics there.
 * - `main-port-loopback`: no metrics port, development. /metrics on the main port, answered only to a loopback peer that
 *   did not come through a proxy; everyone else gets the same 404 as for any unknown path.
 * - `none`: no metrics port, production. A reverse proxy on the same host makes every request arrive from loopback, so
 *   loopback is no evidence of a local caller there; production exposes metrics only on a metrics port.
 */
export type MetricsExposure =
  | { readonly kind: 'listener'; readonly host: string; readonly port: number }
  | { readonly kind: 'main-port-loopback' }
  | { readonly kind: 'none' };

/** Decides the {@link MetricsExposure} for a configuration. */
export function metricsExposure(config: Pick<ServerConfig, 'env' | 'metrics'>): MetricsExposure {
  if (config.metrics !== undefined) return { kind: 'listener', host: config.metrics.host, port: config.metrics.port };
  return config.env === 'production' ? { kind: 'none' } : { kind: 'main-port-loopback' };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

// Headers a proxy adds: their presence means the loopback peer is a proxy relaying someone else.
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip', 'via'] as const;

/**
 * Whether a main-port request may read the metrics: the socket's peer (never a header: the main port trusts no proxy)
 * is loopback, and no proxy header says it relays another client.
 */
export function isLocalUnproxied(request: FastifyRequest): boolean {
  const peer = request.raw.socket.remoteAddress;
  if (peer === undefined || !LOOPBACK.check(peer, peer.includes(':') ? 'ipv6' : 'ipv4')) return false;
  return PROXY_HEADERS.every((name) => request.headers[name] === undefined);
}

/**
 * Serves /metrics on the main port to local, unproxied callers only ({@link isLocalUnproxied}); anyone else gets the
 * app's ordinary 404, so the route's existence is not disclosed either.
 */
export function serveMetricsOnMainPort(app: FastifyInstance, metrics: ServerMetrics): void {
  app.get(METRICS_PATH, async (request, reply) => {
    if (!isLocalUnproxied(request)) {
      reply.callNotFound();
      return reply;
    }
    const { contentType, body } = await metrics.scrape();
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });
}

/** A running metrics listener. */
export interface MetricsListener {
  readonly url: string;
  /** Stops accepting, waits for scrapes in flight up to `graceMs`, then drops the remaining connections. */
  close(graceMs: number): Promise<void>;
}

const PLAIN = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-type': 'text/plain; charset=utf-8' } as const;

function answer(metrics: ServerMetrics, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '').split('?', 1)[0];
  if (path !== METRICS_PATH) {
    response.writeHead(404, PLAIN).end('not found\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...PLAIN, allow: 'GET, HEAD' }).end('method not allowed\n');
    return;
  }
  metrics.scrape().then(
    ({ contentType, body }) => {
      response.writeHead(200, { ...PLAIN, 'content-type': contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
    },
    () => {
      response.writeHead(500, PLAIN).end('metrics unavailable\n');
    },
  );
}

function urlOf(address: AddressInfo): string {
  return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/**
 * Starts the separate metrics listener: GET/HEAD /metrics and nothing else (no API, no body read, no state changed),
 * so it can be exposed to a monitoring network the API port never sees, and the API port to the internet without it.
 */
export async function startMetricsListener(metrics: ServerMetrics, host: string, port: number): Promise<MetricsListener> {
  const server: Server = createServer((request, response) => {
    answer(metrics, request, response);
  });
  // A scrape is one small GET: nothing needs long header or request windows (slowloris).
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = urlOf(server.address() as AddressInfo);
  return {
    url,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.closeAllConnections();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
