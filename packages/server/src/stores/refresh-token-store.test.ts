import { randomUUID } from 'node:crypto';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { KeyRing } from '@rampart/core/crypto';
import { hashRefreshToken, RefreshTokens, type RefreshTokensOptions, type RotateOutcome } from '@rampart/core/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, raceInProcesses, type TestBackend } from './databases.fixtures.js';
import { SqlRefreshTokenStore } from './refresh-token-store.js';

const SECOND = 1000;
const DAY = 24 * 60 * 60 * SECOND;

async function mustRefresh(tokens: RefreshTokens, token: string): Promise<string> {
  const result = await tokens.refresh(token);
  if (!result.ok) throw new Error(`refresh refused: ${result.reason}`);
  return result.value.token;
}

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`SqlRefreshTokenStore on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    let store: SqlRefreshTokenStore;
    let contenders: SqlRefreshTokenStore[];
    const ring = KeyRing.generate();

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      store = new SqlRefreshTokenStore(database);
      contenders = backend.kind === 'postgres' ? await Promise.all([1, 2, 3, 4].map(async () => new SqlRefreshTokenStore(await backend.open()))) : [store, store, store, store];
    });
    afterAll(() => backend.dispose());

    function server(sql: SqlRefreshTokenStore, clock: ManualClock, options: Partial<RefreshTokensOptions> = {}) {
      const events: SecurityEvent[] = [];
      const tokens = new RefreshTokens({ store: sql, ring, clock, events: (e) => events.push(e), ...options });
      return { tokens, events };
    }

    async function family(subject = randomUUID()) {
      const id = randomUUID();
      await store.createFamily({ id, subject, createdAt: 0, absoluteExpiresAt: Number.MAX_SAFE_INTEGER }, { id: `${id}-t0`, familyId: id, tokenHash: `${id}-h0`, issuedAt: 0 });
      return id;
    }

    it('rotates on every use and keeps only hashes (a database dump holds no token)', async () => {
      const clock = new ManualClock();
      const { tokens, events } = server(store, clock);
      const first = await tokens.issue('user-1');
      clock.advance(DAY);
      const second = await mustRefresh(tokens, first.token);
      const dump = JSON.stringify(await database.db.selectFrom('rampart_refresh_tokens').selectAll().execute());
      expect(dump).not.toContain(first.token);
      expect(dump).not.toContain(second);
      expect(dump).toContain(hashRefreshToken(first.token));
      expect(events.map((e) => e.type)).toEqual(['token.refresh.rotated']);
      expect((await store.findByHash(hashRefreshToken(second)))?.token).toMatchObject({ issuedAt: clock.now(), parentId: expect.any(String) as string });
    });

    it('attack: reuse detected across two servers on one database revokes the family, newest token included', async () => {
      const clock = new ManualClock();
      const serverA = server(store, clock);
      const serverB = server(new SqlRefreshTokenStore(await backend.open()), clock);
      const stolen = await serverA.tokens.issue('user-1');
      const t2 = await mustRefresh(serverA.tokens, stolen.token);
      clock.advance(10 * SECOND); // past the grace window
      const t3 = await mustRefresh(serverA.tokens, t2);
      expect(await serverB.tokens.refresh(stolen.token)).toEqual({ ok: false, reason: 'reused' });
      expect(serverB.events.map((e) => e.type)).toEqual(['token.refresh.reuse_detected', 'token.refresh.family_revoked']);
      expect(await serverA.tokens.refresh(t3)).toEqual({ ok: false, reason: 'revoked' });
    });

    it('within the grace window a second presentation on another server returns the same successor', async () => {
      const clock = new ManualClock();
      const serverA = server(store, clock);
      const serverB = server(contenders[1]!, clock);
      const first = await serverA.tokens.issue('user-1');
      const next = await mustRefresh(serverA.tokens, first.token);
      clock.advance(SECOND);
      expect(await mustRefresh(serverB.tokens, first.token)).toBe(next);
    });

    it('attack: parallel refreshes of one token on several connections never yield two valid successors', async () => {
      const clock = new ManualClock();
      const servers = contenders.map((contender) => server(contender, clock, { reuseGraceMs: 0 }));
      const first = await servers[0]!.tokens.issue('user-1');
      const results = await Promise.all(servers.map((s) => s.tokens.refresh(first.token)));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      // A loser sees reuse, or (when another loser's reuse detection got there first) a revoked family.
      const reasons = results.flatMap((r) => (r.ok ? [] : [r.reason]));
      expect(reasons).toHaveLength(3);
      expect(reasons).toContain('reused');
      expect(reasons.every((reason) => reason === 'reused' || reason === 'revoked')).toBe(true);
      // The losers saw reuse and revoked the family: even the one successor minted is dead.
      expect(await servers[0]!.tokens.refresh(winners[0]!.value.token)).toEqual({ ok: false, reason: 'revoked' });
    });

    it('rotate is atomic across connections: exactly one wins, the rest see its write', async () => {
      const id = await family();
      const outcomes = await Promise.all(
        contenders.map((contender, n) =>
          contender.rotate({ parentHash: `${id}-h0`, usedAt: 1, successor: { id: `${id}-t${n + 1}`, familyId: id, tokenHash: `${id}-h${n + 1}`, issuedAt: 1, parentId: `${id}-t0` } }),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'rotated')).toHaveLength(1);
      const winner = (await store.findByHash(`${id}-h0`))?.token.successorId;
      const losers = outcomes.flatMap((o) => (o.status === 'already_used' ? [o.entry.token.successorId] : []));
      expect(losers).toEqual([winner, winner, winner]);
      const successors = await Promise.all([1, 2, 3, 4].map((n) => store.findByHash(`${id}-h${n}`)));
      expect(successors.filter((s) => s !== undefined)).toHaveLength(1);
    });

    it('attack: rotate raced from separate processes on one database: exactly one successor', async () => {
      const id = await family();
      const answers = (await raceInProcesses(
        backend.location,
        [1, 2, 3].map((n) => ({ op: 'refresh-rotate', parentHash: `${id}-h0`, successorId: `${id}-p${n}`, familyId: id, parentId: `${id}-t0` })),
      )) as RotateOutcome[];
      expect(answers.filter((a) => a.status === 'rotated')).toHaveLength(1);
      expect(answers.filter((a) => a.status === 'already_used')).toHaveLength(2);
      const rows = await database.db.selectFrom('rampart_refresh_tokens').select('id').where('family_id', '=', id).execute();
      expect(rows).toHaveLength(2);
    });

    it('rotate refuses a revoked family and an unknown parent, and a successor from another family writes nothing', async () => {
      const id = await family();
      const successor = { id: `${id}-t1`, familyId: id, tokenHash: `${id}-h1`, issuedAt: 1, parentId: `${id}-t0` };
      expect(await store.rotate({ parentHash: 'missing', usedAt: 1, successor })).toEqual({ status: 'not_found' });
      await expect(store.rotate({ parentHash: `${id}-h0`, usedAt: 1, successor: { ...successor, familyId: 'other' } })).rejects.toMatchObject({ code: 'REFRESH_STORE_CONFLICT' });
      expect((await store.findByHash(`${id}-h0`))?.token.usedAt).toBeUndefined();
      expect(await store.revokeFamily(id, 5, 'logout')).toMatchObject({ id, revokedAt: 5, revokedReason: 'logout' });
      expect(await store.revokeFamily(id, 6, 'logout')).toBeUndefined(); // reported once
      expect(await store.rotate({ parentHash: `${id}-h0`, usedAt: 1, successor })).toMatchObject({ status: 'revoked' });
      await expect(store.createFamily({ id, subject: 's', createdAt: 0, absoluteExpiresAt: 1 }, { id: 'x', familyId: id, tokenHash: 'y', issuedAt: 0 })).rejects.toMatchObject({ code: 'REFRESH_STORE_CONFLICT' });
    });

    it('logout everywhere revokes every family of the subject and no other', async () => {
      const subject = randomUUID();
      const [a, b, other] = [await family(subject), await family(subject), await family()];
      expect((await store.revokeSubject(subject, 7, 'logout_everywhere')).sort()).toEqual([a, b].sort());
      expect(await store.revokeSubject(subject, 8, 'logout_everywhere')).toEqual([]);
      expect((await store.findByHash(`${other}-h0`))?.family.revokedAt).toBeUndefined();
    });

    it('deleteExpired erases grace copies after the window and families after their absolute lifetime', async () => {
      const clock = new ManualClock(Date.now() + 1000 * DAY);
      const { tokens } = server(store, clock, { absoluteLifetimeMs: DAY, idleLifetimeMs: DAY });
      const first = await tokens.issue('user-1');
      await mustRefresh(tokens, first.token);
      expect((await store.findByHash(hashRefreshToken(first.token)))?.token.sealedSuccessor).toBeDefined();
      clock.advance(10 * SECOND);
      await store.deleteExpired(clock.now());
      expect((await store.findByHash(hashRefreshToken(first.token)))?.token.sealedSuccessor).toBeUndefined();
      clock.advance(DAY);
      expect(await store.deleteExpired(clock.now())).toBeGreaterThanOrEqual(1);
      expect(await tokens.refresh(first.token)).toEqual({ ok: false, reason: 'unknown' });
    });

    it('survives closing and reopening the database: a token issued before a restart refreshes after it', async () => {
      const clock = new ManualClock();
      const before = await backend.open();
      const issued = await server(new SqlRefreshTokenStore(before), clock).tokens.issue('user-1');
      await before.close();
      const after = await backend.open();
      expect((await server(new SqlRefreshTokenStore(after), clock).tokens.refresh(issued.token)).ok).toBe(true);
      await after.close();
    });
  });
}
