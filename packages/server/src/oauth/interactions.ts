import type { IncomingMessage } from 'node:http';
import type { Clock } from '@rampart/core';
import { parseCookies } from '@rampart/core/http';
import type { SessionManager } from '@rampart/core/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { interactionPolicy, type InteractionResults, type KoaContextWithOIDC } from 'oidc-provider';
import type { Identity } from '../auth/identity.js';
import { SESSION_COOKIE } from '../auth/session-cookie.js';
import { html, renderPage, sendPage } from '../pages/index.js';
import { ACR_COMPLETE } from '../tokens/index.js';
import type { OAuthClient, OAuthClientStore } from './clients.js';

/** Where oidc-provider sends the browser when a user must act (sign in, consent): `/oauth/interaction/<uid>`. */
export const INTERACTION_PREFIX = '/oauth/interaction/';

/** The interaction URL for `uid` (the provider's `interactions.url`). */
export function interactionPath(uid: string): `/oauth/interaction/${string}` {
  return `${INTERACTION_PREFIX}${encodeURIComponent(uid)}`;
}

/** What the login step is told about the provider's request. */
export interface LoginPrompt {
  readonly uid: string;
  /** Why the provider asks: `no_session`, `login_prompt` (`prompt=login`), `max_age`, `id_token_hint`, `rampart_session`, … */
  readonly reasons: readonly string[];
  /** The client's `max_age` (seconds), when it sent one. */
  readonly maxAgeSeconds?: number;
  /** When the interaction started (epoch ms): a `prompt=login` needs an authentication after it. */
  readonly startedAt: number;
  readonly clientId: string;
}

/** What the login step decided. */
export type LoginOutcome =
  /** Log the interaction in as this browser session's account. */
  | { readonly kind: 'signed_in'; readonly identity: Identity }
  /** The step answered the request itself (a redirect to the sign-in or step-up page, a page of its own). */
  | { readonly kind: 'answered' };

/** What the consent step is told: the account, the client and what it asks for that is not granted yet. */
export interface ConsentPrompt {
  readonly uid: string;
  readonly accountId: string;
  /** `undefined` when the client was deleted during the interaction. */
  readonly client: OAuthClient | undefined;
  readonly missingScopes: readonly string[];
  readonly missingClaims: readonly string[];
  /** Resource indicator → scopes asked for it (RFC 8707). */
  readonly missingResourceScopes: Readonly<Record<string, readonly string[]>>;
}

/** What the consent step decided. */
export type ConsentOutcome =
  /** Grant everything asked (the provider records a grant for the account and client). */
  | { readonly kind: 'grant' }
  /** Refuse: the client receives `error` (RFC 6749 §4.1.2.1) at its redirect URI. */
  | { readonly kind: 'deny'; readonly error: 'access_denied' | 'consent_required'; readonly description: string }
  /** The step answered the request itself (a consent page). It finishes the interaction later with {@link InteractionControl}. */
  | { readonly kind: 'answered' };

/**
 * The seams of the interaction: replace `login` to add MFA step-up rules, `consent` to render a consent page. Each
 * step gets the Fastify request (its `identity`, its CSP nonce and CSRF token for a page) and the reply.
 */
export interface InteractionSteps {
  login(request: FastifyRequest, reply: FastifyReply, prompt: LoginPrompt): Promise<LoginOutcome>;
  consent(request: FastifyRequest, reply: FastifyReply, prompt: ConsentPrompt): Promise<ConsentOutcome>;
}

/** How a page-rendering step finishes an interaction later (a consent form's POST handler). */
export interface InteractionControl {
  /** Grants what the interaction asks and answers `303` back to the authorization endpoint. */
  grant(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply>;
  /** Refuses: `303` back to the authorization endpoint, which redirects to the client with `error`. */
  deny(request: FastifyRequest, reply: FastifyReply, error: 'access_denied' | 'consent_required', description: string): Promise<FastifyReply>;
}

/** The provider in use now (it is rebuilt when the signing keys rotate). */
export type CurrentProvider = () => Provider;

/**
 * Reads the Rampart session a raw request carries: the account it is signed in as, or `undefined` (no cookie, an
 * ended session, an anonymous one). Used by the provider's login check, which runs outside the Fastify lifecycle.
 */
export function sessionAccountReader(sessions: SessionManager): (request: IncomingMessage) => Promise<string | undefined> {
  return async (request) => {
    const id = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    if (id === undefined) return undefined;
    const validated = await sessions.validate(id);
    return validated.ok ? validated.value.userId : undefined;
  };
}

/**
 * The provider's interaction policy: its default prompts (login, consent), plus one login check — the provider's own
 * session must belong to the account the browser's Rampart session is signed in as.
 *
 * Protects against the provider's session outliving the Rampart session it came from: after a sign-out, a session
 * revoked from another device, an expired session or another user signing in on the same browser, the next
 * authorization request goes back to sign-in (and `prompt=none` answers `login_required`) instead of silently issuing
 * codes for the previous account.
 */
export function rampartInteractionPolicy(sessionAccount: (request: IncomingMessage) => Promise<string | undefined>): interactionPolicy.DefaultPolicy {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (login === undefined) throw new Error('oidc-provider has no login prompt');
  login.checks.add(
    new interactionPolicy.Check('rampart_session', 'the Rampart session ended or belongs to another account', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const account = await sessionAccount(ctx.req);
      return account !== undefined && account === ctx.oidc.session?.accountId ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT;
    }),
  );
  return policy;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function resourceScopes(value: unknown): Record<string, string[]> {
  if (typeof value !== 'object' || value === null) return {};
  const out: Record<string, string[]> = {};
  for (const [indicator, scopes] of Object.entries(value)) out[indicator] = stringList(scopes);
  return out;
}

/** `next` for the sign-in and step-up pages: the interaction itself (a local path, which `safeNext` accepts). */
function back(uid: string): string {
  return encodeURIComponent(interactionPath(uid));
}

/**
 * The default steps: the browser's Rampart session is the login (a fresh one when the client asked for it), and
 * consent is granted only to first-party clients.
 *
 * - login: no session → `303 /login?next=<interaction>`; `prompt=login`, or a `max_age` the session's last full
 *   authentication exceeds → `303 /step-up?next=<interaction>` (the password and second factor again); else the
 *   session's account, with its `amr` and `auth_time`.
 * - consent: first-party clients (the operator's own applications) are granted what they ask; any other client is
 *   refused `consent_required` — until a consent page exists (see the README), no third-party client gets a grant
 *   no user approved.
 */
export function defaultInteractionSteps(clock: Clock): InteractionSteps {
  return {
    login(request, reply, prompt) {
      const identity = request.identity;
      if (identity?.source !== 'session') {
        return Promise.resolve(redirect(reply, `/login?next=${back(prompt.uid)}`));
      }
      const fullAt = identity.fullyAuthenticatedAt ?? 0;
      const tooOld = prompt.maxAgeSeconds !== undefined && clock.now() - fullAt > prompt.maxAgeSeconds * 1000;
      const notFresh = prompt.reasons.includes('login_prompt') && fullAt < prompt.startedAt;
      if (tooOld || notFresh) return Promise.resolve(redirect(reply, `/step-up?next=${back(prompt.uid)}`));
      return Promise.resolve({ kind: 'signed_in', identity });
    },
    consent(_request, _reply, prompt) {
      if (prompt.client?.firstParty === true) return Promise.resolve({ kind: 'grant' });
      return Promise.resolve({ kind: 'deny', error: 'consent_required', description: 'this client needs the user\'s consent, which this server does not ask for yet' });
    },
  };
}

function redirect(reply: FastifyReply, location: string): LoginOutcome {
  void reply.code(303).header('location', location).header('cache-control', 'no-store').send();
  return { kind: 'answered' };
}

/** What {@link registerInteractionRoutes} needs. */
export interface InteractionDeps {
  readonly provider: CurrentProvider;
  readonly clients: OAuthClientStore;
  readonly steps: InteractionSteps;
}

/**
 * `GET /oauth/interaction/:uid`: where the provider sends the browser to resolve a prompt. It reads the interaction
 * (bound to the browser by the provider's interaction cookie), runs the login or consent step, and sends the browser
 * back to the authorization endpoint with the result.
 *
 * Protects against: finishing another browser's interaction (the provider reads it through its own cookie, and the uid
 * in the path must be that interaction's); the sign-in page as an open redirector (`next` is this local path, built
 * here); a provider login for anyone but the account this browser is signed in as; consent granted to a third-party
 * client by nobody.
 */
export function registerInteractionRoutes(app: FastifyInstance, deps: InteractionDeps): InteractionControl {
  const details = (request: FastifyRequest, reply: FastifyReply) => deps.provider().interactionDetails(request.raw, reply.raw);

  const finish = async (request: FastifyRequest, reply: FastifyReply, result: InteractionResults, merge = true): Promise<FastifyReply> => {
    // The provider writes nothing to the response here: it stores the result and says where to resume.
    const returnTo = await deps.provider().interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: merge });
    return reply.code(303).header('location', returnTo).header('cache-control', 'no-store').send();
  };

  const grant = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const interaction = await details(request, reply);
    const provider = deps.provider();
    const accountId = interaction.session?.accountId;
    const clientId = interaction.params.client_id;
    if (accountId === undefined || typeof clientId !== 'string') return expired(request, reply);
    const existing = interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
    const record = existing ?? new provider.Grant({ accountId, clientId });
    const asked = interaction.prompt.details;
    const scopes = stringList(asked.missingOIDCScope);
    if (scopes.length > 0) record.addOIDCScope(scopes.join(' '));
    const claims = stringList(asked.missingOIDCClaims);
    if (claims.length > 0) record.addOIDCClaims(claims);
    for (const [indicator, resourceScope] of Object.entries(resourceScopes(asked.missingResourceScopes))) record.addResourceScope(indicator, resourceScope.join(' '));
    const grantId = await record.save();
    return finish(request, reply, { consent: { grantId } });
  };

  const deny = (request: FastifyRequest, reply: FastifyReply, error: 'access_denied' | 'consent_required', description: string): Promise<FastifyReply> =>
    finish(request, reply, { error, error_description: description });

  app.get<{ Params: { uid: string } }>(`${INTERACTION_PREFIX}:uid`, { schema: { hide: true } }, async (request, reply) => {
    let interaction;
    try {
      interaction = await details(request, reply);
    } catch {
      // No interaction cookie, an expired interaction, or one already finished.
      return expired(request, reply);
    }
    if (interaction.uid !== request.params.uid) return expired(request, reply);
    const prompt = interaction.prompt;
    const clientId = typeof interaction.params.client_id === 'string' ? interaction.params.client_id : '';
    if (prompt.name === 'login') {
      const maxAge = Number(interaction.params.max_age);
      const outcome = await deps.steps.login(request, reply, {
        uid: interaction.uid,
        reasons: prompt.reasons,
        ...(Number.isSafeInteger(maxAge) && maxAge >= 0 && interaction.params.max_age !== undefined ? { maxAgeSeconds: maxAge } : {}),
        startedAt: interaction.iat * 1000,
        clientId,
      });
      if (outcome.kind === 'answered') return reply;
      const { identity } = outcome;
      const complete = identity.fullyAuthenticatedAt !== undefined && identity.fullyAuthenticatedAt >= identity.authTime;
      const authenticatedAt = Math.max(identity.authTime, identity.fullyAuthenticatedAt ?? 0);
      return finish(request, reply, {
        login: {
          accountId: identity.userId,
          ts: Math.floor(authenticatedAt / 1000),
          amr: [...identity.amr],
          ...(complete ? { acr: ACR_COMPLETE } : {}),
          // The provider session lives as long as the browser: the Rampart session is what persists sign-in.
          remember: false,
        },
      }, false);
    }
    if (prompt.name === 'consent') {
      const accountId = interaction.session?.accountId;
      const identity = request.identity;
      // Consent is the signed-in person's to give: the browser must still be signed in as the interaction's account.
      if (accountId === undefined || identity?.source !== 'session' || identity.userId !== accountId) {
        return reply.code(303).header('location', `/login?next=${back(interaction.uid)}`).header('cache-control', 'no-store').send();
      }
      const asked = prompt.details;
      const outcome = await deps.steps.consent(request, reply, {
        uid: interaction.uid,
        accountId,
        client: await deps.clients.get(clientId),
        missingScopes: stringList(asked.missingOIDCScope),
        missingClaims: stringList(asked.missingOIDCClaims),
        missingResourceScopes: resourceScopes(asked.missingResourceScopes),
      });
      if (outcome.kind === 'answered') return reply;
      if (outcome.kind === 'deny') return deny(request, reply, outcome.error, outcome.description);
      return grant(request, reply);
    }
    return finish(request, reply, { error: 'interaction_required', error_description: 'this server cannot resolve the requested interaction' });
  });

  return { grant, deny };
}

function expired(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(
    reply.header('cache-control', 'no-store'),
    400,
    renderPage(request, {
      title: 'Sign-in request expired',
      main: html`<div role="alert"><p>This sign-in request has expired or was already completed.</p></div><p>Go back to the application and start again.</p>`,
    }),
  );
}
