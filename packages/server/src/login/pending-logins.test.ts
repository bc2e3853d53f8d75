import { randomUUID } from 'node:crypto';
import { ManualClock } from '@rampart/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, type TestBackend } from '../stores/databases.fixtures.js';
import { loginTokenHash } from './login-token.js';
import { MAX_SECOND_FACTOR_ATTEMPTS, PENDING_LOGIN_TTL_MS, PendingLogins } from './pending-logins.js';

describe.each(BACKENDS)('pending logins on $name', ({ create, skip }) => {
  let backend: TestBackend;
  let database: ServerDatabase;
  const clock = new ManualClock(Date.UTC(2026, 2, 1));
  let pending: PendingLogins;

  beforeAll(async () => {
    if (skip) return;
    backend = await create();
    database = await backend.open();
    pending = new PendingLogins(database.db, clock);
  });
  afterAll(async () => {
    if (!skip) await backend.dispose();
  });

  async function user(): Promise<string> {
    const id = randomUUID();
    const at = new Date(clock.now()).toISOString();
    await database.db
      .insertInto('rampart_users')
      .values({ id, email: `${id}@example.test`, email_normalized: `${id}@example.test`, password_hash: 'x', email_verified_at: at, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
      .execute();
    return id;
  }

  const login = async () => pending.create({ userId: await user(), amr: ['pwd'], authTime: clock.now(), delivery: 'session' });

  it.skipIf(skip)('attack: twenty concurrent attempts on one login — exactly five are counted, the rest find it dead', async () => {
    const token = await login();
    const results = await Promise.all(Array.from({ length: 20 }, () => pending.attempt(token)));
    expect(results.filter((r) => r !== undefined)).toHaveLength(MAX_SECOND_FACTOR_ATTEMPTS);
  });

  it.skipIf(skip)('attack: ten concurrent completions of one login — exactly one spends it', async () => {
    const token = await login();
    await pending.attempt(token);
    const results = await Promise.all(Array.from({ length: 10 }, () => pending.spend(token)));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await pending.attempt(token)).toBeUndefined();
  });

  it.skipIf(skip)('attack: a login cannot be spent without a counted attempt (the factor route counts before it verifies)', async () => {
    const token = await login();
    expect(await pending.spend(token)).toBeUndefined();
    expect(await pending.attempt(token)).toMatchObject({ amr: ['pwd'], delivery: 'session' });
    expect(await pending.spend(token)).toBeDefined();
  });

  it.skipIf(skip)('expires after five minutes; expired rows are swept', async () => {
    const token = await login();
    clock.advance(PENDING_LOGIN_TTL_MS);
    expect(await pending.attempt(token)).toBeUndefined();
    expect(await pending.deleteExpired()).toBeGreaterThan(0);
    const row = await database.db.selectFrom('rampart_pending_logins').selectAll().where('token_hash', '=', loginTokenHash(token)).executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it.skipIf(skip)('a password change ends every open login of the account', async () => {
    const userId = await user();
    const tokens = [
      await pending.create({ userId, amr: ['pwd'], authTime: clock.now(), delivery: 'session' }),
      await pending.create({ userId, amr: ['pwd'], authTime: clock.now(), delivery: 'tokens' }),
    ];
    expect(await pending.endAll(userId)).toBe(2);
    for (const token of tokens) expect(await pending.attempt(token)).toBeUndefined();
  });

  it.skipIf(skip)('attack: anything that is not a login token is refused without a lookup', async () => {
    for (const token of ['', 'x', 'A'.repeat(44), "' OR 1=1 --", 42, null, { $ne: null }]) {
      expect(await pending.attempt(token)).toBeUndefined();
      expect(await pending.spend(token)).toBeUndefined();
    }
  });
});
