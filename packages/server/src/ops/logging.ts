import { problemForError } from '@rampart/core/http';
import { redactText, sanitizeForLog, sanitizeLogText } from '@rampart/core/safe/log';
import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify';
import type { LogLevel } from '../config/config.js';
import { correlationIdOf, routeOf } from './request-facts.js';

/** Where log lines go: stdout by default; anything with `write(line)` (a buffer in tests, a file stream). */
export interface LogDestination {
  write(line: string): void;
}

/**
 * pino `redact` paths: the second layer behind the shaping below, for anything that logs a request, a reply, headers
 * or a body by hand. Credentials in headers (CWE-532) and every body field are censored wherever they appear.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'body',
  '*.body',
  'req.body',
  'query',
  '*.query',
  'req.query',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// A request is logged as its method and route pattern only: never the URL (query strings carry tokens and emails),
// headers (credentials) or body (passwords), whatever a caller hands the logger.
function requestFields(value: unknown): Record<string, unknown> {
  if (!isRecord(value)) return {};
  const routeOptions = value.routeOptions;
  const route = isRecord(routeOptions) && typeof routeOptions.url === 'string' ? routeOptions.url : undefined;
  return { method: typeof value.method === 'string' ? value.method : undefined, route };
}

function replyFields(value: unknown): Record<string, unknown> {
  return isRecord(value) && typeof value.statusCode === 'number' ? { status: value.statusCode } : {};
}

// A word (between blanks and quotes) holding `/…?…`: a URL or path with a query string, cut at the `?`. Linear: one
// pass over words, no backtracking.
function withoutQueries(text: string): string {
  return text.replace(/[^\s"'`]+/g, (word) => {
    const mark = word.indexOf('?');
    return mark > 0 && mark < word.length - 1 && word.lastIndexOf('/', mark) !== -1 ? `${word.slice(0, mark)}?[query removed]` : word;
  });
}

/*
 * A client error (a malformed body, a wrong content type) is the client's input described back: Node's JSON.parse
 * quotes the body it failed on. So only its kind is kept. A server fault keeps its message and stack, redacted (a
 * driver error can quote a connection string) and escaped (sanitizeForLog below).
 */
function errorFields(value: unknown): Record<string, unknown> {
  if (!(value instanceof Error)) return { type: typeof value };
  const status = problemForError(value).status;
  const code = (value as { code?: unknown }).code;
  const fields: Record<string, unknown> = { type: value.name, status, code: typeof code === 'string' ? code : undefined };
  if (status >= 500) {
    // Fastify's own errors quote the raw URL ("Reply was already sent … in "/path?token=…"").
    fields.message = withoutQueries(value.message);
    fields.stack = value.stack === undefined ? undefined : withoutQueries(value.stack);
  }
  return fields;
}

/*
 * Pino applies `formatters.log` before its serializers, so this is where `req`, `res` and `err` are shaped: the raw
 * objects (a request holds its body and headers) never reach sanitizeForLog's walk. Then every string and key is
 * redacted by name and shape and escaped (CR/LF, NEL, U+2028, ANSI and bidi controls: log forging and terminal
 * injection survive JSON encoding for anyone who reads a decoded line).
 */
function formatLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    shaped[key] = key === 'req' ? requestFields(value) : key === 'res' ? replyFields(value) : key === 'err' ? errorFields(value) : value;
  }
  const clean = sanitizeForLog(shaped);
  return isRecord(clean) && !Array.isArray(clean) ? clean : {};
}

/**
 * What every log message goes through (messages bypass `formatters.log`): query strings cut, secrets redacted by
 * shape, control characters escaped. Fastify's own warnings quote raw URLs; this is what keeps their query strings
 * (`?token=…`) out of the logs.
 */
export function cleanLogMessage(text: string): string {
  return sanitizeLogText(redactText(withoutQueries(text)));
}

/** Fastify's `logger` option as an object: its own options and pino's. */
export type ServerLoggerOptions = Exclude<FastifyServerOptions['logger'], boolean | undefined> & { readonly stream?: LogDestination };

type LogMethodHook = NonNullable<NonNullable<ServerLoggerOptions['hooks']>['logMethod']>;

const logMethod: LogMethodHook = function logMethod(args, method) {
  const [first, ...rest] = args as unknown[];
  // Pino makes an error's message the line's message when none is given (`log.error(err)`, `log.warn({ err })`):
  // supply it here, so it is cleaned like any other message.
  const error = first instanceof Error ? first : isRecord(first) && first.err instanceof Error ? first.err : undefined;
  const leading: unknown[] = [first instanceof Error ? { err: first } : first];
  if (error !== undefined && typeof rest[0] !== 'string') leading.push(error.message);
  const cleaned = [...leading, ...rest].map((arg) => (typeof arg === 'string' ? cleanLogMessage(arg) : arg));
  method.apply(this, cleaned as Parameters<typeof method>);
};

const passThrough = (value: unknown): unknown => value;

/**
 * The server's pino options: JSON lines to stdout (or `destination`), ISO timestamps, level names, `redact` paths for
 * credentials and bodies, and every object and message redacted and escaped before it is written. Protects against
 * secrets in logs (CWE-532: bearer tokens, cookies, query-string tokens, passwords in bodies) and log forging
 * (CWE-117: CR/LF or other line breaks in a path or header that would write a fake second entry).
 */
export function serverLoggerOptions(level: LogLevel, destination?: LogDestination): ServerLoggerOptions {
  return {
    level,
    ...(destination === undefined ? {} : { stream: destination }),
    redact: { paths: [...REDACT_PATHS], censor: '[REDACTED]' },
    formatters: {
      level: (label) => ({ level: label }),
      log: formatLogObject,
    },
    // Already shaped by formatters.log: Fastify's default serializers (which copy `req.url`) must not run on them. Its
    // types describe the objects its own serializers build, hence the cast.
    serializers: { req: passThrough, res: passThrough, err: passThrough } as unknown as ServerLoggerOptions['serializers'],
    hooks: { logMethod },
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
  };
}

/**
 * One line per request, written when the response is finished: method, route pattern, status, duration and the
 * correlation id the client was given. Never the URL, a header or a body. Probe routes (`/livez`, `/readyz`,
 * `/metrics`) answered successfully log at `debug`, so health checks every few seconds do not bury the traffic;
 * every 5xx logs at `error`.
 */
export function logRequests(app: FastifyInstance, probeRoutes: ReadonlySet<string>): void {
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const route = routeOf(request);
    const level = status >= 500 ? 'error' : probeRoutes.has(route) && status < 400 ? 'debug' : 'info';
    app.log[level](
      { reqId: correlationIdOf(request), method: request.method, route, status, durationMs: Math.round(reply.elapsedTime * 100) / 100 },
      'request',
    );
    done();
  });
}

/**
 * The guard chain's error reporter: a server fault logs at `error` with its (redacted, escaped) message and stack and
 * the correlation id the client's problem response carries; a client error logs its kind only, at `debug`.
 */
export function errorReporter(log: FastifyBaseLogger): (error: unknown, correlationId: string) => void {
  return (error, correlationId) => {
    if (problemForError(error).status >= 500) log.error({ reqId: correlationId, err: error }, 'request failed');
    else log.debug({ reqId: correlationId, err: error }, 'request refused');
  };
}

type LogMethod = FastifyBaseLogger['info'];
type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = Parameters<FastifyBaseLogger['child']>[1];
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * A request's logger, made only when something logs through it. Fastify gives every request a pino child bound to its
 * id; building one runs the redaction over the bindings (the `redact` paths parsed again on every call, in
 * `@pinojs/redact`), a measurable share of each request's allocations, for a logger the server's own request line does
 * not use (`logRequests` writes through the root logger). What it logs, when it logs, is what the child would have.
 */
class LazyChildLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions | undefined;
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions | undefined) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.#parent.level;
  }
  set level(level: string) {
    this.#real().level = level;
  }

  declare readonly fatal: LogMethod;
  declare readonly error: LogMethod;
  declare readonly warn: LogMethod;
  declare readonly info: LogMethod;
  declare readonly debug: LogMethod;
  declare readonly trace: LogMethod;
  declare readonly silent: LogMethod;

  // The level methods live on the prototype, made once: a logger per request must not cost seven closures per request.
  static {
    for (const level of LEVELS) {
      Object.defineProperty(LazyChildLogger.prototype, level, {
        value: function (this: LazyChildLogger, ...args: Parameters<LogMethod>): void {
          this.#real()[level](...args);
        },
      });
    }
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: each request's logger is a {@link LazyChildLogger}. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger, bindings, options);
}
