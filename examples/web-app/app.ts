/**
 * A small web application behind Rampart's `web` security-headers preset, served over TLS with plain HTTP on the
 * same port redirecting to HTTPS.
 *
 * One TCP listener looks at the first byte of each connection: `0x16` opens a TLS handshake (a TLS record of type
 * `handshake`) and goes to the HTTPS server; anything else is plain HTTP and gets a `301` to the same path on
 * `https://` at the same host and port. So `http://host:port/` and `https://host:port/` both answer, as a scanner that
 * grades the redirect and HSTS expects, without a second port.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { randomToken } from '@rampart/core/crypto';
import {
  createChain,
  cspNonce,
  nodeHeaderReader,
  securityHeaders,
  PROBLEM_CONTENT_TYPE,
  problemBody,
  serializeCookie,
  type ChainOutcome,
  type Guard,
} from '@rampart/core/http';

export interface WebAppOptions {
  /** The server certificate chain and its private key (PEM). */
  readonly tls: { readonly cert: string; readonly key: string };
}

export interface Listening {
  readonly port: number;
  /** `https://<host>:<port>`, where plain HTTP redirects to. */
  readonly origin: string;
}

export interface WebApp {
  listen(port: number, host: string): Promise<Listening>;
  close(): Promise<void>;
}

/** The TLS record content type of a handshake (RFC 8446 §5.1): the first byte a TLS client sends. */
const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing for this long is dropped before it ties up a socket. */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${String(char.charCodeAt(0))};`);
}

function page(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Rampart web preset</title>
</head>
<body>
<h1>Rampart web preset</h1>
<p id="status">The inline script did not run.</p>
<script nonce="${escapeHtml(nonce)}">
document.getElementById('status').textContent = 'The inline script ran: its nonce matched the Content-Security-Policy.';
</script>
</body>
</html>
`;
}

export function createWebApp(options: WebAppOptions): WebApp {
  // The headers guard goes first, so every response carries its headers, refusals by later guards included.
  const guards: Guard[] = [securityHeaders({ preset: 'web' })];
  const chain = createChain({ guards });

  function respond(outcome: ChainOutcome, res: ServerResponse, status: number, type: string, body: string): void {
    for (const [name, value] of outcome.headers.entries()) res.setHeader(name, value);
    if (outcome.headers.cookies.length > 0) res.appendHeader('set-cookie', [...outcome.headers.cookies]);
    res.setHeader('content-type', type);
    res.writeHead(status);
    res.end(outcome.request.method === 'HEAD' ? undefined : body);
  }

  function application(outcome: ChainOutcome, res: ServerResponse): void {
    const { method, path } = outcome.request;
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      respond(outcome, res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
      return;
    }
    if (path === '/') {
      // A page with a nonce must never be served from a cache: the cached copy would reuse the nonce.
      res.setHeader('cache-control', 'no-store');
      // A session as a login would start it: the cookie writer's defaults give __Host-sid; Secure; HttpOnly; SameSite=Lax.
      if (!outcome.request.cookies.has('__Host-sid')) res.appendHeader('set-cookie', serializeCookie('sid', randomToken()));
      respond(outcome, res, 200, 'text/html; charset=utf-8', page(cspNonce(outcome.context)));
    } else if (path === '/robots.txt') {
      respond(outcome, res, 200, 'text/plain; charset=utf-8', 'User-agent: *\nDisallow:\n');
    } else {
      respond(outcome, res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
    }
  }

  function handle(outcome: ChainOutcome, res: ServerResponse): void {
    const { verdict } = outcome;
    if (verdict.action === 'continue') {
      application(outcome, res);
    } else if (verdict.action === 'respond') {
      respond(outcome, res, verdict.status, 'text/plain; charset=utf-8', '');
    } else {
      for (const [name, value] of Object.entries(verdict.problem.headers ?? {})) res.setHeader(name, value);
      const body = JSON.stringify(problemBody(verdict.problem, outcome.context.correlationId));
      respond(outcome, res, verdict.problem.status, PROBLEM_CONTENT_TYPE, body);
    }
  }

  const https = createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, (req, res) => {
    const outcome = chain.run({
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      header: nodeHeaderReader(req.headers),
      peerAddress: req.socket.remoteAddress,
      tls: true,
    });
    if (outcome instanceof Promise) {
      outcome.then(
        (settled) => {
          handle(settled, res);
        },
        () => {
          res.writeHead(500).end();
        },
      );
    } else {
      handle(outcome, res);
    }
  });

  // Filled in by listen(): the authorities this server answers for, and the one to use for anything else.
  let authorities = new Set<string>();
  let canonical = '';

  const http = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    // Never redirect to a host the request names unless it is one of ours: a forged Host must not pick the target.
    const host = req.headers.host?.toLowerCase();
    const authority = host !== undefined && authorities.has(host) ? host : canonical;
    const target = req.url?.startsWith('/') ? req.url : '/';
    res.writeHead(301, { location: `https://${authority}${target}`, 'content-length': '0' });
    res.end();
  });

  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const idle = (): void => {
      socket.destroy();
    };
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, idle);
    socket.once('readable', () => {
      socket.setTimeout(0);
      socket.off('timeout', idle);
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      (first[0] === TLS_HANDSHAKE ? https : http).emit('connection', socket);
    });
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, host, () => {
          tcp.off('error', reject);
          const address = tcp.address() as AddressInfo;
          const bound = address.port;
          const named = host.includes(':') ? `[${host}]` : host;
          canonical = `${named}:${String(bound)}`;
          authorities = new Set([canonical, `localhost:${String(bound)}`]);
          resolve({ port: bound, origin: `https://${canonical}` });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        tcp.close(() => {
          resolve();
        });
        http.closeAllConnections();
        https.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
