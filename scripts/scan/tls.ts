import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as upstreamRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { join } from 'node:path';

/** A throwaway certificate authority and a `localhost` certificate it signed (files in the work directory). */
export interface ScanCertificates {
  readonly caFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
}

/**
 * Generates a CA and a server certificate for `localhost`/127.0.0.1 with openssl, valid one day. The scanners are given
 * the CA (`NODE_EXTRA_CA_CERTS`) instead of being told to skip verification, so the TLS they see is verified TLS.
 */
export function makeCertificates(workDir: string): ScanCertificates {
  const path = (name: string) => join(workDir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  execFileSync('openssl', ['req', '-x509', ...ec, '-days', '1', '-subj', '/CN=Rampart scan CA', '-keyout', path('ca.key'), '-out', path('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  execFileSync('openssl', ['req', ...ec, '-subj', '/CN=localhost', '-keyout', path('server.key'), '-out', path('server.csr')], { stdio: 'ignore' });
  writeFileSync(path('server.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  execFileSync('openssl', ['x509', '-req', '-in', path('server.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial', '-days', '1',
    '-extfile', path('server.ext'), '-out', path('server.pem')], { stdio: 'ignore' });
  return { caFile: path('ca.pem'), key: readFileSync(path('server.key')), cert: readFileSync(path('server.pem')) };
}

/** The TLS-terminating front of the scan server. */
export interface TlsFront {
  readonly port: number;
  close(): Promise<void>;
}

function forward(upstream: URL, request: IncomingMessage, response: ServerResponse): void {
  const headers = { ...request.headers, 'x-forwarded-for': request.socket.remoteAddress ?? '127.0.0.1', 'x-forwarded-proto': 'https' };
  const outbound = upstreamRequest(
    { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(response);
    },
  );
  outbound.on('error', () => {
    response.writeHead(502).end();
  });
  request.pipe(outbound);
}

/**
 * What a load balancer in front of the server does, on one loopback port: TLS termination (forwarding to the server
 * with `X-Forwarded-For`/`-Proto`, which the server believes because 127.0.0.1 is its trusted proxy, so it sends
 * HSTS and `Secure` cookies as in production), and on plain HTTP a permanent redirect to HTTPS. One port serves both
 * (the first byte of a TLS connection is a handshake record, 0x16) because the Observatory tries `http://` and
 * `https://` on the same host and port when it is given a port in the host name. Requests `withhold` picks are answered
 * 404 without reaching the server.
 */
export async function startTlsFront(port: number, upstream: URL, certificates: ScanCertificates, withhold: (request: IncomingMessage) => boolean = () => false): Promise<TlsFront> {
  const tls = createHttpsServer({ key: certificates.key, cert: certificates.cert }, (request, response) => {
    if (withhold(request)) {
      response.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    forward(upstream, request, response);
  });
  const plain = createHttpServer((request, response) => {
    response.writeHead(301, { location: `https://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`, 'content-length': '0' }).end();
  });
  const sockets = new Set<Socket>();
  const front = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (first) => {
      socket.pause();
      socket.unshift(first);
      (first[0] === 0x16 ? tls : plain).emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(port, '127.0.0.1', resolve);
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        front.close(() => { resolve(); });
      }),
  };
}
