import type { FastifyError, FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import {
  correlationIdFrom,
  createChain,
  isCsrfPending,
  nodeHeaderReader,
  problemForError,
  RampartState,
  verifyCsrfFormField,
  type Chain,
  type ChainOptions,
  type ChainOutcome,
} from '@rampart/core/http';
import { installBodyParsers, type BodyOptions } from './body.js';
import { sendProblem } from './problem.js';

/** Adds a cookie to the reply after the chain's headers were applied (a CSRF token rotated at login). */
function appendCookie(reply: FastifyReply, cookie: string): void {
  void reply.header('set-cookie', cookie);
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by the Rampart plugin on every request it lets through, in the scopes it is registered in; `null` or absent
     * elsewhere (outside the plugin's encapsulation context).
     */
    rampart?: RampartState<FastifyReply> | null;
  }
}

/** A prebuilt chain (`{ chain }`), or the options to build one. */
export type RampartChainOptions = { readonly chain: Chain } | ChainOptions;

/** Options of the Fastify plugin besides the chain. */
export interface RampartPluginOptions {
  /**
   * Limits of the JSON and urlencoded parsers the plugin installs in its scope (replacing Fastify's JSON parser), or
   * `false` to keep the application's own parsers — which must then enforce the same limits.
   */
  readonly body?: BodyOptions | false;
  /**
   * Install Rampart's error handler in the plugin's scope (default `true`). Set `false` when the application has its
   * own, and call {@link problemForError} from it.
   */
  readonly errorHandler?: boolean;
  /** Receives every error with the correlation id the client was given: message and stack go to logs only. */
  readonly report?: (error: unknown, correlationId: string) => void;
}

/** Options of the Fastify plugin. */
export type RampartFastifyOptions = RampartChainOptions & RampartPluginOptions;

function isPrebuilt(options: RampartChainOptions): options is { readonly chain: Chain } {
  return (options as { chain?: unknown }).chain !== undefined;
}

function traceparentOf(request: FastifyRequest): string | undefined {
  const value = request.headers.traceparent;
  // A repeated traceparent is ambiguous: treated as absent, never picked from.
  return typeof value === 'string' ? value : undefined;
}

function setHeader(reply: FastifyReply, name: string, value: string): void {
  void reply.header(name, value);
}

function apply(outcome: ChainOutcome, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  // `reply.header` only records the value until the reply is sent.
  outcome.headers.forEach(reply, setHeader);
  // Fastify accumulates repeated `set-cookie` values into a list.
  for (const cookie of outcome.headers.cookies) reply.header('set-cookie', cookie);
  const verdict = outcome.verdict;
  if (verdict.action === 'continue') {
    request.rampart = new RampartState(outcome, reply, appendCookie);
    done();
  } else if (verdict.action === 'deny') {
    // Answering from a callback hook ends the lifecycle here: `done` must not be called as well.
    sendProblem(reply, verdict.problem, outcome.context.correlationId);
  } else {
    reply.code(verdict.status).send();
  }
}

const plugin: FastifyPluginCallback<RampartFastifyOptions> = (fastify: FastifyInstance, options, pluginDone) => {
  const chain = isPrebuilt(options) ? options.chain : createChain(options);

  // A second registration (another scope, a nested one) shares the decoration declared by the first.
  if (!fastify.hasRequestDecorator('rampart')) fastify.decorateRequest('rampart', null);

  // One `onRequest` hook, callback style: the synchronous chain (the common case) costs no promise, and it runs before
  // Fastify reads the body, so a refused request never has its body parsed.
  fastify.addHook('onRequest', function rampartGuard(request, reply, done) {
    const raw = request.raw;
    const socket = raw.socket as { remoteAddress?: string; encrypted?: boolean };
    const result = chain.run({
      method: raw.method ?? 'GET',
      target: raw.url ?? '/',
      header: nodeHeaderReader(raw.headers),
      peerAddress: socket.remoteAddress,
      tls: socket.encrypted === true,
    });
    if (result instanceof Promise) {
      result.then(
        (outcome) => {
          apply(outcome, request, reply, done);
        },
        (error: unknown) => {
          done(error instanceof Error ? error : new Error('guard chain failed'));
        },
      );
      return;
    }
    apply(result, request, reply, done);
  });

  // After the body is parsed and before the handler: a form post whose CSRF token travels in a form field (which
  // guards do not read) is finished here, whichever parser produced the body; without a readable field it is refused,
  // so no handler runs with the check unfinished.
  fastify.addHook('preValidation', function rampartFormCsrf(request, reply, done) {
    const state = request.rampart;
    if (state === null || state === undefined || !isCsrfPending(state.context)) {
      done();
      return;
    }
    const verdict = verifyCsrfFormField(state.context, request.body);
    if (verdict.action === 'deny') sendProblem(reply, verdict.problem, state.correlationId);
    else done();
  });

  if (options.body !== false) installBodyParsers(fastify, options.body ?? {});

  if (options.errorHandler !== false) {
    const report = options.report;
    fastify.setErrorHandler(function rampartErrors(error: FastifyError, request, reply) {
      const correlationId = request.rampart?.correlationId ?? correlationIdFrom(traceparentOf(request));
      if (report !== undefined) {
        try {
          report(error, correlationId);
        } catch {
          // A failing logger must not turn the problem response into a crash.
        }
      }
      return sendProblem(reply, problemForError(error), correlationId);
    });
  }

  pluginDone();
};

/**
 * Fastify plugin running Rampart's guard chain in one `onRequest` hook: security headers, CORS, CSRF, client
 * address, body limits and rate limits, before any handler and before any body is read. A refused request is answered
 * with an RFC 9457 problem; an allowed one carries the guards' headers and `request.rampart`. Its body parsers enforce
 * core's limits and its error handler answers every error with a problem that leaks no message or stack.
 *
 * Encapsulation is respected: hooks, parsers and error handler apply to the scope the plugin is registered in and that
 * scope's children, so `app.register(async (api) => { await api.register(rampart, …) }, { prefix: '/api' })` protects
 * `/api` only.
 */
export const rampart = fp(plugin, { name: '@rampart/fastify', fastify: '5.x' });
