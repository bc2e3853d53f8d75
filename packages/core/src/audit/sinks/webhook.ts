import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { createSafeFetch, SsrfError, type SafeFetch, type SafeFetchHeaders, type SafeFetchOptions } from '../../safe/fetch/index.js';
import { SinkError } from './errors.js';
import { whole } from './options.js';
import { QueuedSink, type QueuedEvent, type Transport } from './queue.js';
import type { AuditSink, SinkOptions } from './sink.js';

export interface WebhookSinkOptions extends SinkOptions {
  /** Where batches are POSTed. */
  readonly url: string | URL;
  /**
   * Options of the `safe/fetch` client the sink builds (SSRF policy, `ca`, timeouts). Default: `https:` only, public
   * addresses only, no redirects, 10 s per request. Ignored when `client` is given.
   */
  readonly fetch?: SafeFetchOptions;
  /** A `safe/fetch` client to use instead; the caller owns it (it is not closed by `close()`). */
  readonly client?: SafeFetch;
  /** Extra request headers (an `Authorization` for the collector). */
  readonly headers?: SafeFetchHeaders;
  /** Events per request. Default 100. */
  readonly batchSize?: number;
  /** Longest a partial batch waits for more events. Default 1 000 ms. */
  readonly batchDelayMs?: number;
}

/** Errors of `safe/fetch` worth retrying: the network, not a policy refusal (which would fail the same way again). */
const TRANSIENT = new Set(['SSRF_NETWORK_ERROR', 'SSRF_TIMEOUT', 'SSRF_DNS_FAILED']);

/**
 * JSON of one event: `{ type, at (ISO), subject?, attributes? }` and nothing else, so a receiver gets a fixed shape
 * (no stray own properties of the caller's object) and JSON escaping keeps every value a string inside its field.
 */
export function eventJson(event: SecurityEvent): string {
  return JSON.stringify({
    type: event.type,
    at: event.at.toISOString(),
    ...(event.subject === undefined ? {} : { subject: event.subject }),
    ...(event.attributes === undefined ? {} : { attributes: event.attributes }),
  });
}

class WebhookTransport implements Transport<string> {
  readonly #url: string;
  readonly #client: SafeFetch;
  readonly #owned: boolean;
  readonly #headers: Headers;

  constructor(options: WebhookSinkOptions) {
    this.#url = String(options.url);
    try {
      new URL(this.#url);
    } catch (cause) {
      throw new ConfigurationError('audit sink webhook: url does not parse', { cause });
    }
    this.#owned = options.client === undefined;
    // Redirects are refused: an audit stream has one destination, and a 3xx is where a hijacked endpoint would send it.
    this.#client = options.client ?? createSafeFetch({ maxRedirects: 0, timeoutMs: 10_000, maxResponseBytes: 65_536, ...options.fetch });
    this.#headers = new Headers(options.headers as ConstructorParameters<typeof Headers>[0]);
    this.#headers.set('content-type', 'application/json');
  }

  encode(event: SecurityEvent): string {
    return eventJson(event);
  }

  async deliver(batch: readonly QueuedEvent<string>[], signal: AbortSignal): Promise<void> {
    const body = `{"events":[${batch.map((item) => item.value).join(',')}]}`;
    let response: Response;
    try {
      response = await this.#client.fetch(this.#url, { method: 'POST', headers: this.#headers, body, signal, redirect: 'error' });
    } catch (error) {
      if (error instanceof SsrfError && !TRANSIENT.has(error.code)) throw new SinkError('SINK_REJECTED', `webhook refused by policy (${error.code})`, { cause: error });
      throw new SinkError('SINK_UNAVAILABLE', 'webhook request failed', { cause: error });
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return;
    // 4xx means the request itself is wrong (auth, format): repeating it cannot succeed. 408 and 429 are the
    // receiver asking to come back later, so they are retried like 5xx.
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      throw new SinkError('SINK_REJECTED', `webhook answered ${response.status}`);
    }
    throw new SinkError('SINK_UNAVAILABLE', `webhook answered ${response.status}`);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#client.close();
  }
}

/**
 * An HTTPS webhook sink: batches (by size and time) POSTed as `{"events":[…]}`, retried with exponential backoff and
 * jitter on network errors, timeouts and 5xx, never on other 4xx. Outbound calls go through `safe/fetch`, so a
 * misconfigured or attacker-influenced URL cannot reach internal addresses (SSRF) unless allowed by name.
 */
export function webhookSink(options: WebhookSinkOptions): AuditSink {
  const batchSize = whole('webhook', 'batchSize', options.batchSize, 100, 1, 100_000);
  const batchDelayMs = whole('webhook', 'batchDelayMs', options.batchDelayMs, 1_000, 0);
  return new QueuedSink('webhook', new WebhookTransport(options), { batchSize, batchDelayMs }, options);
}
