import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ResolvedAddress, Resolver } from './resolve.js';

/** What the test's DNS answers for the names in the URL corpus; every other name is NXDOMAIN. */
export const CORPUS_DNS = {
  'metadata.google.internal': ['169.254.169.254'],
  'instance-data.ec2.internal': ['169.254.169.254'],
  'localtest.me': ['127.0.0.1'],
  'internal.example.com': ['10.1.2.3'],
  'xn--bcher-kva.example': ['192.168.1.10'],
  'mixed.example': ['93.184.215.14', '127.0.0.1'],
  'mixed-v6.example': ['2606:4700:4700::1111', '::1'],
  'public.example': ['93.184.215.14'],
} as const;

/** One payload per line; `#` lines and blank lines are comments. */
export function readCorpus(name: string): string[] {
  return readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

export type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

/** A real listener that counts every TCP connection and every request it receives. */
export interface Listener {
  readonly host: string;
  readonly port: number;
  readonly connections: () => number;
  readonly requests: () => number;
  readonly seen: readonly { readonly method: string; readonly url: string; readonly headers: IncomingMessage['headers']; readonly body: string }[];
  readonly close: () => Promise<void>;
}

const defaultHandler: Handler = (_request, response) => {
  response.setHeader('content-type', 'text/plain');
  response.end('internal secret');
};

async function instrument(server: Server | HttpsServer, handler: Handler, host: string, port: number): Promise<Listener> {
  let connections = 0;
  const seen: Listener['seen'][number][] = [];
  server.on('connection', () => {
    connections += 1;
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: body.toString() });
      handler(request, response, body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    requests: () => seen.length,
    seen,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => {
          done();
        });
      }),
  };
}

/** An HTTP listener on `host` (an address of this machine); `port` 0 picks a free one. */
export function listen(host: string, handler: Handler = defaultHandler, port = 0): Promise<Listener> {
  return instrument(createServer(), handler, host, port);
}

/** An HTTPS listener with the given certificate. */
export function listenTls(host: string, tls: { readonly cert: string; readonly key: string }, handler: Handler = defaultHandler): Promise<Listener> {
  return instrument(createTlsServer({ cert: tls.cert, key: tls.key }), handler, host, 0);
}

/** Listeners on several loopback addresses sharing one port, so `host:port` URLs differ only by what DNS answers. */
export async function listenSamePort(hosts: readonly string[], handler: Handler = defaultHandler): Promise<Listener[]> {
  for (let attempt = 0; ; attempt += 1) {
    const [first, ...rest] = hosts;
    const listeners = [await listen(first ?? '127.0.0.1', handler)];
    try {
      for (const host of rest) listeners.push(await listen(host, handler, listeners[0]?.port ?? 0));
      return listeners;
    } catch (error) {
      await Promise.all(listeners.map((listener) => listener.close()));
      if (attempt === 5) throw error; // the port was taken on another address: pick another
    }
  }
}

/**
 * A resolver the test controls, standing in for DNS: a fixed table, `*.nip.io`-style names that embed an address
 * (`127.0.0.1.nip.io`, `127-0-0-1.nip.io`, `7f000001.nip.io`), and a record of every name asked.
 */
export function testResolver(table: Readonly<Record<string, readonly string[] | ((call: number) => readonly string[])>> = {}): Resolver & {
  readonly asked: string[];
} {
  const asked: string[] = [];
  const calls = new Map<string, number>();
  const resolve = (hostname: string): Promise<readonly ResolvedAddress[]> => {
    asked.push(hostname);
    const call = (calls.get(hostname) ?? 0) + 1;
    calls.set(hostname, call);
    const entry = table[hostname];
    let addresses: readonly string[] | undefined = typeof entry === 'function' ? entry(call) : entry;
    const wildcard = /^(?:.*\.)?([0-9a-f]{8}|\d{1,3}(?:[.-]\d{1,3}){3})\.(?:nip\.io|sslip\.io|xip\.io)$/.exec(hostname);
    if (addresses === undefined && wildcard?.[1] !== undefined) {
      const embedded = wildcard[1];
      addresses = [
        /^[0-9a-f]{8}$/.test(embedded)
          ? (embedded.match(/../g) ?? []).map((byte) => parseInt(byte, 16)).join('.')
          : embedded.replaceAll('-', '.'),
      ];
    }
    if (addresses === undefined) {
      return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    }
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { asked });
}
