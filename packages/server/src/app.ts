import { join } from 'node:path';
import { AuditLog, createSecurityEventHub, type SecurityEventHub } from '@rampart/core/audit';
import { auditSigner, openAuditStore, serverKeyRing } from './audit-trail.js';
import { bodyLimits, csrf, trustedProxies, untrustedForwardingMonitor } from '@rampart/core/http';
import { createSessionManager, type SessionManager } from '@rampart/core/session';
import { registerAuthentication, type Authenticator } from './auth/authenticate.js';
import { browserRequest, csrfRoute } from './auth/csrf.js';
import { identityRoute } from './auth/identity-route.js';
import { SESSION_COOKIE, sessionAuthenticator } from './auth/session-cookie.js';
import { createAuthzModule, type AuthzModule } from './authz/index.js';
import { createAdminModule, type AdminCreatedNotice } from './admin/index.js';
import type { ServerContext } from './context.js';
import { openSharedCounters, type SharedCounters } from './redis.js';
import { registerOpenApi, serveOpenApi } from './openapi/index.js';
import { startTracing } from './ops/tracing.js';
import { ACCOUNT_FORM_ROUTES, isApiPath, registerPages, responseHeaders, SIGN_IN_FORM_ROUTES } from './pages/index.js';
import { createLoginModule, type LoginModule } from './login/index.js';
import { createMfaModule, type MfaModule } from './mfa/index.js';
import type { OAuthModule } from './oauth/index.js';
import { OAUTH_BODY_ROUTES, OAUTH_CSRF_EXEMPT } from './oauth/mount.js';
import { createTokenModule, TOKEN_BODY_ROUTES, type TokenModule } from './tokens/index.js';
import { rampart } from '@rampart/fastify';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config/config.js';
import { readTlsFiles, tlsServerOptions } from './config/tls.js';
import { developmentKek } from './data-dir.js';
import { openDatabase, type ServerDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrations.js';
import { fileMailSender, registerAccountRoutes, type AccountsModule, type MailSender } from './accounts/index.js';
import { SqlSessionStore } from './stores/index.js';
import { createPasswordHasher, createWorkerHashingEngine, type PasswordHasher } from '@rampart/core/password';
import { systemClock, type Clock, type SecurityEvent, type SecurityEventSink } from '@rampart/core';
import { errorReporter, lazyChildLogger, logRequests, serverLoggerOptions, type LogDestination } from './ops/logging.js';
import { countRequests, METRICS_PATH, metricsExposure, serveMetricsOnMainPort, ServerMetrics, startMetricsListener, type MetricsListener } from './ops/metrics.js';
import { rememberRefusedCorrelationIds, requestIdFor } from './ops/request-facts.js';

/**
 * Development's public URL when none is configured: the listen port on `localhost` when the server listens on a
 * loopback or wildcard address — a browser cannot be at a wildcard address, and WebAuthn's relying-party id must be a
 * domain, not an IP address (so passkeys work in development) — else the listen address itself; `https` when the
 * server terminates TLS.
 */
function defaultPublicUrl(listen: ServerConfig['listen'], tls: boolean): string {
  const loopback = ['127.0.0.1', '::1', '0.0.0.0', '::', 'localhost'].includes(listen.host);
  const host = loopback ? 'localhost' : listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `${tls ? 'https' : 'http'}://${host}:${listen.port}`;
}

/**
 * The origins the CSRF guard admits: the public URL's, and in development on `localhost` also the same port on
 * `127.0.0.1`, the address the quick start prints (both are this machine; no other site can be either).
 */
function allowedOrigins(origin: string, production: boolean): string[] {
  const url = new URL(origin);
  if (production || url.hostname !== 'localhost') return [origin];
  return [origin, `${url.protocol}//127.0.0.1${url.port === '' ? '' : `:${url.port}`}`];
}

/** A running (or ready to run) server. */
export interface RampartServer {
  /** Accounts: the mail outbox, for the operator tooling and tests. */
  readonly accounts: AccountsModule;
  readonly app: FastifyInstance;
  readonly database: ServerDatabase;
  readonly audit: AuditLog;
  /** The modules, for the CLI, operator tooling and tests. */
  readonly modules: { readonly authz: AuthzModule; readonly tokens: TokenModule; readonly mfa: MfaModule; readonly login: LoginModule; readonly oauth: OAuthModule };
  /** Browser sessions (the `__Host-rampart_session` cookie). */
  readonly sessions: SessionManager;
  /** The origin browsers must send on unsafe requests (CSRF), derived from `publicUrl`. */
  readonly origin: string;
  readonly events: SecurityEventHub;
  /** The Prometheus registry the server reports into (served at /metrics: see `metricsExposure`). */
  readonly metrics: ServerMetrics;
  /**
   * Listens on the configured address, and on the metrics address when one is configured; resolves with the main
   * URL.
   */
  listen(): Promise<string>;
  /** The metrics listener's URL once `listen()` resolved, when a metrics port is configured. */
  metricsUrl(): string | undefined;
  /**
   * Graceful shutdown: stop accepting, let requests in flight finish (up to `shutdownGraceMs`), commit pending audit
   * events and sign a final checkpoint, close the database. Idempotent.
   */
  close(): Promise<void>;
}

/** What the server tells its operator while starting (the CLI prints these). */
export type ServerNotice = { readonly kind: 'dev-kek-created' | 'dev-kek-used'; readonly path: string } | AdminCreatedNotice;

/** Options for {@link createServer}. */
export interface CreateServerOptions {
  readonly notify?: (notice: ServerNotice) => void;
  /** Where JSON log lines go instead of stdout (tests capture them here). */
  readonly logDestination?: LogDestination;
  /**
   * The password hasher. Default: Argon2id at core's OWASP parameters on worker threads niced below the event loop, with
   * the bulkhead (two slots per thread: one hashing, the next waiting in its queue), reporting to the hub.
   */
  readonly hasher?: PasswordHasher;
  /** The clock every module stamps with. Default: the system clock (tests pass a `ManualClock`). */
  readonly clock?: Clock;
  /** Sees every security event as it is emitted, before the hub commits it (tests, embeddings). Must not throw. */
  readonly observeEvents?: (event: SecurityEvent) => void;
  /** The mail transport. Default: the development mailbox file, or the log sender in production. */
  readonly mail?: MailSender;
}

// Answered every few seconds by load balancers, orchestrators and Prometheus: logged at debug when they succeed.
const PROBE_ROUTES: ReadonlySet<string> = new Set(['/livez', '/readyz', METRICS_PATH]);

/**
 * Builds the server from a validated configuration: database migrated to this version, the audit trail open (the
 * database's own store: SQLite file `audit.db` in the data directory, or PostgreSQL), the security event hub, the
 * HTTP guard chain and the health endpoints. Protects against a server that accepts requests before its storage is
 * ready (`/readyz` answers 503 until then, and whenever the database stops answering).
 */
export async function createServer(config: ServerConfig, options: CreateServerOptions = {}): Promise<RampartServer> {
  const clock = options.clock ?? systemClock;
  // TLS on the server's own listener when configured (config/tls.ts): https, a client certificate asked, not required.
  // Read before anything is opened, so a bad file leaves nothing to close.
  const https = config.tls === undefined ? undefined : tlsServerOptions(readTlsFiles(config.tls));
  let kek = config.keyEncryptionKey;
  if (kek === undefined) {
    const dev = developmentKek(config.dataDir);
    options.notify?.({ kind: dev.created ? 'dev-kek-created' : 'dev-kek-used', path: dev.path });
    kek = dev.key;
  }
  const database = openDatabase(config);
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  const audit = await AuditLog.open({ store: await openAuditStore(config, database.pool), signer: auditSigner(kek) });
  let shared: SharedCounters;
  try {
    shared = await openSharedCounters(config, clock);
  } catch (error) {
    await audit.close();
    await database.close();
    throw error;
  }
  const hub = createSecurityEventHub({ log: audit, detectors: shared.detectorStores ?? {} });
  const observe = options.observeEvents;
  // Every module reports here: the hub (log, detectors), and the observer a test or an embedding passes.
  const events: SecurityEventSink =
    observe === undefined
      ? hub
      : (event) => {
          observe(event);
          hub(event);
        };

  const app = Fastify({
    ...(https === undefined ? {} : { https }),
    logger: serverLoggerOptions(config.log.level, options.logDestination),
    // Fastify's own request lines copy the raw URL, query string included: one line per request comes from logRequests.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdFor,
    childLoggerFactory: lazyChildLogger,
    bodyLimit: 1024 * 1024,
    // WebAuthn credential ids in paths (`DELETE /v1/mfa/passkeys/:id`) run to 1,366 base64url characters.
    routerOptions: { maxParamLength: 1400 },
    trustProxy: false,
  });
  const metrics = new ServerMetrics();
  // Before any route, so every request gets its span.
  const tracing = config.otlpTracesEndpoint === undefined ? undefined : startTracing(app, config.otlpTracesEndpoint, { 'service.instance.id': config.instanceId });
  const publicUrl = config.publicUrl ?? defaultPublicUrl(config.listen, https !== undefined);
  // Before any route: the generator collects every route declared from here on.
  await registerOpenApi(app, publicUrl);
  const ring = serverKeyRing(kek);
  const origin = new URL(publicUrl).origin;
  const sessionStore = new SqlSessionStore(database);
  // Hashing threads niced below the event loop: a login flood keeps every core hashing, and every other request —
  // health checks, signed-in users — still gets the CPU the moment it needs it (see docs/benchmarks.md).
  const hashingEngine = options.hasher === undefined ? createWorkerHashingEngine() : undefined;
  const hasher =
    options.hasher ??
    createPasswordHasher({
      events,
      ...(hashingEngine === undefined ? {} : { engine: hashingEngine, concurrency: hashingEngine.concurrency, queue: 8 * hashingEngine.threads }),
    });
  const sessions = createSessionManager({ store: sessionStore, events, clock });
  rememberRefusedCorrelationIds(app);
  logRequests(app, PROBE_ROUTES);
  countRequests(app, metrics);
  // Behind a load balancer the peer is the balancer: forwarding headers are believed from the configured proxies only
  // (rate limits, audit events and `secure` then see the real client), and reported when anyone else sends them.
  const proxies = config.trustedProxies.length === 0 ? undefined : trustedProxies({ cidrs: config.trustedProxies, trustProto: true, events });
  await app.register(rampart, {
    ...(proxies === undefined ? {} : { clientAddress: proxies }),
    guards: [
      untrustedForwardingMonitor(proxies),
      // The API preset for /v1 and the probes, the web preset (CSP nonces) for pages: pages/headers.ts.
      responseHeaders(events),
      // JSON everywhere; the OAuth token endpoints also take forms (RFC 6749 §4.1.3, RFC 7009 §2.1), and the pages'
      // form posts take only small urlencoded bodies.
      bodyLimits({ maxBytes: 64 * 1024, routes: [...TOKEN_BODY_ROUTES, ...OAUTH_BODY_ROUTES, ...SIGN_IN_FORM_ROUTES, ...ACCOUNT_FORM_ROUTES] }),
      // Every unsafe request a browser sends (it carries cookies, an Origin or Fetch Metadata) must come from the
      // server's own origin with a token bound to its session; see auth/csrf.ts for the requests that are not checked.
      csrf({
        ring,
        allowedOrigins: allowedOrigins(origin, config.env === 'production'),
        sessionBinding: (request) => request.cookies.get(SESSION_COOKIE),
        cookieAuthenticated: browserRequest,
        verifyFormFieldAfterBodyParsing: true,
        // The authorization server's back-channel endpoints, by name and reason (oauth/mount.ts).
        exempt: OAUTH_CSRF_EXEMPT,
        events,
      }),
    ],
    // The guards' refusals (oversized bodies, …) are security events: into the hub, like every control's.
    events,
    report: errorReporter(app.log),
  });
  const exposure = metricsExposure(config);
  if (exposure.kind === 'main-port-loopback') serveMetricsOnMainPort(app, metrics);
  else if (exposure.kind === 'none') app.log.info('metrics not exposed: production serves /metrics only on a metrics port (RAMPART_METRICS_PORT)');
  app.get('/livez', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await database.ping();
    } catch {
      return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Not ready', status: 503, detail: 'the database does not answer' });
    }
    try {
      await shared.ping();
    } catch {
      return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Not ready', status: 503, detail: 'Redis does not answer' });
    }
    return { status: 'ready', database: database.kind, ...(config.redisUrl === undefined ? {} : { redis: 'ok' }) };
  });

  const context: ServerContext = {
    app,
    config,
    database,
    db: database.db,
    events,
    clock,
    kek,
    ring,
    hasher,
    sessions,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    origin,
    production: config.env === 'production',
    rateLimits: shared.rateLimits,
    ...(shared.redis === undefined ? {} : { redis: shared.redis }),
  };
  // The modules: each registers its routes and hands the others what they need through the contracts in auth/.
  const authz = await createAuthzModule(context);
  const tokens = await createTokenModule(context);
  const mfa = await createMfaModule(context);
  const authenticators: Authenticator[] = [sessionAuthenticator(sessions), tokens.authenticator, authz.authenticator];
  // Pages by their route (the path Fastify matched, not the raw one a client spelled): a page takes an ended session
  // as signed out and sends the person to sign in; the API answers 401.
  registerAuthentication(app, authenticators, { isPage: (request) => !isApiPath(request.routeOptions.url ?? request.url.split('?', 1)[0] ?? '') });
  csrfRoute(app);
  identityRoute(app);
  // Accounts: registration with email verification and password reset. A completed reset ends every session and
  // refresh-token family of the account (a stolen session must not outlive the password it was opened with).
  const accounts = registerAccountRoutes(app, {
    db: database.db,
    hasher,
    events,
    clock,
    production: config.env === 'production',
    publicUrl,
    // Development: mail lands in <dataDir>/mailbox.jsonl (0600). Production: no transport exists yet, so the log sender
    // records that a mail was due (kind and id only) and the links are not delivered — see the README.
    ...(options.mail !== undefined ? { mail: options.mail } : config.env === 'production' ? {} : { mail: fileMailSender(join(config.dataDir, 'mailbox.jsonl')) }),
    log: (line) => {
      app.log.info(line);
    },
    limits: { store: shared.rateLimits },
    onPasswordReset: async (userId) => {
      await sessions.revokeAll(userId);
      await tokens.issuer.revokeUser(userId, 'password_changed');
    },
  });
  const login = await createLoginModule(context, { factors: mfa.factors, tokens: tokens.issuer, outbox: accounts.outbox });
  mfa.registerPasskeyLogin(login.flow);
  // oidc-provider is loaded by the first server built, not by every command that imports this package.
  const { createOAuthModule } = await import('./oauth/index.js');
  const oauth = await createOAuthModule(context, { tokens });
  await createAdminModule(context, { authz, tokens: tokens.issuer, factors: mfa.factors, audit, notify: options.notify, oauthClients: oauth.clients });
  registerPages(context);
  serveOpenApi(app);
  // Fastify's default 404 body repeats the raw URL, query string included: answer with a problem that repeats nothing.
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('application/problem+json').send({ type: 'about:blank', title: 'Not Found', status: 404 }));

  let metricsListener: MetricsListener | undefined;
  const listen = async (): Promise<string> => {
    if (exposure.kind === 'listener') {
      metricsListener = await startMetricsListener(metrics, exposure.host, exposure.port);
      app.log.info({ url: metricsListener.url }, 'metrics listening');
    }
    try {
      return await app.listen({ host: config.listen.host, port: config.listen.port });
    } catch (error) {
      await metricsListener?.close(0);
      metricsListener = undefined;
      throw error;
    }
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const timer = setTimeout(() => { app.server.closeAllConnections(); }, config.shutdownGraceMs);
      timer.unref();
      try {
        await Promise.all([app.close(), metricsListener?.close(config.shutdownGraceMs)]);
      } finally {
        clearTimeout(timer);
        // The hub commits what is pending and the log signs its final checkpoint before the database goes.
        await hub.close();
        await tracing?.close();
        await hashingEngine?.close();
        await shared.close();
        await database.close();
      }
    })());

  return {
    accounts,
    app,
    database,
    audit,
    modules: { authz, tokens, mfa, login, oauth },
    sessions,
    origin,
    events: hub,
    metrics,
    listen,
    metricsUrl: () => metricsListener?.url,
    close,
  };
}
