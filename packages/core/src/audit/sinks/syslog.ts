import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type SecureContextOptions } from 'node:tls';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { SinkError } from './errors.js';
import { whole } from './options.js';
import { QueuedSink, type QueuedEvent, type Transport } from './queue.js';
import { octetCountingFrame, rfc5424Formatter, type Rfc5424Options } from './rfc5424.js';
import type { AuditSink, SinkOptions } from './sink.js';

/** TLS settings of RFC 5425 transport. Certificate verification is always on; there is no option to turn it off. */
export interface SyslogTlsOptions {
  /** Trust anchors (PEM) replacing the system roots, for a private PKI. */
  readonly ca?: SecureContextOptions['ca'];
  /** Name the server certificate must carry; default the host. RFC 5425 §5.2 asks to check the receiver's identity. */
  readonly servername?: string;
  /** Client certificate and key, for a collector that authenticates senders (RFC 5425 §5.3). */
  readonly cert?: SecureContextOptions['cert'];
  readonly key?: SecureContextOptions['key'];
}

export interface SyslogSinkOptions extends SinkOptions, Rfc5424Options {
  readonly host: string;
  readonly port: number;
  /** Present for RFC 5425 (TLS); absent for plain TCP. */
  readonly tls?: SyslogTlsOptions;
  /** Messages written per socket write. Default 100. */
  readonly batchSize?: number;
  /** Time to connect (and finish the TLS handshake). Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Replaces the default RFC 5424 formatter (for example to send CEF as the MSG; see `cefFormatter`). */
  readonly format?: (event: SecurityEvent) => string;
}

/**
 * A TCP or TLS connection that is opened lazily and dropped on any error; the delivery loop's backoff paces the
 * reconnects, so a collector that is down is not hammered.
 */
class SyslogTransport implements Transport<Buffer> {
  readonly #options: SyslogSinkOptions;
  readonly #format: (event: SecurityEvent) => string;
  readonly #connectTimeoutMs: number;
  #socket: Socket | undefined;

  constructor(options: SyslogSinkOptions) {
    this.#options = options;
    this.#format = options.format ?? rfc5424Formatter(options);
    this.#connectTimeoutMs = whole('syslog', 'connectTimeoutMs', options.connectTimeoutMs, 10_000, 1);
  }

  encode(event: SecurityEvent): Buffer {
    return octetCountingFrame(this.#format(event));
  }

  async deliver(batch: readonly QueuedEvent<Buffer>[], signal: AbortSignal): Promise<void> {
    const socket = this.#socket ?? (await this.#connect(signal));
    const data = Buffer.concat(batch.map((item) => item.value));
    // A collector that stops reading fills the kernel buffer and the write never completes; close() aborts it by
    // destroying the socket, which fails the write.
    const abort = (): void => {
      socket.destroy();
    };
    signal.addEventListener('abort', abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.write(data, (error) => {
          // Node calls back without an error for writes still pending when the socket is destroyed: only a write
          // that completed on a live socket reached the kernel.
          if ((error === undefined || error === null) && !socket.destroyed) resolve();
          else reject(new SinkError('SINK_UNAVAILABLE', 'syslog write failed', { cause: error ?? undefined }));
        });
      });
    } catch (error) {
      socket.destroy();
      throw error;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => {
        resolve();
      });
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }

  #connect(signal: AbortSignal): Promise<Socket> {
    const { host, port, tls } = this.#options;
    return new Promise<Socket>((resolve, reject) => {
      const socket =
        tls === undefined
          ? connectTcp({ host, port })
          : connectTls({
              host,
              port,
              servername: tls.servername ?? host,
              minVersion: 'TLSv1.2',
              rejectUnauthorized: true,
              ...(tls.ca === undefined ? {} : { ca: tls.ca }),
              ...(tls.cert === undefined ? {} : { cert: tls.cert }),
              ...(tls.key === undefined ? {} : { key: tls.key }),
            });
      const fail = (error: unknown): void => {
        cleanup();
        socket.destroy();
        reject(new SinkError('SINK_UNAVAILABLE', `syslog connection to ${host}:${port} failed`, { cause: error }));
      };
      const onTimeout = (): void => {
        fail(new Error('connect timeout'));
      };
      const onAbort = (): void => {
        fail(signal.reason);
      };
      const onReady = (): void => {
        cleanup();
        socket.setTimeout(0);
        // After connecting, an error or close only forgets the socket; the next delivery reconnects.
        const forget = (): void => {
          if (this.#socket === socket) this.#socket = undefined;
        };
        socket.on('error', forget);
        socket.on('close', forget);
        // A collector has nothing to say on this channel (RFC 6587 is one-way); do not buffer what it sends.
        socket.on('data', () => undefined);
        this.#socket = socket;
        resolve(socket);
      };
      const cleanup = (): void => {
        socket.off('error', fail);
        socket.off('timeout', onTimeout);
        socket.off(tls === undefined ? 'connect' : 'secureConnect', onReady);
        signal.removeEventListener('abort', onAbort);
      };
      socket.setTimeout(this.#connectTimeoutMs);
      socket.once('error', fail);
      socket.once('timeout', onTimeout);
      socket.once(tls === undefined ? 'connect' : 'secureConnect', onReady);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * A syslog sink: RFC 5424 messages with RFC 6587 octet-counting framing over TCP, or over TLS (RFC 5425) when `tls` is
 * set. Protects the request path like every sink (bounded buffer, drops counted) and the collector's parser (strict
 * ABNF, escaped structured data, framing no payload byte can break).
 */
export function syslogSink(options: SyslogSinkOptions): AuditSink {
  if (typeof options.host !== 'string' || options.host === '') throw new ConfigurationError('audit sink syslog: host is required');
  const port: unknown = options.port;
  whole('syslog', 'port', port ?? 0, 0, 1, 65_535);
  const batchSize = whole('syslog', 'batchSize', options.batchSize, 100, 1, 100_000);
  return new QueuedSink('syslog', new SyslogTransport(options), { batchSize, batchDelayMs: 0 }, options);
}
