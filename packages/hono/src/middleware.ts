import type { IncomingHttpHeaders } from 'node:http';
import type { Context, ErrorHandler, MiddlewareHandler, Next } from 'hono';
import type { StatusCode } from 'hono/utils/http-status';
import {
  createChain,
  fetchHeaderReader,
  isCsrfPending,
  isUrlencoded,
  nodeHeaderReader,
  problemForError,
  RampartState,
  verifyCsrfFormField,
  type Chain,
  type ChainOptions,
  type FormBodyOptions,
  type ChainOutcome,
} from '@rampart/core/http';
import { readForm } from './body.js';
import { correlationIdOf } from './correlation.js';
import type { RampartEnv } from './env.js';
import { problemResponse } from './problem.js';

/** Adds a cookie to the response after the chain's headers were applied (a CSRF token rotated at login). */
function appendCookie(c: Context, cookie: string): void {
  c.header('set-cookie', cookie, { append: true });
}

/** What a Hono middleware returns: a response, or the promise of `next()`. */
type MiddlewareResult = ReturnType<MiddlewareHandler<RampartEnv>>;

/** A prebuilt chain (`{ chain }`), or the options to build one. */
export type RampartChainOptions = { readonly chain: Chain } | ChainOptions;

/** Where the TCP connection comes from, which only the runtime knows. */
export interface RampartConnectionOptions {
  /**
   * The TCP peer's address. Default: `c.env.incoming.socket.remoteAddress`, as `@hono/node-server` provides it. On
   * other runtimes this option is required (with `getConnInfo` from the runtime's adapter, e.g. `hono/bun`,
   * `hono/deno`): without a peer address there is no client address to rate-limit or log, and every request is refused
   * with a 500 rather than keyed on a made-up address.
   */
  readonly peerAddress?: (c: Context) => string | undefined;
  /**
   * Whether this hop is TLS. Default: `c.env.incoming.socket.encrypted` under `@hono/node-server`, else `false`.
   * Never derived from the request URL, whose scheme a client can choose by sending an absolute-form target.
   */
  readonly tls?: (c: Context) => boolean;
}

/** Options of the Hono middleware. */
export type RampartHonoOptions = RampartChainOptions &
  RampartConnectionOptions & {
    /** Limits for the form bodies read to finish a CSRF form-field check (see the README). */
    readonly form?: FormBodyOptions;
  };

interface NodeSocketLike {
  readonly remoteAddress?: string;
  readonly encrypted?: boolean;
}

interface NodeIncomingLike {
  readonly socket?: NodeSocketLike;
  readonly headers?: IncomingHttpHeaders;
}

/** Node's request under `@hono/node-server`, read structurally so this package needs no dependency on it. */
function nodeIncoming(c: Context): NodeIncomingLike | undefined {
  return (c.env as { incoming?: NodeIncomingLike } | undefined)?.incoming;
}

function nodeSocket(c: Context): NodeSocketLike | undefined {
  return nodeIncoming(c)?.socket;
}

/*
 * Under @hono/node-server the request's `headers` is built on first access (a Headers view over Node's message), which
 * a bare Hono route never pays for. Guards read a handful of headers: reading them from Node's own parsed object costs
 * nothing extra and gives what the Express and Fastify adapters read, so all three see the same values.
 */
function headerReader(c: Context, raw: Request): (name: string) => string | undefined {
  const headers = nodeIncoming(c)?.headers;
  return headers === undefined ? fetchHeaderReader(raw.headers) : nodeHeaderReader(headers);
}

const MISSING_PEER = 'No peer address: outside @hono/node-server, pass rampart({ peerAddress: (c) => getConnInfo(c).remote.address })';

function defaultPeerAddress(c: Context): string | undefined {
  const socket = nodeSocket(c);
  // Fail closed on a runtime we cannot read: refusing every request is visible at once, keying them all on one
  // invented address would silently merge every client's rate limit.
  if (socket === undefined) throw new Error(MISSING_PEER);
  return socket.remoteAddress;
}

function defaultTls(c: Context): boolean {
  return nodeSocket(c)?.encrypted === true;
}

function isPrebuilt(options: RampartChainOptions): options is { readonly chain: Chain } {
  return (options as { chain?: unknown }).chain !== undefined;
}

/**
 * Finishes the CSRF check of a form post the guard left pending (the token travels in a form field, which guards do
 * not read): reads the urlencoded body within its limits into `c.get('body')` and compares the field. Doing it here,
 * and not in an optional parser, means no route can run with the check unfinished. Any other form encoding
 * (multipart) is refused: the field cannot be read here, and the token header was not sent.
 */
async function finishFormCheck(outcome: ChainOutcome, c: Context<RampartEnv>, next: Next, form: FormBodyOptions): MiddlewareResult {
  const context = outcome.context;
  let fields: unknown;
  if (isUrlencoded(c.req.header('content-type'))) {
    const read = await readForm(c, form);
    if (!read.ok) return problemResponse(c, read.problem, context.correlationId);
    fields = read.value;
    c.set('body', fields);
  }
  const verdict = verifyCsrfFormField(context, fields);
  if (verdict.action === 'deny') return problemResponse(c, verdict.problem, context.correlationId);
  return next();
}

interface NodeResponseLike {
  setHeader(name: string, value: string): unknown;
}

/** The Node response under `@hono/node-server`, read structurally so this package needs no dependency on it. */
function nodeResponse(c: Context): NodeResponseLike | undefined {
  const outgoing = (c.env as { outgoing?: Partial<NodeResponseLike> } | undefined)?.outgoing;
  return typeof outgoing?.setHeader === 'function' ? (outgoing as NodeResponseLike) : undefined;
}

function setHonoHeader(c: Context, name: string, value: string): void {
  c.header(name, value);
}

function setNodeHeader(node: NodeResponseLike, name: string, value: string): void {
  node.setHeader(name, value);
}

function apply(outcome: ChainOutcome, c: Context<RampartEnv>, next: Next, form: FormBodyOptions): MiddlewareResult {
  // Headers are set BEFORE `next()`, never by copying the finished response afterwards (the costly path). Under
  // @hono/node-server they go straight onto Node's response: `writeHead` merges them with the Response's own headers
  // (which win, as a later `c.header()` would), at the cost of a `setHeader` each instead of a validating
  // `Headers.set` each plus a conversion — and they reach even a raw `new Response()` a handler returns. Elsewhere,
  // `c.header()` keeps them for the response Hono builds.
  const node = nodeResponse(c);
  if (node === undefined) {
    outcome.headers.forEach(c, setHonoHeader);
  } else {
    outcome.headers.forEach(node, setNodeHeader);
  }
  // Cookies always go through Hono: `writeHead` would replace, not merge, a `set-cookie` the handler also sets.
  for (const cookie of outcome.headers.cookies) c.header('set-cookie', cookie, { append: true });
  const verdict = outcome.verdict;
  if (verdict.action === 'continue') {
    c.set('rampart', new RampartState(outcome, c, appendCookie));
    if (isCsrfPending(outcome.context)) return finishFormCheck(outcome, c, next, form);
    return next();
  }
  if (verdict.action === 'deny') return Promise.resolve(problemResponse(c, verdict.problem, outcome.context.correlationId));
  return Promise.resolve(c.body(null, verdict.status as StatusCode));
}

/**
 * Hono middleware running Rampart's guard chain on every request it sees: security headers, CORS, CSRF, client
 * address, body limits and rate limits, in the chain's fixed order. A refused request is answered here with an RFC 9457
 * problem and never reaches a route; an allowed one carries the guards' headers and `c.get('rampart')`.
 *
 * Register it first: `app.use(rampart(…))`. Handlers should answer through `c.json`, `c.text`, `c.body` and friends:
 * outside `@hono/node-server`, a `new Response(…)` returned as is does not carry headers set before `next()` (Hono's
 * rule for every middleware).
 */
export function rampart(options: RampartHonoOptions): MiddlewareHandler<RampartEnv> {
  const chain = isPrebuilt(options) ? options.chain : createChain(options);
  const peerAddress = options.peerAddress ?? defaultPeerAddress;
  const tls = options.tls ?? defaultTls;
  const form = options.form ?? {};
  // Not `async`: a synchronous chain (the common case) costs no extra promise; `next()` is already one.
  return function rampartGuard(c, next) {
    const raw = c.req.raw;
    const result = chain.run({
      method: raw.method,
      // The URL Hono routes on, so guards and router agree on the path.
      target: raw.url,
      header: headerReader(c, raw),
      peerAddress: peerAddress(c),
      tls: tls(c),
    });
    if (result instanceof Promise) return result.then((outcome) => apply(outcome, c, next, form));
    return apply(result, c, next, form);
  };
}

export interface RampartOnErrorOptions {
  /** Receives every error with the correlation id the client was given: message and stack go to logs only. */
  readonly report?: (error: unknown, correlationId: string) => void;
}

/**
 * Error handler for `app.onError(…)` answering every error with a problem that carries only a status, a generic
 * title and the correlation id. Protects against messages, stack traces and SQL leaking to the client.
 */
export function rampartOnError(options: RampartOnErrorOptions = {}): ErrorHandler<RampartEnv> {
  const report = options.report;
  return function rampartErrors(error, c) {
    const correlationId = correlationIdOf(c);
    if (report !== undefined) {
      try {
        report(error, correlationId);
      } catch {
        // A failing logger must not turn the problem response into a crash.
      }
    }
    return problemResponse(c, problemForError(error), correlationId);
  };
}
