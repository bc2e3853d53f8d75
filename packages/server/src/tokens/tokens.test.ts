/*
 * The token module end to end: the whole server on a real socket (SQLite, and PostgreSQL + Redis when configured),
 * tokens minted through the module's issuer as a login would, then used and attacked over HTTP.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { createJwtIssuer, signCompact } from '@rampart/core/token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoginFacts, TokenResponse } from '../auth/contracts.js';
import { apiRequest, type JsonResponse } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../testing/server.fixtures.js';
import { createVerifiedUser } from '../testing/users.fixtures.js';
import { ACR_COMPLETE } from './index.js';

const MINUTE = 60_000;

function part(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

describe.each(SERVER_BACKENDS)('tokens on $name', ({ backend, skip }) => {
  let t: TestServer;
  let alice: string;
  let bob: string;
  let counter = 0;

  beforeAll(async () => {
    if (skip) return;
    t = await startTestServer({ backend });
    alice = await createVerifiedUser(t, 'alice@example.com');
    bob = await createVerifiedUser(t, 'bob@example.com');
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  const facts = (userId: string, extra: Partial<LoginFacts> = {}): LoginFacts => ({
    userId,
    amr: ['pwd'],
    authTime: t.clock.now(),
    fullyAuthenticatedAt: t.clock.now(),
    ...extra,
  });
  const login = (userId: string, extra: Partial<LoginFacts> = {}, scope?: readonly string[]): Promise<TokenResponse> =>
    t.server.modules.tokens.issuer.issue(facts(userId, extra), scope === undefined ? {} : { scope });
  const whoAmI = (authorization: string): Promise<JsonResponse> => apiRequest(t.url, 'GET', '/v1/identity', { headers: { authorization } });
  const tokenEndpoint = (body: string, contentType = 'application/x-www-form-urlencoded', path = '/v1/token'): Promise<JsonResponse> =>
    apiRequest(t.url, 'POST', path, { rawBody: body, headers: { 'content-type': contentType } });
  // JSON: the server's body guard admits forms on these paths only once app.ts names them (see README); routes.test.ts
  // covers the form encoding with that guard rule.
  const refresh = (refreshToken: string, extra: Record<string, string> = {}): Promise<JsonResponse> =>
    tokenEndpoint(JSON.stringify({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }), 'application/json');
  const revoke = (params: Record<string, string>): Promise<JsonResponse> => tokenEndpoint(JSON.stringify(params), 'application/json', '/v1/token/revoke');
  const refusedReasons = (): unknown[] => t.events.filter((e) => e.type === 'token.access.refused').map((e) => e.attributes?.reason);
  const storedFamilies = async (): Promise<number> => (await t.server.database.db.selectFrom('rampart_refresh_families').select('id').execute()).length;
  const storedTokens = async (): Promise<number> => (await t.server.database.db.selectFrom('rampart_refresh_tokens').select('id').execute()).length;

  /** A 401 from the bearer authenticator: RFC 6750 challenge, problem code, reason in the event only. */
  async function expectInvalidToken(authorization: string, reason: string): Promise<void> {
    const before = refusedReasons().length;
    const answer = await whoAmI(authorization);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect((answer.body as { code: string }).code).toBe('auth.token_invalid');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="rampart", error="invalid_token"');
    expect(answer.text).not.toContain(reason);
    expect(refusedReasons().slice(before)).toEqual([reason]);
  }

  it.skipIf(skip)('issues an RFC 9068 access token that authenticates as source access_token, with amr, scopes and the step-up time', async () => {
    const issued = await login(alice, { amr: ['pwd', 'otp', 'mfa'] }, ['orders:read', 'orders:write']);
    expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'orders:read orders:write' });
    const header = part(issued.access_token, 0);
    const claims = part(issued.access_token, 1);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(claims).toMatchObject({ iss: t.url, aud: [t.url], sub: alice, client_id: 'rampart', amr: ['pwd', 'otp', 'mfa'], acr: ACR_COMPLETE, scope: 'orders:read orders:write' });
    expect((claims.exp as number) - (claims.iat as number)).toBe(600);
    expect(claims.auth_time).toBe(Math.floor(t.clock.now() / 1000));
    expect(typeof claims.jti).toBe('string');

    const me = await whoAmI(`Bearer ${issued.access_token}`);
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    const authTime = new Date(Math.floor(t.clock.now() / 1000) * 1000).toISOString();
    expect(me.body).toEqual({ userId: alice, source: 'access_token', amr: ['pwd', 'otp', 'mfa'], authTime, fullyAuthenticatedAt: authTime, scopes: ['orders:read', 'orders:write'] });

    const issuedEvent = t.events.find((e) => e.type === 'token.issued' && e.attributes?.jti === claims.jti);
    expect(issuedEvent).toMatchObject({ subject: alice, attributes: { clientId: 'rampart', kid: header.kid } });
    expect(JSON.stringify(t.events)).not.toContain(issued.access_token);
    expect(JSON.stringify(t.events)).not.toContain(issued.refresh_token);
  });

  it.skipIf(skip)('a login that did not prove every factor gives no step-up time; an unnarrowed login has no scopes', async () => {
    const partial = await login(alice, { fullyAuthenticatedAt: Number.NaN });
    expect(part(partial.access_token, 1).acr).toBeUndefined();
    expect((await whoAmI(`Bearer ${partial.access_token}`)).body).toMatchObject({ fullyAuthenticatedAt: null, scopes: null, amr: ['pwd'] });
  });

  it.skipIf(skip)('publishes the public keys only, cacheable for less than a key waits before signing', async () => {
    const jwks = await apiRequest(t.url, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
    const keys = (jwks.body as { keys: Record<string, unknown>[] }).keys;
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    }
  });

  it.skipIf(skip)('answers absent for no Authorization, another scheme, or a bearer value that is not a JWT (an API key)', async () => {
    for (const authorization of [undefined, 'Basic YWxpY2U6c2VjcmV0', 'ApiKey rk_live_abc', 'Bearer rk_live_0123456789abcdef', 'Bearer']) {
      const before = refusedReasons().length;
      const answer = authorization === undefined ? await apiRequest(t.url, 'GET', '/v1/identity') : await whoAmI(authorization);
      expect(answer.status).toBe(401);
      expect((answer.body as { code: string }).code).toBe('auth.unauthenticated');
      expect(refusedReasons().length).toBe(before);
    }
  });

  describe('ATTACK: forged and misused access tokens are 401 invalid_token', () => {
    let good: string;
    let kid: string;
    beforeAll(async () => {
      if (skip) return;
      good = (await login(alice)).access_token;
      kid = part(good, 0).kid as string;
    });
    const payload = (extra: Record<string, unknown> = {}): Record<string, unknown> => {
      const now = Math.floor(t.clock.now() / 1000);
      return { iss: t.url, aud: [t.url], sub: bob, client_id: 'rampart', auth_time: now, amr: ['pwd'], acr: ACR_COMPLETE, iat: now, exp: now + 600, jti: `forged-${++counter}`, ...extra };
    };
    const serverIssuer = async (issuer: string, audience: string) => createJwtIssuer({ keys: await t.server.modules.tokens.keys.store.load(), issuer, audience, clock: t.clock });

    it.skipIf(skip)('alg: none (any capitalisation), unsigned', async () => {
      for (const alg of ['none', 'None', 'NONE']) await expectInvalidToken(`Bearer ${b64({ alg, typ: 'at+jwt', kid })}.${b64(payload())}.`, 'alg_not_allowed');
    });

    it.skipIf(skip)('signed by a foreign key: under the server key\'s kid, and under an unknown kid', async () => {
      const foreign = generateKeyPairSync('ed25519').privateKey;
      const sign = (header: Record<string, unknown>): string => signCompact('EdDSA', foreign, header, Buffer.from(JSON.stringify(payload())));
      await expectInvalidToken(`Bearer ${sign({ alg: 'EdDSA', typ: 'at+jwt', kid })}`, 'signature_invalid');
      // An unknown kid makes the server reload its keys (rate-limited), then refuse.
      t.clock.advance(6_000);
      await expectInvalidToken(`Bearer ${sign({ alg: 'EdDSA', typ: 'at+jwt', kid: 'attacker-key-1' })}`, 'unknown_kid');
    });

    it.skipIf(skip)('HS256 signed with the server\'s public key as the HMAC secret (algorithm confusion)', async () => {
      const jwks = (await apiRequest(t.url, 'GET', '/.well-known/jwks.json')).body as { keys: { kid: string; x: string }[] };
      const publicKey = jwks.keys.find((key) => key.kid === kid);
      expect(publicKey).toBeDefined();
      for (const secret of [JSON.stringify(publicKey), publicKey?.x ?? '', Buffer.from(publicKey?.x ?? '', 'base64url')]) {
        const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64(payload())}`;
        const signature = createHmac('sha256', secret).update(input).digest('base64url');
        await expectInvalidToken(`Bearer ${input}.${signature}`, 'alg_not_allowed');
      }
    });

    it.skipIf(skip)('tampered payload: the real token with another subject', async () => {
      const [header, , signature] = good.split('.');
      const tampered = { ...part(good, 1), sub: bob };
      await expectInvalidToken(`Bearer ${header}.${b64(tampered)}.${signature}`, 'signature_invalid');
    });

    it.skipIf(skip)('signed by the server\'s own key but for another issuer or another audience', async () => {
      await expectInvalidToken(`Bearer ${(await serverIssuer('https://evil.example', t.url)).issueAccessToken({ sub: alice, client_id: 'rampart', auth_time: 1, amr: ['pwd'] }).token}`, 'issuer_mismatch');
      await expectInvalidToken(`Bearer ${(await serverIssuer(t.url, 'https://other-api.example')).issueAccessToken({ sub: alice, client_id: 'rampart', auth_time: 1, amr: ['pwd'] }).token}`, 'audience_mismatch');
    });

    it.skipIf(skip)('an ID token (typ JWT) or a JWT without typ used as an access token', async () => {
      const issuer = await serverIssuer(t.url, t.url);
      const claims = { sub: alice, client_id: 'rampart', auth_time: 1, amr: ['pwd'] };
      await expectInvalidToken(`Bearer ${issuer.issue(claims, { typ: 'JWT' }).token}`, 'typ_mismatch');
      const set = await t.server.modules.tokens.keys.store.load();
      const untyped = signCompact(set.current.alg, set.current.signingKey, { alg: set.current.alg, kid: set.current.kid }, Buffer.from(JSON.stringify(payload())));
      await expectInvalidToken(`Bearer ${untyped}`, 'typ_mismatch');
    });

    it.skipIf(skip)('expired: past exp and the 30 s leeway', async () => {
      const token = (await login(alice)).access_token;
      expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
      t.clock.advance(10 * MINUTE + 31_000);
      await expectInvalidToken(`Bearer ${token}`, 'expired');
    });

    it.skipIf(skip)('oversized Authorization header (a 9 000-character token) is refused before any parsing', async () => {
      await expectInvalidToken(`Bearer ${'a'.repeat(3000)}.${'b'.repeat(3000)}.${'c'.repeat(3000)}`, 'oversized');
    });

    it.skipIf(skip)('a token whose account was locked, or whose password changed after it was issued', async () => {
      const carol = await createVerifiedUser(t, `carol${++counter}@example.com`);
      const token = (await login(carol)).access_token;
      expect((await whoAmI(`Bearer ${token}`)).status).toBe(200);
      await t.server.database.db.updateTable('rampart_users').set({ password_changed_at: new Date(t.clock.now() + 2_000).toISOString() }).where('id', '=', carol).execute();
      t.clock.advance(2_000);
      await expectInvalidToken(`Bearer ${token}`, 'password_changed');
      const after = (await login(carol)).access_token;
      expect((await whoAmI(`Bearer ${after}`)).status).toBe(200);
      await t.server.database.db.updateTable('rampart_users').set({ locked_at: new Date(t.clock.now()).toISOString() }).where('id', '=', carol).execute();
      await expectInvalidToken(`Bearer ${after}`, 'account_locked');
    });
  });

  describe('POST /v1/token (refresh grant)', () => {
    it.skipIf(skip)('rotates: a new pair, no-store, and both access tokens work', async () => {
      const first = await login(alice);
      const answer = await refresh(first.refresh_token);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('pragma')).toBe('no-cache');
      const next = answer.body as TokenResponse;
      expect(next).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
      expect(next.refresh_token).not.toBe(first.refresh_token);
      expect(part(next.access_token, 1)).toMatchObject({ sub: alice, amr: ['pwd'], auth_time: part(first.access_token, 1).auth_time });
      expect((await whoAmI(`Bearer ${next.access_token}`)).status).toBe(200);
      expect(t.events.some((e) => e.type === 'token.refresh.rotated' && e.subject === alice)).toBe(true);
    });

    it.skipIf(skip)('a retry within the grace window gets the same successor, not a second one', async () => {
      const first = await login(alice);
      const a = (await refresh(first.refresh_token)).body as TokenResponse;
      const b = (await refresh(first.refresh_token)).body as TokenResponse;
      expect(b.refresh_token).toBe(a.refresh_token);
    });

    it.skipIf(skip)('ATTACK: reuse of a rotated refresh token revokes the family, the fresh token included', async () => {
      const first = await login(alice);
      const fresh = ((await refresh(first.refresh_token)).body as TokenResponse).refresh_token;
      t.clock.advance(6_000); // past core's 5 s grace window
      const replay = await refresh(first.refresh_token);
      expect(replay.status).toBe(400);
      expect(replay.headers.get('content-type')).toContain('application/json');
      expect(replay.body).toMatchObject({ error: 'invalid_grant' });
      expect(t.events.some((e) => e.type === 'token.refresh.reuse_detected' && e.subject === alice)).toBe(true);
      expect(t.events.some((e) => e.type === 'token.refresh.family_revoked' && e.attributes?.reason === 'reuse')).toBe(true);
      expect((await refresh(fresh)).body).toMatchObject({ error: 'invalid_grant' });
    });

    it.skipIf(skip)('ATTACK: after revokeUser, none of the user\'s refresh tokens works; other users are untouched', async () => {
      const a1 = await login(alice);
      const a2 = await login(alice);
      const b1 = await login(bob);
      expect(await t.server.modules.tokens.issuer.revokeUser(alice, 'password_changed')).toBeGreaterThanOrEqual(2);
      expect(t.events.some((e) => e.type === 'token.refresh.family_revoked' && e.subject === alice && e.attributes?.reason === 'password_changed')).toBe(true);
      for (const token of [a1.refresh_token, a2.refresh_token]) expect((await refresh(token)).body).toMatchObject({ error: 'invalid_grant' });
      expect((await refresh(b1.refresh_token)).status).toBe(200);
    });

    it.skipIf(skip)('ATTACK: a locked account cannot refresh; the family is ended', async () => {
      const dave = await createVerifiedUser(t, `dave${++counter}@example.com`);
      const issued = await login(dave);
      await t.server.database.db.updateTable('rampart_users').set({ locked_at: new Date(t.clock.now()).toISOString() }).where('id', '=', dave).execute();
      expect((await refresh(issued.refresh_token)).body).toMatchObject({ error: 'invalid_grant' });
      expect(t.events.some((e) => e.type === 'token.refresh.family_revoked' && e.subject === dave && e.attributes?.reason === 'administrative')).toBe(true);
    });

    it.skipIf(skip)('narrows the scope on request; a wider scope is invalid_scope and leaves the token unspent', async () => {
      const issued = await login(alice, {}, ['orders:read', 'orders:write']);
      const wider = await refresh(issued.refresh_token, { scope: 'orders:read admin' });
      expect(wider.body).toMatchObject({ error: 'invalid_scope' });
      const narrowed = await refresh(issued.refresh_token, { scope: 'orders:read' });
      expect(narrowed.status).toBe(200);
      const token = (narrowed.body as TokenResponse).access_token;
      expect((await whoAmI(`Bearer ${token}`)).body).toMatchObject({ scopes: ['orders:read'] });
    });

    it.skipIf(skip)('ATTACK: malformed bodies get RFC 6749 errors (not problems) and store nothing', async () => {
      const issued = await login(bob);
      const families = await storedFamilies();
      const tokensBefore = await storedTokens();
      const json = (value: unknown): [string, string] => [JSON.stringify(value), 'application/json'];
      const rt = issued.refresh_token;
      const cases: [string, string, string | undefined][] = [
        ['invalid_request', '', undefined],
        ['invalid_request', ...json({})],
        ['invalid_request', ...json([{ grant_type: 'refresh_token', refresh_token: rt }])],
        ['invalid_request', ...json({ refresh_token: rt })],
        ['invalid_request', ...json({ grant_type: 'refresh_token' })],
        ['invalid_request', ...json({ grant_type: 'refresh_token', refresh_token: [rt, rt] })],
        ['invalid_request', ...json({ grant_type: 'refresh_token', refresh_token: { $ne: null } })],
        ['invalid_request', ...json({ grant_type: ['refresh_token'], refresh_token: rt })],
        ['invalid_request', '{"grant_type":"refresh_token","refresh_token":', 'application/json'],
        ['invalid_request', '{"__proto__":{"grant_type":"refresh_token"},"refresh_token":"x"}', 'application/json'],
        ['invalid_request', `grant_type=refresh_token&refresh_token=${rt}&refresh_token=${rt}`, 'application/x-www-form-urlencoded'],
        ['invalid_request', 'grant_type=refresh_token&refresh_token=%FF%FE', 'application/x-www-form-urlencoded'],
        ['invalid_request', `grant_type=refresh_token&refresh_token=${rt}`, 'text/plain'],
        ['invalid_request', JSON.stringify({ grant_type: 'refresh_token', refresh_token: rt, pad: 'x'.repeat(70_000) }), 'application/json'],
        ['unsupported_grant_type', ...json({ grant_type: 'password', username: 'alice', password: 'x' })],
        ['unsupported_grant_type', ...json({ grant_type: 'authorization_code', code: 'abc' })],
        ['unsupported_grant_type', ...json({ grant_type: 'client_credentials' })],
        ['invalid_client', ...json({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'evil' })],
        ['invalid_scope', ...json({ grant_type: 'refresh_token', refresh_token: rt, scope: '"quoted"' })],
        ['invalid_grant', ...json({ grant_type: 'refresh_token', refresh_token: 'not-a-token' })],
        ['invalid_grant', ...json({ grant_type: 'refresh_token', refresh_token: 'A'.repeat(43) })],
      ];
      for (const [error, body, contentType] of cases) {
        const answer = await tokenEndpoint(body, contentType);
        expect({ body, status: answer.status, error: (answer.body as { error?: string } | undefined)?.error }).toEqual({ body, status: 400, error });
        expect(answer.headers.get('content-type')).toContain('application/json');
        expect(answer.headers.get('cache-control')).toBe('no-store');
      }
      expect(await storedFamilies()).toBe(families);
      expect(await storedTokens()).toBe(tokensBefore);
      // The token itself was never spent by any of those.
      expect((await refresh(issued.refresh_token)).status).toBe(200);
    });
  });

  describe('POST /v1/token/revoke (RFC 7009)', () => {
    it.skipIf(skip)('revokes the family of a refresh token; unknown tokens get the same 200; JWTs are unsupported_token_type', async () => {
      const issued = await login(bob);
      const next = ((await refresh(issued.refresh_token)).body as TokenResponse).refresh_token;
      const revoked = await revoke({ token: issued.refresh_token, token_type_hint: 'refresh_token' });
      expect(revoked.status).toBe(200);
      expect(revoked.text).toBe('');
      expect(t.events.some((e) => e.type === 'token.refresh.family_revoked' && e.subject === bob && e.attributes?.reason === 'logout')).toBe(true);
      expect((await refresh(next)).body).toMatchObject({ error: 'invalid_grant' });
      for (const token of ['A'.repeat(43), 'garbage', next]) {
        const answer = await revoke({ token });
        expect(answer.status).toBe(200);
      }
      const jwt = await revoke({ token: issued.access_token });
      expect(jwt.body).toMatchObject({ error: 'unsupported_token_type' });
      expect((await revoke({})).body).toMatchObject({ error: 'invalid_request' });
      expect((await tokenEndpoint('token=x&token=y', 'application/x-www-form-urlencoded', '/v1/token/revoke')).body).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('key rotation inside one server', () => {
    it.skipIf(skip)('next key published at once, signing only after the JWKS lifetime, old key verifying until its tokens expired', async () => {
      const keys = t.server.modules.tokens.keys;
      const jwksKids = async (): Promise<string[]> => ((await apiRequest(t.url, 'GET', '/.well-known/jwks.json')).body as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      const before = await login(alice);
      const oldKid = part(before.access_token, 0).kid as string;
      const staged = await keys.store.stage(t.clock.now(), 'server');
      expect(staged.status).toBe('staged');
      await keys.sync();
      expect(await jwksKids()).toEqual(expect.arrayContaining([oldKid, staged.kid]));
      // Not yet: a verifier may still hold a JWKS from before the key existed.
      expect(part((await login(alice)).access_token, 0).kid).toBe(oldKid);
      t.clock.advance(5 * MINUTE + 29_000);
      await keys.sync();
      expect(part((await login(alice)).access_token, 0).kid).toBe(oldKid);
      t.clock.advance(2_000);
      await keys.sync();
      const after = await login(alice);
      expect(part(after.access_token, 0).kid).toBe(staged.kid);
      expect((await whoAmI(`Bearer ${before.access_token}`)).status).toBe(200);
      expect((await whoAmI(`Bearer ${after.access_token}`)).status).toBe(200);
      expect(t.events.some((e) => e.type === 'token.signing_key.rotated' && e.attributes?.kid === staged.kid && e.attributes.phase === 'signing' && e.attributes.previous === oldKid)).toBe(true);
      // Retired once every token the old key signed has expired (lifetime + reload interval + leeway).
      t.clock.advance(10 * MINUTE + 60_000);
      await keys.sync();
      expect(await jwksKids()).not.toContain(oldKid);
      expect(t.events.some((e) => e.type === 'token.signing_key.retired' && e.attributes?.kid === oldKid)).toBe(true);
      const row = await t.server.database.db.selectFrom('rampart_signing_keys').selectAll().where('kid', '=', oldKid).executeTakeFirstOrThrow();
      expect(row.private_sealed).toBeNull();
      expect(row.public_jwk).not.toContain('"d"');
    });

    it.skipIf(skip)('a key promoted by another process: the first token it signs makes this server reload its keys and accept it', async () => {
      const store = t.server.modules.tokens.keys.store;
      // What another server process does on the shared database; this server's in-memory keys do not see it yet.
      const staged = await store.stage(t.clock.now(), 'server');
      t.clock.advance(6 * MINUTE);
      expect(await store.promote(t.clock.now(), 'server')).toMatchObject({ status: 'promoted', kid: staged.kid });
      expect(part((await login(alice)).access_token, 0).kid).not.toBe(staged.kid);
      const elsewhere = createJwtIssuer({ keys: await store.load(), issuer: t.url, audience: t.url, clock: t.clock });
      const token = elsewhere.issueAccessToken({ sub: alice, client_id: 'rampart', auth_time: Math.floor(t.clock.now() / 1000), amr: ['pwd'] });
      expect(token.kid).toBe(staged.kid);
      expect((await whoAmI(`Bearer ${token.token}`)).status).toBe(200);
      // Reloaded: this server now signs with the promoted key too.
      expect(part((await login(alice)).access_token, 0).kid).toBe(staged.kid);
    });
  });
});
