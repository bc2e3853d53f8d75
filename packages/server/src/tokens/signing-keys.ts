import { randomToken, type KeyRing } from '@rampart/core/crypto';
import { RampartError } from '@rampart/core';
import { JwtKeySet, KEYSET_FORMAT, type AsymmetricJwtAlgorithm, type EncryptedJwtKey, type PublicJwk } from '@rampart/core/token';
import type { Selectable } from 'kysely';
import { affected, int64, optionalInt64, writeTransaction, type StoreDatabase, type WriteTransaction } from '../stores/sql.js';
import type { TokenTables } from './schema.js';

type KeyRow = Selectable<TokenTables['rampart_signing_keys']>;
type LogRow = Selectable<TokenTables['rampart_signing_key_log']>;

/** Who changed the keys: a server (first key, automatic promotion and retirement) or `rampart keys rotate`. */
export type KeyActor = 'server' | 'cli';

/** What happened to a key, as written to `rampart_signing_key_log`. */
export type KeyAction = 'activated' | 'staged' | 'promoted' | 'retired';

/**
 * The timing every process on one database must agree on. The delays follow from it: see {@link promoteDelayMs} and
 * {@link retireDelayMs}.
 */
export interface KeySchedule {
  /** How long a verifier may cache the JWKS: the `max-age` of `/.well-known/jwks.json`. */
  readonly jwksMaxAgeMs: number;
  /** How often every server reloads the key set from the database (the longest a server serves a stale set). */
  readonly reloadIntervalMs: number;
  /** The longest access-token lifetime a server issues. */
  readonly accessTokenTtlMs: number;
  /** The clock leeway verifiers allow on `exp` (core's verifier: 30 s). */
  readonly leewayMs: number;
}

/**
 * How long a new key stays *next* (published, not signing): until every server has reloaded it into its JWKS, and
 * then until every verifier's cached copy of the JWKS from before it has expired. A token it signs after that names a
 * kid every verifier has, or can fetch with an up-to-date cache.
 */
export function promoteDelayMs(schedule: KeySchedule): number {
  return schedule.reloadIntervalMs + schedule.jwksMaxAgeMs;
}

/**
 * How long a replaced key keeps verifying: another server may sign with it until its next reload, and the tokens it
 * signed then live one access-token lifetime plus the verifiers' leeway.
 */
export function retireDelayMs(schedule: KeySchedule): number {
  return schedule.reloadIntervalMs + schedule.accessTokenTtlMs + schedule.leewayMs;
}

/** A key as the operator sees it (no key material). */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly alg: string;
  readonly state: 'active' | 'next' | 'retiring';
  readonly createdAt: number;
  readonly activatedAt?: number;
  readonly deactivatedAt?: number;
  /** `next`: when it may sign. `retiring`: when it leaves the JWKS. */
  readonly dueAt?: number;
}

/** One unreported row of the key log. */
export interface KeyLogEntry {
  readonly at: number;
  readonly action: KeyAction;
  readonly kid: string;
  readonly previous?: string;
  readonly actor: KeyActor;
}

export type StageOutcome = { readonly status: 'staged'; readonly kid: string; readonly promotableAt: number } | { readonly status: 'exists'; readonly kid: string; readonly promotableAt: number };

export type PromoteOutcome =
  | { readonly status: 'promoted'; readonly kid: string; readonly previous: string | undefined; readonly previousRetiresAt: number | undefined }
  | { readonly status: 'none' }
  | { readonly status: 'not_due'; readonly kid: string; readonly promotableAt: number }
  /** Another process promoted (or changed the keys) at the same moment; nothing was written by this call. */
  | { readonly status: 'raced' };

/** A stored key row that cannot be trusted (no sealed private part): the set is refused as a whole. */
export class SigningKeyStoreError extends RampartError {}

const ACTIONS: ReadonlySet<string> = new Set<KeyAction>(['activated', 'staged', 'promoted', 'retired']);

function isActor(value: string): value is KeyActor {
  return value === 'server' || value === 'cli';
}

/**
 * The issuer's signing keys in the server's database, shared by every server process and `rampart keys rotate`.
 *
 * Protects against: private keys readable from a database dump (sealed by the KEK's ring, bound to kid and alg; core
 * refuses a row copied under another kid or whose public part was swapped, so a row planted without the KEK cannot
 * make a verifier accept an attacker's key); two processes each creating a signing key on an empty database (unique
 * `slot`); a rotation that breaks tokens in flight (a new key is published as *next* before it signs, and a replaced
 * key verifies until every token it signed has expired); two processes promoting at once (conditional UPDATEs in one
 * write transaction, the loser writes nothing).
 */
export class SigningKeyStore {
  readonly #store: StoreDatabase;
  readonly #ring: KeyRing;
  readonly #schedule: KeySchedule;
  readonly #algorithm: AsymmetricJwtAlgorithm;

  constructor(store: StoreDatabase, ring: KeyRing, schedule: KeySchedule, algorithm: AsymmetricJwtAlgorithm = 'EdDSA') {
    this.#store = store;
    this.#ring = ring;
    this.#schedule = schedule;
    this.#algorithm = algorithm;
  }

  get schedule(): KeySchedule {
    return this.#schedule;
  }

  /**
   * Makes sure a signing key exists: on an empty database, one new key becomes active. Of several processes starting
   * at once, exactly one insert wins (unique `slot`); the others keep nothing of their own key.
   */
  async ensureActive(now: number, actor: KeyActor): Promise<{ readonly created: boolean; readonly kid: string }> {
    const existing = await this.#slot(this.#store.db, 'active');
    if (existing !== undefined) return { created: false, kid: existing.kid };
    const key = await this.#generate();
    const created = await writeTransaction(this.#store, async (trx) => {
      const inserted = await trx
        .insertInto('rampart_signing_keys')
        .values({ ...this.#values(key, now), slot: 'active', activated_at: now })
        .onConflict((c) => c.doNothing())
        .executeTakeFirst();
      if (affected(inserted.numInsertedOrUpdatedRows) !== 1) return false;
      await this.#log(trx, now, 'activated', key.kid, undefined, actor);
      return true;
    });
    if (created) return { created: true, kid: key.kid };
    const winner = await this.#slot(this.#store.db, 'active');
    if (winner === undefined) throw new SigningKeyStoreError('SIGNING_KEY_MISSING', 'no active signing key after a lost insert');
    return { created: false, kid: winner.kid };
  }

  /** Publishes a new key as *next* (in the JWKS at once, not signing), unless a next key already waits. */
  async stage(now: number, actor: KeyActor): Promise<StageOutcome> {
    const waiting = await this.#slot(this.#store.db, 'next');
    if (waiting !== undefined) return { status: 'exists', kid: waiting.kid, promotableAt: this.#promotableAt(waiting) };
    const key = await this.#generate();
    const staged = await writeTransaction(this.#store, async (trx) => {
      const inserted = await trx
        .insertInto('rampart_signing_keys')
        .values({ ...this.#values(key, now), slot: 'next' })
        .onConflict((c) => c.doNothing())
        .executeTakeFirst();
      if (affected(inserted.numInsertedOrUpdatedRows) !== 1) return false;
      await this.#log(trx, now, 'staged', key.kid, undefined, actor);
      return true;
    });
    if (staged) return { status: 'staged', kid: key.kid, promotableAt: now + promoteDelayMs(this.#schedule) };
    const winner = await this.#slot(this.#store.db, 'next');
    if (winner === undefined) return this.stage(now, actor);
    return { status: 'exists', kid: winner.kid, promotableAt: this.#promotableAt(winner) };
  }

  /**
   * Makes the next key the signer once it has been published for {@link promoteDelayMs}; the active key becomes
   * retiring (its private part is kept sealed until retirement, so the row stays verifiable as a whole).
   */
  async promote(now: number, actor: KeyActor): Promise<PromoteOutcome> {
    try {
      return await this.#promote(now, actor);
    } catch (error) {
      // A concurrent promotion committed between this one's reads (PostgreSQL's READ COMMITTED lets the two reads see
      // different moments): the transaction rolled back, nothing changed, the other promotion won.
      if (error instanceof SigningKeyStoreError && error.code === 'SIGNING_KEY_RACE') return { status: 'raced' };
      throw error;
    }
  }

  async #promote(now: number, actor: KeyActor): Promise<PromoteOutcome> {
    return writeTransaction(this.#store, async (trx): Promise<PromoteOutcome> => {
      const next = await this.#slot(trx, 'next');
      if (next === undefined) return { status: 'none' };
      const promotableAt = this.#promotableAt(next);
      if (now < promotableAt) return { status: 'not_due', kid: next.kid, promotableAt };
      const active = await this.#slot(trx, 'active');
      // The key read as next is already active: another promotion committed between the two reads.
      if (active?.kid === next.kid) return { status: 'raced' };
      const retireAfter = now + retireDelayMs(this.#schedule);
      if (active !== undefined) {
        // Conditional on the kid read above: a concurrent promotion that already moved the slot makes this match nothing.
        const demoted = await trx
          .updateTable('rampart_signing_keys')
          .set({ slot: null, deactivated_at: now, retire_after: retireAfter })
          .where('kid', '=', active.kid)
          .where('slot', '=', 'active')
          .executeTakeFirst();
        if (affected(demoted.numUpdatedRows) !== 1) return { status: 'raced' };
      }
      const promoted = await trx
        .updateTable('rampart_signing_keys')
        .set({ slot: 'active', activated_at: now })
        .where('kid', '=', next.kid)
        .where('slot', '=', 'next')
        .executeTakeFirst();
      if (affected(promoted.numUpdatedRows) !== 1) {
        throw new SigningKeyStoreError('SIGNING_KEY_RACE', 'the next key changed during its promotion'); // rolls back the demotion
      }
      await this.#log(trx, now, 'promoted', next.kid, active?.kid, actor);
      return { status: 'promoted', kid: next.kid, previous: active?.kid, previousRetiresAt: active === undefined ? undefined : retireAfter };
    });
  }

  /** Retires every replaced key whose tokens have all expired: it leaves the JWKS and its sealed private part is erased. */
  async retireDue(now: number, actor: KeyActor): Promise<string[]> {
    return writeTransaction(this.#store, async (trx) => {
      const rows = await trx
        .updateTable('rampart_signing_keys')
        .set({ retired_at: now, private_sealed: null })
        .where('slot', 'is', null)
        .where('retired_at', 'is', null)
        .where('retire_after', '<=', now)
        .returning('kid')
        .execute();
      for (const row of rows) await this.#log(trx, now, 'retired', row.kid, undefined, actor);
      return rows.map((row) => row.kid);
    });
  }

  /**
   * The key set to sign and verify with: the active key signs, next and retiring keys verify. Every key is opened
   * from its sealed private part (core checks the seal's kid and alg and that the clear public part matches), so a
   * row written without the KEK is refused rather than trusted.
   */
  async load(): Promise<JwtKeySet> {
    const rows = await this.#store.db.selectFrom('rampart_signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at').execute();
    const active = rows.find((row) => row.slot === 'active');
    if (active === undefined) throw new SigningKeyStoreError('SIGNING_KEY_MISSING', 'no active signing key in the database');
    const keys = rows.map((row): EncryptedJwtKey => {
      if (row.private_sealed === null) throw new SigningKeyStoreError('SIGNING_KEY_UNSEALED', `signing key "${row.kid}" has no sealed private part`);
      return { kid: row.kid, alg: row.alg as EncryptedJwtKey['alg'], public: JSON.parse(row.public_jwk) as PublicJwk, private: row.private_sealed };
    });
    // importEncrypted re-validates every member of the document (format, algs, kids, seals), whatever this cast says.
    return JwtKeySet.importEncrypted(this.#ring, { format: KEYSET_FORMAT, current: active.kid, keys });
  }

  /** The keys that are not retired, for `rampart keys` and operator tooling. */
  async status(): Promise<SigningKeyInfo[]> {
    const rows = await this.#store.db.selectFrom('rampart_signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at').execute();
    return rows.map((row): SigningKeyInfo => {
      const activatedAt = optionalInt64(row.activated_at);
      const deactivatedAt = optionalInt64(row.deactivated_at);
      const state = row.slot === 'active' ? 'active' : row.slot === 'next' ? 'next' : 'retiring';
      const dueAt = state === 'next' ? this.#promotableAt(row) : state === 'retiring' ? optionalInt64(row.retire_after) : undefined;
      return {
        kid: row.kid,
        alg: row.alg,
        state,
        createdAt: int64(row.created_at),
        ...(activatedAt === undefined ? {} : { activatedAt }),
        ...(deactivatedAt === undefined ? {} : { deactivatedAt }),
        ...(dueAt === undefined ? {} : { dueAt }),
      };
    });
  }

  /**
   * Claims the log rows no server has reported yet (one conditional UPDATE: of several servers, each row goes to
   * exactly one), oldest first.
   */
  async claimLog(now: number): Promise<KeyLogEntry[]> {
    const rows = await this.#store.db
      .updateTable('rampart_signing_key_log')
      .set({ reported_at: now })
      .where('reported_at', 'is', null)
      .returningAll()
      .execute();
    return rows
      .filter((row): row is LogRow & { action: KeyAction; actor: KeyActor } => ACTIONS.has(row.action) && isActor(row.actor))
      .sort((a, b) => int64(a.at) - int64(b.at))
      .map((row) => ({ at: int64(row.at), action: row.action, kid: row.kid, ...(row.previous === null ? {} : { previous: row.previous }), actor: row.actor }));
  }

  #promotableAt(row: KeyRow): number {
    return int64(row.created_at) + promoteDelayMs(this.#schedule);
  }

  async #slot(db: WriteTransaction, slot: 'active' | 'next'): Promise<KeyRow | undefined> {
    return db.selectFrom('rampart_signing_keys').selectAll().where('slot', '=', slot).executeTakeFirst();
  }

  /** A fresh key pair, sealed with the ring by core (`exportEncrypted`): the private part never exists here in clear. */
  async #generate(): Promise<EncryptedJwtKey & { readonly public: PublicJwk; readonly private: string }> {
    const fresh = await JwtKeySet.generate({ algorithm: this.#algorithm });
    const [key] = fresh.exportEncrypted(this.#ring).keys;
    if (key?.public === undefined || key.private === undefined) throw new SigningKeyStoreError('SIGNING_KEY_EXPORT', 'a generated key did not export');
    return { ...key, public: key.public, private: key.private };
  }

  #values(key: { readonly kid: string; readonly alg: string; readonly public: PublicJwk; readonly private: string }, now: number) {
    return {
      kid: key.kid,
      alg: key.alg,
      public_jwk: JSON.stringify(key.public),
      private_sealed: key.private,
      created_at: now,
      activated_at: null,
      deactivated_at: null,
      retire_after: null,
      retired_at: null,
    };
  }

  async #log(trx: WriteTransaction, at: number, action: KeyAction, kid: string, previous: string | undefined, actor: KeyActor): Promise<void> {
    await trx
      .insertInto('rampart_signing_key_log')
      .values({ id: randomToken(16), at, action, kid, previous: previous ?? null, actor, reported_at: null })
      .execute();
  }
}
