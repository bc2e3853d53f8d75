/*
 * The passkey login routes at module level: the MFA module on a real database and a real Fastify app with the
 * server's guard chain, and a test double of the login module's `LoginFlow` (a sibling module) that records what it
 * was asked to complete and answers 200 — so each test sees exactly the facts, method and delivery the routes hand
 * over. The same routes run through the whole server, with the real login flow, in passkeys.test.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { bodyLimits, csrf, securityHeaders } from '@rampart/core/http';
import { createPasswordHasher } from '@rampart/core/password';
import { MemoryRateLimitStore } from '@rampart/core/ratelimit';
import { createSessionManager } from '@rampart/core/session';
import { rampart } from '@rampart/fastify';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverKeyRing } from '../audit-trail.js';
import { registerAuthentication } from '../auth/authenticate.js';
import type { LoginDelivery, LoginFacts, LoginFlow, PendingLogin } from '../auth/contracts.js';
import { browserRequest, csrfRoute } from '../auth/csrf.js';
import type { AuthMethod } from '../auth/identity.js';
import { SESSION_COOKIE, sessionAuthenticator } from '../auth/session-cookie.js';
import { loadConfig } from '../config/config.js';
import { ensureDataDir } from '../data-dir.js';
import { openDatabase, type ServerDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrations.js';
import { SqlSessionStore } from '../stores/index.js';
import { BrowserClient, apiRequest, type JsonResponse } from '../testing/browser-client.fixtures.js';
import { freePort, pgUrl, SERVER_BACKENDS, type ServerBackend } from '../testing/server.fixtures.js';
import { codeOf, requestOptionsOf, SoftAuthenticator, type CreationOptions } from './mfa.fixtures.js';
import { createMfaModule, type MfaModule } from './index.js';
import { createTestSchema } from '../testing/pg-schema.fixtures.js';

/** What the double was asked to do. */
type Completion =
  | { readonly kind: 'second_factor'; readonly loginToken: string; readonly method: AuthMethod }
  | { readonly kind: 'without_password'; readonly facts: LoginFacts; readonly delivery: LoginDelivery };

/** A `LoginFlow` double: pending logins it was told about, a count of attempts, and every completion it was asked for. */
class RecordingLoginFlow implements LoginFlow {
  readonly pending = new Map<string, PendingLogin>();
  readonly attempts: string[] = [];
  readonly completions: Completion[] = [];

  attempt(loginToken: string): Promise<PendingLogin | undefined> {
    this.attempts.push(loginToken);
    return Promise.resolve(this.pending.get(loginToken));
  }

  async completeSecondFactor(_request: FastifyRequest, reply: FastifyReply, loginToken: string, method: AuthMethod): Promise<FastifyReply> {
    this.completions.push({ kind: 'second_factor', loginToken, method });
    void reply.code(200).send({ status: 'completed' });
    return reply;
  }

  async completeWithoutPassword(_request: FastifyRequest, reply: FastifyReply, facts: LoginFacts, delivery: LoginDelivery): Promise<FastifyReply> {
    this.completions.push({ kind: 'without_password', facts, delivery });
    void reply.code(200).send({ status: 'completed' });
    return reply;
  }
}

interface Harness {
  readonly url: string;
  readonly clock: ManualClock;
  readonly database: ServerDatabase;
  readonly mfa: MfaModule;
  readonly flow: RecordingLoginFlow;
  readonly events: SecurityEvent[];
  /** A browser signed in to `userId` a moment ago. */
  signedIn(userId: string): Promise<BrowserClient>;
  close(): Promise<void>;
}

/** The MFA module alone, composed the way createServer composes it, at `http://localhost:<port>`. */
async function startHarness(backend: ServerBackend): Promise<Harness> {
  const cwd = mkdtempSync(join(tmpdir(), 'rampart-mfa-'));
  const dataDir = join(cwd, '.rampart');
  ensureDataDir(dataDir);
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const env: Record<string, string> = { RAMPART_PORT: String(port), RAMPART_DATA_DIR: dataDir, RAMPART_PUBLIC_URL: url };
  let dropSchema: (() => Promise<void>) | undefined;
  if (backend === 'postgres') {
    if (pgUrl === undefined) throw new Error('RAMPART_TEST_PG_URL is not set');
    const schema = await createTestSchema(pgUrl, 'mfa');
    env.RAMPART_DATABASE_URL = schema.url;
    dropSchema = schema.drop;
  }
  const config = loadConfig({ env, cwd });
  const database = openDatabase(config);
  await migrateToLatest(database.db);
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const recorded: SecurityEvent[] = [];
  const events = (event: SecurityEvent): void => {
    recorded.push(event);
  };
  const kek = randomBytes(32);
  const ring = serverKeyRing(kek);
  const origin = new URL(url).origin;
  const app = Fastify();
  await app.register(rampart, {
    guards: [
      securityHeaders({ preset: 'api' }),
      bodyLimits({ maxBytes: 64 * 1024 }),
      csrf({ ring, allowedOrigins: [origin], sessionBinding: (request) => request.cookies.get(SESSION_COOKIE), cookieAuthenticated: browserRequest, verifyFormFieldAfterBodyParsing: true, events }),
    ],
    events,
  });
  const sessions = createSessionManager({ store: new SqlSessionStore(database), events, clock });
  registerAuthentication(app, [sessionAuthenticator(sessions)]);
  csrfRoute(app);
  const mfa = await createMfaModule({
    app,
    config,
    database,
    db: database.db,
    events,
    clock,
    kek,
    ring,
    hasher: createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true }),
    sessions,
    publicUrl: url,
    origin,
    production: false,
    // On the harness clock, so the rate-limit test can let the window pass.
    rateLimits: new MemoryRateLimitStore({ clock }),
  });
  const flow = new RecordingLoginFlow();
  mfa.registerPasskeyLogin(flow);
  await app.listen({ host: '127.0.0.1', port });
  return {
    url,
    clock,
    database,
    mfa,
    flow,
    events: recorded,
    async signedIn(userId) {
      const now = clock.now();
      const issued = await sessions.login(undefined, userId, { data: { authTime: now, amr: ['pwd'], fullyAuthenticatedAt: now } });
      if (!issued.ok) throw new Error(issued.reason);
      const browser = new BrowserClient(url);
      browser.setCookie(SESSION_COOKIE, issued.value.id);
      return browser;
    },
    async close() {
      await app.close();
      await database.close();
      await dropSchema?.();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

describe.each(SERVER_BACKENDS)('passkey login routes (module level, LoginFlow double) on $name', ({ backend, skip }) => {
  let h: Harness;
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(backend);
  });
  afterAll(async () => {
    if (!skip) await h.close();
  });

  /** An account with one passkey registered through the module's routes. */
  async function accountWithPasskey(options: { readonly backedUp?: boolean } = {}): Promise<{ userId: string; authenticator: SoftAuthenticator }> {
    const userId = randomUUID();
    const at = new Date(h.clock.now()).toISOString();
    await h.database.db
      .insertInto('rampart_users')
      .values({ id: userId, email: `${userId}@example.test`, email_normalized: `${userId}@example.test`, password_hash: '!unusable', email_verified_at: at, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
      .execute();
    const browser = await h.signedIn(userId);
    const authenticator = new SoftAuthenticator({ origin: h.url, ...options });
    const creation = (await browser.request('POST', '/v1/mfa/passkeys/options')).body as { options: CreationOptions };
    const registered = await browser.request('POST', '/v1/mfa/passkeys', { json: { response: authenticator.register(creation.options) } });
    expect(registered.status).toBe(201);
    return { userId, authenticator };
  }

  /** A program (no cookies) calling the login routes. */
  const call = (path: string, json: unknown): Promise<JsonResponse> => apiRequest(h.url, 'POST', path, { json });

  it.skipIf(skip)('passkey-only: the flow is asked to complete with the credential owner, amr hwk + user + mfa, now, and the delivery asked for', async () => {
    const { userId, authenticator } = await accountWithPasskey();
    const options = requestOptionsOf(await call('/v1/login/passkey/options', {}));
    const done = await call('/v1/login/passkey', { response: authenticator.authenticate(options), delivery: 'tokens' });
    expect(done.status).toBe(200);
    const now = h.clock.now();
    expect(h.flow.completions.at(-1)).toEqual({ kind: 'without_password', facts: { userId, amr: ['hwk', 'user', 'mfa'], authTime: now, fullyAuthenticatedAt: now }, delivery: 'tokens' });
    // Without a delivery: a session.
    const again = requestOptionsOf(await call('/v1/login/passkey/options', {}));
    expect((await call('/v1/login/passkey', { response: authenticator.authenticate(again) })).status).toBe(200);
    expect(h.flow.completions.at(-1)).toMatchObject({ kind: 'without_password', delivery: 'session' });
    expect(h.flow.attempts).toEqual([]);
  });

  it.skipIf(skip)('second factor: each call counts an attempt on the login token, and the flow completes that token with the method', async () => {
    const { userId, authenticator } = await accountWithPasskey({ backedUp: true });
    const loginToken = randomBytes(32).toString('base64url');
    h.flow.pending.set(loginToken, { userId, amr: ['pwd'], authTime: h.clock.now(), delivery: 'session' });
    const options = requestOptionsOf(await call('/v1/login/passkey/options', { loginToken }));
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([authenticator.id]);
    const done = await call('/v1/login/passkey', { response: authenticator.authenticate(options), loginToken });
    expect(done.status).toBe(200);
    expect(h.flow.attempts.filter((token) => token === loginToken)).toHaveLength(2);
    // A synced passkey: a software key.
    expect(h.flow.completions.at(-1)).toEqual({ kind: 'second_factor', loginToken, method: 'swk' });
  });

  it.skipIf(skip)("attack: an assertion by another user's passkey for a pending login is refused; the flow completes nothing", async () => {
    const victim = await accountWithPasskey();
    const attacker = await accountWithPasskey();
    const loginToken = randomBytes(32).toString('base64url');
    h.flow.pending.set(loginToken, { userId: victim.userId, amr: ['pwd'], authTime: h.clock.now(), delivery: 'session' });
    const before = h.flow.completions.length;
    const options = requestOptionsOf(await call('/v1/login/passkey/options', { loginToken }));
    const refused = await call('/v1/login/passkey', { response: attacker.authenticator.authenticate(options), loginToken });
    expect([refused.status, codeOf(refused)]).toEqual([401, 'mfa.passkey_failed']);
    // The attacker's own usernameless assertion does not complete the victim's pending login either.
    const usernameless = requestOptionsOf(await call('/v1/login/passkey/options', {}));
    expect((await call('/v1/login/passkey', { response: attacker.authenticator.authenticate(usernameless), loginToken })).status).toBe(401);
    expect(h.flow.completions.length).toBe(before);
    expect(h.events.some((e) => e.type === 'mfa.webauthn.failed' && e.subject === victim.userId && e.attributes?.reason === 'user_mismatch')).toBe(true);
  });

  it.skipIf(skip)('attack: an unknown, spent or exhausted login token is refused before any ceremony', async () => {
    const unknown = randomBytes(32).toString('base64url');
    const options = await call('/v1/login/passkey/options', { loginToken: unknown });
    expect([options.status, codeOf(options)]).toEqual([401, 'auth.login_token_invalid']);
    const { authenticator } = await accountWithPasskey();
    const usernameless = requestOptionsOf(await call('/v1/login/passkey/options', {}));
    const before = h.flow.completions.length;
    const finish = await call('/v1/login/passkey', { response: authenticator.authenticate(usernameless), loginToken: unknown });
    expect([finish.status, codeOf(finish)]).toEqual([401, 'auth.login_token_invalid']);
    expect(h.flow.completions.length).toBe(before);
  });

  it.skipIf(skip)('attack: a replayed assertion is refused (the challenge was spent by the first use)', async () => {
    const { authenticator } = await accountWithPasskey();
    const options = requestOptionsOf(await call('/v1/login/passkey/options', {}));
    const response = authenticator.authenticate(options);
    expect((await call('/v1/login/passkey', { response })).status).toBe(200);
    const before = h.flow.completions.length;
    const replayed = await call('/v1/login/passkey', { response });
    expect(replayed.status).toBe(401);
    expect(h.flow.completions.length).toBe(before);
  });

  it.skipIf(skip)('attack: an expired ceremony is refused', async () => {
    const { authenticator } = await accountWithPasskey();
    const options = requestOptionsOf(await call('/v1/login/passkey/options', {}));
    h.clock.advance(5 * 60_000 + 1);
    const late = await call('/v1/login/passkey', { response: authenticator.authenticate(options) });
    expect(late.status).toBe(401);
    expect(h.events.some((e) => e.type === 'mfa.webauthn.failed' && e.attributes?.reason === 'challenge_expired')).toBe(true);
  });

  it.skipIf(skip)('attack: scripted use — past 60 requests in 5 minutes from one address, 429 mfa.rate_limited with Retry-After, until the window passes', async () => {
    h.clock.advance(10 * 60_000);
    let refused: JsonResponse | undefined;
    for (let i = 0; i < 61 && refused === undefined; i++) {
      const response = await call('/v1/login/passkey/options', {});
      if (response.status === 429) refused = response;
    }
    expect(refused).toBeDefined();
    expect(codeOf(refused as JsonResponse)).toBe('mfa.rate_limited');
    expect(Number((refused as JsonResponse).headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.events.some((e) => e.type === 'ratelimit.exceeded' && e.attributes?.limiter === 'mfa.passkey')).toBe(true);
    h.clock.advance(5 * 60_000);
    expect((await call('/v1/login/passkey/options', {})).status).toBe(200);
  });
});
