import { discardEvents, securityEvent, type SecurityEvent, type SecurityEventSink } from '../../events.js';
import { correlationIdFrom } from '../problem/correlation.js';
import { INTERNAL_ERROR } from '../problem/problem.js';
import { ResponseHeaders } from './headers.js';
import { LazyRequestView, trustNoProxy, type ClientAddressResolver, type RequestInput } from './request.js';
import { CONTINUE, deny, type ContextKey, type Guard, type GuardContext, type RequestView, type Verdict } from './types.js';

export interface ChainOptions {
  /** The guards, run in order; the first verdict other than `continue` ends the chain. */
  readonly guards: readonly Guard[];
  /** Trusted-proxy rules for `clientIp` and `secure`. Default: trust nobody (see `http/client-ip`). */
  readonly clientAddress?: ClientAddressResolver;
  /** Receives every security event a guard reports, tagged with the correlation id. */
  readonly events?: SecurityEventSink;
}

/** What the chain decided for one request, for the adapter to apply. */
export interface ChainOutcome {
  readonly verdict: Verdict;
  /** Headers to send with the response, whether the request continues or not. */
  readonly headers: ResponseHeaders;
  readonly request: RequestView;
  readonly context: RequestContext;
}

/** Per-request state shared by the guards of one chain run, and handed to the application through the adapter. */
export class RequestContext implements GuardContext {
  readonly response = new ResponseHeaders();
  #values: Map<string, unknown> | undefined;
  readonly #events: SecurityEventSink;
  readonly #traceparent: string | undefined;
  #correlationId: string | undefined;

  constructor(traceparent: string | undefined, events: SecurityEventSink) {
    this.#traceparent = traceparent;
    this.#events = events;
  }

  get correlationId(): string {
    this.#correlationId ??= correlationIdFrom(this.#traceparent);
    return this.#correlationId;
  }

  get<T>(key: ContextKey<T>): T | undefined {
    return this.#values?.get(key.name) as T | undefined;
  }

  set<T>(key: ContextKey<T>, value: T): void {
    (this.#values ??= new Map()).set(key.name, value);
  }

  emit(event: SecurityEvent): void {
    try {
      this.#events({ ...event, attributes: { ...event.attributes, correlationId: this.correlationId } });
    } catch {
      // A failing sink must not change the verdict (events.ts): the request was decided already.
    }
  }
}

/** A built chain: run it once per request. */
export interface Chain {
  /** Runs the guards. Synchronous while every guard is; a promise from the first asynchronous guard on. */
  run(input: RequestInput): ChainOutcome | Promise<ChainOutcome>;
}

function isPromise(value: Verdict | Promise<Verdict>): value is Promise<Verdict> {
  return typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Builds the filter chain: one pass over the guards per request, stopping at the first refusal.
 *
 * Protects against the gaps of hand-wired middleware stacks: every control runs in a fixed, reviewed order on every
 * request; a guard that throws fails closed (a generic 500 problem, the error reported as an event, never sent to the
 * client); and the same chain runs unchanged under every framework adapter.
 */
export function createChain(options: ChainOptions): Chain {
  const guards = [...options.guards];
  const resolve = options.clientAddress ?? trustNoProxy;
  const events = options.events ?? discardEvents;

  function failed(context: RequestContext, guard: Guard, error: unknown): Verdict {
    context.emit(
      securityEvent('http.guard_failed', undefined, {
        guard: guard.guardName ?? guard.name,
        error: error instanceof Error ? error.name : typeof error,
      }),
    );
    return deny(INTERNAL_ERROR);
  }

  async function finish(
    pending: Promise<Verdict>,
    index: number,
    request: RequestView,
    context: RequestContext,
  ): Promise<ChainOutcome> {
    let verdict: Verdict;
    try {
      verdict = await pending;
    } catch (error) {
      verdict = failed(context, guards[index] as Guard, error);
    }
    for (let next = index + 1; verdict.action === 'continue' && next < guards.length; next += 1) {
      const guard = guards[next] as Guard;
      try {
        verdict = await guard(request, context);
      } catch (error) {
        verdict = failed(context, guard, error);
      }
    }
    return { verdict, headers: context.response, request, context };
  }

  return {
    run(input) {
      const request = new LazyRequestView(input, resolve);
      const context = new RequestContext(input.header('traceparent'), events);
      let verdict: Verdict = CONTINUE;
      for (let index = 0; index < guards.length; index += 1) {
        const guard = guards[index] as Guard;
        let result: Verdict | Promise<Verdict>;
        try {
          result = guard(request, context);
        } catch (error) {
          verdict = failed(context, guard, error);
          break;
        }
        if (isPromise(result)) return finish(result, index, request, context);
        verdict = result;
        if (verdict.action !== 'continue') break;
      }
      return { verdict, headers: context.response, request, context };
    },
  };
}
