import type { SecurityEvent } from '../../events.js';
import type { Problem } from '../problem/problem.js';

/**
 * What every guard may read about a request. Cheap fields are plain; costly ones (`url`, `cookies`, `clientIp`) are
 * computed on first use and cached, because the whole chain has a budget of a few microseconds per request.
 */
export interface RequestView {
  /** Upper-case method. */
  readonly method: string;
  /** The path exactly as sent (percent-encoding kept), without the query. */
  readonly path: string;
  /** The request target as sent: path and query. */
  readonly target: string;
  /**
   * A request header by lower-case name, or `undefined`. Repeated headers come joined as Node joins them (`, `, and
   * `; ` for `cookie`).
   */
  header(name: string): string | undefined;
  /** The address of the TCP peer: the client, or the nearest proxy. */
  readonly peerAddress: string;
  /** Whether the connection to this process is TLS. */
  readonly tls: boolean;
  /** Parsed URL (lazy). Its host comes from the `Host` header: never use it for security decisions about origin. */
  readonly url: URL;
  /** Cookies of the request (lazy); first occurrence of a name wins. */
  readonly cookies: ReadonlyMap<string, string>;
  /** The client's address, resolved through the chain's trusted-proxy settings (lazy); never raw `X-Forwarded-For`. */
  readonly clientIp: string;
  /** Whether the client reached the edge over HTTPS: `tls`, or the scheme a trusted proxy reports. */
  readonly secure: boolean;
}

/**
 * Guards read and write per-request values through typed keys (a CSP nonce, the CSRF token, a principal) instead of
 * stringly-typed bags, so two guards cannot collide on a name.
 */
export interface ContextKey<T> {
  readonly name: string;
  /** Phantom member carrying the value type; never read. */
  readonly __type?: T;
}

/** Creates a context key. */
export function contextKey<T>(name: string): ContextKey<T> {
  return Object.freeze({ name });
}

/** Response headers that guards add; names are lower-case. */
export interface ResponseHeaderSink {
  /** Sets a header, replacing any earlier value a guard set. */
  set(name: string, value: string): void;
  /** Adds a value to a list header (`vary`), without duplicates. */
  appendList(name: string, value: string): void;
  /** Adds a `set-cookie` line (there may be several). */
  addCookie(serialized: string): void;
}

/** What a guard gets besides the request. */
export interface GuardContext {
  /** Ties the response to the operator's logs; from `traceparent` when well-formed, else random. */
  readonly correlationId: string;
  readonly response: ResponseHeaderSink;
  get<T>(key: ContextKey<T>): T | undefined;
  set<T>(key: ContextKey<T>, value: T): void;
  /** Reports a security event, tagged with the correlation id. */
  emit(event: SecurityEvent): void;
}

/** Let the request through to the next guard and then the application. */
export interface Continue {
  readonly action: 'continue';
}

/** Refuse the request with a problem (RFC 9457). */
export interface Deny {
  readonly action: 'deny';
  readonly problem: Problem;
}

/** Answer the request from the chain with an empty body (a CORS preflight): the application never sees it. */
export interface Respond {
  readonly action: 'respond';
  readonly status: number;
}

export type Verdict = Continue | Deny | Respond;

/** The shared `continue` verdict: guards return it without allocating. */
export const CONTINUE: Continue = Object.freeze({ action: 'continue' });

/** Builds a deny verdict. */
export function deny(problem: Problem): Deny {
  return { action: 'deny', problem };
}

/**
 * A guard: one control, from a request view to a verdict. Synchronous when it can be (most are); a guard that needs a
 * store (a rate limiter on Redis) returns a promise, and the chain only goes asynchronous from that guard on.
 */
export type Guard = ((request: RequestView, context: GuardContext) => Verdict | Promise<Verdict>) & {
  /** Name used in logs and per-route opt-outs, e.g. `csrf`. */
  readonly guardName?: string;
};
