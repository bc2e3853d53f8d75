import { randomUUID } from 'node:crypto';
import type { Clock } from '@rampart/core';
import { randomToken } from '@rampart/core/crypto';
import type { PasswordHasher } from '@rampart/core/password';
import { compile, Type } from '@rampart/core/validate';
import { normalizeEmail } from '../accounts/index.js';
import { ADMIN_ROLE } from '../authz/index.js';
import { GLOBAL_TENANT } from '../authz/bindings.js';
import { SqlRefreshTokenStore, SqlSessionStore } from '../stores/index.js';
import { affected, writeTransaction, type StoreDatabase, type WriteTransaction } from '../stores/sql.js';
import { requirePasswordChange } from './password-change.js';

/** The `rampart_meta` key whose insertion decides, once per database, which process creates the first administrator. */
export const FIRST_START_KEY = 'admin.first-start';
/** Prefix of the `rampart_meta` rows that carry a CLI creation to the next server start, which puts it in the trail. */
export const UNREPORTED_PREFIX = 'admin.unreported:';

/** Bytes of entropy in a one-time password: 18 bytes = 144 bits, 24 base64url characters. */
const ONE_TIME_PASSWORD_BYTES = 18;

/** The login route's address rule: an administrator's address must be one that can sign in. */
const EMAIL = compile(Type.String({ format: 'email', maxLength: 254 }));

/**
 * A one-time password: 144 bits from the CSPRNG (`randomToken`, `node:crypto`), 24 base64url characters. Never
 * stored: only its Argon2id hash is.
 */
export function oneTimePassword(): string {
  return randomToken(ONE_TIME_PASSWORD_BYTES);
}

/** Whether `email` is an address the login route accepts (ASCII, a dotted domain, ≤ 254 characters). */
export function isLoginAddress(email: string): boolean {
  return EMAIL.check(email).ok;
}

/**
 * The first administrator's address: `admin@<host of the public URL>`, or `admin@rampart.localhost` when that host is
 * not a dotted domain the login route accepts (`localhost`, an IPv6 literal). `.localhost` names are reserved (RFC
 * 6761 §6.3): no one else can own that mailbox.
 */
export function firstAdminEmail(publicUrl: string): string {
  const candidate = `admin@${new URL(publicUrl).hostname}`;
  return isLoginAddress(candidate) ? candidate : 'admin@rampart.localhost';
}

/** What {@link createAdministrator} did. */
export type AdministratorOutcome =
  | { readonly kind: 'created'; readonly userId: string; readonly email: string; readonly password: string }
  | { readonly kind: 'promoted'; readonly userId: string; readonly email: string; readonly password: string; readonly unlocked: boolean }
  /** First start only: another process won the race, or an administrator already exists. Nothing written. */
  | { readonly kind: 'not_needed' }
  /** The address belongs to an existing account: never promoted at first start, and by the CLI only with `promote`. */
  | { readonly kind: 'address_taken'; readonly email: string };

/** What creating an administrator needs. */
export interface AdministratorDeps {
  readonly database: StoreDatabase;
  readonly hasher: PasswordHasher;
  readonly clock: Clock;
}

async function anyAdministrator(trx: WriteTransaction): Promise<boolean> {
  const row = await trx.selectFrom('rampart_role_bindings').select('user_id').where('tenant', '=', GLOBAL_TENANT).where('role', '=', ADMIN_ROLE).limit(1).executeTakeFirst();
  return row !== undefined;
}

async function bindAdmin(trx: WriteTransaction, userId: string, at: number): Promise<void> {
  await trx
    .insertInto('rampart_role_bindings')
    .values({ user_id: userId, tenant: GLOBAL_TENANT, role: ADMIN_ROLE, created_at: at, created_by: null })
    .onConflict((c) => c.columns(['user_id', 'tenant', 'role']).doNothing())
    .execute();
}

/**
 * Creates an administrator with a fresh one-time password, or (`how: 'cli'` with `promote` only) gives an existing
 * account the administrator role and a new one-time password. The account is verified, holds the global `admin` binding, and must
 * change its password before anything else (`requirePasswordChange`). Everything is one write transaction.
 *
 * `how: 'first_start'` runs only on a database where no administrator exists, and only once per database: the
 * conditional insert of the `admin.first-start` marker decides between processes starting together (the primary key
 * is the arbiter; the loser's insert does nothing and it writes nothing). An address already taken by another account
 * is never promoted at first start (that account's owner could be anyone).
 *
 * Protects against: a server reachable with no way to administer it; two administrators created by two instances
 * starting at once; predictable first passwords (144 bits from the CSPRNG, hashed with Argon2id, never stored); a
 * stranger's account being made administrator by the server itself; an operator-set password staying in use (it must
 * be changed at first sign-in; sessions and refresh tokens of a promoted account end).
 */
export async function createAdministrator(deps: AdministratorDeps, request: { readonly email: string; readonly how: 'first_start' | 'cli'; readonly promote?: boolean }): Promise<AdministratorOutcome> {
  const { database, hasher, clock } = deps;
  const email = request.email;
  if (!isLoginAddress(email)) throw new RangeError('not an e-mail address the login accepts');
  const normalized = normalizeEmail(email);
  const password = oneTimePassword();
  const passwordHash = await hasher.hash(password);
  const now = clock.now();
  const at = new Date(now).toISOString();
  const outcome = await writeTransaction(database, async (trx): Promise<AdministratorOutcome> => {
    if (request.how === 'first_start') {
      const claimed = await trx.insertInto('rampart_meta').values({ key: FIRST_START_KEY, value: at }).onConflict((c) => c.column('key').doNothing()).executeTakeFirst();
      if (affected(claimed.numInsertedOrUpdatedRows) !== 1 || (await anyAdministrator(trx))) return { kind: 'not_needed' };
    }
    const userId = randomUUID();
    const inserted = await trx
      .insertInto('rampart_users')
      .values({ id: userId, email, email_normalized: normalized, password_hash: passwordHash, email_verified_at: at, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
      .onConflict((c) => c.column('email_normalized').doNothing())
      .executeTakeFirst();
    if (affected(inserted.numInsertedOrUpdatedRows) === 1) {
      await bindAdmin(trx, userId, now);
      await requirePasswordChange(trx, userId, at);
      return { kind: 'created', userId, email, password };
    }
    if (request.how === 'first_start' || request.promote !== true) return { kind: 'address_taken', email };
    const existing = await trx.selectFrom('rampart_users').select(['id', 'email', 'locked_at', 'email_verified_at']).where('email_normalized', '=', normalized).executeTakeFirstOrThrow();
    // The operator at the database's command line is the break-glass path: the account is unlocked and verified.
    await trx
      .updateTable('rampart_users')
      .set({ password_hash: passwordHash, password_changed_at: at, updated_at: at, locked_at: null, email_verified_at: existing.email_verified_at ?? at })
      .where('id', '=', existing.id)
      .execute();
    await bindAdmin(trx, existing.id, now);
    await requirePasswordChange(trx, existing.id, at);
    return { kind: 'promoted', userId: existing.id, email: existing.email, password, unlocked: existing.locked_at !== null };
  });
  if (outcome.kind === 'promoted') {
    // The password was replaced by an operator: whatever was open on the old one ends (access tokens older than the
    // change are refused by the bearer authenticator, which reads password_changed_at).
    await new SqlSessionStore(database).revokeUser(outcome.userId, now);
    await new SqlRefreshTokenStore(database).revokeSubject(outcome.userId, now, 'administrative');
  }
  return outcome;
}

/**
 * Records a CLI creation for the audit trail: the CLI cannot append to a trail a running server writes (one writer
 * per chain), so the next server start reads these rows, emits `account.created`, and deletes them.
 */
export async function recordUnreported(database: StoreDatabase, outcome: Extract<AdministratorOutcome, { kind: 'created' | 'promoted' }>, at: number): Promise<void> {
  const value = JSON.stringify({ how: 'cli', promoted: outcome.kind === 'promoted', at: new Date(at).toISOString() });
  await database.db
    .insertInto('rampart_meta')
    .values({ key: UNREPORTED_PREFIX + outcome.userId, value })
    .onConflict((c) => c.column('key').doUpdateSet({ value }))
    .execute();
}
