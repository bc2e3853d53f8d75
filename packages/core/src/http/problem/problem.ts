/**
 * RFC 9457 problem details. A client learns what went wrong in general terms and gets a correlation id; the operator
 * finds everything else (the guard, the reason, the inputs) in the security event logged under that id. No stack
 * trace, SQL, internal name or echo of the rejected value ever goes into a problem.
 */
export interface Problem {
  /** HTTP status code. */
  readonly status: number;
  /** A URI naming the problem type (RFC 9457 §3.1.1); Rampart's are `https://rampart.dev/problems/<slug>`. */
  readonly type: string;
  /** Short, human-readable summary of the type; the same for every occurrence. */
  readonly title: string;
  /** Explanation of this occurrence, safe for the client. Never contains attacker input. */
  readonly detail?: string;
  /** Extra response headers that belong to the problem (`Retry-After`, `Allow`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Stable machine-readable code for clients and dashboards, e.g. `csrf.origin_mismatch`. */
  readonly code?: string;
  /**
   * Extension members (RFC 9457 §3.2) for the body, e.g. a validation problem's `errors` or a password policy's
   * `violations`. Built by the server from what it decided, never copied from the request. The standard members and
   * `correlationId` always win over an extension of the same name.
   */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** Base of Rampart's problem type URIs. */
export const PROBLEM_BASE = 'https://rampart.dev/problems/';

/** Builds a problem; `slug` becomes the type URI. */
export function problem(status: number, slug: string, title: string, extra: Omit<Problem, 'status' | 'type' | 'title'> = {}): Problem {
  return { status, type: `${PROBLEM_BASE}${slug}`, title, ...extra };
}

/** The JSON body of a problem, with the correlation id as an extension member (RFC 9457 §3.2). */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code?: string;
  readonly correlationId: string;
}

/** Media type of problem bodies. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The body to send for `problem`, tagged with `correlationId`. */
export function problemBody(value: Problem, correlationId: string): ProblemBody {
  return {
    ...value.extensions,
    type: value.type,
    title: value.title,
    status: value.status,
    ...(value.detail === undefined ? {} : { detail: value.detail }),
    ...(value.code === undefined ? {} : { code: value.code }),
    correlationId,
  };
}

/**
 * The problem for an unexpected error: a generic 500 that says nothing about the error itself. Whatever was thrown
 * (a driver error with SQL in it, a stack trace) stays on the server side.
 */
export const INTERNAL_ERROR: Problem = problem(500, 'internal', 'Internal Server Error', {
  detail: 'The request could not be completed. Quote the correlation id when reporting this.',
});
