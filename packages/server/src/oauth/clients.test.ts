/*
 * The client store (what client administration is built on) on real SQLite and PostgreSQL: secrets shown once and
 * sealed at rest, the profile's rules enforced at write time, deletion ending what was issued.
 */
import { ManualClock } from '@rampart/core';
import { KeyRing } from '@rampart/core/crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerDatabase } from '../db/database.js';
import { BACKENDS, type TestBackend } from '../stores/databases.fixtures.js';
import { issueCertificate } from './certificates.fixtures.js';
import { OAuthClientError, OAuthClientStore, type OAuthClientInput } from './clients.js';

const CALLBACK = 'https://app.example/cb';

for (const { name, skip, create } of BACKENDS) {
  describe.skipIf(skip)(`OAuthClientStore on ${name}`, () => {
    let backend: TestBackend;
    let database: ServerDatabase;
    let store: OAuthClientStore;
    let production: OAuthClientStore;
    const revoked: string[] = [];
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    const ring = KeyRing.generate();

    beforeAll(async () => {
      backend = await create();
      database = await backend.open();
      const options = { clock, idTokenAlgorithm: () => 'EdDSA', revokeIssued: (clientId: string) => Promise.resolve(revoked.push(clientId)) };
      store = new OAuthClientStore(database, ring, { ...options, allowLoopbackHttp: true });
      production = new OAuthClientStore(database, ring, options);
    });
    afterAll(() => backend.dispose());

    const web = (extra: Partial<OAuthClientInput> = {}): OAuthClientInput => ({ type: 'confidential', redirectUris: [CALLBACK], grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'orders:read'], ...extra });
    const refused = async (input: unknown, message: RegExp, on = store) => {
      const attempt = on.create(input as OAuthClientInput);
      await expect(attempt).rejects.toBeInstanceOf(OAuthClientError);
      await expect(attempt).rejects.toThrow(message);
    };

    it('creates a confidential client: the secret is returned once, 256 random bits, and stored only sealed', async () => {
      const { client, clientSecret } = await store.create(web({ name: 'Orders', firstParty: true }));
      expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(client).toMatchObject({ type: 'confidential', name: 'Orders', tokenEndpointAuthMethod: 'client_secret_basic', hasSecret: true, firstParty: true, scopes: ['openid', 'orders:read'] });
      expect(JSON.stringify(await store.get(client.clientId))).not.toContain(clientSecret);
      const row = await database.db.selectFrom('rampart_oauth_clients').selectAll().where('client_id', '=', client.clientId).executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain(clientSecret);
      expect(row.secret_sealed).toMatch(/^rf1\./);
      // The provider gets the secret (it compares it itself), the OpenID scopes as `scope`, API scopes apart.
      expect(await store.providerMetadata(client.clientId)).toMatchObject({
        client_id: client.clientId,
        client_secret: clientSecret,
        scope: 'openid',
        rampart_resource_scopes: 'orders:read',
        response_types: ['code'],
        response_modes: ['query'],
        redirect_uris: [CALLBACK],
      });
    });

    it('attack: a sealed secret copied onto another client does not open there — that client cannot authenticate at all', async () => {
      const victim = await store.create(web());
      const attacker = await store.create(web());
      const sealed = await database.db.selectFrom('rampart_oauth_clients').select('secret_sealed').where('client_id', '=', victim.client.clientId).executeTakeFirstOrThrow();
      await database.db.updateTable('rampart_oauth_clients').set({ secret_sealed: sealed.secret_sealed }).where('client_id', '=', attacker.client.clientId).execute();
      expect(await store.providerMetadata(attacker.client.clientId)).toBeUndefined();
      expect(await store.providerMetadata(victim.client.clientId)).toMatchObject({ client_secret: victim.clientSecret });
    });

    it('attack: a secret rotated, a client changed or deleted by another server process counts at the next token request, despite metadata kept opened', async () => {
      const elsewhere = new OAuthClientStore(await backend.open(), ring, { clock, idTokenAlgorithm: () => 'EdDSA', allowLoopbackHttp: true });
      const { client, clientSecret } = await store.create(web());
      const opened = await store.providerMetadata(client.clientId);
      expect(opened?.client_secret).toBe(clientSecret);
      expect(await store.providerMetadata(client.clientId)).toBe(opened); // unchanged row: not opened again
      const rotated = await elsewhere.rotateSecret(client.clientId);
      expect((await store.providerMetadata(client.clientId))?.client_secret).toBe(rotated.clientSecret);
      // A seal swapped in by a direct write (copied from another client) is noticed too: the row changed.
      const other = await store.create(web());
      const sealed = await database.db.selectFrom('rampart_oauth_clients').select('secret_sealed').where('client_id', '=', other.client.clientId).executeTakeFirstOrThrow();
      await database.db.updateTable('rampart_oauth_clients').set({ secret_sealed: sealed.secret_sealed }).where('client_id', '=', client.clientId).execute();
      expect(await store.providerMetadata(client.clientId)).toBeUndefined();
      expect(await elsewhere.delete(other.client.clientId)).toBe(true);
      expect(await store.providerMetadata(other.client.clientId)).toBeUndefined();
    });

    it('rotates a secret: the new one is returned once and replaces the old', async () => {
      const { client, clientSecret } = await store.create(web());
      clock.advance(1000);
      const rotated = await store.rotateSecret(client.clientId);
      expect(rotated.clientSecret).not.toBe(clientSecret);
      expect(rotated.client.secretRotatedAt).toBe(clock.now());
      expect((await store.providerMetadata(client.clientId))?.client_secret).toBe(rotated.clientSecret);
      const publicClient = await store.create({ type: 'public', redirectUris: [CALLBACK], grantTypes: ['authorization_code'] });
      await expect(store.rotateSecret(publicClient.client.clientId)).rejects.toThrow(/does not authenticate with a secret/);
    });

    it('a public client has no secret and authenticates with nothing (PKCE is what binds its codes)', async () => {
      const { client, clientSecret } = await store.create({ type: 'public', applicationType: 'native', redirectUris: ['http://127.0.0.1/callback', 'com.example.app:/cb'], grantTypes: ['authorization_code', 'refresh_token'] });
      expect(clientSecret).toBeUndefined();
      expect(client).toMatchObject({ tokenEndpointAuthMethod: 'none', hasSecret: false, applicationType: 'native' });
    });

    it('refuses clients that could not work or would weaken the profile, naming the rule', async () => {
      await refused({ type: 'public', tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: [CALLBACK], grantTypes: ['authorization_code'] }, /public client cannot authenticate/);
      await refused({ type: 'confidential', tokenEndpointAuthMethod: 'none', redirectUris: [CALLBACK], grantTypes: ['authorization_code'] }, /confidential client must authenticate/);
      await refused({ type: 'public', grantTypes: ['client_credentials'] }, /client_credentials needs a confidential client/);
      await refused({ type: 'confidential', grantTypes: ['refresh_token'] }, /refresh_token comes with authorization_code/);
      await refused({ type: 'confidential', grantTypes: ['authorization_code'] }, /needs at least one redirect URI/);
      await refused({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt' }, /private_key_jwt needs jwks/);
      await refused({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'tls_client_auth' }, /tls_client_auth needs tlsClientAuthSubjectDn/);
      await refused({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'self_signed_tls_client_auth' }, /needs the client's certificates/);
      await refused({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'self_signed_tls_client_auth', certificates: ['-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----'] }, /not a PEM X.509 certificate/);
      // OAuth 2.1 has no implicit or password grant: they are not even names here.
      await refused({ type: 'confidential', redirectUris: [CALLBACK], grantTypes: ['implicit'] }, /grantTypes/);
      await refused({ type: 'confidential', grantTypes: ['password'] }, /grantTypes/);
    });

    it('attack: redirect URIs that make an open redirector or leak codes are refused', async () => {
      await refused(web({ redirectUris: ['https://app.example/cb#fragment'] }), /no fragment/);
      await refused(web({ redirectUris: ['/relative/cb'] }), /not an absolute URI/);
      await refused(web({ redirectUris: ['javascript:alert(1)'] }), /use https/);
      await refused(web({ redirectUris: ['http://app.example/cb'] }), /use https/);
      // Plain http on loopback: development only.
      expect((await store.create(web({ redirectUris: ['http://127.0.0.1:8080/cb'] }))).client.redirectUris).toEqual(['http://127.0.0.1:8080/cb']);
      await refused(web({ redirectUris: ['http://127.0.0.1:8080/cb'] }), /use https/, production);
    });

    it('attack: mass assignment — a secret, a private key or an unknown field in the input is refused, not stored', async () => {
      await refused({ ...web(), clientSecret: 'chosen-by-the-caller' }, /additionalProperties|clientSecret/);
      await refused({ ...web(), hasSecret: true }, /additionalProperties|hasSecret/);
      await refused({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private' }] } }, /jwks/);
      await refused({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /jwks/);
    });

    it('registers a self-signed certificate as a JWK carrying it (x5c), and a tls_client_auth client by subject DN', async () => {
      const certificate = await issueCertificate('CN=device-42');
      const selfSigned = await store.create({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'self_signed_tls_client_auth', certificates: [certificate.pem], certificateBoundAccessTokens: true });
      expect(selfSigned.clientSecret).toBeUndefined();
      expect(selfSigned.client.jwks?.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', x5c: [certificate.der.toString('base64')] });
      const pki = await store.create({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example' });
      expect(await store.providerMetadata(pki.client.clientId)).toMatchObject({ token_endpoint_auth_method: 'tls_client_auth', tls_client_auth_subject_dn: 'CN=billing.example, O=Example' });
    });

    it('updates fields, validating the result as a whole; type and authentication method stay', async () => {
      const { client } = await store.create(web());
      clock.advance(1000);
      const updated = await store.update(client.clientId, { redirectUris: ['https://app.example/other'], dpopBoundAccessTokens: true });
      expect(updated).toMatchObject({ redirectUris: ['https://app.example/other'], dpopBoundAccessTokens: true, updatedAt: clock.now(), createdAt: client.createdAt });
      await expect(store.update(client.clientId, { redirectUris: [] })).rejects.toThrow(/needs at least one redirect URI/);
      await expect(store.update(client.clientId, { type: 'public' } as never)).rejects.toThrow(/invalid change/);
      expect((await store.get(client.clientId))?.redirectUris).toEqual(['https://app.example/other']);
      await expect(store.update('nobody', { name: 'x' })).rejects.toThrow(/no client/);
    });

    it('attack: lost updates — a change decided on an old version is refused, and two writes racing on one version never both land', async () => {
      const { client } = await store.create(web({ name: 'Orders' }));
      const renamed = await store.update(client.clientId, { name: 'Orders v2' }, { ifVersion: client.version });
      expect(renamed.version).not.toBe(client.version);
      expect((await store.get(client.clientId))?.version).toBe(renamed.version);
      await expect(store.update(client.clientId, { name: 'stale' }, { ifVersion: client.version })).rejects.toMatchObject({ code: 'OAUTH_CLIENT_CONFLICT' });
      await expect(store.rotateSecret(client.clientId, { ifVersion: client.version })).rejects.toMatchObject({ code: 'OAUTH_CLIENT_CONFLICT' });
      // Racing on one version: exactly one lands, and what is stored is the winner's.
      const raced = await Promise.allSettled([store.update(client.clientId, { name: 'A' }, { ifVersion: renamed.version }), store.update(client.clientId, { firstParty: true }, { ifVersion: renamed.version })]);
      const won = raced.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won).toHaveLength(1);
      for (const lost of raced) if (lost.status === 'rejected') expect(lost.reason).toMatchObject({ code: 'OAUTH_CLIENT_CONFLICT' });
      expect((await store.get(client.clientId))?.version).toBe(won[0]?.version);
      // Without a version each write is still conditional on the row it read: a loser is refused, never merged.
      const unversioned = await Promise.allSettled([store.update(client.clientId, { name: 'B' }), store.update(client.clientId, { name: 'C' }), store.update(client.clientId, { firstParty: false })]);
      for (const lost of unversioned) if (lost.status === 'rejected') expect(lost.reason).toMatchObject({ code: 'OAUTH_CLIENT_CONFLICT' });
      const stored = await store.get(client.clientId);
      expect(unversioned.flatMap((r) => (r.status === 'fulfilled' ? [r.value.version] : []))).toContain(stored?.version);
      // Two rotations of one version: one secret handed out, and it is the one that works.
      const rotations = await Promise.allSettled([store.rotateSecret(client.clientId, { ifVersion: stored?.version ?? '' }), store.rotateSecret(client.clientId, { ifVersion: stored?.version ?? '' })]);
      const issued = rotations.flatMap((r) => (r.status === 'fulfilled' ? [r.value.clientSecret] : []));
      expect(issued).toHaveLength(1);
      expect((await store.providerMetadata(client.clientId))?.client_secret).toBe(issued[0]);
      await expect(store.update('nobody', { name: 'x' }, { ifVersion: client.version })).rejects.toMatchObject({ code: 'OAUTH_CLIENT_UNKNOWN' });
    });

    it('attack: redirect URIs OAuth 2.1 and RFC 8252 forbid are refused by field and rule, without repeating the URI', async () => {
      const native = (uri: string): OAuthClientInput => ({ type: 'public', applicationType: 'native', redirectUris: [uri], grantTypes: ['authorization_code'] });
      await refused(web({ redirectUris: [CALLBACK, 'https://*.app.example/cb'] }), /^redirectUris\[1\] has a wildcard/);
      await refused(web({ redirectUris: ['https://app.example/cb/*'] }), /wildcard/);
      await refused(web({ redirectUris: ['https://app.example@evil.example/cb'] }), /user information/);
      await refused(web({ postLogoutRedirectUris: ['https://app.example/bye#x'] }), /^postLogoutRedirectUris\[0\] has a fragment/);
      await refused(native('http://evil.example/cb'), /127\.0\.0\.1 or \[::1\]/);
      await refused(native('http://localhost/cb'), /localhost is not recommended/);
      await refused(native('https://127.0.0.1/cb'), /claimed domain/);
      await refused(native('myapp:/cb'), /reverse domain name/);
      await refused(native('javascript:alert(1)'), /reverse domain name/);
      await refused(native('data:text/html,x'), /reverse domain name/);
      const attempt = store.create(web({ redirectUris: ['https://secret-path.example/*'] }));
      await expect(attempt).rejects.not.toThrow(/secret-path/);
      expect((await store.create(native('com.example.app:/cb'))).client.redirectUris).toEqual(['com.example.app:/cb']);
      expect((await store.create(native('http://[::1]:49152/cb'))).client.redirectUris).toEqual(['http://[::1]:49152/cb']);
    });

    it('names the grants OAuth 2.1 removed, and refuses a client id that is a path segment', async () => {
      await refused(web({ grantTypes: ['implicit'] as never }), /implicit was removed by OAuth 2\.1/);
      await refused({ type: 'confidential', grantTypes: ['client_credentials', 'password'] }, /password was removed by OAuth 2\.1/);
      await expect(store.update((await store.create(web())).client.clientId, { grantTypes: ['implicit'] as never })).rejects.toThrow(/implicit was removed/);
      await refused(web({ clientId: '.' }), /only dots/);
      await refused(web({ clientId: '..' }), /only dots/);
      const schema = store.create({ type: 'confidential', grantTypes: ['client_credentials'], extra: 1 } as never);
      await expect(schema).rejects.toMatchObject({ code: 'OAUTH_CLIENT_INVALID', issues: [{ pointer: '', rule: 'additionalProperties' }] });
    });

    it('attack: a self-signed mTLS key whose JWK is not its certificate\'s key, or that carries no certificate, is refused', async () => {
      const mine = await issueCertificate('CN=device-1');
      const theirs = await issueCertificate('CN=device-2');
      const pinned = await store.create({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'self_signed_tls_client_auth', certificates: [mine.pem] });
      const key = pinned.client.jwks?.keys[0] ?? {};
      const selfSigned = (keys: unknown[]): OAuthClientInput => ({ type: 'confidential', grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'self_signed_tls_client_auth', jwks: { keys } as never });
      await refused(selfSigned([{ ...key, x5c: [theirs.der.toString('base64')] }]), /not the one in its certificate/);
      await refused(selfSigned([{ kty: key.kty, crv: key.crv, x: key.x, y: key.y }]), /carries its certificate/);
      await refused(selfSigned([{ ...key, x5c: ['bm90IGEgY2VydGlmaWNhdGU='] }]), /not a DER X\.509 certificate/);
      expect((await store.create(selfSigned([key]))).client.jwks?.keys[0]).toEqual(key);
    });

    it('revokes what was issued to a client on demand, and says how much', async () => {
      const { client } = await store.create(web());
      const before = revoked.length;
      expect(await store.revokeIssued(client.clientId)).toBe(before + 1);
      expect(revoked.at(-1)).toBe(client.clientId);
    });

    it('lists clients in pages, and refuses a second client with the same id', async () => {
      await store.create(web({ clientId: 'aaa-listed' }));
      await expect(store.create(web({ clientId: 'aaa-listed' }))).rejects.toThrow(/already exists/);
      const first = await store.list({ limit: 2 });
      expect(first).toHaveLength(2);
      const next = await store.list({ limit: 2, after: first[1]?.clientId ?? '' });
      expect(next[0]?.clientId.localeCompare(first[1]?.clientId ?? '')).toBeGreaterThan(0);
    });

    it('deletes a client and what was issued to it', async () => {
      const { client } = await store.create(web());
      expect(await store.delete(client.clientId)).toBe(true);
      expect(revoked).toContain(client.clientId);
      expect(await store.get(client.clientId)).toBeUndefined();
      expect(await store.providerMetadata(client.clientId)).toBeUndefined();
      expect(await store.delete(client.clientId)).toBe(false);
    });
  });
}
