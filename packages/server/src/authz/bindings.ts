import type { Clock } from '@rampart/core';
import type { Principal } from '@rampart/core/authz';
import { sql } from 'kysely';
import { affected, int64, writeTransaction, type StoreDatabase } from '../stores/sql.js';

/** First key of the PostgreSQL advisory lock that serializes removals of global bindings ("RROL"). */
const GLOBAL_LOCK_CLASS = 0x52524f4c;

/** The tenant value that stores a global binding (`Principal.globalRoles`); tenant names can never be `*`. */
export const GLOBAL_TENANT = '*';

/** Tenant names: identifiers that are safe as object keys (`__proto__` cannot match) and in a URL path. */
export const TENANT_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$';
/** Role names, as policy documents name them. */
export const ROLE_PATTERN = '^[A-Za-z][A-Za-z0-9_.:-]{0,63}$';

/** Most bindings one account may hold: bounds the principal built on every check (core's bound is per list). */
export const MAX_BINDINGS_PER_USER = 256;

/** Where a role applies: one tenant, or every tenant (only for roles the policy declares `global: true`). */
export type BindingScope = { readonly tenant: string } | { readonly global: true };

/** One role binding as the admin API shows it. */
export interface RoleBinding {
  readonly userId: string;
  readonly role: string;
  /** `undefined` for a global binding. */
  readonly tenant: string | undefined;
  readonly global: boolean;
  readonly createdAt: number;
  readonly createdBy: string | undefined;
}

function tenantColumn(scope: BindingScope): string {
  return 'global' in scope ? GLOBAL_TENANT : scope.tenant;
}

/**
 * Role bindings per tenant on the server's database. Protects against privilege drift and duplicate grants: a binding
 * is its own primary key (a concurrent double grant is one row, `granted: false` for the loser), bindings vanish with
 * their account, and the number of bindings per account is bounded.
 */
export class RoleBindings {
  readonly #store: StoreDatabase;
  readonly #clock: Clock;

  constructor(store: StoreDatabase, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** Binds `role` to `userId` in `scope`. `granted` is false when the binding existed; `unknown_user`/`limit` refuse. */
  async grant(userId: string, role: string, scope: BindingScope, by: string | undefined): Promise<'granted' | 'exists' | 'unknown_user' | 'limit'> {
    const db = this.#store.db;
    const user = await db.selectFrom('rampart_users').select('id').where('id', '=', userId).executeTakeFirst();
    if (user === undefined) return 'unknown_user';
    const held = await db.selectFrom('rampart_role_bindings').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
    if (Number(held.n) >= MAX_BINDINGS_PER_USER) return 'limit';
    const result = await db
      .insertInto('rampart_role_bindings')
      .values({ user_id: userId, tenant: tenantColumn(scope), role, created_at: this.#clock.now(), created_by: by ?? null })
      .onConflict((c) => c.columns(['user_id', 'tenant', 'role']).doNothing())
      .executeTakeFirst();
    return affected(result.numInsertedOrUpdatedRows) === 1 ? 'granted' : 'exists';
  }

  /**
   * Removes one binding: `removed`, `absent`, or `last_holder` when `keepOne` names this global role and the binding is
   * its last one — counted and deleted in one write transaction, so two administrators removing each other at the
   * same moment cannot leave the server with none.
   */
  async revoke(userId: string, role: string, scope: BindingScope, keepOne?: string): Promise<'removed' | 'absent' | 'last_holder'> {
    const tenant = tenantColumn(scope);
    return writeTransaction(this.#store, async (trx) => {
      if (keepOne === role && tenant === GLOBAL_TENANT) {
        if (this.#store.kind === 'postgres') await sql`SELECT pg_advisory_xact_lock(${GLOBAL_LOCK_CLASS}, 0)`.execute(trx);
        const holders = await trx
          .selectFrom('rampart_role_bindings')
          .select('user_id')
          .where('tenant', '=', GLOBAL_TENANT)
          .where('role', '=', role)
          .limit(2)
          .execute();
        if (holders.length === 1 && holders[0]?.user_id === userId) return 'last_holder';
      }
      const result = await trx.deleteFrom('rampart_role_bindings').where('user_id', '=', userId).where('tenant', '=', tenant).where('role', '=', role).executeTakeFirst();
      return affected(result.numDeletedRows) === 1 ? 'removed' : 'absent';
    });
  }

  /** The bindings of one account, oldest first. */
  async forUser(userId: string): Promise<RoleBinding[]> {
    const rows = await this.#store.db
      .selectFrom('rampart_role_bindings')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('tenant')
      .orderBy('role')
      .limit(MAX_BINDINGS_PER_USER)
      .execute();
    return rows.map((row) => ({
      userId: row.user_id,
      role: row.role,
      tenant: row.tenant === GLOBAL_TENANT ? undefined : row.tenant,
      global: row.tenant === GLOBAL_TENANT,
      createdAt: int64(row.created_at),
      createdBy: row.created_by ?? undefined,
    }));
  }

  /** Whether the account holds `role` globally (the server's own administration). */
  async holdsGlobal(userId: string, role: string): Promise<boolean> {
    const row = await this.#store.db
      .selectFrom('rampart_role_bindings')
      .select('role')
      .where('user_id', '=', userId)
      .where('tenant', '=', GLOBAL_TENANT)
      .where('role', '=', role)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Core's {@link Principal} for an account: `roles` bound in `homeTenant` (when given), `tenantRoles` for every other
   * tenant, `globalRoles` for global bindings. Protects against cross-tenant privilege: a role bound in tenant A is
   * only ever presented as A's, and the engine grants nothing with it in B.
   */
  async principal(userId: string, homeTenant?: string): Promise<Principal> {
    const bindings = await this.forUser(userId);
    const roles: string[] = [];
    const globalRoles: string[] = [];
    // Tenant names match TENANT_PATTERN (no `__proto__`); a null-prototype object makes that doubly true.
    const tenantRoles: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
    for (const binding of bindings) {
      if (binding.global) globalRoles.push(binding.role);
      else if (binding.tenant === homeTenant) roles.push(binding.role);
      else if (binding.tenant !== undefined) (tenantRoles[binding.tenant] ??= []).push(binding.role);
    }
    return {
      id: userId,
      ...(homeTenant === undefined ? {} : { tenant: homeTenant }),
      roles,
      tenantRoles,
      globalRoles,
    };
  }
}
