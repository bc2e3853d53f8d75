import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { bodyLimits, securityHeaders } from '@rampart/core/http';
import { createPasswordHasher } from '@rampart/core/password';
import { rampart } from '@rampart/fastify';
import Fastify from 'fastify';
import pg from 'pg';
import { gcra } from '@rampart/core/ratelimit';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { ensureDataDir } from '../data-dir.js';
import { openDatabase, type ServerDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrations.js';
import { logMailSender, type OutgoingMail } from './mail.js';
import { registerAccountRoutes, type AccountsModule } from './routes.js';
import { useCoreValidation } from '../openapi/index.js';
import type { AccountLimits } from './limits.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-accounts-'));
const pgUrl = process.env.RAMPART_TEST_PG_URL;
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

// Low Argon2id cost keeps the suite fast; the production parameters are the hasher's defaults.
const hasher = createPasswordHasher({ memoryCost: 1024, timeCost: 1, allowWeakParameters: true });
const STRONG = 'violet kettle marching under cobalt rain';
const STRONGER = 'amber lantern drifting past quiet harbours';

interface Harness {
  readonly url: string;
  readonly database: ServerDatabase;
  readonly accounts: AccountsModule;
  readonly clock: ManualClock;
  readonly mails: OutgoingMail[];
  readonly events: SecurityEvent[];
  readonly resets: string[];
  /** When set, the transport refuses every mail. */
  failMail: boolean;
  close(): Promise<void>;
}

/** Opens a migrated, empty database. */
type Open = () => Promise<ServerDatabase>;

async function start(open: Open, limits?: AccountLimits): Promise<Harness> {
  const database = await open();
  const app = Fastify({ logger: false });
  useCoreValidation(app);
  await app.register(rampart, { guards: [securityHeaders({ preset: 'api' }), bodyLimits({ maxBytes: 64 * 1024 })] });
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  const mails: OutgoingMail[] = [];
  const events: SecurityEvent[] = [];
  const resets: string[] = [];
  const harness: { failMail: boolean } = { failMail: false };
  const accounts = registerAccountRoutes(app, {
    db: database.db,
    hasher,
    events: (event) => events.push(event),
    clock,
    production: false,
    publicUrl: 'https://id.example.test/',
    mail: {
      send: (mail) => {
        if (harness.failMail) return Promise.reject(new Error('transport down'));
        mails.push(mail);
        return Promise.resolve();
      },
    },
    onPasswordReset: (userId) => {
      resets.push(userId);
    },
    ...(limits === undefined ? {} : { limits }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return Object.assign(harness, {
    url,
    database,
    accounts,
    clock,
    mails,
    events,
    resets,
    close: async () => {
      await app.close();
      await database.close();
    },
  });
}

async function post(h: Harness, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Everything a client sees of a response but the `Date` header (the only one allowed to differ between two calls). */
async function observable(response: Response): Promise<{ status: number; headers: [string, string][]; body: string }> {
  const headers = [...response.headers.entries()].filter(([name]) => name !== 'date').sort(([a], [b]) => a.localeCompare(b));
  return { status: response.status, headers, body: await response.text() };
}

/** Account event types are not in core's union yet (see events.ts): compared as strings. */
function typeOf(event: SecurityEvent): string {
  return event.type;
}

function tokenIn(mail: OutgoingMail | undefined): string {
  const match = /#token=([A-Za-z0-9_-]{43})\b/.exec(mail?.text ?? '');
  if (match?.[1] === undefined) throw new Error('no token in the mail');
  return match[1];
}

async function delivered(h: Harness): Promise<OutgoingMail[]> {
  await h.accounts.outbox.idle();
  return h.mails;
}

async function userRow(h: Harness, email: string) {
  return h.database.db.selectFrom('rampart_users').selectAll().where('email_normalized', '=', email.toLowerCase()).executeTakeFirst();
}

async function counts(h: Harness): Promise<{ users: number; outbox: number; tokens: number }> {
  const n = async (table: 'rampart_users' | 'rampart_mail_outbox' | 'rampart_account_tokens'): Promise<number> => {
    const row = await h.database.db.selectFrom(table).select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return { users: await n('rampart_users'), outbox: await n('rampart_mail_outbox'), tokens: await n('rampart_account_tokens') };
}

async function registerAndVerify(h: Harness, email: string, password = STRONG): Promise<string> {
  const before = h.mails.length;
  expect((await post(h, '/v1/accounts', { email, password })).status).toBe(202);
  const mails = await delivered(h);
  const token = tokenIn(mails.slice(before).find((mail) => mail.kind === 'verify_email'));
  expect((await post(h, '/v1/accounts/verify-email', { token })).status).toBe(200);
  const user = await userRow(h, email);
  if (user === undefined) throw new Error('not registered');
  return user.id;
}

function suite(name: string, open: Open): void {
  describe(name, () => {
    let h: Harness;
    beforeEach(async (context) => {
      h = await start(open);
      context.onTestFinished(() => h.close());
    });

    it('registers: the outbox holds a verification mail, the link verifies the address once, a reused link is refused', async () => {
      const response = await post(h, '/v1/accounts', { email: 'Alice.Smith@Example.com', password: STRONG });
      expect(response.status).toBe(202);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const user = await userRow(h, 'alice.smith@example.com');
      expect(user).toMatchObject({ email: 'Alice.Smith@Example.com', email_normalized: 'alice.smith@example.com', email_verified_at: null, locked_at: null });
      expect(user?.password_hash).toMatch(/^\$argon2id\$/);
      const queued = await h.database.db.selectFrom('rampart_mail_outbox').selectAll().execute();
      expect(queued.map((row) => [row.kind, row.recipient])).toEqual([['verify_email', 'Alice.Smith@Example.com']]);

      const [mail] = await delivered(h);
      expect(mail).toMatchObject({ kind: 'verify_email', to: 'Alice.Smith@Example.com' });
      expect(mail?.text).toContain('https://id.example.test/verify-email#token=');
      const token = tokenIn(mail);
      // At rest: the sent mail's body is erased and the token is stored only as a digest.
      const sent = await h.database.db.selectFrom('rampart_mail_outbox').selectAll().executeTakeFirstOrThrow();
      expect(sent).toMatchObject({ status: 'sent', body: '' });
      const stored = await h.database.db.selectFrom('rampart_account_tokens').selectAll().execute();
      expect(stored).toHaveLength(1);
      expect(JSON.stringify(stored)).not.toContain(token);
      expect(stored[0]).toMatchObject({ purpose: 'verify_email', user_id: user?.id, used_at: null });

      const verified = await post(h, '/v1/accounts/verify-email', { token });
      expect(verified.status).toBe(200);
      expect(await verified.json()).toEqual({ status: 'verified' });
      expect((await userRow(h, 'alice.smith@example.com'))?.email_verified_at).toBe(new Date(h.clock.now()).toISOString());

      const again = await post(h, '/v1/accounts/verify-email', { token });
      expect(again.status).toBe(400);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
      expect(await again.json()).toMatchObject({ status: 400, code: 'account.token_invalid' });
      expect(h.events.map((event) => event.type)).toEqual(['account.registered', 'account.email_verified', 'account.token_refused']);
      expect(h.events[2]?.attributes).toEqual({ purpose: 'verify_email', reason: 'used' });
      expect(JSON.stringify(h.events)).not.toContain(token);
    });

    it('refuses an expired verification link, and a made-up one, without verifying anything', async () => {
      await post(h, '/v1/accounts', { email: 'late@example.com', password: STRONG });
      const token = tokenIn((await delivered(h))[0]);
      h.clock.advance(24 * 3_600_000 + 1);
      const expired = await post(h, '/v1/accounts/verify-email', { token });
      expect(expired.status).toBe(400);
      expect(await expired.json()).toMatchObject({ code: 'account.token_invalid' });
      expect((await userRow(h, 'late@example.com'))?.email_verified_at).toBeNull();
      const forged = await post(h, '/v1/accounts/verify-email', { token: 'A'.repeat(43) });
      expect(forged.status).toBe(400);
      expect(h.events.filter((event) => typeOf(event) === 'account.token_refused').map((event) => event.attributes?.reason)).toEqual(['expired', 'unknown']);
    });

    it('spends a token once under concurrent use', async () => {
      await post(h, '/v1/accounts', { email: 'race@example.com', password: STRONG });
      const token = tokenIn((await delivered(h))[0]);
      const statuses = await Promise.all(Array.from({ length: 5 }, () => post(h, '/v1/accounts/verify-email', { token }).then((r) => r.status)));
      expect(statuses.sort()).toEqual([200, 400, 400, 400, 400]);
    });

    it('resets a password end to end: weak password refused without burning the link, old links and the old password dead, the session hook called', async () => {
      const userId = await registerAndVerify(h, 'bob@example.com');
      h.mails.length = 0;
      // A second reset request: its link must die when the first one is used.
      expect((await post(h, '/v1/password/reset', { email: 'BOB@example.com' })).status).toBe(202);
      expect((await post(h, '/v1/password/reset', { email: 'bob@example.com' })).status).toBe(202);
      const [first, second] = await delivered(h);
      expect(first).toMatchObject({ kind: 'password_reset', to: 'bob@example.com' });
      expect(first?.text).toContain('https://id.example.test/reset-password#token=');
      const token = tokenIn(first);

      // A verification link is not a reset link (purpose-bound).
      const verifyToken = tokenIn(second);
      expect((await post(h, '/v1/accounts/verify-email', { token: verifyToken })).status).toBe(400);

      const weak = await post(h, '/v1/password/reset/confirm', { token, password: 'password1234' });
      expect(weak.status).toBe(400);
      expect(await weak.json()).toMatchObject({ code: 'password.policy' });
      expect(h.resets).toEqual([]);

      const confirmed = await post(h, '/v1/password/reset/confirm', { token, password: STRONGER });
      expect(confirmed.status).toBe(200);
      expect(await confirmed.json()).toEqual({ status: 'password_changed' });
      expect(h.resets).toEqual([userId]);
      const stored = (await userRow(h, 'bob@example.com'))?.password_hash ?? null;
      expect((await hasher.verify(stored, STRONGER)).ok).toBe(true);
      expect((await hasher.verify(stored, STRONG)).ok).toBe(false);
      expect(h.events.filter((event) => typeOf(event) === 'account.password_reset')).toEqual([expect.objectContaining({ subject: userId })]);

      expect((await post(h, '/v1/password/reset/confirm', { token, password: STRONG })).status).toBe(400);
      expect((await post(h, '/v1/password/reset/confirm', { token: tokenIn(second), password: STRONG })).status).toBe(400);
      expect(h.resets).toEqual([userId]);
      expect((await delivered(h)).map((mail) => mail.kind)).toContain('password_changed');
    });

    it('refuses an expired reset link', async () => {
      await registerAndVerify(h, 'carol@example.com');
      await post(h, '/v1/password/reset', { email: 'carol@example.com' });
      const token = tokenIn((await delivered(h)).find((mail) => mail.kind === 'password_reset'));
      h.clock.advance(30 * 60_000);
      const response = await post(h, '/v1/password/reset/confirm', { token, password: STRONGER });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'account.token_invalid' });
      expect(h.resets).toEqual([]);
    });

    it('answers a registration for a taken address exactly like a new one, keeps the owner’s password, and mails the owner', async () => {
      await registerAndVerify(h, 'dave@example.com');
      const ownerHash = (await userRow(h, 'dave@example.com'))?.password_hash;
      h.mails.length = 0;
      const taken = await observable(await post(h, '/v1/accounts', { email: 'DAVE@example.com', password: STRONGER }));
      const fresh = await observable(await post(h, '/v1/accounts', { email: 'erin@example.com', password: STRONGER }));
      expect(taken).toEqual(fresh);
      expect(taken.status).toBe(202);
      expect((await userRow(h, 'dave@example.com'))?.password_hash).toBe(ownerHash);
      const mails = await delivered(h);
      expect(mails.map((mail) => [mail.kind, mail.to])).toEqual([
        ['account_exists', 'dave@example.com'],
        ['verify_email', 'erin@example.com'],
      ]);
      expect((await counts(h)).users).toBe(2);
    });

    it('answers a reset for an unknown address exactly like a known one, and mails nobody', async () => {
      await registerAndVerify(h, 'frank@example.com');
      h.mails.length = 0;
      const known = await observable(await post(h, '/v1/password/reset', { email: 'frank@example.com' }));
      const unknown = await observable(await post(h, '/v1/password/reset', { email: 'nobody@example.com' }));
      expect(unknown).toEqual(known);
      expect((await delivered(h)).map((mail) => mail.to)).toEqual(['frank@example.com']);
      const rows = await h.database.db.selectFrom('rampart_mail_outbox').select(['kind', 'status', 'recipient', 'body']).where('kind', '=', 'password_reset').execute();
      expect(rows).toContainEqual({ kind: 'password_reset', status: 'suppressed', recipient: '', body: '' });
      expect(h.events.map((event) => event.type)).toContain('account.password_reset_unknown');
    });

    it('refuses mass assignment of role, emailVerified and tenant with a 400 problem, and stores nothing', async () => {
      for (const extra of [{ role: 'admin' }, { emailVerified: true }, { tenant: 'other' }, { email_verified_at: '2026-01-01T00:00:00.000Z' }]) {
        const response = await post(h, '/v1/accounts', { email: 'mallory@example.com', password: STRONG, ...extra });
        expect(response.status).toBe(400);
        expect(response.headers.get('content-type')).toContain('application/problem+json');
        const body = (await response.json()) as { errors: unknown; code: string };
        expect(body.code).toBe('validation.failed');
        expect(body.errors).toEqual([{ pointer: '', rule: 'additionalProperties' }]);
        expect(JSON.stringify(body)).not.toContain(Object.keys(extra)[0]);
      }
      const confirm = await post(h, '/v1/password/reset/confirm', { token: 'A'.repeat(43), password: STRONG, userId: 'x' });
      expect(confirm.status).toBe(400);
      expect(await counts(h)).toEqual({ users: 0, outbox: 0, tokens: 0 });
    });

    it('answers oversized, malformed and mistyped bodies with 4xx problem details and stores nothing', async () => {
      const cases: { body: string; contentType?: string; status: number }[] = [
        { body: JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(70_000) }), status: 413 },
        { body: '{"email":"a@example.com","password":', status: 400 },
        { body: '{"email":"a@example.com","email":"b@example.com","password":"violet kettle marching under cobalt rain"}', status: 400 },
        { body: '{"__proto__":{"role":"admin"},"email":"a@example.com","password":"violet kettle marching under cobalt rain"}', status: 400 },
        { body: JSON.stringify({ email: { $gt: '' }, password: STRONG }), status: 400 },
        { body: JSON.stringify({ email: 'not-an-address', password: STRONG }), status: 400 },
        { body: JSON.stringify({ email: `${'a'.repeat(250)}@example.com`, password: STRONG }), status: 400 },
        { body: JSON.stringify({ email: 'a@example.com', password: 'y'.repeat(1025) }), status: 400 },
        { body: JSON.stringify([{ email: 'a@example.com', password: STRONG }]), status: 400 },
        { body: '', status: 400 },
        { body: 'email=a@example.com', contentType: 'text/plain', status: 415 },
      ];
      for (const { body, contentType, status } of cases) {
        const response = await post(h, '/v1/accounts', body, contentType === undefined ? {} : { 'content-type': contentType });
        expect({ status: response.status, type: response.headers.get('content-type') }).toEqual({ status, type: expect.stringContaining('application/problem+json') as unknown });
        expect(await response.json()).toMatchObject({ status });
      }
      const token = await post(h, '/v1/accounts/verify-email', { token: "' OR 1=1 --" });
      expect(token.status).toBe(400);
      expect(await counts(h)).toEqual({ users: 0, outbox: 0, tokens: 0 });
    });

    it('refuses a weak password with the policy violations (never the password), and stores nothing', async () => {
      const response = await post(h, '/v1/accounts', { email: 'grace.hopper@example.com', password: 'P@ssw0rd' });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { code: string; violations: { code: string }[] };
      expect(body.code).toBe('password.policy');
      expect(body.violations.map((violation) => violation.code)).toEqual(expect.arrayContaining(['too_short', 'common_password']));
      expect(JSON.stringify(body)).not.toContain('P@ssw0rd');
      const contextual = await post(h, '/v1/accounts', { email: 'grace.hopper@example.com', password: 'gracehopper-likes-cobalt-rain' });
      expect(contextual.status).toBe(400);
      expect(((await contextual.json()) as { violations: { code: string }[] }).violations).toContainEqual({ code: 'context_word', field: 'email' });
      expect(await counts(h)).toEqual({ users: 0, outbox: 0, tokens: 0 });
    });

    it('keeps a mail queued while the transport fails and delivers it later', async () => {
      h.failMail = true;
      await post(h, '/v1/accounts', { email: 'ivan@example.com', password: STRONG });
      await h.accounts.outbox.idle();
      const row = await h.database.db.selectFrom('rampart_mail_outbox').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row.body).toContain('#token=');
      h.failMail = false;
      expect(await h.accounts.outbox.deliverPending()).toEqual({ sent: 1, failed: 0 });
      expect(h.mails.map((mail) => mail.to)).toEqual(['ivan@example.com']);
    });
  });
}

async function openSqlite(): Promise<ServerDatabase> {
  const cwd = mkdtempSync(join(root, 's'));
  const config = loadConfig({ env: { RAMPART_PORT: '0' }, cwd });
  ensureDataDir(config.dataDir);
  const database = openDatabase(config);
  await migrateToLatest(database.db);
  return database;
}

suite('accounts on SQLite', openSqlite);

describe('rate limits on the account routes (attacks)', () => {
  it('mail bombing: a fourth reset request for one address within the hour is refused, known address or not, and mails nothing more', async () => {
    const h = await start(openSqlite, { perClient: gcra(1000, 600) });
    try {
      await registerAndVerify(h, 'victim@example.com');
      await h.accounts.outbox.idle();
      const before = h.mails.length;
      const answers = async (email: string) => {
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await post(h, '/v1/password/reset', { email })).status);
        return statuses;
      };
      // Three mails per address per hour, whatever caused them: the registration was the first.
      expect(await answers('Victim@Example.com')).toEqual([202, 202, 429, 429]);
      // An address with no account is counted the same way: the limit says nothing about existence.
      expect(await answers('nobody@example.com')).toEqual([202, 202, 202, 429]);
      await h.accounts.outbox.idle();
      const after = h.mails.slice(before);
      expect(after.filter((mail) => mail.kind === 'password_reset').map((mail) => mail.to)).toEqual(['victim@example.com', 'victim@example.com']);
      expect(after.some((mail) => mail.to === 'nobody@example.com')).toBe(false);
      const refused = await post(h, '/v1/password/reset', { email: 'victim@example.com' });
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.text()).not.toContain('victim');
    } finally {
      await h.close();
    }
  });

  it('scripted sign-up and token guessing from one client: refused once the client limit is spent', async () => {
    const h = await start(openSqlite, { perClient: gcra(5, 600) });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await post(h, '/v1/accounts', { email: `bot${i}@example.com`, password: 'correct horse battery staple 42' })).status);
      for (let i = 0; i < 3; i++) statuses.push((await post(h, '/v1/accounts/verify-email', { token: 'A'.repeat(43) })).status);
      expect(statuses).toEqual([202, 202, 202, 202, 400, 429, 429]);
      expect(await userRow(h, 'bot3@example.com')).toBeDefined();
    } finally {
      await h.close();
    }
  });
});

describe.skipIf(pgUrl === undefined)('accounts on PostgreSQL (needs RAMPART_TEST_PG_URL)', () => {
  // One schema for the file, emptied before each test: Kysely's migrator looks for its tables in every schema of the
  // database, so a second migrated schema in one run would be mistaken for this one.
  const schema = `rampart_accounts_${process.pid}_${Date.now()}`;
  const admin = new pg.Pool({ connectionString: pgUrl, max: 1 });
  let created = false;
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });
  suite('every flow', async () => {
    if (!created) {
      await admin.query(`CREATE SCHEMA "${schema}"`);
      created = true;
    }
    const url = new URL(pgUrl as string);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const cwd = mkdtempSync(join(root, 'p'));
    const config = loadConfig({ env: { RAMPART_PORT: '0', RAMPART_DATABASE_URL: url.toString() }, cwd });
    ensureDataDir(config.dataDir);
    const database = openDatabase(config);
    await migrateToLatest(database.db);
    for (const table of ['rampart_mail_outbox', 'rampart_account_tokens', 'rampart_users'] as const) await database.db.deleteFrom(table).execute();
    return database;
  });
});

describe('the development mail transport', () => {
  const mail: OutgoingMail = { id: 'm-1', kind: 'password_reset', to: 'a@example.com', subject: 'Reset', text: 'https://x.test/reset-password#token=secret-token' };

  it('writes the whole mail in development', async () => {
    const lines: string[] = [];
    await logMailSender((line) => lines.push(line), { production: false }).send(mail);
    expect(lines.join('\n')).toContain('secret-token');
  });

  it('withholds the link, recipient and subject in production, and by default', async () => {
    for (const options of [{ production: true }, {}]) {
      const lines: string[] = [];
      await logMailSender((line) => lines.push(line), options).send(mail);
      expect(lines).toEqual(['mail password_reset m-1 (content withheld in production)']);
    }
  });
});
