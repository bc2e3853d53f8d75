import { createHash } from 'node:crypto';
import type { Clock } from '@rampart/core';
import { sql, type Selectable } from 'kysely';
import type { AuthzTables } from '../schema.js';
import { int64, optionalInt64, writeTransaction, type StoreDatabase, type WriteTransaction } from '../../stores/sql.js';

type PolicyRow = Selectable<AuthzTables['rampart_policies']>;

/** First key of the PostgreSQL advisory lock that serializes policy activations ("RPOL"). */
const POLICY_LOCK_CLASS = 0x52504f4c;

/** Document formats the server stores. */
export type PolicyFormat = 'yaml' | 'json';

/** One stored policy version. */
export interface StoredPolicy {
  readonly version: number;
  readonly format: PolicyFormat;
  readonly document: string;
  readonly sha256: string;
  readonly createdBy: string | undefined;
  readonly createdAt: number;
  readonly active: boolean;
  readonly activation: number | undefined;
}

/** What identifies the active state: the active version and its activation number (the entity tag). */
export interface ActiveMarker {
  readonly version: number;
  readonly activation: number;
}

/** The entity tag of an active state: `"<version>.<activation>"` (RFC 9110 §8.8.3, strong). */
export function entityTag(marker: ActiveMarker): string {
  return `"${marker.version}.${marker.activation}"`;
}

/** Hex SHA-256 of a document's text as stored. */
export function documentSha256(document: string): string {
  return createHash('sha256').update(document, 'utf8').digest('hex');
}

function toStored(row: PolicyRow): StoredPolicy {
  return {
    version: row.version,
    format: row.format === 'json' ? 'json' : 'yaml',
    document: row.document,
    sha256: row.sha256,
    createdBy: row.created_by ?? undefined,
    createdAt: int64(row.created_at),
    active: row.active === 1,
    activation: optionalInt64(row.activation),
  };
}

/** Why a publication or activation did not happen. */
export type PolicyWriteRefusal = 'conflict' | 'unknown_version';

/** The outcome of {@link PolicyRepository.publish} and {@link PolicyRepository.activate}. */
export type PolicyWrite =
  | { readonly ok: true; readonly policy: StoredPolicy; readonly previous: ActiveMarker | undefined; readonly changed: boolean }
  | { readonly ok: false; readonly reason: PolicyWriteRefusal; readonly current: ActiveMarker | undefined };

/**
 * Versioned policy documents on the server's database. Versions are append-only; the active flag moves in one write
 * transaction (SQLite `BEGIN IMMEDIATE`, PostgreSQL an advisory lock) that first compares the active state with the
 * one the editor read.
 *
 * Protects against lost updates between administrators (two editors of the same version: the second gets `conflict`,
 * never silently overwrites the first) and against two active versions (the check and the flip are one transaction;
 * a partial unique index backs it).
 */
export class PolicyRepository {
  readonly #store: StoreDatabase;
  readonly #clock: Clock;

  constructor(store: StoreDatabase, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** The active marker: one indexed row, two columns — what every instance polls. */
  async activeMarker(): Promise<ActiveMarker | undefined> {
    const row = await this.#store.db.selectFrom('rampart_policies').select(['version', 'activation']).where('active', '=', 1).executeTakeFirst();
    return row === undefined ? undefined : { version: row.version, activation: optionalInt64(row.activation) ?? 0 };
  }

  async active(): Promise<StoredPolicy | undefined> {
    const row = await this.#store.db.selectFrom('rampart_policies').selectAll().where('active', '=', 1).executeTakeFirst();
    return row === undefined ? undefined : toStored(row);
  }

  async get(version: number): Promise<StoredPolicy | undefined> {
    const row = await this.#store.db.selectFrom('rampart_policies').selectAll().where('version', '=', version).executeTakeFirst();
    return row === undefined ? undefined : toStored(row);
  }

  /** The newest `limit` versions, without their documents. */
  async history(limit: number): Promise<Omit<StoredPolicy, 'document'>[]> {
    const rows = await this.#store.db
      .selectFrom('rampart_policies')
      .select(['version', 'format', 'sha256', 'created_by', 'created_at', 'active', 'activation'])
      .orderBy('version', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => {
      const { document: _document, ...rest } = toStored({ ...row, document: '' });
      return rest;
    });
  }

  /**
   * Stores `document` as version 1 and activates it when the table is empty (first start). Concurrent first starts
   * race on the primary key: one row wins, the others do nothing.
   */
  async seed(document: string, format: PolicyFormat): Promise<void> {
    await writeTransaction(this.#store, async (trx) => {
      await this.#lock(trx);
      const any = await trx.selectFrom('rampart_policies').select('version').limit(1).executeTakeFirst();
      if (any !== undefined) return;
      await trx
        .insertInto('rampart_policies')
        .values({ version: 1, format, document, sha256: documentSha256(document), created_by: null, created_at: this.#clock.now(), active: 1, activation: 1 })
        .onConflict((c) => c.column('version').doNothing())
        .execute();
    });
  }

  /**
   * Appends `document` as the next version and activates it, if the active state is still `expected` (what the
   * editor read). `conflict` otherwise: nothing is stored.
   */
  async publish(expected: ActiveMarker, document: string, format: PolicyFormat, by: string): Promise<PolicyWrite> {
    return writeTransaction(this.#store, async (trx): Promise<PolicyWrite> => {
      await this.#lock(trx);
      const current = await this.#marker(trx);
      if (current === undefined || current.version !== expected.version || current.activation !== expected.activation) {
        return { ok: false, reason: 'conflict', current };
      }
      const head = await trx.selectFrom('rampart_policies').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
      const version = (head?.v ?? 0) + 1;
      const activation = await this.#nextActivation(trx);
      await trx.updateTable('rampart_policies').set({ active: 0 }).where('active', '=', 1).execute();
      const row = {
        version,
        format,
        document,
        sha256: documentSha256(document),
        created_by: by,
        created_at: this.#clock.now(),
        active: 1,
        activation,
      };
      await trx.insertInto('rampart_policies').values(row).execute();
      return { ok: true, policy: toStored(row), previous: current, changed: true };
    });
  }

  /**
   * Makes an existing version the active one (a rollback or roll-forward), if the active state is still `expected`
   * when one is given. Activating the active version changes nothing.
   */
  async activate(version: number, expected: ActiveMarker | undefined): Promise<PolicyWrite> {
    return writeTransaction(this.#store, async (trx): Promise<PolicyWrite> => {
      await this.#lock(trx);
      const current = await this.#marker(trx);
      if (expected !== undefined && (current === undefined || current.version !== expected.version || current.activation !== expected.activation)) {
        return { ok: false, reason: 'conflict', current };
      }
      const target = await trx.selectFrom('rampart_policies').selectAll().where('version', '=', version).executeTakeFirst();
      if (target === undefined) return { ok: false, reason: 'unknown_version', current };
      if (current?.version === version) return { ok: true, policy: toStored(target), previous: current, changed: false };
      const activation = await this.#nextActivation(trx);
      await trx.updateTable('rampart_policies').set({ active: 0 }).where('active', '=', 1).execute();
      await trx.updateTable('rampart_policies').set({ active: 1, activation }).where('version', '=', version).execute();
      return { ok: true, policy: toStored({ ...target, active: 1, activation }), previous: current, changed: true };
    });
  }

  async #lock(trx: WriteTransaction): Promise<void> {
    // SQLite's BEGIN IMMEDIATE already serializes writers; PostgreSQL needs a lock that covers "no row yet" too.
    if (this.#store.kind === 'postgres') await sql`SELECT pg_advisory_xact_lock(${POLICY_LOCK_CLASS}, 0)`.execute(trx);
  }

  async #marker(trx: WriteTransaction): Promise<ActiveMarker | undefined> {
    const row = await trx.selectFrom('rampart_policies').select(['version', 'activation']).where('active', '=', 1).executeTakeFirst();
    return row === undefined ? undefined : { version: row.version, activation: optionalInt64(row.activation) ?? 0 };
  }

  async #nextActivation(trx: WriteTransaction): Promise<number> {
    const row = await trx.selectFrom('rampart_policies').select((eb) => eb.fn.max('activation').as('a')).executeTakeFirst();
    const last = row?.a ?? null;
    return (last === null ? 0 : int64(last)) + 1;
  }
}
