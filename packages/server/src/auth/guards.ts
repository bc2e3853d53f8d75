import { systemClock, type Clock } from '@rampart/core';
import { problem } from '@rampart/core/http';
import { ProblemError } from '@rampart/fastify';
import type { FastifyRequest } from 'fastify';
import { UNAUTHENTICATED } from './authenticate.js';
import type { Identity, IdentitySource } from './identity.js';

/** How recent a full authentication must be for a sensitive operation. Default 10 minutes (OWASP ASVS V3.7.1 re-auth). */
export const STEP_UP_MAX_AGE_MS = 10 * 60_000;

/**
 * The request's identity, or a 401 problem thrown. `sources` narrows which credentials may call the route (account
 * management takes a session or an access token, never an API key).
 *
 * Protects against: anonymous calls to a route that acts for a user; a machine credential (API key) doing what only
 * the person may do.
 */
export function requireIdentity(request: FastifyRequest, sources?: readonly IdentitySource[]): Identity {
  const identity = request.identity;
  if (identity === undefined) throw new ProblemError(UNAUTHENTICATED);
  if (sources !== undefined && !sources.includes(identity.source)) {
    throw new ProblemError(
      problem(403, 'credential-not-allowed', 'Forbidden', {
        code: 'auth.credential_not_allowed',
        detail: `This operation accepts only: ${sources.join(', ')}.`,
      }),
    );
  }
  return identity;
}

/** Options of {@link requireStepUp}. */
export interface StepUpOptions {
  readonly maxAgeMs?: number;
  readonly clock?: Clock;
}

/**
 * The request's identity if it completed a full authentication (every factor the account requires) within
 * `maxAgeMs`; otherwise a 403 problem `auth.step_up_required` that tells the client to re-authenticate
 * (`POST /v1/session/step-up` for a session). API keys never pass.
 *
 * Protects against: a stolen session or token, or a browser left unlocked, used for a sensitive operation (changing
 * the password, adding a factor, creating an API key) without proving the factors again.
 */
export function requireStepUp(request: FastifyRequest, options: StepUpOptions = {}): Identity {
  const identity = requireIdentity(request, ['session', 'access_token']);
  const now = (options.clock ?? systemClock).now();
  const at = identity.fullyAuthenticatedAt;
  if (at === undefined || now - at > (options.maxAgeMs ?? STEP_UP_MAX_AGE_MS) || at > now + 60_000) {
    throw new ProblemError(
      problem(403, 'step-up-required', 'Forbidden', {
        code: 'auth.step_up_required',
        detail: 'This operation needs a recent authentication. Confirm your password and second factor, then retry.',
      }),
    );
  }
  return identity;
}
