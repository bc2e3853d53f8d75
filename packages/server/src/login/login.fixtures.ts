/*
 * A login server for tests that need enrolled second factors or a token issuer before the MFA and token modules are
 * wired: the same Fastify guard chain, authenticators and login module as `createServer`, on a real database (SQLite
 * file or PostgreSQL schema), listening on a real loopback port — with the `SecondFactors` and `TokenIssuer` the test
 * passes. Those are test doubles of sibling modules built from core's real primitives, never of a database.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { bodyLimits, csrf, securityHeaders } from '@rampart/core/http';
import { BackupCodes, Totp, generateTotpSecret } from '@rampart/core/mfa';
import { createPasswordHasher, type PasswordHasher } from '@rampart/core/password';
import { MemoryRateLimitStore } from '@rampart/core/ratelimit';
import { createSessionManager, type SessionManager } from '@rampart/core/session';
import { rampart } from '@rampart/fastify';
import Fastify from 'fastify';
import { serverKeyRing } from '../audit-trail.js';
import { registerAuthentication } from '../auth/authenticate.js';
import type { CodeRefusal, EnrolledFactors, LoginFacts, SecondFactors, TokenIssuer, TokenResponse } from '../auth/contracts.js';
import { browserRequest, csrfRoute } from '../auth/csrf.js';
import { identityRoute } from '../auth/identity-route.js';
import { SESSION_COOKIE, sessionAuthenticator } from '../auth/session-cookie.js';
import { loadConfig } from '../config/config.js';
import type { ServerContext } from '../context.js';
import { ensureDataDir } from '../data-dir.js';
import { openDatabase, type ServerDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrations.js';
import { freePort, pgUrl, type ServerBackend } from '../testing/server.fixtures.js';
import { SqlBackupCodeStore, SqlSessionStore, SqlTotpReplayStore } from '../stores/index.js';
import { TEST_PASSWORD } from '../testing/users.fixtures.js';
import { createLoginModule, type LoginModule } from './index.js';
import { createTestSchema } from '../testing/pg-schema.fixtures.js';

/** TOTP and backup codes from `@rampart/core/mfa` on the server's own SQL stores; secrets held by the test. */
export class TestSecondFactors implements SecondFactors {
  readonly totp: Totp;
  readonly backupCodes: BackupCodes;
  readonly #secrets = new Map<string, string>();
  readonly #passkeys = new Map<string, number>();
  readonly #clock: ManualClock;

  constructor(database: ServerDatabase, ring: ServerContext['ring'], clock: ManualClock) {
    this.#clock = clock;
    this.totp = new Totp({ issuer: 'Rampart test', replayStore: new SqlTotpReplayStore(database), clock });
    this.backupCodes = new BackupCodes({ keyRing: ring, store: new SqlBackupCodeStore(database) });
  }

  /** Enrolls TOTP for `userId`; returns the secret (the test's authenticator app). */
  enrollTotp(userId: string): string {
    const secret = generateTotpSecret();
    this.#secrets.set(userId, secret);
    return secret;
  }

  /** The current code of `userId`'s authenticator. */
  codeFor(userId: string, at = this.#clock.now()): string {
    const secret = this.#secrets.get(userId);
    if (secret === undefined) throw new Error('no TOTP enrolled');
    return this.totp.generate(secret, at);
  }

  /** Pretends `userId` has `count` passkeys (the MFA module's; no ceremony here). */
  setPasskeys(userId: string, count: number): void {
    this.#passkeys.set(userId, count);
  }

  async enrolled(userId: string): Promise<EnrolledFactors> {
    return { totp: this.#secrets.has(userId), backupCodes: await this.backupCodes.remaining(userId), passkeys: this.#passkeys.get(userId) ?? 0 };
  }

  async verifyTotp(userId: string, code: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: CodeRefusal }> {
    const secret = this.#secrets.get(userId);
    if (secret === undefined) return { ok: false, reason: 'not_enrolled' };
    const verdict = await this.totp.verify({ subject: userId, secret, code });
    if (verdict.ok) return { ok: true };
    return { ok: false, reason: verdict.reason === 'replayed' ? 'replayed' : 'invalid' };
  }

  async verifyBackupCode(userId: string, code: string): Promise<{ readonly ok: true; readonly remaining: number } | { readonly ok: false; readonly reason: CodeRefusal }> {
    if ((await this.backupCodes.remaining(userId)) === 0) return { ok: false, reason: 'not_enrolled' };
    const verdict = await this.backupCodes.consume(userId, code);
    return verdict.ok ? { ok: true, remaining: verdict.value.remaining } : { ok: false, reason: 'invalid' };
  }
}

/** A token issuer double: opaque random tokens in the RFC 6749 §5.1 shape, remembering what it was asked. */
export class TestTokenIssuer implements TokenIssuer {
  readonly issued: LoginFacts[] = [];
  readonly revoked: { userId: string; reason: string }[] = [];

  issue(facts: LoginFacts): Promise<TokenResponse> {
    this.issued.push(facts);
    return Promise.resolve({ access_token: randomBytes(32).toString('base64url'), token_type: 'Bearer', expires_in: 600, refresh_token: randomBytes(32).toString('base64url') });
  }

  revokeUser(userId: string, reason: 'logout_everywhere' | 'password_changed' | 'account_locked'): Promise<number> {
    this.revoked.push({ userId, reason });
    return Promise.resolve(1);
  }
}

/** A running login harness. */
export interface LoginHarness {
  readonly url: string;
  readonly clock: ManualClock;
  readonly database: ServerDatabase;
  readonly sessions: SessionManager;
  readonly factors: TestSecondFactors;
  readonly tokens: TestTokenIssuer;
  readonly module: LoginModule;
  readonly events: SecurityEvent[];
  /** Stores an account directly (the accounts module's registration is tested elsewhere); returns its id. */
  createUser(email: string, options?: { password?: string; verified?: boolean; locked?: boolean; passwordHash?: string }): Promise<string>;
  close(): Promise<void>;
}

/** Options of {@link startLoginHarness}. */
export interface LoginHarnessOptions {
  readonly backend: ServerBackend;
  /** Default: Argon2id at the lowest test cost, as `startTestServer` uses. */
  readonly hasher?: PasswordHasher;
}

/** Starts a login harness; `close()` stops it and drops its data. */
export async function startLoginHarness(options: LoginHarnessOptions): Promise<LoginHarness> {
  const cwd = mkdtempSync(join(tmpdir(), 'rampart-login-'));
  const dataDir = join(cwd, '.rampart');
  ensureDataDir(dataDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { RAMPART_PORT: String(port), RAMPART_DATA_DIR: dataDir, RAMPART_PUBLIC_URL: url, RAMPART_LOG_LEVEL: 'warn' };
  let dropSchema: (() => Promise<void>) | undefined;
  if (options.backend === 'postgres') {
    if (pgUrl === undefined) throw new Error('RAMPART_TEST_PG_URL is not set');
    const schema = await createTestSchema(pgUrl, 'login');
    env.RAMPART_DATABASE_URL = schema.url;
    dropSchema = schema.drop;
  }
  const config = loadConfig({ env, cwd });
  const database = openDatabase(config);
  await migrateToLatest(database.db);
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const events: SecurityEvent[] = [];
  const sink = (event: SecurityEvent): void => {
    events.push(event);
  };
  const kek = randomBytes(32);
  const ring = serverKeyRing(kek);
  const hasher = options.hasher ?? createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true });
  const sessions = createSessionManager({ store: new SqlSessionStore(database), events: sink, clock });
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, trustProxy: false });
  await app.register(rampart, {
    guards: [
      securityHeaders({ preset: 'api' }),
      bodyLimits({ maxBytes: 64 * 1024 }),
      csrf({ ring, allowedOrigins: [url], sessionBinding: (request) => request.cookies.get(SESSION_COOKIE), cookieAuthenticated: browserRequest, verifyFormFieldAfterBodyParsing: true, events: sink }),
    ],
    events: sink,
  });
  registerAuthentication(app, [sessionAuthenticator(sessions)]);
  csrfRoute(app);
  identityRoute(app);
  const context: ServerContext = {
    app,
    config,
    database,
    db: database.db,
    events: sink,
    clock,
    kek,
    ring,
    hasher,
    sessions,
    publicUrl: url,
    origin: url,
    production: false,
    rateLimits: new MemoryRateLimitStore({ clock }),
  };
  const factors = new TestSecondFactors(database, ring, clock);
  const tokens = new TestTokenIssuer();
  const module = await createLoginModule(context, { factors, tokens });
  await app.listen({ host: '127.0.0.1', port });

  return {
    url,
    clock,
    database,
    sessions,
    factors,
    tokens,
    module,
    events,
    async createUser(email, user = {}) {
      const id = randomUUID();
      const at = new Date(clock.now()).toISOString();
      const passwordHash = user.passwordHash ?? (await hasher.hash(user.password ?? TEST_PASSWORD));
      await database.db
        .insertInto('rampart_users')
        .values({
          id,
          email,
          email_normalized: email.toLowerCase(),
          password_hash: passwordHash,
          email_verified_at: user.verified === false ? null : at,
          locked_at: user.locked === true ? at : null,
          password_changed_at: at,
          created_at: at,
          updated_at: at,
        })
        .execute();
      return id;
    },
    async close() {
      await app.close();
      await database.close();
      await dropSchema?.();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
