import { randomUUID } from 'node:crypto';
import type { Clock } from '@rampart/core';
import type { FieldCipher } from '@rampart/core/crypto';
import type { Totp, TotpEnrollment } from '@rampart/core/mfa';
import type { Kysely } from 'kysely';
import type { CodeRefusal } from '../auth/contracts.js';
import { prepared } from '../db/prepared.js';
import type { RampartDatabase } from '../db/schema.js';
import { affected, int64 } from '../stores/sql.js';
import type { MfaEvents } from './events.js';

/** How long a started enrollment waits for its first code. */
export const TOTP_PENDING_TTL_MS = 10 * 60_000;

const TABLE = 'rampart_mfa_totp';

// Read at every password login (does the account need a second step?).
const secretsOf = prepared((db: Kysely<RampartDatabase>, args: { userId: string }) => db.selectFrom(TABLE).select(['confirmed_at', 'created_at']).where('user_id', '=', args.userId));

/** A started enrollment: what the user's authenticator app needs (shown once), and until when it can be confirmed. */
export interface StartedTotpEnrollment extends TotpEnrollment {
  readonly expiresAt: number;
}

/** Outcome of confirming an enrollment. */
export type TotpConfirmation = { readonly ok: true; readonly replaced: boolean } | { readonly ok: false; readonly reason: CodeRefusal | 'not_pending' };

/** What {@link TotpFactor} is built from. */
export interface TotpFactorDeps {
  readonly db: Kysely<RampartDatabase>;
  /** Core's TOTP with the SQL replay store: generates, renders (otpauth URI, SVG QR code) and verifies codes. */
  readonly totp: Totp;
  /** Encrypts secrets at rest with a key from the server's ring. */
  readonly cipher: FieldCipher;
  readonly clock: Clock;
  readonly events: MfaEvents;
}

/**
 * The TOTP factor of the server's accounts: secrets stored encrypted, enrollment confirmed by a first code, codes
 * verified once (core's replay store), one enrolled secret per account.
 *
 * Protects against: secret theft from a database dump (AES-256-GCM envelope under a key derived from the KEK, bound to
 * table, column, row and account, so a ciphertext copied to another row or account does not open); an unproved secret
 * guarding an account (a pending secret never verifies a login — only a confirmed one); losing the working secret to
 * an abandoned re-enrollment (the old secret is replaced only in the transaction that confirms the new one); code
 * replay (the time step is spent atomically, also the one used to confirm).
 */
export class TotpFactor {
  readonly #deps: TotpFactorDeps;

  constructor(deps: TotpFactorDeps) {
    this.#deps = deps;
  }

  #context(id: string, userId: string): { table: string; column: string; row: string; user: string } {
    return { table: TABLE, column: 'secret', row: id, user: userId };
  }

  /** Decrypts a stored secret. A row that does not open is a server fault (a retired key, tampering): it throws. */
  #secretOf(row: { id: string; user_id: string; secret: string }): string {
    return this.#deps.cipher.decryptString(row.secret, this.#context(row.id, row.user_id));
  }

  /** Whether the account has a confirmed secret, and whether an enrollment is waiting for its first code. */
  async status(userId: string): Promise<{ readonly enrolled: boolean; readonly pending: boolean }> {
    const rows = await secretsOf.all(this.#deps.db, { userId });
    const cutoff = this.#deps.clock.now() - TOTP_PENDING_TTL_MS;
    return {
      enrolled: rows.some((row) => row.confirmed_at !== null),
      pending: rows.some((row) => row.confirmed_at === null && int64(row.created_at) > cutoff),
    };
  }

  /**
   * Starts an enrollment: a new secret (core's generator, 160 bits), stored encrypted and unconfirmed, replacing any
   * earlier pending one. The confirmed secret, if any, keeps working until the new one is confirmed.
   */
  async start(userId: string, label: string): Promise<StartedTotpEnrollment> {
    const enrollment = await this.#deps.totp.enroll({ label });
    const id = randomUUID();
    const now = this.#deps.clock.now();
    const secret = this.#deps.cipher.encrypt(enrollment.secret, this.#context(id, userId));
    await this.#deps.db.transaction().execute(async (trx) => {
      await trx.deleteFrom(TABLE).where('user_id', '=', userId).where('confirmed_at', 'is', null).execute();
      await trx.insertInto(TABLE).values({ id, user_id: userId, secret, created_at: now, confirmed_at: null }).execute();
    });
    return { ...enrollment, expiresAt: now + TOTP_PENDING_TTL_MS };
  }

  /**
   * Confirms the pending enrollment with a code from the authenticator app. The code's time step is spent (it cannot
   * then sign in); the confirmed secret replaces the old one atomically.
   */
  async confirm(userId: string, code: string): Promise<TotpConfirmation> {
    const { db, clock } = this.#deps;
    const pending = await db
      .selectFrom(TABLE)
      .select(['id', 'user_id', 'secret'])
      .where('user_id', '=', userId)
      .where('confirmed_at', 'is', null)
      .where('created_at', '>', clock.now() - TOTP_PENDING_TTL_MS)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (pending === undefined) return { ok: false, reason: 'not_pending' };
    const checked = await this.#check(userId, this.#secretOf(pending), code, 'confirm');
    if (!checked.ok) return checked;
    const replaced = await db.transaction().execute(async (trx) => {
      // Conditional on the row still pending: a concurrent restart of the enrollment (which deletes it) wins.
      const confirmed = await trx.updateTable(TABLE).set({ confirmed_at: clock.now() }).where('id', '=', pending.id).where('confirmed_at', 'is', null).executeTakeFirst();
      if (affected(confirmed.numUpdatedRows) !== 1) return undefined;
      const others = await trx.deleteFrom(TABLE).where('user_id', '=', userId).where('id', '!=', pending.id).executeTakeFirst();
      return affected(others.numDeletedRows) > 0;
    });
    if (replaced === undefined) return { ok: false, reason: 'not_pending' };
    this.#deps.events('mfa.totp.enrolled', userId, { replaced });
    return { ok: true, replaced };
  }

  /** Verifies a login or step-up code against the confirmed secret only, spending its time step. */
  async verify(userId: string, code: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: CodeRefusal }> {
    const row = await this.#deps.db
      .selectFrom(TABLE)
      .select(['id', 'user_id', 'secret'])
      .where('user_id', '=', userId)
      .where('confirmed_at', 'is not', null)
      .executeTakeFirst();
    if (row === undefined) {
      this.#deps.events('mfa.totp.failed', userId, { reason: 'not_enrolled', purpose: 'verify' });
      return { ok: false, reason: 'not_enrolled' };
    }
    return this.#check(userId, this.#secretOf(row), code, 'verify');
  }

  /** Removes the account's TOTP (confirmed and pending). Returns whether a confirmed secret was removed. */
  async remove(userId: string): Promise<boolean> {
    const removed = await this.#deps.db.transaction().execute(async (trx) => {
      const confirmed = await trx.deleteFrom(TABLE).where('user_id', '=', userId).where('confirmed_at', 'is not', null).executeTakeFirst();
      await trx.deleteFrom(TABLE).where('user_id', '=', userId).execute();
      return affected(confirmed.numDeletedRows) > 0;
    });
    if (removed) this.#deps.events('mfa.totp.removed', userId);
    return removed;
  }

  async #check(userId: string, secret: string, code: string, purpose: 'confirm' | 'verify'): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: CodeRefusal }> {
    // The replay scope is the account: a code (time step) accepted once — to confirm, to sign in, to step up — is
    // never accepted again for that account, whichever secret it was made with.
    const result = await this.#deps.totp.verify({ subject: userId, secret, code });
    if (result.ok) return { ok: true };
    // A replay is reported by core (`mfa.totp.replay`); wrong and malformed codes are reported here.
    if (result.reason === 'replayed') return { ok: false, reason: 'replayed' };
    this.#deps.events('mfa.totp.failed', userId, { reason: result.reason, purpose });
    return { ok: false, reason: 'invalid' };
  }
}
