/*
 * oidc-provider's store on the server's database: real SQLite files and real PostgreSQL schemas, several connections
 * racing where the attack races (two requests redeeming one code at the same moment).
 */
import { Migrator, PostgresAdapter, sql, type Kysely } from 'kysely';
import { errors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../db/migrations.js';
import { MIGRATIONS } from '../db/migrations/index.js';
import { BACKENDS, openAt, type TestBackend } from '../stores/databases.fixtures.js';
import { SqlModelStore, type ConsumeRace } from './adapter.js';

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SqlModelStore on ${name}`, () => {
    let backend: TestBackend;
    let stores: SqlModelStore[];
    let now = Date.UTC(2026, 10, 1);
    const races: ConsumeRace[] = [];
    let counter = 0;
    const id = (prefix: string) => `${prefix}-${++counter}`;

    beforeAll(async () => {
      backend = await create();
      // Four connections (pools) to the same database: four server processes.
      stores = await Promise.all([1, 2, 3, 4].map(async () => new SqlModelStore(await backend.open(), { now: () => now, onConsumeRace: (race) => races.push(race) })));
    });
    afterAll(() => backend.dispose());

    const store = () => stores[0] as SqlModelStore;

    it('stores each model under its own kind: the same id in two models is two rows', async () => {
      const key = id('same');
      await store().upsert('AccessToken', key, { jti: key, kind: 'AccessToken', accountId: 'a' }, 60);
      await store().upsert('RefreshToken', key, { jti: key, kind: 'RefreshToken', accountId: 'b' }, 60);
      expect(await store().adapterFor('AccessToken').find(key)).toMatchObject({ accountId: 'a' });
      expect(await stores[1]?.adapterFor('RefreshToken').find(key)).toMatchObject({ accountId: 'b' });
      expect(await store().adapterFor('AuthorizationCode').find(key)).toBeUndefined();
    });

    it('finds sessions by uid and device codes by user code, within their own kind', async () => {
      const session = id('session');
      await store().adapterFor('Session').upsert(session, { uid: `uid-${session}`, accountId: 'u1' }, 3600);
      await store().adapterFor('DeviceCode').upsert(id('device'), { userCode: `CODE-${session}`, clientId: 'c' }, 600);
      expect(await store().adapterFor('Session').findByUid(`uid-${session}`)).toMatchObject({ accountId: 'u1' });
      expect(await store().adapterFor('Interaction').findByUid(`uid-${session}`)).toBeUndefined();
      expect(await store().adapterFor('DeviceCode').findByUserCode(`CODE-${session}`)).toMatchObject({ clientId: 'c' });
    });

    it('hides an expired row at once and sweeps it; rows without expiry stay', async () => {
      const short = id('short');
      const keep = id('keep');
      await store().upsert('AuthorizationCode', short, { jti: short }, 60);
      await store().upsert('Grant', keep, { jti: keep });
      now += 61_000;
      expect(await store().find('AuthorizationCode', short)).toBeUndefined();
      expect(await store().sweep()).toBeGreaterThanOrEqual(1);
      expect(await store().find('Grant', keep)).toMatchObject({ jti: keep });
      expect(await store().count('AuthorizationCode')).toBe(0);
    });

    it('keeps payloads as data: a __proto__ key round-trips without touching any prototype', async () => {
      const key = id('proto');
      const payload = JSON.parse('{"jti":"x","__proto__":{"polluted":true},"name":"ünïcödé \\u0000 \' --"}') as Record<string, unknown>;
      await store().upsert('Interaction', key, payload, 60);
      const found = (await store().find('Interaction', key)) ?? {};
      expect(Object.hasOwn(found, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(found.name).toBe("ünïcödé \u0000 ' --");
    });

    it('consume marks an artifact spent once; replacing it keeps it spent', async () => {
      const code = id('code');
      await store().upsert('AuthorizationCode', code, { jti: code, grantId: id('grant') }, 60);
      await store().consume('AuthorizationCode', code);
      const spent = await store().find('AuthorizationCode', code);
      expect(spent?.consumed).toBe(Math.floor(now / 1000));
      await store().upsert('AuthorizationCode', code, { jti: code, grantId: 'g' }, 60);
      expect((await store().find('AuthorizationCode', code))?.consumed).toBe(Math.floor(now / 1000));
    });

    it('attack: one authorization code redeemed by four processes at once — exactly one wins, and the grant (every token, the grant itself) is revoked', async () => {
      const grant = id('grant');
      const code = id('code');
      const other = id('grant');
      await store().upsert('Grant', grant, { jti: grant, accountId: 'u', clientId: 'c' }, 3600);
      await store().upsert('AuthorizationCode', code, { jti: code, grantId: grant, clientId: 'c' }, 60);
      await store().upsert('AccessToken', id('at'), { grantId: grant, clientId: 'c' }, 600);
      await store().upsert('RefreshToken', id('rt'), { grantId: grant, clientId: 'c' }, 3600);
      await store().upsert('AccessToken', id('at'), { grantId: other, clientId: 'c' }, 600);
      const before = races.length;
      const outcomes = await Promise.allSettled(stores.map((contender) => contender.adapterFor('AuthorizationCode').consume(code)));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(refused).toHaveLength(3);
      for (const refusal of refused) {
        expect(refusal.reason).toBeInstanceOf(errors.InvalidGrant);
        expect((refusal.reason as { error_detail?: string }).error_detail).toBe('authorization code already consumed');
      }
      // Each loser reports the race; a loser that still finds the code revokes its grant, one that looks later finds
      // it gone with the grant.
      const reported = races.slice(before);
      expect(reported).toHaveLength(3);
      expect(reported.every((race) => race.kind === 'AuthorizationCode')).toBe(true);
      expect(reported).toContainEqual({ kind: 'AuthorizationCode', grantId: grant, clientId: 'c' });
      expect(await store().find('Grant', grant)).toBeUndefined();
      const left = await backend.open();
      const rows = await left.db.selectFrom('rampart_oauth_models').select(['kind', 'grant_id']).where('grant_id', 'in', [grant, other]).execute();
      expect(rows).toEqual([{ kind: 'AccessToken', grant_id: other }]);
    });

    it('attack: a pushed request used twice at once is spent once (no grant to revoke)', async () => {
      const request = id('par');
      await store().upsert('PushedAuthorizationRequest', request, { jti: request, clientId: 'c' }, 60);
      const outcomes = await Promise.allSettled(stores.map((contender) => contender.consume('PushedAuthorizationRequest', request)));
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(errors.InvalidRequest);
    });

    it('revokes by grant (every kind of the grant, nothing of another) and by client', async () => {
      const grant = id('grant');
      await store().upsert('AccessToken', id('at'), { grantId: grant, clientId: 'one' }, 600);
      await store().upsert('RefreshToken', id('rt'), { grantId: grant, clientId: 'one' }, 600);
      const survivor = id('at');
      await store().upsert('AccessToken', survivor, { grantId: id('grant'), clientId: 'two' }, 600);
      await store().adapterFor('RefreshToken').revokeByGrantId(grant);
      const rows = await (await backend.open()).db.selectFrom('rampart_oauth_models').select('id').where('grant_id', '=', grant).execute();
      expect(rows).toEqual([]);
      expect(await store().revokeByClientId('two')).toBe(1);
      expect(await store().find('AccessToken', survivor)).toBeUndefined();
    });

    it('revoking a grant deletes what was issued under it, not the interaction in progress that carries its id', async () => {
      const grant = id('grant');
      const interaction = id('interaction');
      await store().upsert('Interaction', interaction, { uid: interaction, grantId: grant }, 600);
      await store().upsert('AuthorizationCode', id('code'), { grantId: grant, clientId: 'c' }, 60);
      await store().adapterFor('AccessToken').revokeByGrantId(grant);
      expect(await store().find('Interaction', interaction)).toMatchObject({ grantId: grant });
      const left = await (await backend.open()).db.selectFrom('rampart_oauth_models').select('kind').where('grant_id', '=', grant).execute();
      expect(left).toEqual([{ kind: 'Interaction' }]);
    });

    it('finds the live grants of one account (and client), newest first; another account\'s are never returned', async () => {
      const account = id('account');
      const older = id('grant');
      const newer = id('grant');
      await store().upsert('Grant', older, { jti: older, accountId: account, clientId: 'c1', openid: { scope: 'openid' } }, 60);
      await store().upsert('Grant', newer, { jti: newer, accountId: account, clientId: 'c1', openid: { scope: 'openid email' } }, 3600);
      await store().upsert('Grant', id('grant'), { jti: 'x', accountId: account, clientId: 'c2' }, 3600);
      await store().upsert('Grant', id('grant'), { jti: 'y', accountId: id('other'), clientId: 'c1' }, 3600);
      await store().upsert('AccessToken', id('at'), { accountId: account, clientId: 'c1', grantId: newer }, 600);
      expect((await store().grantsOf(account, { clientId: 'c1' })).map((grant) => grant.id)).toEqual([newer, older]);
      expect((await store().grantsOf(account)).map((grant) => grant.clientId).sort()).toEqual(['c1', 'c1', 'c2']);
      expect(await store().grantsOf(account, { clientId: 'c1', limit: 1 })).toEqual([{ id: newer, clientId: 'c1', payload: expect.objectContaining({ accountId: account }) as unknown }]);
      now += 61_000;
      expect((await store().grantsOf(account, { clientId: 'c1' })).map((grant) => grant.id)).toEqual([newer]);
      expect(await store().grantsOf(id('nobody'))).toEqual([]);
    });

    it('destroys one row', async () => {
      const key = id('destroy');
      await store().upsert('Session', key, { uid: 'x' }, 60);
      await store().adapterFor('Session').destroy(key);
      expect(await store().find('Session', key)).toBeUndefined();
    });
  });
}

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`migration 0010_oauth_accounts on ${name}`, () => {
    it('fills account_id of the grants stored before it, from their payload; other rows and odd payloads are left alone', async () => {
      const backend = await create();
      const database = await openAt(backend.location, false);
      try {
        const postgres = database.db.getExecutor().adapter instanceof PostgresAdapter;
        const schema = postgres ? (await sql<{ name: string }>`SELECT current_schema() AS name`.execute(database.db)).rows[0]?.name : undefined;
        const migrator = new Migrator({
          db: database.db,
          provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
          migrationTableName: 'rampart_migrations',
          migrationLockTableName: 'rampart_migrations_lock',
          ...(schema === undefined ? {} : { migrationTableSchema: schema }),
        });
        expect((await migrator.migrateTo('0009_oauth')).error).toBeUndefined();
        const rows = [
          { kind: 'Grant', id: 'g1', payload: JSON.stringify({ jti: 'g1', accountId: 'acct-1', clientId: 'c' }) },
          { kind: 'Grant', id: 'g2', payload: '{not json' },
          { kind: 'AccessToken', id: 'a1', payload: JSON.stringify({ accountId: 'acct-1' }) },
        ];
        const table = database.db as unknown as Kysely<{ rampart_oauth_models: { kind: string; id: string; payload: string; client_id: string | null } }>;
        await table.insertInto('rampart_oauth_models').values(rows.map((row) => ({ ...row, client_id: 'c' }))).execute();
        await migrateToLatest(database.db);
        const after = await database.db.selectFrom('rampart_oauth_models').select(['kind', 'id', 'account_id']).orderBy('id').execute();
        expect(after).toEqual([
          { kind: 'AccessToken', id: 'a1', account_id: null },
          { kind: 'Grant', id: 'g1', account_id: 'acct-1' },
          { kind: 'Grant', id: 'g2', account_id: null },
        ]);
      } finally {
        await database.close();
        await backend.dispose();
      }
    });
  });
}
