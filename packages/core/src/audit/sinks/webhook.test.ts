import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
// The example app's throwaway CA, issuing for test names only: one PKI helper for the repository.
import { createTestCertificates } from '../../../../../examples/web-app/tls.js';
import type { SecurityEvent } from '../../events.js';
import { testResolver } from '../../safe/fetch/testing.fixtures.js';
import type { SinkReport } from './sink.js';
import { webhookSink } from './webhook.js';

const at = new Date('2026-11-28T10:00:00.000Z');
const event = (n: number): SecurityEvent => ({ type: 'authz.denied', at, subject: `user${n}`, attributes: { n } });

interface Endpoint {
  readonly url: string;
  readonly port: number;
  readonly bodies: string[];
  /** Resolves when `count` requests have arrived (whether answered or not). */
  readonly requests: (count: number) => Promise<void>;
  readonly close: () => Promise<void>;
}

const open: Endpoint[] = [];

/** A real HTTP endpoint on 127.0.0.1; `answer` gets the request number (0-based) and answers or not. */
async function endpoint(answer: (index: number, response: ServerResponse) => void): Promise<Endpoint> {
  const bodies: string[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const index = bodies.length;
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      waiters = waiters.filter((waiter) => (bodies.length >= waiter.count ? (waiter.resolve(), false) : true));
      answer(index, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const result: Endpoint = {
    url: `http://127.0.0.1:${port}/events`,
    port,
    bodies,
    requests: (count) => (bodies.length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  open.push(result);
  return result;
}

/** The named loosenings a loopback test endpoint needs; production keeps the defaults (https, public addresses). */
const loopback = (port: number) => ({ allowInsecureHttp: true, allowPorts: [port], allowAddresses: ['127.0.0.1/32'] });

afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

describe('webhookSink', () => {
  it('POSTs a batch as JSON; a 500 is retried and the same batch is delivered by the next 200', async () => {
    const server = await endpoint((index, response) => response.writeHead(index === 0 ? 500 : 200).end());
    const sink = webhookSink({ url: server.url, fetch: loopback(server.port), batchSize: 3, retryInitialMs: 5, retryMaxMs: 10 });
    for (let i = 1; i <= 3; i += 1) sink.write(event(i));
    await sink.flush();
    expect(server.bodies).toHaveLength(2);
    expect(server.bodies[1]).toBe(server.bodies[0]);
    expect(JSON.parse(server.bodies[1]!)).toEqual({
      events: [1, 2, 3].map((n) => ({ type: 'authz.denied', at: '2026-11-28T10:00:00.000Z', subject: `user${n}`, attributes: { n } })),
    });
    expect(sink.stats()).toEqual({ sent: 3, dropped: 0, failed: 0, buffered: 0 });
    await sink.close();
  });

  it('sends a partial batch after batchDelayMs without a flush', async () => {
    const server = await endpoint((_index, response) => response.writeHead(204).end());
    const sink = webhookSink({ url: server.url, fetch: loopback(server.port), batchSize: 100, batchDelayMs: 10 });
    sink.write(event(1));
    sink.write(event(2));
    await server.requests(1);
    expect((JSON.parse(server.bodies[0]!) as { events: unknown[] }).events).toHaveLength(2);
    await sink.close();
  });

  it('does not retry a 4xx: the batch is counted as failed and reported', async () => {
    const reports: SinkReport[] = [];
    const server = await endpoint((_index, response) => response.writeHead(400).end());
    const sink = webhookSink({ url: server.url, fetch: loopback(server.port), batchSize: 2, retryInitialMs: 5, events: (report) => reports.push(report) });
    sink.write(event(1));
    sink.write(event(2));
    await sink.flush();
    expect(server.bodies).toHaveLength(1);
    expect(sink.stats()).toEqual({ sent: 0, dropped: 0, failed: 2, buffered: 0 });
    expect(reports).toEqual([{ type: 'audit.sink.failed', sink: 'webhook', count: 2, total: 2 }]);
    await sink.close();
  });

  it('attack: a dead endpoint (connection refused) does not block write(); the buffer fills, then drops are counted', async () => {
    const dead = await endpoint(() => undefined);
    await dead.close();
    const reports: SinkReport[] = [];
    const sink = webhookSink({ url: dead.url, fetch: loopback(dead.port), bufferSize: 5, batchSize: 5, retryInitialMs: 5, retryMaxMs: 10, closeTimeoutMs: 0, events: (report) => reports.push(report) });
    // Typed as returning unknown so the test sees what write() really returns at run time.
    const write: (event: SecurityEvent) => unknown = sink.write.bind(sink);
    const results: unknown[] = [];
    for (let i = 0; i < 12; i += 1) results.push(write(event(i)));
    // write() returned synchronously every time (no promise to wait on) and kept only bufferSize events.
    expect(results.every((result) => result === undefined)).toBe(true);
    expect(sink.stats()).toEqual({ sent: 0, dropped: 7, failed: 0, buffered: 5 });
    await Promise.resolve();
    expect(reports).toEqual([{ type: 'audit.sink.dropped', sink: 'webhook', count: 7, total: 7 }]);
    await sink.close();
    expect(sink.stats()).toEqual({ sent: 0, dropped: 7, failed: 5, buffered: 0 });
    // Closed: further writes are dropped, never thrown.
    expect(() => {
      sink.write(event(99));
    }).not.toThrow();
    expect(sink.stats().dropped).toBe(8);
  });

  it('attack: an endpoint that never answers does not block write(); close() aborts the hanging request', async () => {
    const silent = await endpoint(() => undefined);
    const sink = webhookSink({ url: silent.url, fetch: loopback(silent.port), bufferSize: 5, batchSize: 5, closeTimeoutMs: 0 });
    for (let i = 0; i < 5; i += 1) sink.write(event(i));
    await silent.requests(1); // the batch is in flight and will never be answered
    for (let i = 5; i < 15; i += 1) sink.write(event(i));
    expect(sink.stats()).toEqual({ sent: 0, dropped: 10, failed: 0, buffered: 5 });
    await sink.close();
    expect(sink.stats()).toEqual({ sent: 0, dropped: 10, failed: 5, buffered: 0 });
  });

  it('attack (SSRF): without the named loosening, a webhook URL on an internal address is refused, nothing is sent', async () => {
    const internal = await endpoint((_index, response) => response.writeHead(200).end());
    const sink = webhookSink({ url: internal.url, fetch: { allowInsecureHttp: true, allowPorts: [internal.port] }, retryInitialMs: 5 });
    sink.write(event(1));
    await sink.flush();
    expect(internal.bodies).toHaveLength(0);
    expect(sink.stats()).toEqual({ sent: 0, dropped: 0, failed: 1, buffered: 0 });
    await sink.close();
  });

  it('attack: a redirect is not followed (the audit stream has one destination)', async () => {
    const elsewhere = await endpoint((_index, response) => response.writeHead(200).end());
    const redirecting = await endpoint((_index, response) => response.writeHead(307, { location: elsewhere.url }).end());
    const sink = webhookSink({ url: redirecting.url, fetch: { ...loopback(redirecting.port), allowPorts: [redirecting.port, elsewhere.port] }, retryInitialMs: 5 });
    sink.write(event(1));
    await sink.flush();
    expect(redirecting.bodies).toHaveLength(1);
    expect(elsewhere.bodies).toHaveLength(0);
    expect(sink.stats()).toMatchObject({ sent: 0, failed: 1 });
    await sink.close();
  });

  it('delivers over HTTPS, verifying the collector certificate against its name', async () => {
    const pki = await createTestCertificates({ dns: ['siem.test'], ip: [] });
    const bodies: string[] = [];
    const server = createHttpsServer({ cert: pki.certPem, key: pki.keyPem }, (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fetch = { ca: pki.caPem, allowPorts: [port], allowAddresses: ['127.0.0.1/32'], resolver: testResolver({ 'siem.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] }) };
    const sink = webhookSink({ url: `https://siem.test:${port}/events`, fetch, headers: { authorization: 'Bearer collector-token' } });
    sink.write(event(1));
    await sink.flush();
    expect(bodies).toHaveLength(1);
    expect(sink.stats()).toEqual({ sent: 1, dropped: 0, failed: 0, buffered: 0 });
    await sink.close();
    // attack: a name the certificate does not cover is refused (TLS failure is final, nothing is sent)
    const wrong = webhookSink({ url: `https://other.test:${port}/events`, fetch, retryInitialMs: 5 });
    wrong.write(event(2));
    await wrong.flush();
    expect(bodies).toHaveLength(1);
    expect(wrong.stats()).toMatchObject({ sent: 0, failed: 1 });
    await wrong.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a URL that does not parse', () => {
    expect(() => webhookSink({ url: 'not a url' })).toThrow(/url/);
  });
});
