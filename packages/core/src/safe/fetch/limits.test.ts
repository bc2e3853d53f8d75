import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { createSafeFetch, safeFetch, type SafeFetch } from './client.js';
import { SsrfError } from './errors.js';
import { prepareRequest } from './request.js';
import { listen, type Handler, type Listener } from './testing.fixtures.js';

const KIB = 1024;

const app: Handler = (request, response, body) => {
  const url = new URL(request.url ?? '/', 'http://app');
  const size = Number(url.searchParams.get('size') ?? '0');
  switch (url.pathname) {
    case '/declared':
      response.writeHead(200, { 'content-length': String(size) });
      response.end(Buffer.alloc(size, 0x61));
      return;
    case '/chunked': {
      // No Content-Length: the cap has to hold while streaming.
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(KIB, 0x62);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          sent += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
      response.on('close', () => {
        sent = size;
      });
      return;
    }
    case '/lying':
      // Declares 10 bytes, sends more on a chunked stream: the counter, not the header, decides.
      response.writeHead(200, { 'transfer-encoding': 'chunked', 'x-claimed-length': '10' });
      response.end(Buffer.alloc(size, 0x63));
      return;
    case '/stall-headers':
      return; // never answers
    case '/stall-body':
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
      return; // never ends
    case '/no-content':
      response.writeHead(204).end();
      return;
    case '/json':
      response.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-multi': ['x', 'y'] });
      response.end(JSON.stringify({ method: request.method, body: body.toString(), contentType: request.headers['content-type'] ?? null }));
      return;
    case '/status':
      response.writeHead(Number(url.searchParams.get('code'))).end('s');
      return;
    default:
      response.writeHead(404).end();
  }
};

let server: Listener;
let client: SafeFetch;
let silent: TcpServer;
let silentPort: number;
const silentSockets = new Set<Socket>();

function url(path: string): string {
  return `http://127.0.0.2:${server.port}${path}`;
}

beforeAll(async () => {
  server = await listen('127.0.0.2', app);
  client = createSafeFetch({ allowInsecureHttp: true, allowPorts: [server.port], allowAddresses: ['127.0.0.2/32', '127.0.0.3/32'], maxResponseBytes: 64 * KIB, timeoutMs: 2_000 });
  // Accepts TCP and then says nothing: a TLS handshake against it never completes.
  silent = createTcpServer((socket) => {
    silentSockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => {
    silent.listen(0, '127.0.0.3', resolve);
  });
  silentPort = (silent.address() as AddressInfo).port;
});

afterAll(async () => {
  await client.close();
  for (const socket of silentSockets) socket.destroy();
  await Promise.all([
    server.close(),
    new Promise<void>((resolve) => {
      silent.close(() => {
        resolve();
      });
    }),
  ]);
});

async function caught(promise: Promise<unknown>): Promise<SsrfError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof SsrfError)) throw new Error('expected an SsrfError', { cause: error });
  return error;
}

describe('safe/fetch: response size cap', () => {
  it('attack: a declared Content-Length over the cap is refused before the body is read', async () => {
    const error = await caught(client.fetch(url(`/declared?size=${64 * KIB + 1}`)));
    expect(error.code).toBe('SSRF_RESPONSE_TOO_LARGE');
  });

  it('attack: a chunked body over the cap fails while streaming, and the server stops being read', async () => {
    const response = await client.fetch(url(`/chunked?size=${10 * 1024 * KIB}`));
    expect(response.status).toBe(200);
    expect((await caught(response.arrayBuffer())).code).toBe('SSRF_RESPONSE_TOO_LARGE');
    const lying = await client.fetch(url(`/lying?size=${65 * KIB}`));
    expect((await caught(lying.text())).code).toBe('SSRF_RESPONSE_TOO_LARGE');
  });

  it('attack: reading the stream by hand hits the same cap', async () => {
    const response = await client.fetch(url(`/chunked?size=${1024 * KIB}`));
    const reader = response.body!.getReader();
    let total = 0;
    const error = await (async () => {
      for (;;) {
        const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
        if (chunk.done) return undefined;
        total += chunk.value?.byteLength ?? 0;
      }
    })().catch((reason: unknown) => reason);
    expect(error).toMatchObject({ code: 'SSRF_RESPONSE_TOO_LARGE' });
    expect(total).toBeLessThanOrEqual(64 * KIB);
  });

  it('a body exactly at the cap is delivered whole', async () => {
    expect((await (await client.fetch(url(`/declared?size=${64 * KIB}`))).arrayBuffer()).byteLength).toBe(64 * KIB);
    expect((await (await client.fetch(url(`/chunked?size=${64 * KIB}`))).arrayBuffer()).byteLength).toBe(64 * KIB);
  });
});

describe('safe/fetch: timeouts', () => {
  it('attack: a server that never answers is cut off by the total timeout', async () => {
    const quick = createSafeFetch({ allowInsecureHttp: true, allowPorts: [server.port], allowAddresses: ['127.0.0.2/32'], timeoutMs: 150 });
    const error = await caught(quick.fetch(url('/stall-headers')));
    expect(error).toMatchObject({ code: 'SSRF_TIMEOUT', details: { phase: 'total' } });
    await quick.close();
  });

  it('attack: a body that trickles forever is cut off by the same total timeout while it is read', async () => {
    const quick = createSafeFetch({ allowInsecureHttp: true, allowPorts: [server.port], allowAddresses: ['127.0.0.2/32'], timeoutMs: 500 });
    const response = await quick.fetch(url('/stall-body'));
    expect(response.status).toBe(200);
    expect((await caught(response.text())).code).toBe('SSRF_TIMEOUT');
    await quick.close();
  });

  it('attack: a TLS handshake that never completes is cut off by the connect timeout', async () => {
    const quick = createSafeFetch({ allowPorts: [silentPort], allowAddresses: ['127.0.0.3/32'], connectTimeoutMs: 100, timeoutMs: 5_000 });
    const error = await caught(quick.fetch(`https://127.0.0.3:${silentPort}/`));
    expect(error).toMatchObject({ code: 'SSRF_TIMEOUT', details: { phase: 'connect' } });
    expect(silentSockets.size).toBeGreaterThan(0);
    await quick.close();
  });

  it('attack: a resolver that never answers is bounded by the total timeout', async () => {
    const hanging = createSafeFetch({ timeoutMs: 100, resolver: () => new Promise(() => undefined) });
    expect(await caught(hanging.fetch('https://slow-dns.test/'))).toMatchObject({ code: 'SSRF_TIMEOUT' });
    const checking = createSafeFetch({ timeoutMs: 100, resolver: () => new Promise(() => undefined) });
    expect(await caught(checking.check('https://slow-dns.test/'))).toMatchObject({ code: 'SSRF_TIMEOUT' });
  });

  it("the caller's AbortSignal aborts with the caller's reason, before or during the request", async () => {
    const reason = new Error('caller gave up');
    await expect(client.fetch(url('/json'), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const controller = new AbortController();
    const pending = client.fetch(url('/stall-headers'), { signal: controller.signal });
    setTimeout(() => {
      controller.abort(reason);
    }, 20);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('safe/fetch: the request and the Response', () => {
  it('passes method, headers and body through, and returns a Fetch Response', async () => {
    const response = await client.fetch(url('/json'), { method: 'post', body: new URLSearchParams({ a: '1' }), headers: [['x-one', '1']] });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-multi')).toBe('x, y');
    expect(response.url).toBe(url('/json'));
    expect(response.redirected).toBe(false);
    expect(await response.json()).toEqual({ method: 'POST', body: 'a=1', contentType: 'application/x-www-form-urlencoded;charset=UTF-8' });
    for (const body of [new TextEncoder().encode('bytes'), new TextEncoder().encode('buffer').buffer, 'text']) {
      const echoed = (await (await client.fetch(url('/json'), { method: 'PUT', body })).json()) as { body: string };
      expect(['bytes', 'buffer', 'text']).toContain(echoed.body);
    }
    const patch = (await (await client.fetch(url('/json'), { method: 'PATCH', body: '{}', headers: { 'content-type': 'application/json' } })).json()) as {
      method: string;
      contentType: string;
    };
    expect(patch).toMatchObject({ method: 'PATCH', contentType: 'application/json' });
    // Like fetch, only the six standard methods are upper-cased; RFC 9110 methods are otherwise case-sensitive.
    const target = new URL('https://example.com/');
    expect([prepareRequest(target, { method: 'delete' }).method, prepareRequest(target, { method: 'patch' }).method]).toEqual(['DELETE', 'patch']);
  });

  it('null-body statuses and HEAD have no body; 4xx/5xx are responses, not errors', async () => {
    const noContent = await client.fetch(url('/no-content'));
    expect(noContent.status).toBe(204);
    expect(noContent.body).toBeNull();
    const head = await client.fetch(url('/json'), { method: 'HEAD' });
    expect(head.body).toBeNull();
    for (const code of [404, 500, 503]) expect((await client.fetch(url(`/status?code=${code}`))).status).toBe(code);
  });

  it('attack: a status outside 200–599 is a network error; an odd reason phrase is dropped', async () => {
    const raw = createTcpServer((socket) => {
      socket.once('data', (request) => {
        const status = request.toString().startsWith('GET /odd') ? '200 \x80\xff' : '999 Whatever';
        socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok`, 'latin1');
      });
    });
    await new Promise<void>((resolve) => {
      raw.listen(0, '127.0.0.3', resolve);
    });
    const rawPort = (raw.address() as AddressInfo).port;
    const rawClient = createSafeFetch({ allowInsecureHttp: true, allowPorts: [rawPort], allowAddresses: ['127.0.0.3/32'] });
    expect((await caught(rawClient.fetch(`http://127.0.0.3:${rawPort}/`))).code).toBe('SSRF_NETWORK_ERROR');
    const odd = await rawClient.fetch(`http://127.0.0.3:${rawPort}/odd`);
    expect([odd.status, await odd.text()]).toEqual([200, 'ok']);
    await rawClient.close();
    await new Promise<void>((resolve) => {
      raw.close(() => {
        resolve();
      });
    });
  });

  it('attack: Host, framing and connection headers, CR/LF injection, TRACE/CONNECT and GET bodies are refused unsent', async () => {
    const before = server.requests();
    const refused: Parameters<SafeFetch['fetch']>[1][] = [
      { headers: { host: 'internal-admin.local' } },
      { headers: { Host: 'x' } },
      { headers: { 'transfer-encoding': 'chunked' } },
      { headers: { 'content-length': '0' } },
      { headers: { connection: 'upgrade' } },
      { headers: { upgrade: 'websocket' } },
      { headers: { te: 'trailers' } },
      { headers: { 'x-evil': 'a\r\nX-Injected: 1' } },
      { headers: { 'x-evil\r\n': 'a' } },
      { method: 'TRACE' },
      { method: 'connect' },
      { method: 'TRACK' },
      { method: 'GET /admin HTTP/1.1\r\n' },
      { method: '' },
      { method: 'GET', body: 'x' },
      { method: 'HEAD', body: 'x' },
      { method: 'POST', body: { toString: () => 'x' } as unknown as string },
      { redirect: 'sometimes' as 'follow' },
    ];
    for (const init of refused) expect((await caught(client.fetch(url('/json'), init))).code).toBe('SSRF_INVALID_REQUEST');
    expect(server.requests()).toBe(before);
  });

  it('safeFetch() applies the defaults: https only, public addresses only', async () => {
    expect((await caught(safeFetch(url('/json')))).code).toBe('SSRF_SCHEME');
    expect((await caught(safeFetch(`https://127.0.0.2:${server.port}/`))).code).toBe('SSRF_PORT_NOT_ALLOWED');
    expect((await caught(safeFetch('https://127.0.0.2/'))).code).toBe('SSRF_BLOCKED_ADDRESS');
    expect((await caught(safeFetch(42 as unknown as string))).code).toBe('SSRF_INVALID_URL');
    expect(server.requests()).toBeGreaterThan(0);
  });
});

describe('safe/fetch: configuration', () => {
  it('reports each named loosening once, at build', () => {
    const events: SecurityEvent[] = [];
    createSafeFetch({ events: (event) => events.push(event) });
    expect(events).toEqual([]);
    createSafeFetch({ allowInsecureHttp: true, allowPorts: [8443], allowAddresses: ['10.0.0.0/8'], events: (event) => events.push(event) });
    expect(events.map((event) => [event.type, event.attributes])).toEqual([
      ['config.loosened', { control: 'safe.fetch', option: 'allowInsecureHttp' }],
      ['config.loosened', { control: 'safe.fetch', option: 'allowPorts' }],
      ['config.loosened', { control: 'safe.fetch', option: 'allowAddresses' }],
    ]);
  });

  it('refuses unsafe or malformed options', () => {
    const bad: Parameters<typeof createSafeFetch>[0][] = [
      { maxRedirects: -1 },
      { maxRedirects: 21 },
      { maxRedirects: 1.5 },
      { maxResponseBytes: 0 },
      { timeoutMs: 0 },
      { connectTimeoutMs: Number.NaN },
      { allowPorts: [0] },
      { allowPorts: [65_536] },
      { allowPorts: ['8080' as unknown as number] },
      { allowHosts: [] },
      { allowHosts: ['*.com'] },
      { allowHosts: ['evil.com/path'] },
      { allowHosts: ['user@evil.com'] },
      { allowHosts: ['evil.com:8443'] },
      { allowHosts: ['*.127.0.0.1'] },
      { allowHosts: [''] },
      { denyHosts: ['a b'] },
      { allowAddresses: ['0.0.0.0/0'] },
      { allowAddresses: ['10.0.0.0/8x'] },
      { stripOnCrossOriginRedirect: ['bad header'] },
      { resolver: 'dns' as unknown as () => Promise<[]> },
    ];
    for (const options of bad) expect(() => createSafeFetch(options)).toThrow(ConfigurationError);
  });
});
