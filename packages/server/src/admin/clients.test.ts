/*
 * OAuth client administration (`/v1/admin/oauth/clients`) end to end, over real HTTP with the whole server, on SQLite
 * and on PostgreSQL + Redis. Each control is shown by performing the attack it stops: a non-administrator and a stale
 * session on every route, the redirect URIs and grants OAuth 2.1 forbids, mass assignment, lost updates, and secrets
 * looked for everywhere they must not be (list, show, events, logs). The secret's life is checked where it matters: at
 * the token endpoint, with the provider's client-credentials grant and introspection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, browserSignedInAs, type BrowserClient, type JsonResponse } from '../testing/browser-client.fixtures.js';
import { SERVER_BACKENDS, startTestServer, type TestServer } from '../testing/server.fixtures.js';
import { createVerifiedUser } from '../testing/users.fixtures.js';
import { issueCertificate, thumbprintOf } from '../oauth/certificates.fixtures.js';
import { basic, postForm } from '../oauth/oauth.fixtures.js';

const MINUTE = 60_000;
const CLIENTS = '/v1/admin/oauth/clients';
const CALLBACK = 'https://app.example.test/cb';

interface ClientView {
  readonly clientId: string;
  readonly version: string;
  readonly hasSecret: boolean;
  readonly [field: string]: unknown;
}

function code(response: JsonResponse): unknown {
  return (response.body as { code?: unknown } | undefined)?.code;
}

/** A confidential service using client credentials (RFC 6749 §4.4). */
const service = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'confidential', name: 'Billing', grantTypes: ['client_credentials'], scopes: ['orders:read'], ...extra });
/** A confidential web application using the code flow. */
const webApp = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'confidential', redirectUris: [CALLBACK], grantTypes: ['authorization_code', 'refresh_token'], scopes: ['openid', 'email'], ...extra });

describe.each(SERVER_BACKENDS)('OAuth client administration on $name', ({ backend, skip }) => {
  let t: TestServer;
  let adminId: string;
  let admin: BrowserClient;
  const logs: string[] = [];
  /** Every secret the API handed out: none may appear anywhere else. */
  const secrets: string[] = [];
  let n = 0;

  beforeAll(async () => {
    if (skip) return;
    // The provider stamps its tokens with the system clock: the server's manual clock starts there too.
    t = await startTestServer({ backend, startAt: Date.now(), env: { RAMPART_LOG_LEVEL: 'debug' }, logDestination: { write: (line) => { logs.push(line); } } });
    adminId = await createVerifiedUser(t, `root-${backend}@example.com`);
    await t.server.modules.authz.grantAdmin(adminId);
    admin = await browserSignedInAs(t, adminId);
  });
  afterAll(async () => {
    if (!skip) await t.close();
  });

  const clientCount = async (): Promise<number> => Number((await t.server.database.db.selectFrom('rampart_oauth_clients').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  /** Registers a client through the API; its secret (if any) joins the list of secrets that must not leak. */
  const create = async (body: Record<string, unknown>): Promise<{ client: ClientView; clientSecret: string | undefined; response: JsonResponse }> => {
    const response = await admin.request('POST', CLIENTS, { json: body });
    expect([response.status, response.text]).toEqual([201, response.text]);
    const { client, clientSecret } = response.body as { client: ClientView; clientSecret?: string };
    if (clientSecret !== undefined) secrets.push(clientSecret);
    return { client, clientSecret, response };
  };
  const clientCredentials = (clientId: string, secret: string) => postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(clientId, secret) });
  /** Introspection (RFC 7662) by a resource server of its own: whether the provider still honours `token`. */
  let introspector: { clientId: string; secret: string } | undefined;
  const active = async (token: string): Promise<unknown> => {
    if (introspector === undefined) {
      const { client, clientSecret } = await create(service({ name: 'Introspector' }));
      introspector = { clientId: client.clientId, secret: clientSecret ?? '' };
    }
    return (await postForm(t, '/oauth/token/introspection', { token }, { authorization: basic(introspector.clientId, introspector.secret) })).body.active;
  };

  /** The audit trail as stored (after the hub committed everything and redaction ran): what an auditor reads. */
  const storedTrail = async (): Promise<{ type: string; subject?: string; attributes?: Readonly<Record<string, unknown>> }[]> => {
    await t.server.events.flush();
    const trail = [];
    for (let seq = 0; seq < t.server.audit.size; seq++) {
      const entry = await t.server.audit.entry(seq);
      if (entry !== undefined) trail.push(entry.event);
    }
    return trail;
  };

  it.skipIf(skip)('attack: a signed-in non-administrator gets 403 authz.admin_required on every client route; anonymous 401; nothing changes', async () => {
    const { client } = await create(service());
    const before = await clientCount();
    const user = await browserSignedInAs(t, await createVerifiedUser(t, `user${++n}-${backend}@example.com`));
    const routes: readonly (readonly [string, string, unknown?])[] = [
      ['POST', CLIENTS, service()],
      ['GET', CLIENTS],
      ['GET', `${CLIENTS}/${client.clientId}`],
      ['PATCH', `${CLIENTS}/${client.clientId}`, { firstParty: true }],
      ['POST', `${CLIENTS}/${client.clientId}/secret`, {}],
      ['DELETE', `${CLIENTS}/${client.clientId}`],
    ];
    for (const [method, path, json] of routes) {
      const response = await user.request(method, path, { ...(json === undefined ? {} : { json }), headers: { 'if-match': `"${client.version}"` } });
      expect([method, path, response.status, code(response)]).toEqual([method, path, 403, 'authz.admin_required']);
      expect(response.text).not.toMatch(/clientSecret/);
      const anonymous = await apiRequest(t.url, method, path, json === undefined ? {} : { json });
      expect([method, path, anonymous.status]).toEqual([method, path, 401]);
    }
    expect(await clientCount()).toBe(before);
    expect((await admin.request('GET', `${CLIENTS}/${client.clientId}`)).body).toMatchObject({ version: client.version, firstParty: false });
    await t.server.events.flush();
    expect(t.events.some((e) => e.type === 'authz.denied' && e.attributes?.route === '/v1/admin/oauth/clients')).toBe(true);
  });

  it.skipIf(skip)('attack: changes without a step-up in the last 10 minutes are 403 auth.step_up_required, nothing changes; reads need the role only', async () => {
    const { client } = await create(service());
    const before = await clientCount();
    const stale = await browserSignedInAs(t, adminId, { fullyAuthenticatedAt: t.clock.now() - 11 * MINUTE });
    for (const [method, path, json] of [
      ['POST', CLIENTS, service()],
      ['PATCH', `${CLIENTS}/${client.clientId}`, { firstParty: true }],
      ['POST', `${CLIENTS}/${client.clientId}/secret`, {}],
      ['DELETE', `${CLIENTS}/${client.clientId}`, undefined],
    ] as const) {
      const response = await stale.request(method, path, { ...(json === undefined ? {} : { json }), headers: { 'if-match': `"${client.version}"` } });
      expect([path, response.status, code(response)]).toEqual([path, 403, 'auth.step_up_required']);
    }
    expect(await clientCount()).toBe(before);
    const read = await stale.request('GET', `${CLIENTS}/${client.clientId}`);
    expect(read.status).toBe(200);
    expect((read.body as ClientView).version).toBe(client.version);
  });

  it.skipIf(skip)('registers a confidential client: 201 with the secret once, never again — not in list, show, events or logs', async () => {
    const { client, clientSecret, response } = await create(service({ dpopBoundAccessTokens: true }));
    expect(clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('location')).toBe(`${CLIENTS}/${client.clientId}`);
    expect(response.headers.get('etag')).toBe(`"${client.version}"`);
    expect(client).toMatchObject({ type: 'confidential', name: 'Billing', tokenEndpointAuthMethod: 'client_secret_basic', hasSecret: true, dpopBoundAccessTokens: true, firstParty: false, secretRotatedAt: null });
    expect(client.clientId.startsWith('-')).toBe(false);

    const shown = await admin.request('GET', `${CLIENTS}/${client.clientId}`);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('etag')).toBe(`"${client.version}"`);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(shown.body).toEqual(client);
    const listed = await admin.request('GET', `${CLIENTS}?limit=100`);
    expect((listed.body as { clients: ClientView[] }).clients.map((c) => c.clientId)).toContain(client.clientId);
    for (const text of [shown.text, listed.text]) {
      expect(text).not.toContain(clientSecret);
      expect(text).not.toMatch(/clientSecret|secret_sealed|rf1\./);
    }

    await t.server.events.flush();
    // The administrator is the subject (the OCSF actor), the client is named by id.
    const created = t.events.find((e) => e.type === 'oauth.client.created' && e.attributes?.clientId === client.clientId);
    expect(created?.subject).toBe(adminId);
    expect(created?.attributes).toMatchObject({ by: adminId, clientType: 'confidential', authMethod: 'client_secret_basic', grantTypes: 'client_credentials', scopes: 'orders:read', dpopBoundAccessTokens: true, version: client.version });
    expect(created?.attributes).not.toHaveProperty('principal');
    // What the trail stored (after its redaction) has the event, and no secret either.
    const trail = await storedTrail();
    expect(trail.some((e) => e.type === 'oauth.client.created' && e.subject === adminId && e.attributes?.clientId === client.clientId)).toBe(true);
    expect(JSON.stringify(trail)).not.toContain(clientSecret);
    expect(t.events.some((e) => e.type === 'admin.accessed' && e.attributes?.what === 'oauth_client' && e.attributes.target === client.clientId)).toBe(true);
    // The log saw the requests (so the check below looks at something), and no secret.
    expect(logs.some((line) => line.includes('"route":"/v1/admin/oauth/clients"'))).toBe(true);
    for (const secret of [clientSecret ?? '', ...secrets]) {
      expect(JSON.stringify(t.events)).not.toContain(secret);
      expect(logs.join('\n')).not.toContain(secret);
    }
  });

  it.skipIf(skip)('the secret works at the token endpoint; rotation hands out a new one once and the old one stops at once', async () => {
    const { client, clientSecret } = await create(service());
    const first = await clientCredentials(client.clientId, clientSecret ?? '');
    expect([first.status, first.body.token_type]).toEqual([200, 'Bearer']);

    const rotation = await admin.request('POST', `${CLIENTS}/${client.clientId}/secret`);
    expect(rotation.status).toBe(200);
    const rotated = rotation.body as { client: ClientView; clientSecret: string; revokedArtifacts: number };
    secrets.push(rotated.clientSecret);
    expect(rotated.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.clientSecret).not.toBe(clientSecret);
    expect(rotated.revokedArtifacts).toBe(0);
    expect(rotated.client.version).not.toBe(client.version);
    expect(rotated.client.secretRotatedAt).not.toBeNull();
    expect(rotation.headers.get('cache-control')).toBe('no-store');

    // The old secret: invalid_client, at once. The new one: a token.
    const old = await clientCredentials(client.clientId, clientSecret ?? '');
    expect([old.status, old.body.error]).toEqual([401, 'invalid_client']);
    const fresh = await clientCredentials(client.clientId, rotated.clientSecret);
    expect(fresh.status).toBe(200);
    // Without revokeIssued the tokens already issued stay valid (a routine rotation does not break running services).
    expect(await active(String(first.body.access_token))).toBe(true);
    expect((await admin.request('GET', `${CLIENTS}/${client.clientId}`)).text).not.toContain(rotated.clientSecret);

    await t.server.events.flush();
    const event = t.events.find((e) => e.type === 'oauth.client.secret_rotated' && e.attributes?.clientId === client.clientId);
    expect(event?.subject).toBe(adminId);
    expect(event?.attributes).toMatchObject({ by: adminId, revokeIssued: false, revokedArtifacts: 0, version: rotated.client.version });
    // The old secret failing at the token endpoint is a failed client authentication, with the client named.
    expect(t.events.filter((e) => e.type === 'oauth.client.authentication_failed' && e.attributes?.clientId === client.clientId).map((e) => e.attributes?.reason)).toEqual(['wrong_secret']);
    for (const secret of [clientSecret ?? '', rotated.clientSecret, String(first.body.access_token), String(fresh.body.access_token)]) {
      expect(JSON.stringify(t.events)).not.toContain(secret);
      expect(JSON.stringify(await storedTrail())).not.toContain(secret);
    }
    expect(logs.join('\n')).not.toContain(rotated.clientSecret);
  });

  it.skipIf(skip)('attack: a leaked secret — rotation with revokeIssued ends the tokens obtained with it', async () => {
    const { client, clientSecret } = await create(service());
    const stolen = await clientCredentials(client.clientId, clientSecret ?? '');
    expect(await active(String(stolen.body.access_token))).toBe(true);
    const rotation = await admin.request('POST', `${CLIENTS}/${client.clientId}/secret`, { json: { revokeIssued: true } });
    expect(rotation.status).toBe(200);
    secrets.push((rotation.body as { clientSecret: string }).clientSecret);
    expect((rotation.body as { revokedArtifacts: number }).revokedArtifacts).toBeGreaterThanOrEqual(1);
    expect(await active(String(stolen.body.access_token))).toBe(false);
    await t.server.events.flush();
    expect(t.events.find((e) => e.type === 'oauth.client.secret_rotated' && e.attributes?.clientId === client.clientId)?.attributes).toMatchObject({ revokeIssued: true, revokedArtifacts: (rotation.body as { revokedArtifacts: number }).revokedArtifacts });
    // Mass assignment in the rotation body: refused, nothing rotated.
    const before = (await admin.request('GET', `${CLIENTS}/${client.clientId}`)).body as ClientView;
    const forged = await admin.request('POST', `${CLIENTS}/${client.clientId}/secret`, { json: { clientSecret: 'chosen-by-the-attacker' } });
    expect([forged.status, code(forged)]).toEqual([400, 'validation.failed']);
    expect(((await admin.request('GET', `${CLIENTS}/${client.clientId}`)).body as ClientView).version).toBe(before.version);
  });

  it.skipIf(skip)('delete: every token issued to the client is inactive, it cannot get more, and the route says 404 afterwards', async () => {
    const { client, clientSecret } = await create(service());
    const issued = await clientCredentials(client.clientId, clientSecret ?? '');
    expect(await active(String(issued.body.access_token))).toBe(true);
    const deleted = await admin.request('DELETE', `${CLIENTS}/${client.clientId}`);
    expect(deleted.status).toBe(204);
    expect(await active(String(issued.body.access_token))).toBe(false);
    const again = await clientCredentials(client.clientId, clientSecret ?? '');
    expect([again.status, again.body.error]).toEqual([401, 'invalid_client']);
    expect(await t.server.modules.oauth.store.revokeByClientId(client.clientId)).toBe(0);
    for (const [method, path] of [['GET', `${CLIENTS}/${client.clientId}`], ['DELETE', `${CLIENTS}/${client.clientId}`], ['POST', `${CLIENTS}/${client.clientId}/secret`]] as const) {
      const response = await admin.request(method, path);
      expect([method, response.status, code(response)]).toEqual([method, 404, 'admin.oauth_client_not_found']);
    }
    await t.server.events.flush();
    const deletion = t.events.filter((e) => e.type === 'oauth.client.deleted' && e.attributes?.clientId === client.clientId);
    // Once: the later 404s are not deletions.
    expect(deletion).toHaveLength(1);
    expect(deletion[0]?.subject).toBe(adminId);
    expect(deletion[0]?.attributes).toMatchObject({ by: adminId, clientType: 'confidential', authMethod: 'client_secret_basic' });
    expect(t.events.some((e) => e.type === 'account.disabled' && e.subject === client.clientId)).toBe(false);
  });

  it.skipIf(skip)('attack: what OAuth 2.1 forbids is refused with the rule named, the value not echoed, and nothing stored', async () => {
    const before = await clientCount();
    const refusals: readonly (readonly [string, Record<string, unknown>, RegExp])[] = [
      ['fragment', webApp({ redirectUris: ['https://app.example.test/cb#access_token'] }), /fragment/],
      ['wildcard host', webApp({ redirectUris: ['https://*.example.test/cb'] }), /wildcard/],
      ['wildcard path', webApp({ redirectUris: ['https://app.example.test/*'] }), /wildcard/],
      ['userinfo look-alike', webApp({ redirectUris: ['https://app.example.test@evil.example/cb'] }), /user information/],
      ['http outside loopback (web)', webApp({ redirectUris: ['http://app.example.test/cb'] }), /use https/],
      ['http outside loopback (public SPA)', { type: 'public', redirectUris: ['http://spa.example.test/cb'], grantTypes: ['authorization_code'] }, /use https/],
      ['post-logout fragment', webApp({ postLogoutRedirectUris: ['https://app.example.test/bye#x'] }), /postLogoutRedirectUris\[0\].*fragment/],
      ['native http outside loopback', { type: 'public', applicationType: 'native', redirectUris: ['http://evil.example/cb'], grantTypes: ['authorization_code'] }, /RFC 8252 §7\.3/],
      ['native localhost', { type: 'public', applicationType: 'native', redirectUris: ['http://localhost:7000/cb'], grantTypes: ['authorization_code'] }, /loopback IP literal/],
      ['native claimed https on loopback', { type: 'public', applicationType: 'native', redirectUris: ['https://127.0.0.1/cb'], grantTypes: ['authorization_code'] }, /RFC 8252 §7\.2/],
      ['native scheme without a domain', { type: 'public', applicationType: 'native', redirectUris: ['myapp:/cb'], grantTypes: ['authorization_code'] }, /reverse domain/],
      ['native javascript:', { type: 'public', applicationType: 'native', redirectUris: ['javascript:alert(1)'], grantTypes: ['authorization_code'] }, /reverse domain/],
      ['implicit grant', webApp({ grantTypes: ['implicit'] }), /implicit was removed by OAuth 2\.1/],
      ['password grant', service({ grantTypes: ['password'] }), /password was removed by OAuth 2\.1/],
      ['public client with client_credentials', { type: 'public', grantTypes: ['client_credentials'] }, /client_credentials needs a confidential client/],
      ['confidential client without authentication', service({ tokenEndpointAuthMethod: 'none' }), /confidential client must authenticate/],
      ['public client with a secret', { type: 'public', redirectUris: [CALLBACK], grantTypes: ['authorization_code'], tokenEndpointAuthMethod: 'client_secret_basic' }, /public client cannot authenticate/],
      ['tls_client_auth without a subject DN', service({ tokenEndpointAuthMethod: 'tls_client_auth' }), /tlsClientAuthSubjectDn/],
      ['an id that is a path segment', service({ clientId: '..' }), /only dots/],
    ];
    for (const [name, body, rule] of refusals) {
      const response = await admin.request('POST', CLIENTS, { json: body });
      expect([name, response.status, code(response)]).toEqual([name, 400, 'admin.oauth_client_invalid']);
      expect([name, (response.body as { detail: string }).detail]).toEqual([name, expect.stringMatching(rule)]);
      for (const uri of [...((body.redirectUris as string[] | undefined) ?? []), ...((body.postLogoutRedirectUris as string[] | undefined) ?? [])]) expect([name, response.text.includes(uri)]).toEqual([name, false]);
    }
    expect(await clientCount()).toBe(before);
    // And what RFC 8252 allows a native app: loopback IP literals with any port, a reverse-domain private-use scheme.
    const native = await create({ type: 'public', applicationType: 'native', redirectUris: ['http://127.0.0.1:7000/cb', 'http://[::1]/cb', 'com.example.app:/oauth2redirect'], grantTypes: ['authorization_code', 'refresh_token'] });
    expect(native.clientSecret).toBeUndefined();
    expect(native.client).toMatchObject({ type: 'public', tokenEndpointAuthMethod: 'none', hasSecret: false });
  });

  it.skipIf(skip)('attack: mass assignment — a chosen secret, hasSecret, an unknown member or a private key is a 400 validation problem, nothing stored', async () => {
    const before = await clientCount();
    for (const body of [
      service({ clientSecret: 'chosen-by-the-attacker' }),
      service({ hasSecret: true }),
      service({ role: 'admin' }),
      service({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private' }] } }),
      { type: 'root', grantTypes: ['client_credentials'] },
    ]) {
      const response = await admin.request('POST', CLIENTS, { json: body });
      expect([response.status, code(response)]).toEqual([400, 'validation.failed']);
      expect(response.text).not.toContain('chosen-by-the-attacker');
    }
    expect(await clientCount()).toBe(before);
  });

  it.skipIf(skip)('changes need If-Match: 428 without, 400 for * or a weak tag, 412 with the current ETag when stale, 200 and a new ETag when current', async () => {
    const { client } = await create(webApp({ name: 'Orders' }));
    const path = `${CLIENTS}/${client.clientId}`;
    const change = { redirectUris: [CALLBACK, 'https://app.example.test/other'] };
    const missing = await admin.request('PATCH', path, { json: change });
    expect([missing.status, code(missing)]).toEqual([428, 'admin.oauth_client_precondition_required']);
    for (const tag of ['*', `W/"${client.version}"`, `"${client.version}", "${client.version}"`, 'no-quotes']) {
      const bad = await admin.request('PATCH', path, { json: change, headers: { 'if-match': tag } });
      expect([tag, bad.status, code(bad)]).toEqual([tag, 400, 'admin.oauth_client_precondition_invalid']);
    }
    const updated = await admin.request('PATCH', path, { json: change, headers: { 'if-match': `"${client.version}"` } });
    expect(updated.status).toBe(200);
    const now = updated.body as ClientView;
    expect(now).toMatchObject({ redirectUris: change.redirectUris, name: 'Orders' });
    expect(updated.headers.get('etag')).toBe(`"${now.version}"`);
    expect(now.version).not.toBe(client.version);
    // The first administrator's view is stale now: refused, with the current ETag to read again from.
    const stale = await admin.request('PATCH', path, { json: { redirectUris: [CALLBACK] }, headers: { 'if-match': `"${client.version}"` } });
    expect([stale.status, code(stale)]).toEqual([412, 'admin.oauth_client_conflict']);
    expect(stale.headers.get('etag')).toBe(`"${now.version}"`);
    expect(((await admin.request('GET', path)).body as ClientView).redirectUris).toEqual(change.redirectUris);

    // Two administrators changing the same version at the same moment: exactly one wins.
    const race = await Promise.all([
      admin.request('PATCH', path, { json: { name: 'First' }, headers: { 'if-match': `"${now.version}"` } }),
      admin.request('PATCH', path, { json: { scopes: ['openid'] }, headers: { 'if-match': `"${now.version}"` } }),
    ]);
    expect(race.map((r) => r.status).sort()).toEqual([200, 412]);

    // Type and authentication method are fixed; a change that breaks a rule is refused whole.
    const current = (await admin.request('GET', path)).headers.get('etag') ?? '';
    for (const [body, expected] of [[{ type: 'public' }, 'validation.failed'], [{ tokenEndpointAuthMethod: 'none' }, 'validation.failed'], [{ redirectUris: ['https://*.example.test/cb'] }, 'admin.oauth_client_invalid'], [{ grantTypes: ['implicit'] }, 'admin.oauth_client_invalid'], [{ redirectUris: [] }, 'admin.oauth_client_invalid']] as const) {
      const refused = await admin.request('PATCH', path, { json: body, headers: { 'if-match': current } });
      expect([body, refused.status, code(refused)]).toEqual([body, 400, expected]);
    }
    expect((await admin.request('GET', path)).headers.get('etag')).toBe(current);
    await t.server.events.flush();
    const changed = t.events.filter((e) => e.type === 'oauth.client.updated' && e.attributes?.clientId === client.clientId);
    expect(changed[0]?.subject).toBe(adminId);
    expect(changed[0]?.attributes).toMatchObject({ by: adminId, changed: 'redirectUris', redirectUris: change.redirectUris.join(' ') });
    // Refused changes are not changes: one event per change stored (the first, and the race's winner).
    expect(changed).toHaveLength(2);
  });

  it.skipIf(skip)('mTLS clients: tls_client_auth by subject DN; self_signed_tls_client_auth by certificate or JWK with x5c (thumbprint shown); a JWK lying about its certificate is refused', async () => {
    const pki = await create(service({ tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example', certificateBoundAccessTokens: true }));
    expect(pki.clientSecret).toBeUndefined();
    expect(pki.client).toMatchObject({ tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=billing.example, O=Example', hasSecret: false, certificateBoundAccessTokens: true });
    const certificate = await issueCertificate('CN=device-7');
    const pinned = await create(service({ tokenEndpointAuthMethod: 'self_signed_tls_client_auth', certificates: [certificate.pem] }));
    expect(pinned.client.certificateThumbprints).toEqual([thumbprintOf(certificate)]);
    const asJwk = (pinned.client.jwks as { keys: Record<string, unknown>[] }).keys[0] ?? {};
    const byJwk = await create(service({ tokenEndpointAuthMethod: 'self_signed_tls_client_auth', jwks: { keys: [asJwk] } }));
    expect(byJwk.client.certificateThumbprints).toEqual([thumbprintOf(certificate)]);
    const other = await issueCertificate('CN=device-8');
    const otherKey = ((await create(service({ tokenEndpointAuthMethod: 'self_signed_tls_client_auth', certificates: [other.pem] }))).client.jwks as { keys: Record<string, unknown>[] }).keys[0] ?? {};
    const lying = await admin.request('POST', CLIENTS, { json: service({ tokenEndpointAuthMethod: 'self_signed_tls_client_auth', jwks: { keys: [{ ...asJwk, x5c: otherKey.x5c }] } }) });
    expect([lying.status, code(lying)]).toEqual([400, 'admin.oauth_client_invalid']);
    expect((lying.body as { detail: string }).detail).toMatch(/not the one in its certificate/);
    const bare = await admin.request('POST', CLIENTS, { json: service({ tokenEndpointAuthMethod: 'self_signed_tls_client_auth', jwks: { keys: [{ kty: asJwk.kty, crv: asJwk.crv, x: asJwk.x, y: asJwk.y }] } }) });
    expect([bare.status, (bare.body as { detail?: string }).detail]).toEqual([400, expect.stringMatching(/carries its certificate/)]);
    // Rotating the secret of a client that has none: 409, nothing changes.
    const rotation = await admin.request('POST', `${CLIENTS}/${pki.client.clientId}/secret`);
    expect([rotation.status, code(rotation)]).toEqual([409, 'admin.oauth_client_no_secret']);
  });

  it.skipIf(skip)('attack: ids and pages — traversal and malformed ids are 400, unknown ids 404, page sizes bounded, cursors walk every client once', async () => {
    for (const id of ['..%2F..%2Fetc', 'a%00b', "a'b", 'x'.repeat(129), 'a%20b']) {
      const response = await admin.request('GET', `${CLIENTS}/${id}`);
      expect([id, response.status]).toEqual([id, 400]);
    }
    expect(code(await admin.request('GET', `${CLIENTS}/no-such-client`))).toBe('admin.oauth_client_not_found');
    for (const limit of ['0', '101', '-1', '1e3', 'abc']) expect([limit, (await admin.request('GET', `${CLIENTS}?limit=${limit}`)).status]).toEqual([limit, 400]);
    const ids = new Set<string>();
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const response = await admin.request('GET', `${CLIENTS}?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      const body = response.body as { clients: ClientView[]; next: string | null };
      for (const c of body.clients) {
        expect(ids.has(c.clientId)).toBe(false);
        ids.add(c.clientId);
      }
      cursor = body.next;
      if (cursor === null) break;
    }
    expect(ids.size).toBe(await clientCount());
  });
});
