/*
 * The provider's short-lived models on a real Redis, several connections racing where the attack races (two instances
 * redeeming one authorization code at the same moment). Skipped by name without RAMPART_TEST_REDIS_URL.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { errors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumeRace } from './adapter.js';
import { REDIS_MODELS, RedisModelStore } from './redis-models.js';

const redisUrl = process.env.RAMPART_TEST_REDIS_URL;

describe.skipIf(redisUrl === undefined)('RedisModelStore (needs RAMPART_TEST_REDIS_URL)', () => {
  const prefix = `rampart-test-${randomUUID()}`;
  const clients: Redis[] = [];
  let stores: RedisModelStore[];
  const races: ConsumeRace[] = [];
  const revokedElsewhere: string[] = [];
  const id = (label: string) => `${label}-${randomUUID()}`;

  beforeAll(() => {
    // Four connections: four server instances.
    stores = [1, 2, 3, 4].map(() => {
      const client = new Redis(redisUrl!);
      clients.push(client);
      return new RedisModelStore({
        client,
        prefix,
        revokeGrantElsewhere: (grantId) => Promise.resolve(void revokedElsewhere.push(grantId)),
        onConsumeRace: (race) => races.push(race),
      });
    });
  });
  afterAll(async () => {
    const keys = await clients[0]!.keys(`${prefix}:*`);
    if (keys.length > 0) await clients[0]!.del(...keys);
    await Promise.all(clients.map((client) => client.quit()));
  });
  const store = () => stores[0]!;

  it('keeps only the short-lived models: sessions, interactions, codes, pushed requests, DPoP proof ids', () => {
    expect([...REDIS_MODELS].sort()).toEqual(['AuthorizationCode', 'Interaction', 'PushedAuthorizationRequest', 'ReplayDetection', 'Session']);
  });

  it('stores each model under its own kind, visible to every instance; the same id in two models is two instances', async () => {
    const key = id('same');
    await store().upsert('Session', key, { accountId: 'a' }, 60);
    await store().upsert('Interaction', key, { accountId: 'b' }, 60);
    expect(await stores[1]!.adapterFor('Session').find(key)).toMatchObject({ accountId: 'a' });
    expect(await stores[2]!.adapterFor('Interaction').find(key)).toMatchObject({ accountId: 'b' });
    expect(await store().find('AuthorizationCode', key)).toBeUndefined();
  });

  it('expires an instance with its lifetime (Redis drops it), and its uid index with it', async () => {
    const session = id('session');
    await store().upsert('Session', session, { uid: `uid-${session}` }, 0.05);
    expect(await store().adapterFor('Session').findByUid(`uid-${session}`)).toMatchObject({ uid: `uid-${session}` });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await store().find('Session', session)).toBeUndefined();
    expect(await store().adapterFor('Session').findByUid(`uid-${session}`)).toBeUndefined();
    expect(await clients[0]!.exists(`${prefix}:oidc:uid:Session:uid-${session}`)).toBe(0);
  });

  it('attack: a uid that moved to another session finds nothing through the old index entry of another kind or id', async () => {
    const first = id('s1');
    const second = id('s2');
    await store().upsert('Session', first, { uid: 'shared-uid', accountId: 'victim' }, 60);
    // The same uid written for another session replaces the index; the first session no longer answers to it.
    await store().upsert('Session', second, { uid: 'shared-uid', accountId: 'other' }, 60);
    expect(await store().adapterFor('Session').findByUid('shared-uid')).toMatchObject({ accountId: 'other' });
    expect(await store().adapterFor('Interaction').findByUid('shared-uid')).toBeUndefined();
    // An index pointing at an instance whose payload carries another uid is not trusted.
    await store().upsert('Session', second, { uid: 'changed', accountId: 'other' }, 60);
    expect(await store().adapterFor('Session').findByUid('shared-uid')).toBeUndefined();
  });

  it('keeps payloads as data: a __proto__ key round-trips without touching any prototype', async () => {
    const key = id('proto');
    await store().upsert('Interaction', key, JSON.parse('{"__proto__": {"polluted": true}, "uid": "u"}') as Record<string, unknown>, 60);
    const found = await store().find('Interaction', key);
    expect(Object.getOwnPropertyNames(found)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('consume marks an artifact spent once; writing it again keeps it spent', async () => {
    const code = id('code');
    await store().upsert('AuthorizationCode', code, { grantId: 'g-keep', clientId: 'c' }, 60);
    await store().consume('AuthorizationCode', code);
    expect((await store().find('AuthorizationCode', code))?.consumed).toEqual(expect.any(Number));
    await store().upsert('AuthorizationCode', code, { grantId: 'g-keep', clientId: 'c' }, 60);
    expect((await stores[3]!.find('AuthorizationCode', code))?.consumed).toEqual(expect.any(Number));
  });

  it('attack: one authorization code redeemed by four instances at once — exactly one wins, the grant is revoked here and in SQL', async () => {
    const grantId = id('grant');
    const code = id('code');
    const sibling = id('code');
    const interaction = id('interaction');
    await store().upsert('AuthorizationCode', code, { grantId, clientId: 'web' }, 60);
    await store().upsert('AuthorizationCode', sibling, { grantId, clientId: 'web' }, 60);
    await store().upsert('Interaction', interaction, { grantId }, 60);
    races.length = 0;
    const outcomes = await Promise.allSettled(stores.map((s) => s.adapterFor('AuthorizationCode').consume(code)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(refused).toHaveLength(3);
    for (const outcome of refused) {
      expect(outcome.reason).toBeInstanceOf(errors.InvalidGrant);
      expect((outcome.reason as { error_detail?: string }).error_detail).toMatch(/authorization code already consumed/);
    }
    expect(races).toHaveLength(3);
    expect(races[0]).toEqual({ kind: 'AuthorizationCode', grantId, clientId: 'web' });
    expect(revokedElsewhere).toContain(grantId);
    // Every code of the grant is gone; the interaction that carries the grant's id is not a grant artifact and stays.
    expect(await store().find('AuthorizationCode', sibling)).toBeUndefined();
    expect(await store().find('Interaction', interaction)).toMatchObject({ grantId });
  });

  it('attack: a pushed request used twice at once is spent once, refused as a repeated request (no grant to revoke)', async () => {
    const request = id('par');
    await store().upsert('PushedAuthorizationRequest', request, { clientId: 'web' }, 60);
    const outcomes = await Promise.allSettled([store().consume('PushedAuthorizationRequest', request), stores[1]!.consume('PushedAuthorizationRequest', request)]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(errors.InvalidRequest);
  });

  it('a code that expired before it was spent is refused, not spent', async () => {
    await expect(store().consume('AuthorizationCode', id('gone'))).rejects.toBeInstanceOf(errors.InvalidGrant);
  });

  it('revokes by grant (codes of that grant only) and by client (everything of that client)', async () => {
    const grantA = id('grant');
    const grantB = id('grant');
    const codeA = id('code');
    const codeB = id('code');
    const session = id('session');
    await store().upsert('AuthorizationCode', codeA, { grantId: grantA, clientId: 'app-1' }, 60);
    await store().upsert('AuthorizationCode', codeB, { grantId: grantB, clientId: 'app-2' }, 60);
    await store().upsert('Session', session, { uid: id('uid'), accountId: 'u' }, 60);
    await store().adapterFor('AuthorizationCode').revokeByGrantId(grantA);
    expect(await store().find('AuthorizationCode', codeA)).toBeUndefined();
    expect(await store().find('AuthorizationCode', codeB)).toMatchObject({ grantId: grantB });
    const interaction = id('interaction');
    await store().upsert('Interaction', interaction, { clientId: 'app-2' }, 60);
    expect(await store().revokeByClientId('app-2')).toBe(2);
    expect(await store().find('AuthorizationCode', codeB)).toBeUndefined();
    expect(await store().find('Interaction', interaction)).toBeUndefined();
    expect(await store().find('Session', session)).toMatchObject({ accountId: 'u' });
  });

  it('destroys one instance', async () => {
    const key = id('interaction');
    await store().upsert('Interaction', key, { uid: 'x' }, 60);
    await stores[2]!.adapterFor('Interaction').destroy(key);
    expect(await store().find('Interaction', key)).toBeUndefined();
  });
});
