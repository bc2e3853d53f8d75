import { request, type IncomingHttpHeaders } from 'node:http';

/** A response as the test sees it. */
export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface Send {
  readonly method?: string;
  readonly path: string;
  /** Sent exactly as given: `node:http` adds only `Host` (and framing), unlike `fetch`, which adds `Sec-Fetch-Mode`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A body with a `Content-Length`; or a list of chunks, sent with `Transfer-Encoding: chunked`. */
  readonly body?: string | readonly string[];
}

/**
 * Sends one request over a fresh connection to 127.0.0.1 and reads the whole response. A server that answers early
 * (413) and closes while the body is still being written is not an error: the response is what the test asserts.
 */
export function send(port: number, options: Send): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers: Record<string, string> = { ...options.headers };
    if (typeof options.body === 'string') headers['content-length'] = String(Buffer.byteLength(options.body));
    const outgoing = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers, agent: false }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      response.on('error', reject);
    });
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (typeof options.body === 'string') outgoing.end(options.body);
    else if (options.body !== undefined) {
      for (const chunk of options.body) outgoing.write(chunk);
      outgoing.end();
    } else outgoing.end();
  });
}

/** A JSON object body, its members unchecked. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** The body as a JSON object. */
export function json(reply: Reply): JsonObject {
  return JSON.parse(reply.text) as JsonObject;
}

/** The `name=value` part of each `Set-Cookie` line. */
export function cookiePairs(reply: Reply): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const line of reply.headers['set-cookie'] ?? []) {
    const pair = line.split(';', 1)[0] ?? '';
    const equals = pair.indexOf('=');
    if (equals > 0) pairs.set(pair.slice(0, equals), pair.slice(equals + 1));
  }
  return pairs;
}
