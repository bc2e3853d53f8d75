import type { BodyRoute, Problem } from '@rampart/core/http';
import { redirectPolicy } from '@rampart/core/safe';
import { compile, Type, type CompiledSchema, type TSchema } from '@rampart/core/validate';
import { ProblemError } from '@rampart/fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';

/*
 * Small helpers every form page needs: closed form schemas, Post/Redirect/Get, `next` targets that stay on this
 * origin, and the refusals of a service rendered rather than answered as JSON.
 */

/** The form posts of `paths` for the server's body guard: urlencoded (what a plain HTML form sends), 8 KiB at most. */
export function formRoutes(paths: readonly string[]): readonly BodyRoute[] {
  return paths.map((path) => ({ method: 'POST', path, maxBytes: 8 * 1024, contentTypes: ['application/x-www-form-urlencoded'] }));
}

/** The hidden CSRF field every form carries; the chain's CSRF guard checks it, the handlers only allow it. */
const CSRF_FIELD = Type.Optional(Type.String({ maxLength: 512 }));

/**
 * A closed schema for a form body: `fields` and the `_csrf` field, nothing else. Protects against mass assignment
 * (an injected `role`, `userId` or `emailVerified` is refused, never passed on).
 */
export function formSchema<T extends Record<string, TSchema>>(fields: T) {
  return compile(Type.Object({ ...fields, _csrf: CSRF_FIELD }));
}

/** The form body checked against `schema`, or `undefined` when it does not match (the page answers 400). */
export function formOf<T>(schema: CompiledSchema<T>, request: FastifyRequest): T | undefined {
  const result = schema.check(request.body ?? {});
  return result.ok ? result.value : undefined;
}

/**
 * One text field of a form body that did not pass its schema, to put back into the re-rendered form (it is encoded
 * there); `''` when absent, not a string, or longer than `maxLength`. Never use it for a password.
 */
export function echoField(request: FastifyRequest, name: string, maxLength = 254): string {
  const body = request.body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, name)) return '';
  const value: unknown = (body as Readonly<Record<string, unknown>>)[name];
  return typeof value === 'string' && value.length <= maxLength ? value : '';
}

/**
 * Answers `303 See Other` to `location`, a path the server built (Post/Redirect/Get: a reload never repeats the
 * POST). Never pass a value from the request that did not go through {@link safeNext}.
 */
export function seeOther(reply: FastifyReply, location: `/${string}`): FastifyReply {
  return reply.code(303).header('location', location).header('cache-control', 'no-store').send();
}

const LOCAL_ONLY = redirectPolicy({ fallback: '/account' });

/**
 * A `next` target that stays on this origin — core's open-redirect policy: one leading `/`, no scheme-relative
 * (`//evil.example`, `/\evil.example`), no encoded or look-alike variant, no other scheme — or `undefined` for
 * anything else (missing, refused). Protects against the sign-in pages becoming an open redirect (CWE-601) that sends
 * a user, freshly signed in, to a phishing copy.
 */
export function safeNext(value: unknown): `/${string}` | undefined {
  const checked = LOCAL_ONLY.check(value);
  return checked.ok ? (checked.value as `/${string}`) : undefined;
}

/** The request's `?next=`, already through {@link safeNext}. */
export function nextOf(request: FastifyRequest): `/${string}` | undefined {
  const query = request.query as Readonly<Record<string, unknown>> | undefined;
  return safeNext(query?.next);
}

/** `path` with `?next=<target>` when there is one. */
export function withNext(path: `/${string}`, next: `/${string}` | undefined): `/${string}` {
  return next === undefined ? path : `${path}?next=${encodeURIComponent(next)}`;
}

/** A short, constant message chosen by key from `notices` (`?notice=` after a redirect): nothing else is echoed. */
export function noticeOf<K extends string>(request: FastifyRequest, notices: Readonly<Record<K, string>>): string | undefined {
  const query = request.query as Readonly<Record<string, unknown>> | undefined;
  const key = query?.notice;
  return typeof key === 'string' && Object.hasOwn(notices, key) ? notices[key as K] : undefined;
}

/**
 * Runs `action`; a refusal it throws (`ProblemError`: throttled, wrong credentials, expired link, …) is returned as
 * its problem for the page to render, anything else propagates (a 500 with a correlation id, never details).
 */
export async function refusalOf<T>(action: () => Promise<T>): Promise<{ readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: Problem }> {
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    if (error instanceof ProblemError) return { ok: false, problem: error.problem };
    throw error;
  }
}

/** Sets the status and the problem's own headers (`Retry-After`, the 401 challenge) on a re-rendered form. */
export function withRefusal(reply: FastifyReply, problem: Problem): FastifyReply {
  void reply.code(problem.status);
  for (const [name, value] of Object.entries(problem.headers ?? {})) void reply.header(name, value);
  return reply;
}
