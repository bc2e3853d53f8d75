import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  HEADERS_TO_REMOVE,
  RampartState,
  createChain,
  isCsrfPending,
  isUrlencoded,
  nodeHeaderReader,
  verifyCsrfFormField,
  type Chain,
  type ChainOptions,
  type FormBodyOptions,
  type ChainOutcome,
} from '@rampart/core/http';
import { readForm } from './body.js';
import { sendProblem } from './problem.js';

/** Adds a cookie to the response after the chain's headers were applied (a CSRF token rotated at login). */
function appendCookie(res: Response, cookie: string): void {
  res.append('set-cookie', cookie);
}

declare module 'express-serve-static-core' {
  interface Locals {
    /** Set by `rampart()` on every request it lets through. */
    rampart?: RampartState<Response>;
  }
}

/** A prebuilt chain (`{ chain }`), or the options to build one. */
export type RampartChainOptions = { readonly chain: Chain } | ChainOptions;

/** Options of the Express middleware. */
export type RampartOptions = RampartChainOptions & {
  /** Limits for the form bodies read to finish a CSRF form-field check (see the README). */
  readonly form?: FormBodyOptions;
};

function isPrebuilt(options: RampartChainOptions): options is { readonly chain: Chain } {
  return (options as { chain?: unknown }).chain !== undefined;
}

function setHeader(res: Response, name: string, value: string): void {
  res.setHeader(name, value);
}

function applyHeaders(res: Response, outcome: ChainOutcome): void {
  // Express sets X-Powered-By in its own init middleware, before any application middleware: removable here.
  for (const name of HEADERS_TO_REMOVE) res.removeHeader(name);
  outcome.headers.forEach(res, setHeader);
  const cookies = outcome.headers.cookies;
  // rampart-ignore-next-line insecure-cookie: these Set-Cookie values were serialized by core's cookie control, which sets HttpOnly, Secure and SameSite
  if (cookies.length > 0) res.append('set-cookie', [...cookies]);
}

/**
 * Finishes the CSRF check of a form post the guard left pending (the token travels in a form field, which guards do
 * not read): reads the urlencoded body within its limits, sets `req.body`, and compares the field. Doing it here, and
 * not in an optional parser, means no route can run with the check unfinished. Any other form encoding (multipart)
 * is refused: the field cannot be read here, and the token header was not sent.
 */
function finishFormCheck(outcome: ChainOutcome, req: Request, res: Response, next: NextFunction, form: FormBodyOptions): Promise<void> | undefined {
  const context = outcome.context;
  if (!isUrlencoded(req.headers['content-type'])) {
    const verdict = verifyCsrfFormField(context, undefined);
    if (verdict.action === 'deny') sendProblem(res, verdict.problem, context.correlationId);
    return undefined;
  }
  return readForm(req, res, form).then((fields) => {
    if (fields === undefined) return;
    req.body = fields;
    const verdict = verifyCsrfFormField(context, fields);
    if (verdict.action === 'deny') sendProblem(res, verdict.problem, context.correlationId);
    else next();
  });
}

function apply(outcome: ChainOutcome, req: Request, res: Response, next: NextFunction, form: FormBodyOptions): Promise<void> | undefined {
  applyHeaders(res, outcome);
  const verdict = outcome.verdict;
  if (verdict.action === 'continue') {
    res.locals.rampart = new RampartState(outcome, res, appendCookie);
    if (isCsrfPending(outcome.context)) return finishFormCheck(outcome, req, res, next, form);
    next();
  } else if (verdict.action === 'deny') {
    sendProblem(res, verdict.problem, outcome.context.correlationId);
  } else {
    res.statusCode = verdict.status;
    res.end();
  }
  return undefined;
}

/**
 * Express middleware running Rampart's guard chain on every request it sees: security headers, CORS, CSRF, client
 * address, body limits and rate limits, in the chain's fixed order. A refused request is answered here with an RFC 9457
 * problem and never reaches a route; an allowed one carries the guards' headers and `res.locals.rampart`.
 *
 * Register it first (`app.use(rampart(…))`) so no route or other middleware runs before the controls.
 */
export function rampart(options: RampartOptions): RequestHandler {
  const chain = isPrebuilt(options) ? options.chain : createChain(options);
  const form = options.form ?? {};
  return function rampartGuard(req, res, next) {
    const socket = req.socket as { remoteAddress?: string; encrypted?: boolean };
    const result = chain.run({
      method: req.method,
      // `originalUrl`: under `app.use('/api', rampart(…))` guards must see the path the client sent, not the remainder.
      target: req.originalUrl,
      header: nodeHeaderReader(req.headers),
      peerAddress: socket.remoteAddress,
      tls: socket.encrypted === true,
    });
    // A synchronous chain (the common case) is applied without a promise; Express 5 routes a rejected promise to the
    // error handlers, so an asynchronous outcome is simply returned.
    if (result instanceof Promise) return result.then((outcome) => apply(outcome, req, res, next, form));
    return apply(result, req, res, next, form);
  };
}
