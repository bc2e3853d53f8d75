/*
 * Changes made by `rampart clients` while no server ran reach the trail at the next start (`reportCliEvents`): on a
 * real SQLite file and, when RAMPART_TEST_PG_URL is set, a PostgreSQL schema — as OAuth client events, rows written by
 * an earlier version included, and nothing a stray row claims to be.
 */
import type { SecurityEvent } from '@rampart/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, type TestBackend } from '../stores/databases.fixtures.js';
import { CLI_EVENT_PREFIX, recordCliEvent, reportCliEvents } from './cli-events.js';
import { adminEvents } from './events.js';

const AT = Date.UTC(2026, 4, 1, 12);

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`CLI events reported at start on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
    });
    afterAll(() => backend.dispose());

    /** Reports what is stored, as a starting server does; returns the events emitted. */
    const report = async (): Promise<SecurityEvent[]> => {
      const emitted: SecurityEvent[] = [];
      const count = await reportCliEvents(database, adminEvents((event) => emitted.push(event), { now: () => AT + 60_000 }));
      expect(count).toBe(emitted.length);
      return emitted;
    };
    /** A row as an earlier version of the command wrote it (or as anyone with the database's credentials could). */
    const storeRow = async (suffix: string, row: unknown): Promise<void> => {
      await database.db.insertInto('rampart_meta').values({ key: `${CLI_EVENT_PREFIX}${String(AT).padStart(15, '0')}-${suffix}`, value: JSON.stringify(row) }).execute();
    };

    it('reports each recorded change once, in order, as an oauth.client event without a subject', async () => {
      await recordCliEvent(database, { type: 'oauth.client.created', attributes: { clientId: 'billing', by: 'cli', scopes: 'orders:read' } }, AT);
      await recordCliEvent(database, { type: 'oauth.client.secret_rotated', attributes: { clientId: 'billing', by: 'cli', revokeIssued: true, revokedArtifacts: 3 } }, AT + 1);
      const events = await report();
      expect(events.map((event) => [event.type, event.subject, event.attributes])).toEqual([
        ['oauth.client.created', undefined, { clientId: 'billing', by: 'cli', scopes: 'orders:read', how: 'cli', recordedAt: new Date(AT).toISOString() }],
        ['oauth.client.secret_rotated', undefined, { clientId: 'billing', by: 'cli', revokeIssued: true, revokedArtifacts: 3, how: 'cli', recordedAt: new Date(AT + 1).toISOString() }],
      ]);
      expect(await report()).toEqual([]);
    });

    it('reports rows an earlier version wrote (account types, the client as subject) as the OAuth client types', async () => {
      const facts = { principal: 'oauth_client', by: 'cli' };
      await storeRow('a', { type: 'account.created', subject: 'legacy', attributes: { ...facts, hasSecret: true, scopes: 'orders:read' }, at: new Date(AT).toISOString() });
      await storeRow('b', { type: 'account.profile_updated', subject: 'legacy', attributes: { ...facts, changed: 'name' } });
      await storeRow('c', { type: 'account.password_changed', subject: 'legacy', attributes: { ...facts, credential: 'client_secret', revokeIssued: false } });
      await storeRow('d', { type: 'account.disabled', subject: 'legacy', attributes: { ...facts, deleted: true, clientType: 'confidential' } });
      const events = await report();
      expect(events.map((event) => [event.type, event.subject, event.attributes])).toEqual([
        ['oauth.client.created', undefined, { by: 'cli', scopes: 'orders:read', clientId: 'legacy', how: 'cli', recordedAt: new Date(AT).toISOString() }],
        ['oauth.client.updated', undefined, { by: 'cli', changed: 'name', clientId: 'legacy', how: 'cli' }],
        ['oauth.client.secret_rotated', undefined, { by: 'cli', revokeIssued: false, clientId: 'legacy', how: 'cli' }],
        ['oauth.client.deleted', undefined, { by: 'cli', clientType: 'confidential', clientId: 'legacy', how: 'cli' }],
      ]);
    });

    it('attack: a stray row cannot pose as another event — a user locked, a role granted, an account type without the client marker', async () => {
      await storeRow('x1', { type: 'account.disabled', subject: 'some-user', attributes: { by: 'cli' } });
      await storeRow('x2', { type: 'authz.role.granted', subject: 'mallory', attributes: { role: 'admin' } });
      await storeRow('x3', { type: 'account.created', attributes: { principal: 'oauth_client' } });
      await database.db.insertInto('rampart_meta').values({ key: `${CLI_EVENT_PREFIX}${String(AT).padStart(15, '0')}-x4`, value: '{not json' }).execute();
      expect(await report()).toEqual([]);
      // Each was consumed: nothing is left to report at the next start either.
      const left = await database.db.selectFrom('rampart_meta').select('key').where('key', 'like', `${CLI_EVENT_PREFIX}%`).execute();
      expect(left).toEqual([]);
    });
  });
}
