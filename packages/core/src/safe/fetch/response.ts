import type { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';
import type { Dispatcher } from 'undici';
import { describeUrl, SsrfError } from './errors.js';

/** Statuses whose response has no body by definition (Fetch "null body status"), plus HEAD. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const DECIMAL = /^\d{1,16}$/;
/** Bytes read from a discarded redirect body before the connection is given up instead of reused. */
const DISCARD_LIMIT = 64 * 1024;

/** Settles the request's deadline and turns any failure into the error the caller sees. */
export interface BodyLifecycle {
  readonly finish: () => void;
  readonly translate: (error: unknown) => unknown;
}

/** Reads and drops a body that nobody will see (a redirect's), so the connection can be reused. */
export async function discardBody(body: Dispatcher.ResponseData['body']): Promise<void> {
  try {
    await body.dump({ limit: DISCARD_LIMIT });
  } catch {
    // The next hop does not depend on this connection; undici has already closed it.
  }
}

/**
 * Stops reading a body and closes its connection. undici turns a destroy without an error into an `AbortError`
 * event; nobody else listens any more, so it is absorbed here instead of crashing the process.
 */
function abandon(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function responseHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      try {
        headers.append(name, item);
      } catch {
        // A value the Fetch Headers class refuses (it never should, llhttp has validated it) is dropped, not fatal.
      }
    }
  }
  return headers;
}

/**
 * A web stream over the undici body that counts bytes and errors with `SSRF_RESPONSE_TOO_LARGE` at the first chunk past
 * the cap, destroying the body (and its connection) so the rest is never read. Pull-based with no read-ahead: the
 * server's bytes are only pulled as fast as the caller consumes them.
 */
function cappedStream(body: Readable, maxBytes: number, lifecycle: BodyLifecycle, url: URL): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let received = 0;
  let settled = false;
  const settle = (): void => {
    if (settled) return;
    settled = true;
    lifecycle.finish();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done === true) {
            settle();
            controller.close();
            return;
          }
          received += next.value.byteLength;
          if (received > maxBytes) {
            abandon(body);
            throw new SsrfError('SSRF_RESPONSE_TOO_LARGE', { url: describeUrl(url) });
          }
          controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        } catch (error) {
          settle();
          abandon(body);
          controller.error(lifecycle.translate(error));
        }
      },
      cancel() {
        settle();
        abandon(body);
      },
    },
    { highWaterMark: 0 },
  );
}

/** The parts of an undici response needed to build a Fetch `Response`. */
export interface FinalResponse {
  readonly raw: Dispatcher.ResponseData;
  readonly url: URL;
  readonly method: string;
  readonly redirected: boolean;
}

/**
 * Builds the Fetch `Response` the caller gets. Protects against memory exhaustion by a hostile or compromised server:
 * a declared `Content-Length` above `maxBytes` is refused before a byte is read, and a body without one (chunked,
 * or lying) is cut off while streaming, so no more than `maxBytes` is ever handed over. The body is passed through
 * as sent: no content decoding, so a compressed response cannot expand past the cap.
 */
export async function buildResponse(final: FinalResponse, maxBytes: number, lifecycle: BodyLifecycle): Promise<Response> {
  const { raw, url } = final;
  const details = { url: describeUrl(url) };
  if (raw.statusCode < 200 || raw.statusCode > 599) {
    abandon(raw.body);
    lifecycle.finish();
    throw new SsrfError('SSRF_NETWORK_ERROR', details);
  }
  const headers = responseHeaders(raw.headers);
  let body: ReadableStream<Uint8Array> | null = null;
  if (final.method === 'HEAD' || NULL_BODY_STATUSES.has(raw.statusCode)) {
    await discardBody(raw.body);
    lifecycle.finish();
  } else {
    const declared = headers.get('content-length');
    if (declared !== null && DECIMAL.test(declared) && Number(declared) > maxBytes) {
      abandon(raw.body);
      lifecycle.finish();
      throw new SsrfError('SSRF_RESPONSE_TOO_LARGE', details);
    }
    body = cappedStream(raw.body, maxBytes, lifecycle, url);
  }
  let response: Response;
  try {
    response = new Response(body, { status: raw.statusCode, statusText: raw.statusText, headers });
  } catch {
    // A reason phrase the Fetch Response refuses (RFC 9110 allows more than it does) is dropped, not fatal.
    response = new Response(body, { status: raw.statusCode, headers });
  }
  // `url` and `redirected` are read-only getters of a constructed Response; the instance gets its own values.
  const finalUrl = new URL(url.href);
  finalUrl.hash = '';
  Object.defineProperties(response, {
    url: { value: finalUrl.href, enumerable: true },
    redirected: { value: final.redirected, enumerable: true },
  });
  return response;
}
