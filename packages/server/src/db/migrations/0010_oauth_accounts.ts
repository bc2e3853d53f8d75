import type { Kysely, Migration } from 'kysely';

/** The part of `rampart_oauth_models` this migration reads and writes (it runs on an untyped `Kysely`). */
interface ModelRows {
  rampart_oauth_models: { kind: string; id: string; payload: string; account_id: string | null };
}

/** Rows rewritten per statement batch while filling the new column. */
const BATCH = 500;

function accountOf(payload: string): string | null {
  try {
    const parsed = JSON.parse(payload) as unknown;
    const accountId = typeof parsed === 'object' && parsed !== null ? (parsed as { accountId?: unknown }).accountId : undefined;
    return typeof accountId === 'string' && accountId !== '' ? accountId : null;
  } catch {
    return null;
  }
}

/**
 * The account each OAuth artifact belongs to, as a column of `rampart_oauth_models` (see ../../oauth/schema.ts): the
 * consent a user gave a client (the provider's `Grant`) is remembered across browser sessions and listed on the
 * account's "Connected apps" page, both of which look grants up by account — an indexed `(kind, account_id,
 * client_id)` lookup instead of reading every grant's JSON payload.
 *
 * Existing grants get the column from their payload here; other artifacts get it when next written (they are looked up
 * by id, token or grant, never by account).
 */
export const oauthAccounts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('rampart_oauth_models').addColumn('account_id', 'varchar(256)').execute();
    await db.schema.createIndex('rampart_oauth_models_account').on('rampart_oauth_models').columns(['kind', 'account_id', 'client_id']).execute();
    const typed = db as unknown as Kysely<ModelRows>;
    let after = '';
    for (;;) {
      const rows = await typed
        .selectFrom('rampart_oauth_models')
        .select(['id', 'payload'])
        .where('kind', '=', 'Grant')
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH)
        .execute();
      for (const row of rows) {
        const accountId = accountOf(row.payload);
        if (accountId !== null) await typed.updateTable('rampart_oauth_models').set({ account_id: accountId }).where('kind', '=', 'Grant').where('id', '=', row.id).execute();
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < BATCH) break;
      after = last.id;
    }
  },
};
