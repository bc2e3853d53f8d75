import { randomUUID } from 'node:crypto';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServerDatabase } from '../../db/database.js';
import { BACKENDS, type TestBackend } from '../../stores/databases.fixtures.js';
import { BoundedApiKeyStore, MAX_LIVE_KEYS_PER_USER } from '../api-keys/keys.js';
import { ActivePolicy } from './active.js';
import { DEFAULT_POLICY_DOCUMENT } from './default-policy.js';
import { PolicyRepository, type ActiveMarker } from './repository.js';

/*
 * Two server instances on one database, each with its own connection: what one activates, the other decides with
 * within its poll interval; concurrent writers never both win; a stored version that does not compile is refused by
 * the instance that loads it (the previous set keeps deciding) and not retried every poll.
 *
 * Concurrent *writers* use two connections on PostgreSQL only: two better-sqlite3 connections in one process would
 * deadlock on SQLite's write lock (the waiting one blocks the event loop the holder needs to commit); there the
 * writes race on one connection, and across processes `BEGIN IMMEDIATE` serializes them (see stores/sql.ts).
 */

const policy = (version: string, permissions: string) => `apiVersion: rampart.authz/v1
name: documents
version: "${version}"
roles:
  viewer: { permissions: [${permissions}] }
resources:
  document: { actions: [read] }
`;
const viewer = { id: 'u1', roles: ['viewer'] };
const doc = { kind: 'document' };

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`policy storage and hot reload on ${name}`, () => {
    let backend: TestBackend;
    let one: ServerDatabase;
    let two: ServerDatabase;
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const events: SecurityEvent[] = [];
    /** The second instance's own events: the first polls the same database and refuses a bad version too. */
    const secondEvents: SecurityEvent[] = [];
    let first: ActivePolicy;
    let second: ActivePolicy;
    let repoOne: PolicyRepository;
    let repoTwo: PolicyRepository;
    /** The second writer: another connection on PostgreSQL, the same one on SQLite (see above). */
    let writerTwo: PolicyRepository;
    let databaseTwo: ServerDatabase;
    const marker = async (): Promise<ActiveMarker> => {
      const current = await repoOne.activeMarker();
      if (current === undefined) throw new Error('no active version');
      return current;
    };

    beforeAll(async () => {
      backend = await create();
      one = await backend.open();
      two = await backend.open();
      repoOne = new PolicyRepository(one, clock);
      repoTwo = new PolicyRepository(two, clock);
      databaseTwo = backend.kind === 'postgres' ? two : one;
      writerTwo = new PolicyRepository(databaseTwo, clock);
      // Both instances start at once: one seed wins, the other finds a row.
      await Promise.all([repoOne.seed(DEFAULT_POLICY_DOCUMENT, 'yaml'), writerTwo.seed(DEFAULT_POLICY_DOCUMENT, 'yaml')]);
      first = await ActivePolicy.open({ repository: repoOne, events: (e) => events.push(e), clock, pollMs: 20 });
      second = await ActivePolicy.open({ repository: repoTwo, events: (e) => { events.push(e); secondEvents.push(e); }, clock, pollMs: 20 });
    });
    afterAll(async () => {
      await first.close();
      await second.close();
      await backend.dispose();
    });

    it('seeds version 1 once, default deny', async () => {
      expect((await repoOne.history(10)).map((h) => h.version)).toEqual([1]);
      expect(first.snapshot.version).toBe(1);
      expect(first.snapshot.authorizer.check(viewer, 'read', doc).reason).toBe('unknown_resource_kind');
    });

    it('an activation through one instance reaches the other by polling', async () => {
      const written = await repoOne.publish(await marker(), policy('2', '"document:read"'), 'yaml', 'admin-1');
      expect(written.ok).toBe(true);
      // Polling only: nobody calls refresh on the second instance.
      await vi.waitFor(() => {
        expect(second.snapshot.version).toBe(2);
      }, { timeout: 10_000, interval: 10 });
      expect(second.snapshot.authorizer.check(viewer, 'read', doc).allowed).toBe(true);
      expect(events.some((e) => e.type === 'authz.policy.reloaded')).toBe(true);
    });

    it('attack: concurrent publications from the same read — exactly one is stored', async () => {
      const read = await marker();
      const outcomes = await Promise.all([
        repoOne.publish(read, policy('3a', '"document:read"'), 'yaml', 'admin-1'),
        writerTwo.publish(read, policy('3b', ''), 'yaml', 'admin-2'),
        writerTwo.publish(read, policy('3c', ''), 'yaml', 'admin-3'),
      ]);
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(outcomes.map((o) => (o.ok ? 'stored' : o.reason)).sort()).toEqual(['conflict', 'conflict', 'stored']);
      const active = await one.db.selectFrom('rampart_policies').select('version').where('active', '=', 1).execute();
      expect(active).toHaveLength(1);
    });

    it('attack: a stored version that does not compile is refused by the loading instance, once, and the last good set keeps deciding', async () => {
      const good = await second.refresh();
      // Written around the API (which compiles first), as a tampered row or an engine change would leave it.
      await one.db
        .insertInto('rampart_policies')
        .values({ version: 100, format: 'yaml', document: 'apiVersion: rampart.authz/v1\nroles: [', sha256: '0'.repeat(64), created_by: null, created_at: clock.now(), active: 0, activation: null })
        .execute();
      // Counted before the activation: the instance's own 20 ms poll may see the bad version before the explicit
      // refreshes below do, and either way it must be refused exactly once.
      const refusedBefore = secondEvents.filter((e) => e.type === 'authz.policy.refused').length;
      const activated = await repoOne.activate(100, undefined);
      expect(activated.ok).toBe(true);
      expect((await second.refresh()).version).toBe(good.version);
      expect((await second.refresh()).version).toBe(good.version);
      expect(secondEvents.filter((e) => e.type === 'authz.policy.refused').length - refusedBefore).toBe(1);
      expect(second.snapshot.authorizer).toBe(good.authorizer);
      // Rolling back to a good version is picked up again.
      expect((await repoOne.activate(good.version, undefined)).ok).toBe(true);
      expect((await second.refresh()).version).toBe(good.version);
    });

    it('attack: concurrent key creations cannot exceed the live-key bound of an account', async () => {
      const store = new BoundedApiKeyStore(one);
      const other = new BoundedApiKeyStore(databaseTwo);
      const subject = randomUUID();
      const attempts = Array.from({ length: MAX_LIVE_KEYS_PER_USER + 5 }, (_, n) =>
        (n % 2 === 0 ? store : other)
          .insert({ id: randomUUID(), prefix: 'rpk', subject, scopes: ['authz:check'], createdAt: clock.now(), expiresAt: clock.now() + 60_000, hash: 'h', hashKid: 'k' })
          .then(() => true, () => false),
      );
      const results = await Promise.all(attempts);
      expect(results.filter(Boolean)).toHaveLength(MAX_LIVE_KEYS_PER_USER);
      expect(await store.listBySubject(subject)).toHaveLength(MAX_LIVE_KEYS_PER_USER);
    });
  });
}
