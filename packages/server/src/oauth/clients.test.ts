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
