import type { Authorizer } from '../../authz/engine/authorizer.js';
import { decisionAuditAttributes } from '../../authz/engine/decision.js';
import type { CheckContext, Decision, Principal, Resource } from '../../authz/model.js';
import { ConfigurationError } from '../../errors.js';
import { securityEvent } from '../../events.js';
import { contextKey, type ContextKey } from '../chain/types.js';
import { INTERNAL_ERROR, problem, type Problem } from '../problem/problem.js';
import type { RampartState } from './state.js';

/**
 * The authenticated principal, set by an authentication guard (or handler) in the chain's context; route guards
 * (`authorize(...)` in every adapter) read it by default. A request without one is refused with 401.
 */
export const AUTHZ_PRINCIPAL: ContextKey<Principal> = contextKey<Principal>('authz-principal');

/** How the principal authenticated, as far as authorization conditions care (`request.scopes`, `mfa`, `aal`). */
export interface AuthenticationFacts {
  /** OAuth scopes of the access token; absent for a first-party session (no narrowing). */
  readonly scopes?: readonly string[];
  /** Whether the session passed multi-factor authentication. */
  readonly mfa?: boolean;
  /** NIST SP 800-63B authenticator assurance level 0–3. */
  readonly aal?: number;
}

/** Set by the authentication guard next to {@link AUTHZ_PRINCIPAL}: token scopes, MFA, assurance level. */
export const AUTHZ_AUTHENTICATION: ContextKey<AuthenticationFacts> = contextKey<AuthenticationFacts>('authz-authentication');

/** The decision that let the request through, for handlers and audit (`state.get(AUTHZ_DECISION)`). */
export const AUTHZ_DECISION: ContextKey<Decision> = contextKey<Decision>('authz-decision');

/** The resource the decision was made about, so the handler acts on exactly what was checked. */
export const AUTHZ_RESOURCE: ContextKey<Resource> = contextKey<Resource>('authz-resource');

/** An authorizer, or a function returning the current one (hot reload swaps the reference). */
export type AuthorizerSource = Pick<Authorizer, 'check'> | (() => Pick<Authorizer, 'check'>);

/** Loads the resource a request addresses, from the store (owner and tenant from the stored row, never the request). */
export type ResourceLoader<R> = (request: R) => Resource | null | undefined | Promise<Resource | null | undefined>;

/** Options of the route guard `authorize(authorizer, action, loadResource, options)` in every adapter. */
export interface AuthorizeOptions<R> {
  /**
   * The principal of the request. Default: {@link AUTHZ_PRINCIPAL} from the chain's context. `undefined` → 401.
   */
  readonly principal?: (request: R) => Principal | undefined;
  /** Token scopes, MFA and assurance level. Default: {@link AUTHZ_AUTHENTICATION} from the chain's context. */
  readonly authentication?: (request: R) => AuthenticationFacts | undefined;
  /**
   * The fields the request writes (for field-level rules), e.g. `(req) => Object.keys(req.body)`. Default: none given,
   * which the engine counts as writing *every* field, so field-restricted allow rules do not apply.
   */
  readonly fields?: (request: R) => readonly string[] | undefined;
  /**
   * The action that decides whether the principal may know the resource exists. Default `'read'`: a denied request
   * whose principal may not `read` the resource either gets the same 404 as a missing resource (OWASP API1 / Cerbos
   * guidance: do not confirm that another user's or tenant's id exists); one who may read it gets 403.
   */
  readonly visibleWith?: string;
  /** Loosening: answer every denial with 403, confirming to the caller that the resource exists. */
  readonly revealExistence?: true;
  /** The `WWW-Authenticate` challenge of the 401 sent when there is no principal (RFC 9110 §15.5.2). Default `Bearer`. */
  readonly challenge?: string;
}

/** Allowed (the decision is in the context), or the problem to answer with. */
export type AuthorizeOutcome = { readonly allowed: true; readonly decision: Decision } | { readonly allowed: false; readonly problem: Problem };

/** The route guard every adapter wraps: one per route, built when the route is declared. */
export interface RouteAuthorization<R> {
  /** Loads the resource, checks the principal, emits the event, stores the decision; never throws. */
  run(request: R, state: RampartState | undefined): Promise<AuthorizeOutcome>;
}

/*
 * The problems are fixed per outcome: the reason, rule, field and principal stay in the event. The 404 is the same one
 * for a missing and for a hidden resource, byte for byte (no authz-specific code), or the code would be the oracle.
 */
const FORBIDDEN: Problem = Object.freeze(
  problem(403, 'authz-denied', 'Forbidden', { code: 'authz.denied', detail: 'You are not allowed to perform this action.' }),
);
const NOT_FOUND: Problem = Object.freeze(problem(404, 'not-found', 'Not Found', { detail: 'The resource does not exist.' }));

function unauthenticated(challenge: string): Problem {
  return Object.freeze(
    problem(401, 'unauthenticated', 'Unauthorized', {
      code: 'authz.unauthenticated',
      detail: 'Authentication is required.',
      headers: { 'www-authenticate': challenge },
    }),
  );
}

/** The problem for a resource that does not exist, the same one a hidden resource gets. */
export const RESOURCE_NOT_FOUND: Problem = NOT_FOUND;

function resolveAuthorizer(source: AuthorizerSource): Pick<Authorizer, 'check'> {
  return typeof source === 'function' ? source() : source;
}

function failed(state: RampartState, stage: string, error: unknown): AuthorizeOutcome {
  state.context.emit(securityEvent('authz.failed', undefined, { stage, error: error instanceof Error ? error.name : typeof error }));
  return { allowed: false, problem: INTERNAL_ERROR };
}

/**
 * Builds the framework-free part of a route guard: resource loading, the check, the existence policy, the event and
 * the decision handed to the handler. Adapters only translate the outcome into their framework's answer.
 *
 * Protects against broken object level authorization (OWASP API1: another user's or tenant's object by id, answered
 * 404 like a missing one), broken function level authorization (API5: an action no rule grants, 403) and field-level
 * writes (API3, with `fields`). Fails closed: no principal → 401; a loader, principal or authorizer that throws, or a
 * request the chain did not run for → 500 and an `authz.failed` event; a condition error → denied. The decision's
 * reason goes to the `authz.denied` / `authz.allowed` event, never to the response.
 */
export function routeAuthorization<R>(
  authorizer: AuthorizerSource,
  action: string,
  loadResource: ResourceLoader<R>,
  options: AuthorizeOptions<R> = {},
): RouteAuthorization<R> {
  const isAuthorizer = typeof authorizer === 'function' || (typeof authorizer === 'object' && typeof (authorizer as { check?: unknown }).check === 'function');
  if (!isAuthorizer) throw new ConfigurationError('authorize: pass an Authorizer or a function returning one');
  if (typeof action !== 'string' || action.length === 0) throw new ConfigurationError('authorize: the action must be a non-empty string');
  if (typeof loadResource !== 'function') throw new ConfigurationError('authorize: loadResource must be a function');
  const visibleWith = options.visibleWith ?? 'read';
  if (typeof visibleWith !== 'string' || visibleWith.length === 0) throw new ConfigurationError('authorize: visibleWith must be a non-empty action');
  const reveal = options.revealExistence === true;
  const missingPrincipal = unauthenticated(options.challenge ?? 'Bearer');
  const principalOf = options.principal;
  const authenticationOf = options.authentication;
  const fieldsOf = options.fields;

  /** 404 unless the principal may see the resource: a denial must not confirm that an id exists. */
  function denialProblem(check: Pick<Authorizer, 'check'>, principal: Principal, resource: Resource, context: CheckContext): Problem {
    if (reveal) return FORBIDDEN;
    if (action === visibleWith) return NOT_FOUND;
    const { fields: _written, ...visibility } = context;
    return check.check(principal, visibleWith, resource, visibility).allowed ? FORBIDDEN : NOT_FOUND;
  }

  async function run(request: R, state: RampartState | undefined): Promise<AuthorizeOutcome> {
    // Without the chain there is no client address, no event sink and nowhere to put the decision: fail closed.
    if (state === undefined) return { allowed: false, problem: INTERNAL_ERROR };
    let principal: Principal | undefined;
    let authentication: AuthenticationFacts | undefined;
    let fields: readonly string[] | undefined;
    try {
      principal = principalOf === undefined ? state.get(AUTHZ_PRINCIPAL) : principalOf(request);
      authentication = authenticationOf === undefined ? state.get(AUTHZ_AUTHENTICATION) : authenticationOf(request);
      fields = fieldsOf?.(request);
    } catch (error) {
      return failed(state, 'principal', error);
    }
    // A principal function returning null (untyped callers) reaches the engine, which denies it as invalid_request.
    if (principal === undefined) {
      state.context.emit(securityEvent('authz.denied', undefined, { action, reason: 'unauthenticated', status: 401 }));
      return { allowed: false, problem: missingPrincipal };
    }
    let resource: Resource | null | undefined;
    try {
      resource = await loadResource(request);
    } catch (error) {
      return failed(state, 'load_resource', error);
    }
    if (resource === undefined || resource === null) return { allowed: false, problem: NOT_FOUND };
    const context: CheckContext = {
      clientIp: state.clientIp,
      ...(authentication?.scopes === undefined ? {} : { scopes: authentication.scopes }),
      ...(authentication?.mfa === undefined ? {} : { mfa: authentication.mfa }),
      ...(authentication?.aal === undefined ? {} : { aal: authentication.aal }),
      ...(fields === undefined ? {} : { fields }),
    };
    let check: Pick<Authorizer, 'check'>;
    let decision: Decision;
    let refusal: Problem | undefined;
    try {
      check = resolveAuthorizer(authorizer);
      decision = check.check(principal, action, resource, context);
      if (!decision.allowed) refusal = denialProblem(check, principal, resource, context);
    } catch (error) {
      return failed(state, 'check', error);
    }
    const attributes = {
      ...decisionAuditAttributes(decision),
      action,
      kind: resource.kind,
      ...(resource.id === undefined ? {} : { resourceId: resource.id }),
    };
    if (refusal !== undefined) {
      state.context.emit(securityEvent('authz.denied', principal.id, { ...attributes, status: refusal.status }));
      return { allowed: false, problem: refusal };
    }
    state.context.set(AUTHZ_DECISION, decision);
    state.context.set(AUTHZ_RESOURCE, resource);
    state.context.emit(securityEvent('authz.allowed', principal.id, attributes));
    return { allowed: true, decision };
  }

  return { run };
}
