import type { AuthMethod } from '../auth/identity.js';
import { compile, Type } from '@rampart/core/validate';
import { int64, type StoreDatabase } from '../stores/sql.js';

/** What the login behind one refresh-token family proved; every access token minted from the family carries it. */
export interface GrantFacts {
  readonly familyId: string;
  readonly userId: string;
  readonly clientId: string;
  /** The granted scope; `undefined` for an unnarrowed first-party login. */
  readonly scope: readonly string[] | undefined;
  readonly amr: readonly AuthMethod[];
  /** Epoch ms. */
  readonly authTime: number;
  /** Whether the login proved every factor the account required. */
  readonly complete: boolean;
}

/** RFC 8176 method names the server writes (auth/identity.ts `AuthMethod`). */
export const AUTH_METHODS: readonly AuthMethod[] = ['pwd', 'otp', 'kba', 'hwk', 'swk', 'user', 'mfa'];
export const AMR_SCHEMA = Type.Array(Type.Union(AUTH_METHODS.map((method) => Type.Literal(method))), { maxItems: AUTH_METHODS.length, uniqueItems: true });
const storedAmr = compile(AMR_SCHEMA);

/**
 * The login facts of refresh-token families (`rampart_token_grants`), one row per family, deleted with it.
 *
 * Protects against a refresh that widens what the login proved: the facts are fixed when the family starts and only
 * read afterwards; a row that does not read back as valid facts fails the refresh (fail closed).
 */
export class GrantStore {
  readonly #store: StoreDatabase;

  constructor(store: StoreDatabase) {
    this.#store = store;
  }

  async insert(facts: GrantFacts, now: number): Promise<void> {
    await this.#store.db
      .insertInto('rampart_token_grants')
      .values({
        family_id: facts.familyId,
        user_id: facts.userId,
        client_id: facts.clientId,
        scope: facts.scope === undefined ? null : facts.scope.join(' '),
        amr: JSON.stringify(facts.amr),
        auth_time: facts.authTime,
        complete: facts.complete ? 1 : 0,
        created_at: now,
      })
      .execute();
  }

  async find(familyId: string): Promise<GrantFacts | undefined> {
    const row = await this.#store.db.selectFrom('rampart_token_grants').selectAll().where('family_id', '=', familyId).executeTakeFirst();
    if (row === undefined) return undefined;
    let amr: unknown;
    try {
      amr = JSON.parse(row.amr);
    } catch {
      return undefined;
    }
    const checked = storedAmr.check(amr);
    if (!checked.ok) return undefined;
    return {
      familyId: row.family_id,
      userId: row.user_id,
      clientId: row.client_id,
      scope: row.scope === null ? undefined : row.scope.split(' '),
      amr: checked.value,
      authTime: int64(row.auth_time),
      complete: row.complete === 1,
    };
  }
}
