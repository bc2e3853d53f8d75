import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as globalRegistry } from 'prom-client';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createServer, type RampartServer } from '../app.js';
import { loadConfig } from '../config/config.js';
import { ensureDataDir } from '../data-dir.js';
import { metricsExposure } from './metrics.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-metrics-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const KEK = 'e'.repeat(64);
const silent = { write: () => undefined };

async function start(env: NodeJS.ProcessEnv = {}): Promise<{ server: RampartServer; url: string }> {
  const cwd = mkdtempSync(join(root, 's'));
  const config = loadConfig({ env: { RAMPART_PORT: '0', ...env }, cwd });
  ensureDataDir(config.dataDir);
  const server = await createServer(config, { logDestination: silent });
  return { server, url: await server.listen() };
}

/** The value of one sample line (`name{labels} value`) in an exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// A non-loopback address of this machine, to connect from something that is not 127.0.0.1.
const external = Object.values(networkInterfaces())
  .flat()
  .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address;

describe('the metrics listener (metrics.port set)', () => {
  it('serves request counts, durations and process metrics on its own port, and nothing on the main port', async () => {
    const { server, url } = await start({ RAMPART_METRICS_PORT: '0' });
    const metricsUrl = server.metricsUrl();
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await fetch(`${url}/readyz`);
    await fetch(`${url}/readyz?token=secret-value`);
    await fetch(`${url}/livez`, { method: 'POST', body: 'x'.repeat(100_000), headers: { 'content-type': 'application/json' } });
    expect((await fetch(`${url}/metrics`)).status).toBe(404);

    await vi.waitFor(async () => {
      const body = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(sample(body, 'rampart_http_requests_total{method="GET",route="/readyz",status_class="2xx"}')).toBe(2);
    });
    const scrape = await fetch(`${metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const body = await scrape.text();
    expect(sample(body, 'rampart_http_request_duration_seconds_count{method="GET",route="/readyz",status_class="2xx"}')).toBe(2);
    expect(sample(body, 'rampart_http_requests_total{method="POST",route="(unmatched)",status_class="4xx"}')).toBe(1);
    expect(sample(body, 'rampart_http_requests_total{method="GET",route="(unmatched)",status_class="4xx"}')).toBe(1); // the main-port /metrics
    expect(body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(body).toMatch(/^nodejs_heap_size_total_bytes /m);
    expect(body).not.toContain('secret-value');

    expect((await fetch(`${metricsUrl}/readyz`)).status).toBe(404);
    expect((await fetch(`${metricsUrl}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);
    await server.close();
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });

  it('keeps one series per route pattern however many distinct paths a client requests (no label explosion)', async () => {
    const { server, url } = await start({ RAMPART_METRICS_PORT: '0' });
    for (let i = 0; i < 200; i += 1) await fetch(`${url}/scan-${i}-${Math.floor(performance.now())}?q=${i}`);
    await vi.waitFor(async () => {
      const body = await (await fetch(`${server.metricsUrl() ?? ''}/metrics`)).text();
      expect(sample(body, 'rampart_http_requests_total{method="GET",route="(unmatched)",status_class="4xx"}')).toBe(200);
    });
    const body = await (await fetch(`${server.metricsUrl() ?? ''}/metrics`)).text();
    expect(body.split('\n').filter((line) => line.startsWith('rampart_http_requests_total{'))).toHaveLength(1);
    expect(body).not.toContain('scan-');
    await server.close();
  });

  it('uses a registry of its own: two servers do not share counts, and the global registry stays empty', async () => {
    const first = await start({ RAMPART_METRICS_PORT: '0' });
    const second = await start({ RAMPART_METRICS_PORT: '0' });
    await fetch(`${first.url}/livez`);
    await vi.waitFor(async () => {
      const body = await (await fetch(`${first.server.metricsUrl() ?? ''}/metrics`)).text();
      expect(sample(body, 'rampart_http_requests_total{method="GET",route="/livez",status_class="2xx"}')).toBe(1);
    });
    const other = await (await fetch(`${second.server.metricsUrl() ?? ''}/metrics`)).text();
    expect(sample(other, 'rampart_http_requests_total{method="GET",route="/livez",status_class="2xx"}')).toBeUndefined();
    expect(await globalRegistry.metrics()).not.toContain('rampart_http');
    await first.server.close();
    await second.server.close();
  });

  it('refuses to start when the metrics port is taken, and leaves nothing listening', async () => {
    const { server } = await start({ RAMPART_METRICS_PORT: '0' });
    const taken = new URL(server.metricsUrl() ?? '').port;
    const cwd = mkdtempSync(join(root, 's'));
    const config = loadConfig({ env: { RAMPART_PORT: '0', RAMPART_METRICS_PORT: taken }, cwd });
    ensureDataDir(config.dataDir);
    const clash = await createServer(config, { logDestination: silent });
    await expect(clash.listen()).rejects.toThrow(/EADDRINUSE/);
    await clash.close();
    await server.close();
  });
});

describe('/metrics on the main port (no metrics port)', () => {
  it('answers a local caller in development', async () => {
    const { server, url } = await start();
    await fetch(`${url}/livez`);
    const local = await fetch(`${url}/metrics`);
    expect(local.status).toBe(200);
    expect(await local.text()).toMatch(/^process_cpu_user_seconds_total /m);
    expect(server.metricsUrl()).toBeUndefined();
    await server.close();
  });

  it('answers a loopback caller that came through a proxy with the 404 of a server without the route', async () => {
    const { server, url } = await start();
    const without = await start({ RAMPART_METRICS_PORT: '0' });
    const absent = await fetch(`${without.url}/metrics`);
    const absentBody = await absent.text();
    const proxyHeaders: Record<string, string>[] = [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }, { 'x-real-ip': '203.0.113.9' }, { via: '1.1 proxy' }];
    for (const header of proxyHeaders) {
      const proxied = await fetch(`${url}/metrics`, { headers: header });
      expect(proxied.status).toBe(404);
      expect(proxied.headers.get('content-type')).toBe(absent.headers.get('content-type'));
      expect(await proxied.text()).toBe(absentBody);
    }
    await server.close();
    await without.server.close();
  });

  it.skipIf(external === undefined)('answers a caller from another address with the ordinary 404 (needs a non-loopback IPv4 address)', async () => {
    const { server, url } = await start({ RAMPART_HOST: '0.0.0.0' });
    const port = new URL(url).port;
    const remote = await fetch(`http://${external ?? ''}:${port}/metrics`);
    expect(remote.status).toBe(404);
    expect(await remote.text()).not.toContain('process_cpu');
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    await server.close();
  });

  it('is not served at all in production: a same-host reverse proxy makes every caller look local', async () => {
    const { server, url } = await start({ RAMPART_ENV: 'production', RAMPART_KEK: KEK, RAMPART_PUBLIC_URL: 'https://auth.example.com' });
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    await server.close();
    expect(metricsExposure({ env: 'production', metrics: { host: '127.0.0.1', port: 9464 } })).toEqual({ kind: 'listener', host: '127.0.0.1', port: 9464 });
  });
});
