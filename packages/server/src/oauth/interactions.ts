import type { IncomingMessage } from 'node:http';
import type { Clock } from '@rampart/core';
import { parseCookies } from '@rampart/core/http';
import type { SessionManager } from '@rampart/core/session';
import { Type } from '@rampart/core/validate';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type Provider from 'oidc-provider';
import { interactionPolicy, type InteractionResults, type KoaContextWithOIDC } from 'oidc-provider';
import type { Identity } from '../auth/identity.js';
import { SESSION_COOKIE } from '../auth/session-cookie.js';
import type { RampartDatabase } from '../db/schema.js';
import type { EmitEvent } from '../http/events.js';
import { accountProfile } from '../login/index.js';
import { formOf, formSchema } from '../pages/forms.js';
import { html } from '../pages/html.js';
import { renderPage, sendPage } from '../pages/layout.js';
import { sendConsentPage } from '../pages/oauth/consent.js';
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
  /**
   * Why the provider asks: `no_session`, `login_prompt` (`prompt=login`), `max_age`, `id_token_hint`,
   * `essential_acr(s)` (an essential `acr` in the `claims` parameter), `rampart_session`, …
   */
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
  /** Why the provider asks: `op_scopes_missing`, `op_claims_missing`, `rs_scopes_missing`, `native_client_prompt`, `consent_prompt`. */
  readonly reasons: readonly string[];
  readonly missingScopes: readonly string[];
  readonly missingClaims: readonly string[];
  /** Resource indicator → scopes asked for it (RFC 8707). */
  readonly missingResourceScopes: Readonly<Record<string, readonly string[]>>;
  /** The OpenID scopes of the request the account granted the client before. */
  readonly grantedScopes: readonly string[];
  /** The request's redirect URI (already checked against the client's registration by the provider). */
  readonly redirectUri?: string;
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
  /**
   * Grants what the interaction asks and answers `303` back to the authorization endpoint. Only for an interaction at
   * its consent prompt whose account is the browser's signed-in account; anything else is answered without a grant.
   */
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

/** Whether the session proved every factor the account has since its last password or passkey sign-in. */
function complete(identity: Identity): boolean {
  return identity.fullyAuthenticatedAt !== undefined && identity.fullyAuthenticatedAt >= identity.authTime;
}

/** What {@link defaultInteractionSteps} reads. */
export interface DefaultStepsDeps {
  readonly clock: Clock;
  /** For the signed-in account's address on the consent page. */
  readonly db: Kysely<RampartDatabase>;
}

/**
 * The default steps: the browser's Rampart session is the login (a fresh one when the client asks for it), and the
 * consent page asks the user for every client but the operator's own.
 *
 * - login: no session → `303 /login?next=<interaction>` (the sign-in pages, second factor included: TOTP, backup code
 *   or passkey); a session that never proved every factor, `prompt=login`, a `max_age` the session's last full
 *   authentication exceeds, or an essential `acr` the session lacks → `303 /step-up?next=<interaction>` (the password
 *   and second factor again); else the session's account, with its `amr`, `auth_time` and `acr`.
 * - consent: first-party clients (the operator's own applications) are granted what they ask, except native apps
 *   (RFC 8252 §8.6: their identity cannot be assured, so the user confirms every time); a deleted client is refused;
 *   every other client gets the consent page (`pages/oauth/consent.ts`), answered by its form.
 */
export function defaultInteractionSteps(deps: DefaultStepsDeps): InteractionSteps {
  const { clock } = deps;
  return {
    login(request, reply, prompt) {
      const identity = request.identity;
      if (identity?.source !== 'session') {
        return Promise.resolve(redirect(reply, `/login?next=${back(prompt.uid)}`));
      }
      const fullAt = identity.fullyAuthenticatedAt;
      const partial = fullAt === undefined;
      const tooOld = prompt.maxAgeSeconds !== undefined && clock.now() - (fullAt ?? 0) > prompt.maxAgeSeconds * 1000;
      // `prompt=login`: an authentication after the request began. The interaction's start is known to the second, so
      // only one in a later second counts — a sign-in in the same second might have come just before it.
      const notFresh = prompt.reasons.includes('login_prompt') && (fullAt ?? 0) < prompt.startedAt + 1000;
      const acrMissing = (prompt.reasons.includes('essential_acr') || prompt.reasons.includes('essential_acrs')) && !complete(identity);
      if (partial || tooOld || notFresh || acrMissing) return Promise.resolve(redirect(reply, `/step-up?next=${back(prompt.uid)}`));
      return Promise.resolve({ kind: 'signed_in', identity });
    },
    async consent(request, reply, prompt) {
      const client = prompt.client;
      if (client === undefined) return { kind: 'deny', error: 'access_denied', description: 'the client no longer exists' };
      if (client.firstParty && !prompt.reasons.includes('native_client_prompt')) return { kind: 'grant' };
      const profile = await accountProfile(deps.db, prompt.accountId);
      sendConsentPage(request, reply, 200, {
        uid: prompt.uid,
        clientId: client.clientId,
        ...(client.name === undefined ? {} : { clientName: client.name }),
        ...(prompt.redirectUri === undefined ? {} : { redirectUri: prompt.redirectUri }),
        ...(profile === undefined ? {} : { accountEmail: profile.email }),
        newScopes: prompt.missingScopes,
        newClaims: prompt.missingClaims,
        newResourceScopes: prompt.missingResourceScopes,
        grantedScopes: prompt.grantedScopes,
      });
      return { kind: 'answered' };
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
  /** Reports consent given or refused (`oauth.consent.granted`, `oauth.consent.denied`). */
  readonly emit: EmitEvent<'oauth.consent.granted' | 'oauth.consent.denied'>;
}

/** Who decided a consent: the account on the consent page's form, or the consent step (a first-party client). */
type ConsentVia = 'consent_form' | 'step';

/** The request's correlation id for an event, when the guard chain gave it one. */
function correlationOf(request: FastifyRequest): { readonly correlationId?: string } {
  const id = request.rampart?.correlationId;
  return id === undefined ? {} : { correlationId: id };
}

/** The consent form: the decision and the CSRF field, nothing else. */
const consentForm = formSchema({ decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]) });

/** An interaction as the provider's `interactionDetails` reads it (through the browser's interaction cookie). */
type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * `GET /oauth/interaction/:uid`: where the provider sends the browser to resolve a prompt. It reads the interaction
 * (bound to the browser by the provider's interaction cookie), runs the login or consent step, and sends the browser
 * back to the authorization endpoint with the result. `POST /oauth/interaction/:uid/consent`: the consent page's form
 * (`decision=allow|deny`, under the server's CSRF guard).
 *
 * Protects against: finishing another browser's interaction (the provider reads it through its own cookie, and the uid
 * in the path must be that interaction's); the sign-in page as an open redirector (`next` is this local path, built
 * here, and every other `Location` is the provider's own resume URL); a provider login for anyone but the account this
 * browser is signed in as; consent given by anyone but that account, or forged cross-site (CSRF token, `Origin`);
 * consent for a prompt other than the one pending; a login the provider keeps refusing (an `id_token_hint` or `claims`
 * for another account) looping between the two — the second refusal ends the request with `login_required`.
 */
export function registerInteractionRoutes(app: FastifyInstance, deps: InteractionDeps): InteractionControl {
  const details = async (request: FastifyRequest, reply: FastifyReply, uid: string | undefined): Promise<Details | undefined> => {
    try {
      const interaction = await deps.provider().interactionDetails(request.raw, reply.raw);
      return uid === undefined || interaction.uid === uid ? interaction : undefined;
    } catch {
      // No interaction cookie, an expired interaction, or one already finished.
      return undefined;
    }
  };

  const finish = async (request: FastifyRequest, reply: FastifyReply, result: InteractionResults, merge = true): Promise<FastifyReply> => {
    // The provider writes nothing to the response here: it stores the result and says where to resume.
    const returnTo = await deps.provider().interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: merge });
    return reply.code(303).header('location', returnTo).header('cache-control', 'no-store').send();
  };

  /** Whether the browser is signed in as the interaction's account; answers the request when it is not. */
  const asAccountOf = async (request: FastifyRequest, reply: FastifyReply, interaction: Details): Promise<{ readonly accountId: string } | FastifyReply> => {
    const accountId = interaction.session?.accountId;
    const identity = request.identity;
    if (accountId !== undefined && identity?.source === 'session' && identity.userId === accountId) return { accountId };
    // Signed out meanwhile: sign in again and come back. Signed in as someone else: this request is not theirs to answer.
    if (accountId === undefined || identity?.source !== 'session') {
      return reply.code(303).header('location', `/login?next=${back(interaction.uid)}`).header('cache-control', 'no-store').send();
    }
    return finish(request, reply, { error: 'login_required', error_description: 'the signed-in account changed during the request' });
  };

  /** `via`: the account answered the consent page's form, or the consent step decided (a first-party client). */
  const grantFor = async (request: FastifyRequest, reply: FastifyReply, interaction: Details, via: ConsentVia): Promise<FastifyReply> => {
    if (interaction.prompt.name !== 'consent') return reply.code(303).header('location', interactionPath(interaction.uid)).header('cache-control', 'no-store').send();
    const signedIn = await asAccountOf(request, reply, interaction);
    if (!('accountId' in signedIn)) return signedIn;
    const { accountId } = signedIn;
    const clientId = interaction.params.client_id;
    if (typeof clientId !== 'string') return expired(request, reply);
    const provider = deps.provider();
    const existing = interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId);
    const record = existing?.accountId === accountId && existing.clientId === clientId ? existing : new provider.Grant({ accountId, clientId });
    const asked = interaction.prompt.details;
    const scopes = stringList(asked.missingOIDCScope);
    if (scopes.length > 0) record.addOIDCScope(scopes.join(' '));
    const claims = stringList(asked.missingOIDCClaims);
    if (claims.length > 0) record.addOIDCClaims(claims);
    const resources = resourceScopes(asked.missingResourceScopes);
    for (const [indicator, resourceScope] of Object.entries(resources)) record.addResourceScope(indicator, resourceScope.join(' '));
    const grantId = await record.save();
    const indicators = Object.keys(resources);
    deps.emit('oauth.consent.granted', accountId, {
      clientId,
      grantId,
      // What this consent added (what was granted before is in earlier events): OpenID and resource scopes, claims.
      scope: [...scopes, ...Object.values(resources).flat()].join(' '),
      ...(indicators.length === 0 ? {} : { resources: indicators.join(' ') }),
      ...(claims.length === 0 ? {} : { claims: claims.join(' ') }),
      via,
      ...correlationOf(request),
    });
    return finish(request, reply, { consent: { grantId } });
  };

  const grant = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const interaction = await details(request, reply, undefined);
    return interaction === undefined ? expired(request, reply) : grantFor(request, reply, interaction, 'step');
  };

  /** Ends the request with `error`; a refusal at the consent prompt is the account's decision, and reported as one. */
  const refuse = (request: FastifyRequest, reply: FastifyReply, interaction: Details | undefined, via: ConsentVia, error: 'access_denied' | 'consent_required', description: string): Promise<FastifyReply> => {
    const accountId = interaction?.session?.accountId;
    const clientId = interaction?.params.client_id;
    if (interaction?.prompt.name === 'consent' && accountId !== undefined && typeof clientId === 'string') {
      const scope = interaction.params.scope;
      deps.emit('oauth.consent.denied', accountId, { clientId, error, via, ...(typeof scope === 'string' ? { scope } : {}), ...correlationOf(request) });
    }
    return finish(request, reply, { error, error_description: description });
  };

  const deny = async (request: FastifyRequest, reply: FastifyReply, error: 'access_denied' | 'consent_required', description: string): Promise<FastifyReply> =>
    refuse(request, reply, await details(request, reply, undefined), 'step', error, description);

  app.get<{ Params: { uid: string } }>(`${INTERACTION_PREFIX}:uid`, { schema: { hide: true } }, async (request, reply) => {
    const interaction = await details(request, reply, request.params.uid);
    if (interaction === undefined) return expired(request, reply);
    const prompt = interaction.prompt;
    const clientId = typeof interaction.params.client_id === 'string' ? interaction.params.client_id : '';
    if (prompt.name === 'login') {
      // This authorization request was logged in once already and the provider still asks (an id_token_hint, a
      // `claims` sub or an acr the signed-in account cannot give): signing in again would loop.
      if (interaction.lastSubmission?.login !== undefined) {
        return finish(request, reply, { error: 'login_required', error_description: 'the signed-in account cannot satisfy this request' });
      }
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
      // The client named the account it expects (`id_token_hint`, or `claims` with `id_token.sub.value`): the provider
      // checks it at the authorization endpoint only, not when the request resumes — so it is checked here.
      const expected = await expectedSubject(deps.provider(), interaction, clientId);
      if (expected !== undefined && expected !== identity.userId) {
        return finish(request, reply, { error: 'login_required', error_description: 'the signed-in account is not the one the client asked for' });
      }
      const authenticatedAt = Math.max(identity.authTime, identity.fullyAuthenticatedAt ?? 0);
      return finish(request, reply, {
        login: {
          accountId: identity.userId,
          ts: Math.floor(authenticatedAt / 1000),
          amr: [...identity.amr],
          ...(complete(identity) ? { acr: ACR_COMPLETE } : {}),
          // The provider session lives as long as the browser: the Rampart session is what persists sign-in.
          remember: false,
        },
      }, false);
    }
    if (prompt.name === 'consent') {
      const signedIn = await asAccountOf(request, reply, interaction);
      if (!('accountId' in signedIn)) return signedIn;
      const asked = prompt.details;
      const requested = typeof interaction.params.scope === 'string' ? interaction.params.scope.split(' ') : [];
      const missingScopes = stringList(asked.missingOIDCScope);
      const outcome = await deps.steps.consent(request, reply, {
        uid: interaction.uid,
        accountId: signedIn.accountId,
        client: await deps.clients.get(clientId),
        reasons: prompt.reasons,
        missingScopes,
        missingClaims: stringList(asked.missingOIDCClaims),
        missingResourceScopes: resourceScopes(asked.missingResourceScopes),
        grantedScopes: await grantedScopes(deps.provider(), interaction.grantId, requested),
        ...(typeof interaction.params.redirect_uri === 'string' ? { redirectUri: interaction.params.redirect_uri } : {}),
      });
      if (outcome.kind === 'answered') return reply;
      if (outcome.kind === 'deny') return refuse(request, reply, interaction, 'step', outcome.error, outcome.description);
      return grantFor(request, reply, interaction, 'step');
    }
    return finish(request, reply, { error: 'interaction_required', error_description: 'this server cannot resolve the requested interaction' });
  });

  app.post<{ Params: { uid: string } }>(`${INTERACTION_PREFIX}:uid/consent`, { schema: { hide: true } }, async (request, reply) => {
    const interaction = await details(request, reply, request.params.uid);
    if (interaction === undefined) return expired(request, reply);
    const form = formOf(consentForm, request);
    if (form === undefined) return reply.code(303).header('location', interactionPath(interaction.uid)).header('cache-control', 'no-store').send();
    if (form.decision === 'allow') return grantFor(request, reply, interaction, 'consent_form');
    if (interaction.prompt.name !== 'consent') return reply.code(303).header('location', interactionPath(interaction.uid)).header('cache-control', 'no-store').send();
    const signedIn = await asAccountOf(request, reply, interaction);
    if (!('accountId' in signedIn)) return signedIn;
    return refuse(request, reply, interaction, 'consent_form', 'access_denied', 'the user refused the request');
  });

  return { grant, deny };
}

/**
 * The account the client asked for, if it named one: the subject of its `id_token_hint` (validated again by the
 * provider: signature, issuer, audience) or its `claims` request's `id_token.sub.value`. A hint that no longer
 * validates (the client deleted, the key retired) names nobody who could sign in: `''`.
 */
async function expectedSubject(provider: Provider, interaction: Details, clientId: string): Promise<string | undefined> {
  const hint = interaction.params.id_token_hint;
  if (typeof hint === 'string') {
    const client = await provider.Client.find(clientId);
    if (client === undefined) return '';
    try {
      const { payload } = await provider.IdToken.validate(hint, client);
      return typeof payload.sub === 'string' ? payload.sub : '';
    } catch {
      return '';
    }
  }
  const claims = interaction.params.claims;
  if (typeof claims !== 'string') return undefined;
  try {
    const value = (JSON.parse(claims) as { id_token?: { sub?: { value?: unknown } } } | null)?.id_token?.sub?.value;
    return value === undefined ? undefined : typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/** The OpenID scopes of `requested` the interaction's grant holds already. */
async function grantedScopes(provider: Provider, grantId: string | undefined, requested: readonly string[]): Promise<string[]> {
  if (grantId === undefined) return [];
  const existing = await provider.Grant.find(grantId);
  const held = new Set((existing?.getOIDCScope() ?? '').split(' '));
  return requested.filter((scope) => scope !== '' && held.has(scope));
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
