import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The example app's throwaway CA, issuing for test names only: one PKI helper for the repository.
import { createTestCertificates, type TestCertificates } from '../../../../../examples/web-app/tls.js';
import type { SecurityEvent } from '../../events.js';
import type { SinkReport } from './sink.js';
import { syslogSink } from './syslog.js';
import { listenCollector, parseSyslog, type Collector } from './testing.fixtures.js';

const at = new Date('2026-11-28T10:00:00.000Z');
const event = (n: number, attributes: Record<string, string | number> = {}): SecurityEvent => ({ type: 'auth.login.failed', at, subject: `user${n}`, attributes: { n, ...attributes } });

let pki: TestCertificates;
let other: TestCertificates;

beforeAll(async () => {
  pki = await createTestCertificates({ dns: ['syslog.test'], ip: [] });
  other = await createTestCertificates({ dns: ['syslog.test'], ip: [] });
});

describe('syslogSink over TCP (RFC 6587 octet counting)', () => {
  let collector: Collector;
  beforeAll(async () => {
    collector = await listenCollector();
  });
  afterAll(async () => {
    await collector.close();
  });

  it('delivers framed RFC 5424 messages in order; a CR/LF inside an attribute does not split a message', async () => {
    const sink = syslogSink({ host: '127.0.0.1', port: collector.port, hostname: 'app-1', appName: 'shop', procId: '7' });
    const start = collector.messages.length;
    sink.write(event(1, { note: 'line one\r\n<86>1 2026-11-28T10:00:00Z forged - - - - injected' }));
    sink.write(event(2, { note: 'quote " backslash \\ bracket ]' }));
    sink.write(event(3));
    await sink.flush();
    await collector.received(start + 3);
    const parsed = collector.messages.slice(start).map(parseSyslog);
    expect(parsed).toHaveLength(3);
    expect(parsed.map((message) => message.params.find(([name]) => name === 'n')?.[1])).toEqual(['1', '2', '3']);
    expect(parsed[0]).toMatchObject({ pri: 10 * 8 + 4, version: 1, hostname: 'app-1', appName: 'shop', procId: '7', msgId: 'auth.login.failed', sdId: 'rampart@32473' });
    expect(parsed[0]!.params).toContainEqual(['note', 'line one\r\n<86>1 2026-11-28T10:00:00Z forged - - - - injected']);
    expect(parsed[1]!.params).toContainEqual(['note', 'quote " backslash \\ bracket ]']);
    await sink.close();
    expect(sink.stats()).toEqual({ sent: 3, dropped: 0, failed: 0, buffered: 0 });
  });

  it('reconnects after the collector drops the connection', async () => {
    const sink = syslogSink({ host: '127.0.0.1', port: collector.port, retryInitialMs: 5, retryMaxMs: 20 });
    const start = collector.messages.length;
    sink.write(event(1));
    await sink.flush();
    await collector.received(start + 1);
    const connections = collector.connections();
    collector.dropConnections();
    // TCP has no acknowledgements (RFC 6587): a message written before the sink sees the FIN can be lost, which is
    // why the README points at JetStream or the webhook when every event must be acknowledged. Write until one
    // arrives over a new connection (bounded), then check that later events all arrive, in order.
    const arrived = (n: number): boolean => collector.messages.slice(start).some((message) => parseSyslog(message).params.some(([name, value]) => name === 'n' && value === String(n)));
    let n = 1;
    do {
      n += 1;
      sink.write(event(n));
      await sink.flush();
      await Promise.race([collector.received(collector.messages.length + 1), new Promise((resolve) => setTimeout(resolve, 50))]);
    } while (n < 40 && !arrived(n));
    expect(arrived(n)).toBe(true);
    expect(collector.connections()).toBeGreaterThan(connections);
    const before = collector.messages.length;
    for (let i = 100; i < 103; i += 1) sink.write(event(i));
    await sink.flush();
    await collector.received(before + 3);
    expect(collector.messages.slice(before).map((message) => parseSyslog(message).params.find(([name]) => name === 'n')?.[1])).toEqual(['100', '101', '102']);
    await sink.close();
  });

  it('attack: a collector that is down fills the bounded buffer, then events are dropped, counted and reported', async () => {
    const down = await listenCollector();
    const port = down.port;
    await down.close();
    const reports: SinkReport[] = [];
    const sink = syslogSink({ host: '127.0.0.1', port, bufferSize: 10, retryInitialMs: 5, retryMaxMs: 10, closeTimeoutMs: 0, events: (report) => reports.push(report) });
    const write: (event: SecurityEvent) => unknown = sink.write.bind(sink);
    for (let i = 0; i < 25; i += 1) expect(write(event(i))).toBeUndefined();
    expect(sink.stats()).toEqual({ sent: 0, dropped: 15, failed: 0, buffered: 10 });
    await Promise.resolve();
    expect(reports).toEqual([{ type: 'audit.sink.dropped', sink: 'syslog', count: 15, total: 15 }]);
    await sink.close();
    expect(sink.stats()).toEqual({ sent: 0, dropped: 15, failed: 10, buffered: 0 });
    await Promise.resolve();
    expect(reports.at(-1)).toEqual({ type: 'audit.sink.failed', sink: 'syslog', count: 10, total: 10 });
  });

  it('attack: a collector that accepts but stops reading cannot hang close()', async () => {
    const stuck = await new Promise<{ server: Server; port: number; sockets: Socket[] }>((resolve) => {
      const sockets: Socket[] = [];
      const server = createServer((socket) => {
        socket.pause(); // never reads: the sender's kernel buffer fills and its write never completes
        sockets.push(socket);
      });
      server.listen(0, '127.0.0.1', () => {
        resolve({ server, port: (server.address() as AddressInfo).port, sockets });
      });
    });
    const sink = syslogSink({ host: '127.0.0.1', port: stuck.port, bufferSize: 100, batchSize: 100, flushTimeoutMs: 50, closeTimeoutMs: 0 });
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 100; i += 1) sink.write(event(i, { big }));
    await sink.flush();
    // The first event may go out alone before the rest are written; the big batch behind it is stuck in flight.
    const before = sink.stats();
    expect(before.buffered).toBeGreaterThanOrEqual(99);
    await sink.close();
    expect(sink.stats()).toEqual({ sent: before.sent, dropped: 0, failed: before.buffered, buffered: 0 });
    for (const socket of stuck.sockets) socket.destroy();
    await new Promise((resolve) => stuck.server.close(resolve));
  });

  it('refuses a missing port or host at construction', () => {
    expect(() => syslogSink({ host: '127.0.0.1' } as unknown as Parameters<typeof syslogSink>[0])).toThrow(/port/);
    expect(() => syslogSink({ host: '', port: 514 })).toThrow(/host/);
  });
});

describe('syslogSink over TLS (RFC 5425)', () => {
  it('delivers over a verified TLS connection', async () => {
    const collector = await listenCollector({ cert: pki.certPem, key: pki.keyPem });
    const sink = syslogSink({ host: '127.0.0.1', port: collector.port, tls: { ca: pki.caPem, servername: 'syslog.test' } });
    sink.write(event(1, { note: 'über\nnext' }));
    sink.write(event(2));
    await sink.flush();
    await collector.received(2);
    const parsed = collector.messages.map(parseSyslog);
    expect(parsed[0]).toMatchObject({ pri: 10 * 8 + 4, version: 1, sdId: 'rampart@32473' });
    expect(parsed[0]!.params).toContainEqual(['note', 'über\nnext']);
    expect(parsed[1]!.params).toContainEqual(['n', '2']);
    await sink.close();
    await collector.close();
    expect(sink.stats()).toEqual({ sent: 2, dropped: 0, failed: 0, buffered: 0 });
  });

  it('attack: a collector with a certificate from another CA, or for another name, receives nothing', async () => {
    const impostor = await listenCollector({ cert: other.certPem, key: other.keyPem });
    const wrongCa = syslogSink({ host: '127.0.0.1', port: impostor.port, tls: { ca: pki.caPem, servername: 'syslog.test' }, retryInitialMs: 5, retryMaxMs: 10, flushTimeoutMs: 200, closeTimeoutMs: 0 });
    wrongCa.write(event(1));
    await wrongCa.flush();
    await wrongCa.close();
    const genuine = await listenCollector({ cert: pki.certPem, key: pki.keyPem });
    const wrongName = syslogSink({ host: '127.0.0.1', port: genuine.port, tls: { ca: pki.caPem, servername: 'other.test' }, retryInitialMs: 5, retryMaxMs: 10, flushTimeoutMs: 200, closeTimeoutMs: 0 });
    wrongName.write(event(2));
    await wrongName.flush();
    await wrongName.close();
    expect(impostor.messages).toHaveLength(0);
    expect(genuine.messages).toHaveLength(0);
    expect(wrongCa.stats()).toMatchObject({ sent: 0, failed: 1 });
    expect(wrongName.stats()).toMatchObject({ sent: 0, failed: 1 });
    await impostor.close();
    await genuine.close();
  });
});
