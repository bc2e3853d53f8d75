import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError } from '@rampart/core';
import { parseCookies, serializeCookieDeletion } from '@rampart/core/http';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { SESSION_COOKIE } from '../auth/session-cookie.js';
import type { ServerContext } from '../context.js';
import { eventEmitter } from '../http/events.js';
import type { TokenModule } from '../tokens/index.js';
import { ReloadingKeySet } from '../tokens/key-source.js';
import { accountFinder } from './accounts.js';
import { SqlModelStore, type ConsumeRace, type ProviderAdapter } from './adapter.js';
import { providerModels } from './redis-models.js';
import { clientCertificateSource } from './certificates.js';
import { OAuthClientStore } from './clients.js';
import { providerConfiguration, type ResourceServerSettings } from './configuration.js';
import { ClientAuthThrottle, reportProviderEvents, revocationReporter, RevokedGrants } from './events.js';
import { AccountGrants } from './grants.js';
import { defaultInteractionSteps, rampartInteractionPolicy, registerInteractionRoutes, sessionAccountReader, type InteractionControl, type InteractionSteps } from './interactions.js';
import { providerKeysOf, type ProviderKeys } from './keys.js';
import { mountProvider } from './mount.js';
import { continueSource, startedHere } from './pages.js';
import { registerOAuthModule } from './registry.js';

export { OAUTH_BODY_ROUTES, OAUTH_CSRF_EXEMPT, OAUTH_PATHS, DISCOVERY_PATHS } from './mount.js';
export { OAUTH_LIFETIMES, GRANT_TYPES, type ResourceServerSettings } from './configuration.js';
export {
  OAuthClientError,
  OAuthClientStore,
  type ClientAuthMethod,
  type ClientGrantType,
  type IssuedSecret,
  type OAuthClient,
  type OAuthClientInput,
  type OAuthClientUpdate,
} from './clients.js';
export { AccountGrants, type ConnectedApp } from './grants.js';
export {
  defaultInteractionSteps,
  interactionPath,
  INTERACTION_PREFIX,
  type ConsentOutcome,
  type ConsentPrompt,
  type DefaultStepsDeps,
  type InteractionControl,
  type InteractionSteps,
  type LoginOutcome,
  type LoginPrompt,
} from './interactions.js';
export { formTargetSource, withFormTarget } from './pages.js';
export type { ProxyCertificateHeaders } from './certificates.js';

/** What the OAuth module needs from the others. */
export interface OAuthDeps {
  /** The token module: its signing keys are the provider's. */
  readonly tokens: TokenModule;
  /** The interaction steps (login, consent). Default {@link defaultInteractionSteps}. */
  readonly steps?: InteractionSteps;
}

/** What the OAuth module gives the server (`server.modules.oauth`). */
export interface OAuthModule {
  /** The issuer identifier (the server's public URL). */
  readonly issuer: string;
  /** The registered clients: the API client administration is built on. */
  readonly clients: OAuthClientStore;
  /** For a consent page's POST handler: grant or refuse the interaction in progress. */
  readonly interactions: InteractionControl;
  /** What each account consented to, by client: the "Connected apps" page lists and withdraws it. */
  readonly grants: AccountGrants;
  /**
   * Reads the signing keys again and, when they changed (`rampart keys rotate`, a promotion by another instance),
   * rebuilds the provider on them. Runs on the key timer; tests call it after moving the clock.
   */
  syncKeys(): Promise<void>;
  /** The kid the provider signs with now. */
  activeKid(): string;
  /** Deletes expired provider artifacts (codes, tokens, sessions, interactions); returns how many. Runs on a timer. */
  sweep(): Promise<number>;
  /** The provider's store, for operator tooling and tests (row counts, never payloads over an API). */
  readonly store: SqlModelStore;
}

/** How often expired provider rows are deleted. */
const SWEEP_MS = 10 * 60_000;
/** Least time between two key reloads triggered by unknown kids (the token module's rule). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

export { oauthModuleOf } from './registry.js';

function resourceMap(resources: readonly ResourceServerSettings[]): ReadonlyMap<string, ResourceServerSettings> {
  const map = new Map<string, ResourceServerSettings>();
  for (const resource of resources) {
    const url = URL.parse(resource.indicator);
    // RFC 8707 §2: an absolute URI without a fragment.
    if (url === null || resource.indicator.includes('#')) throw new ConfigurationError(`oauth.resources: ${JSON.stringify(resource.indicator)} is not an absolute URI without fragment`);
    if (map.has(resource.indicator)) throw new ConfigurationError(`oauth.resources: ${resource.indicator} is listed twice`);
    map.set(resource.indicator, resource);
  }
  return map;
}

/**
 * Builds the OAuth 2.1 / OpenID Connect authorization server (oidc-provider, configured to the profile in
 * `configuration.ts`) and mounts it on the server: the endpoints of {@link OAUTH_PATHS}, discovery on the origin, the
 * interaction route. Its storage is the server's database (`rampart_oauth_models`, `rampart_oauth_clients`), its keys
 * the server's signing keys, followed across rotations.
 *
 * Protects against the authorization server becoming a second, weaker system next to the server: same guard chain,
 * same keys and rotation, same accounts (locked accounts and password changes end its grants), same audit trail.
 */
export async function createOAuthModule(ctx: ServerContext, deps: OAuthDeps): Promise<OAuthModule> {
  const { app, clock, config } = ctx;
  const issuer = ctx.publicUrl;
  const signingKeys = deps.tokens.keys.store;
  const keySet = await ReloadingKeySet.open({
    load: () => signingKeys.load(),
    clock,
    minUnknownKidIntervalMs: UNKNOWN_KID_RELOAD_MS,
    onError: (error) => {
      app.log.error({ err: error }, 'oauth: signing keys reload failed; the provider keeps its last good keys');
    },
  });
  const revokedGrants = new RevokedGrants();
  const reporter = revocationReporter({ events: ctx.events, clock, revokedGrants });
  const onConsumeRace = (race: ConsumeRace): void => {
    // Called inside the losing request (the provider's async context): its reuse event then names the grant.
    reporter.raced(race, Provider.ctx);
  };
  const models = new SqlModelStore(ctx.database, { onConsumeRace });
  // Sign-in sessions, interactions and codes in Redis when the server has one (shared by every instance, expired by
  // Redis); grants and tokens in SQL.
  const placed = providerModels(models, ctx.redis === undefined ? undefined : { ...ctx.redis, onConsumeRace });
  let keys: ProviderKeys = providerKeysOf(keySet.keys);
  const clients = new OAuthClientStore(ctx.database, ctx.ring, {
    clock,
    allowLoopbackHttp: !ctx.production,
    revokeIssued: (clientId) => placed.revokeByClientId(clientId),
    idTokenAlgorithm: () => keys.algorithm,
    validate: async (metadata) => {
      await current().Client.validate(metadata as never);
    },
  });
  const resources = resourceMap(config.oauth?.resources ?? []);
  const certificates = clientCertificateSource({
    trustedProxies: config.trustedProxies,
    // The server's own TLS listener (config/tls.ts): its verdict counts only against the configured client CAs.
    socketClientCa: config.tls?.clientCaFile !== undefined,
    ...(config.oauth?.mtls?.certificateHeader === undefined
      ? {}
      : { proxyHeaders: { certificate: config.oauth.mtls.certificateHeader, ...(config.oauth.mtls.verifiedHeader === undefined ? {} : { verified: config.oauth.mtls.verifiedHeader }) } }),
  });
  const sessionAccount = sessionAccountReader(ctx.sessions);
  const policy = rampartInteractionPolicy(sessionAccount);
  const findAccount = accountFinder(ctx.db);
  const grants = new AccountGrants({ store: models, clients, events: ctx.events, clock });
  const throttle = new ClientAuthThrottle({ store: ctx.rateLimits, clock });
  const cookieKeys = [ctx.ring.subkey('oauth-provider-cookies').export().toString('base64url')];
  const dpopNonceSecret = ctx.ring.subkey('oauth-dpop-nonce').export();

  const build = (providerKeys: ProviderKeys): { provider: Provider; handler: (request: IncomingMessage, response: ServerResponse) => Promise<void> } => {
    const provider = new Provider(
      issuer,
      providerConfiguration({
        keys: providerKeys,
        adapter: (model) => (model === 'Client' ? clientAdapter : reportingLogout(placed.adapterFor(model))),
        findAccount: findAccount as never,
        resources,
        cookieKeys,
        dpopNonceSecret,
        policy,
        certificates,
        loadExistingGrant: (ctx) => grants.loadExistingGrant(ctx),
      }),
    );
    // The provider reads host, scheme and client address from the X-Forwarded-* headers the mount sets from the public
    // URL and the guard chain's resolved address (see mount.ts): never from what the client sent.
    provider.proxy = true;
    reportProviderEvents(provider, {
      events: ctx.events,
      clock,
      throttle,
      revokedGrants,
      logError: (error, message) => {
        app.log.error({ err: error }, message);
      },
    });
    for (const destroyed of ['access_token.destroyed', 'refresh_token.destroyed', 'client_credentials.destroyed'] as const) {
      (provider as unknown as EventEmitter).on(destroyed, () => {
        const context = Provider.ctx;
        if (context?.oidc.route === 'revocation') reporter.revoked(context);
      });
    }
    provider.use(async (koa, next) => {
      await next();
      const context = koa as unknown as Partial<KoaContextWithOIDC>;
      // The provider's discovery lists every response mode it implements; clients here may use `query` only (their
      // `response_modes` metadata), and the document says so (RFC 8414 §2).
      if (context.oidc?.route === 'discovery' && typeof koa.body === 'object' && koa.body !== null) {
        (koa.body as Record<string, unknown>).response_modes_supported = ['query'];
      }
      // "Yes, sign me out" ends the Rampart session too: otherwise the next authorization request would sign the
      // user straight back in from it. Not when that session is another account's: the provider signs the previous
      // account out by itself (an auto-submitted confirmation) when the browser signed in as someone else, and that
      // must not end the new sign-in.
      if (context.oidc?.route === 'end_session_confirm' && koa.status === 303 && context.oidc.params?.logout !== undefined) {
        const sessionId = parseCookies(koa.req.headers.cookie).get(SESSION_COOKIE);
        const signedOut = context.oidc.session?.accountId;
        if (sessionId !== undefined && (signedOut === undefined || (await sessionAccount(koa.req)) === signedOut)) {
          await ctx.sessions.revoke(sessionId);
          koa.append('set-cookie', serializeCookieDeletion('rampart_session'));
        }
      }
      // A navigation one of this server's forms started (sign-in, second factor, step-up, consent) and that is about to
      // leave for the client ends on a page of this origin instead: Chromium checks the form's `form-action 'self'`
      // against every redirect of the chain (pages.ts, `continueSource`).
      if (context.oidc?.route === 'resume' && (koa.status === 302 || koa.status === 303) && startedHere(koa.req)) {
        const location = koa.response.get('location');
        if (location !== '' && URL.parse(location, issuer)?.origin !== new URL(issuer).origin) continueSource(koa, location);
      }
    });
    const callback = provider.callback();
    return { provider, handler: async (request, response) => { await callback(request, response); } };
  };
  // A logout revokes the tokens of the session's grants and keeps the grants (the consent: `revokeGrantPolicy`), so the
  // provider emits no `grant.revoked`: the revocation is reported here, once per grant, from the store call.
  const reportingLogout = (adapter: ProviderAdapter): ProviderAdapter => ({
    ...adapter,
    revokeByGrantId: async (grantId) => {
      await adapter.revokeByGrantId(grantId);
      const context = Provider.ctx;
      if (context?.oidc.route === 'end_session_confirm') reporter.loggedOut(context, grantId);
    },
  });
  const clientAdapter = {
    find: (id: string) => clients.providerMetadata(id),
    upsert: () => Promise.reject(new Error('clients are registered through the client store')),
    findByUid: () => Promise.resolve(undefined),
    findByUserCode: () => Promise.resolve(undefined),
    consume: () => Promise.resolve(),
    destroy: () => Promise.reject(new Error('clients are deleted through the client store')),
    revokeByGrantId: () => Promise.resolve(),
  };

  let active = build(keys);
  const current = (): Provider => active.provider;
  const syncKeys = async (): Promise<void> => {
    await keySet.reload();
    const fresh = providerKeysOf(keySet.keys);
    if (fresh.fingerprint === keys.fingerprint) return;
    // Requests already inside the old provider finish there; every new one uses the new keys. Nothing else is lost:
    // all of the provider's state is in the database.
    active = build(fresh);
    keys = fresh;
  };

  await mountProvider(app, { handler: () => active.handler, publicUrl: issuer, admit: (request) => throttle.admit(request.rampart?.clientIp ?? '') });
  const interactions = registerInteractionRoutes(app, {
    provider: current,
    clients,
    steps: deps.steps ?? defaultInteractionSteps({ clock, db: ctx.db }),
    emit: eventEmitter(ctx.events, clock),
  });

  const keyTimer = setInterval(() => {
    syncKeys().catch((error: unknown) => {
      app.log.error({ err: error }, 'oauth: key sync failed');
    });
  }, signingKeys.schedule.reloadIntervalMs);
  keyTimer.unref();
  const sweepTimer = setInterval(() => {
    models.sweep().catch((error: unknown) => {
      app.log.error({ err: error }, 'oauth: sweeping expired artifacts failed');
    });
  }, SWEEP_MS);
  sweepTimer.unref();
  app.addHook('onClose', (_app, done) => {
    clearInterval(keyTimer);
    clearInterval(sweepTimer);
    done();
  });

  const module: OAuthModule = {
    issuer,
    clients,
    interactions,
    grants,
    syncKeys,
    activeKid: () => keys.activeKid,
    sweep: () => models.sweep(),
    store: models,
  };
  registerOAuthModule(app, module);
  return module;
}
