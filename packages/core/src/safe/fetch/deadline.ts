import { SsrfError, type SsrfErrorDetails } from './errors.js';

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Whether the error happened before any byte of the request was sent, so another checked address may be tried. */
export function isConnectFailure(error: unknown): boolean {
  if (codeOf(error) === 'UND_ERR_CONNECT_TIMEOUT') return true;
  return typeof error === 'object' && error !== null && 'syscall' in error && error.syscall === 'connect';
}

/**
 * The total timeout of one request, combined with the caller's signal. Protects against slowloris-style responses and
 * hanging resolvers tying up the caller: DNS, every redirect and the whole body must fit in `timeoutMs`, after which
 * the request is aborted and `SSRF_TIMEOUT` thrown (or raised from the body stream).
 */
export class Deadline {
  readonly signal: AbortSignal;
  readonly #own = new AbortController();
  readonly #caller: AbortSignal | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(timeoutMs: number, caller: AbortSignal | undefined) {
    this.#caller = caller;
    this.#timer = setTimeout(() => {
      this.#own.abort(new SsrfError('SSRF_TIMEOUT', { phase: 'total' }));
    }, timeoutMs);
    // The timer must not keep a process alive that has nothing else to do; it guards a request, not the process.
    this.#timer.unref();
    this.signal = caller === undefined ? this.#own.signal : AbortSignal.any([this.#own.signal, caller]);
  }

  /** Stops the clock: the request finished, failed, or its body was consumed or cancelled. */
  finish(): void {
    clearTimeout(this.#timer);
  }

  /**
   * The error the caller sees. Our refusals pass through; the caller's abort yields the caller's reason, as with
   * `fetch`; everything from undici or the network becomes a typed `SsrfError` with the original as `cause`.
   */
  translate(error: unknown, details: SsrfErrorDetails = {}): unknown {
    if (error instanceof SsrfError) return error;
    if (this.#own.signal.aborted) return this.#own.signal.reason;
    if (this.#caller?.aborted === true) return this.#caller.reason;
    const code = codeOf(error);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return new SsrfError('SSRF_TIMEOUT', { ...details, phase: 'connect' }, { cause: error });
    if (code !== undefined && TIMEOUT_CODES.has(code)) return new SsrfError('SSRF_TIMEOUT', { ...details, phase: 'total' }, { cause: error });
    if (code !== undefined && (TLS_VERIFY_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'))) {
      return new SsrfError('SSRF_TLS_FAILED', details, { cause: error });
    }
    return new SsrfError('SSRF_NETWORK_ERROR', details, { cause: error });
  }
}
