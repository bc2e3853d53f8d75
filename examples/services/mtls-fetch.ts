/**
 * A Fetch-shaped HTTP client that speaks TLS with a workload's identity: its client certificate on every connection,
 * and only the workload CA trusted for the servers it calls. openid-client takes it as its `customFetch`, and the
 * services call each other with it, so one certificate both obtains a token and presents it (RFC 8705 §3).
 */
import { Agent, request } from 'node:https';

/** The TLS identity of a caller: its certificate and key, and the CA it trusts for servers (PEM). */
export interface TlsIdentity {
  readonly cert?: string;
  readonly key?: string;
  readonly ca: string;
}

/** What the client sends: what openid-client's `customFetch` passes, and what the services need. */
export interface FetchInit {
  readonly method?: string;
  readonly headers?: Record<string, string> | Headers;
  readonly body?: string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream | null;
  readonly signal?: AbortSignal;
}

/** A fetch function over one TLS identity, and a way to close its kept-alive connections. */
export interface MtlsFetch {
  (url: string | URL, init?: FetchInit): Promise<Response>;
  close(): void;
}

/** Largest answer read (the example's answers are a few KiB). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

function bodyOf(body: FetchInit['body']): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('streamed request bodies are not supported');
}

/**
 * Builds the client for `identity`. It verifies every server against `identity.ca` only (not the system roots), sends
 * the certificate when one is given, follows no redirect (openid-client asks for `redirect: manual`), and stops
 * reading past 1 MiB. Protects against a caller reaching a server outside the workload PKI, and against a server that
 * answers without end.
 */
export function mtlsFetch(identity: TlsIdentity): MtlsFetch {
  const agent = new Agent({ keepAlive: true, ca: identity.ca, minVersion: 'TLSv1.2', ...(identity.cert === undefined ? {} : { cert: identity.cert, key: identity.key }) });
  const fetchOver = (url: string | URL, init: FetchInit = {}): Promise<Response> => {
    const target = new URL(url);
    if (target.protocol !== 'https:') return Promise.reject(new TypeError(`refusing ${target.protocol} (TLS only)`));
    const body = bodyOf(init.body);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    if (body !== undefined) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const outgoing = request(target, { method: init.method ?? 'GET', headers, agent, ...(init.signal === undefined ? {} : { signal: init.signal }) }, (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            incoming.destroy(new Error('response too large'));
            return;
          }
          chunks.push(chunk);
        });
        incoming.on('error', reject);
        incoming.on('end', () => {
          const answer = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (typeof value === 'string') answer.set(name, value);
            else if (Array.isArray(value)) for (const item of value) answer.append(name, item);
          }
          const status = incoming.statusCode ?? 502;
          const noBody = status === 204 || status === 304;
          resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: answer }));
        });
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  };
  return Object.assign(fetchOver, {
    close: () => {
      agent.destroy();
    },
  });
}
