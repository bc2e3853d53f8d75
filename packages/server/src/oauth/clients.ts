import { X509Certificate } from 'node:crypto';
import { RampartError } from '@rampart/core';
import { DecryptionError, FieldCipher, randomToken, type KeyRing } from '@rampart/core/crypto';
import { compile, Type, type Static } from '@rampart/core/validate';
import type { Selectable } from 'kysely';
import { affected, int64, optionalInt64, type StoreDatabase } from '../stores/sql.js';
import { OIDC_SCOPES, RESOURCE_SCOPES_METADATA } from './accounts.js';
import type { OAuthTables } from './schema.js';

type StoredClient = Selectable<OAuthTables['rampart_oauth_clients']>;
/** A client row with its times as numbers (PostgreSQL hands `bigint` back as strings). */
type ClientRow = Omit<StoredClient, 'created_at' | 'updated_at' | 'secret_rotated_at'> & { created_at: number; updated_at: number; secret_rotated_at: number | null };

function normalized(row: StoredClient): ClientRow {
  return { ...row, created_at: int64(row.created_at), updated_at: int64(row.updated_at), secret_rotated_at: optionalInt64(row.secret_rotated_at) ?? null };
}

/** How a client proves who it is at the token endpoint (RFC 6749 §2.3, RFC 7523, RFC 8705). */
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth' | 'self_signed_tls_client_auth';

/** The grants a client may use. Implicit and password grants do not exist here (OAuth 2.1). */
export type ClientGrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

/** A public JSON Web Key (no private members): a `private_key_jwt` client's signing key. */
export type ClientPublicJwk = Readonly<Record<string, string | readonly string[]>>;

/** A registered client as the store returns it: never its secret. */
export interface OAuthClient {
  readonly clientId: string;
  /** `confidential`: authenticates at the token endpoint. `public`: cannot keep a secret (browser or native app). */
  readonly type: 'confidential' | 'public';
  readonly name?: string;
  /** `native`: RFC 8252 rules for redirect URIs (loopback with any port, private-use schemes). Default `web`. */
  readonly applicationType: 'web' | 'native';
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
  readonly grantTypes: readonly ClientGrantType[];
  /** The scopes the client may ask for. */
  readonly scopes: readonly string[];
  readonly tokenEndpointAuthMethod: ClientAuthMethod;
  /** `tls_client_auth`: the subject DN (RFC 4514) the client's certificate must carry. */
  readonly tlsClientAuthSubjectDn?: string;
  /** `private_key_jwt` keys, or the certificates (`x5c`) of a `self_signed_tls_client_auth` client. */
  readonly jwks?: { readonly keys: readonly ClientPublicJwk[] };
  /** RFC 8705 §3: access tokens are bound to the certificate the client presents. */
  readonly certificateBoundAccessTokens: boolean;
  /** RFC 9449 §5.2: the client must send DPoP proofs; its tokens are DPoP-bound. */
  readonly dpopBoundAccessTokens: boolean;
  /** The operator's own application: users are not asked for consent. */
  readonly firstParty: boolean;
  /** Whether a secret is stored (`client_secret_basic` / `client_secret_post`). */
  readonly hasSecret: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly secretRotatedAt?: number;
}

const CLIENT_ID = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._~-]+$' });
const URI = Type.String({ minLength: 1, maxLength: 2048 });
const SCOPE_TOKEN = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' });
const PEM = Type.String({ minLength: 1, maxLength: 16_384 });
const JWK_MEMBER = Type.String({ minLength: 1, maxLength: 2048 });
/**
 * A public JWK (RFC 7517 §4, RFC 7518 §6): the members of RSA, EC and OKP public keys and nothing else — a private or
 * symmetric member (`d`, `p`, `k`, …) is refused by the closed schema, so no private key is ever stored as a client's.
 */
const JWK = Type.Object(
  {
    kty: Type.Union([Type.Literal('RSA'), Type.Literal('EC'), Type.Literal('OKP')]),
    kid: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    alg: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    use: Type.Optional(Type.Literal('sig')),
    crv: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    x: Type.Optional(JWK_MEMBER),
    y: Type.Optional(JWK_MEMBER),
    n: Type.Optional(JWK_MEMBER),
    e: Type.Optional(JWK_MEMBER),
    x5c: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 16_384 }), { minItems: 1, maxItems: 10 })),
  },
  { additionalProperties: false },
);

const CREATE_SCHEMA = Type.Object(
  {
    clientId: Type.Optional(CLIENT_ID),
    type: Type.Union([Type.Literal('confidential'), Type.Literal('public')]),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    applicationType: Type.Optional(Type.Union([Type.Literal('web'), Type.Literal('native')])),
    redirectUris: Type.Optional(Type.Array(URI, { maxItems: 32 })),
    postLogoutRedirectUris: Type.Optional(Type.Array(URI, { maxItems: 32 })),
    grantTypes: Type.Array(Type.Union([Type.Literal('authorization_code'), Type.Literal('refresh_token'), Type.Literal('client_credentials')]), { minItems: 1, maxItems: 3, uniqueItems: true }),
    scopes: Type.Optional(Type.Array(SCOPE_TOKEN, { maxItems: 64, uniqueItems: true })),
    tokenEndpointAuthMethod: Type.Optional(
      Type.Union([
        Type.Literal('none'),
        Type.Literal('client_secret_basic'),
        Type.Literal('client_secret_post'),
        Type.Literal('private_key_jwt'),
        Type.Literal('tls_client_auth'),
        Type.Literal('self_signed_tls_client_auth'),
      ]),
    ),
    tlsClientAuthSubjectDn: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    jwks: Type.Optional(Type.Object({ keys: Type.Array(JWK, { minItems: 1, maxItems: 10 }) }, { additionalProperties: false })),
    /** PEM certificates of a `self_signed_tls_client_auth` client (stored as JWKs with `x5c`). */
    certificates: Type.Optional(Type.Array(PEM, { minItems: 1, maxItems: 10 })),
    certificateBoundAccessTokens: Type.Optional(Type.Boolean()),
    dpopBoundAccessTokens: Type.Optional(Type.Boolean()),
    firstParty: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** What {@link OAuthClientStore.create} takes. */
export type OAuthClientInput = Static<typeof CREATE_SCHEMA>;

const UPDATE_SCHEMA = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    redirectUris: Type.Optional(Type.Array(URI, { maxItems: 32 })),
    postLogoutRedirectUris: Type.Optional(Type.Array(URI, { maxItems: 32 })),
    grantTypes: CREATE_SCHEMA.properties.grantTypes,
    scopes: Type.Optional(Type.Array(SCOPE_TOKEN, { maxItems: 64, uniqueItems: true })),
    tlsClientAuthSubjectDn: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    jwks: CREATE_SCHEMA.properties.jwks,
    certificates: CREATE_SCHEMA.properties.certificates,
    certificateBoundAccessTokens: Type.Optional(Type.Boolean()),
    dpopBoundAccessTokens: Type.Optional(Type.Boolean()),
    firstParty: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * What {@link OAuthClientStore.update} takes: the fields to change. A client's type and authentication method are
 * fixed at creation (changing them is a new client, with its own id and credentials).
 */
export type OAuthClientUpdate = Partial<Static<typeof UPDATE_SCHEMA>>;

const createInput = compile(CREATE_SCHEMA, { reportAllIssues: true });
const updateInput = compile(Type.Partial(UPDATE_SCHEMA, { additionalProperties: false }), { reportAllIssues: true });

/** Why the store refused a client: `code` says which rule, `message` says how to fix it (never a secret). */
export class OAuthClientError extends RampartError {}

/** A secret handed out once (creation, rotation); the store keeps it sealed and never returns it again. */
export interface IssuedSecret {
  readonly client: OAuthClient;
  readonly clientSecret?: string;
}

/** The client metadata oidc-provider reads (RFC 7591 names), secret included: only for the provider's adapter. */
export type ProviderClientMetadata = Readonly<Record<string, unknown>>;

/** Options of {@link OAuthClientStore}. */
export interface OAuthClientStoreOptions {
  readonly clock: { now(): number };
  /**
   * Accept `http://` redirect URIs of web clients on loopback hosts (`localhost`, `127.0.0.1`, `[::1]`). Development
   * only: in production a web client's redirect URIs are `https://`.
   */
  readonly allowLoopbackHttp?: boolean;
  /** Checks the metadata as oidc-provider will read it (`Client.validate`), so a client it would refuse is never stored. */
  readonly validate?: (metadata: ProviderClientMetadata) => Promise<void>;
  /** Deletes what was issued to a deleted client (codes, tokens, grants). */
  readonly revokeIssued?: (clientId: string) => Promise<unknown>;
  /** The signing algorithm of ID tokens (the server's key algorithm). */
  readonly idTokenAlgorithm: () => string;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const SECRET_METHODS: ReadonlySet<ClientAuthMethod> = new Set(['client_secret_basic', 'client_secret_post']);
const CONFIDENTIAL_METHODS: ReadonlySet<ClientAuthMethod> = new Set(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']);
/** 256 bits: out of reach of online guessing whatever the rate, and of offline guessing if one ever leaked hashed. */
const SECRET_BYTES = 32;

function parseJsonArray(text: string): string[] {
  const value = JSON.parse(text) as unknown;
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The certificate as a public JWK carrying it in `x5c` (RFC 7517 §4.7): how oidc-provider matches self-signed certificates. */
function certificateJwk(pem: string): ClientPublicJwk {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new OAuthClientError('OAUTH_CLIENT_INVALID', 'certificates: not a PEM X.509 certificate');
  }
  const jwk = certificate.publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { ...jwk, x5c: [certificate.raw.toString('base64')] };
}

/**
 * The registered OAuth clients, in `rampart_oauth_clients`: what the authorization server trusts to ask for tokens,
 * and the API client administration is built on (`rampart clients …`, the admin routes).
 *
 * Protects against: client secrets readable from a database dump (sealed with the field cipher under a ring subkey,
 * bound to the client id — a sealed secret copied to another client does not open); weak or reused secrets (256
 * random bits, generated here, shown once); open redirectors (redirect URIs are absolute, without fragment, compared
 * exactly by the provider; web clients use https except on loopback in development); clients that could never work
 * or would weaken the profile (public clients without PKCE-only flows, client credentials for public clients, private
 * keys in place of public ones, refresh tokens without authorization code) — refused at write time with the rule
 * broken, not discovered at the first token request; tokens outliving a deleted client (deleted with it).
 */
export class OAuthClientStore {
  readonly #store: StoreDatabase;
  readonly #cipher: FieldCipher;
  readonly #options: OAuthClientStoreOptions;

  constructor(store: StoreDatabase, ring: KeyRing, options: OAuthClientStoreOptions) {
    this.#store = store;
    this.#cipher = new FieldCipher(ring);
    this.#options = options;
  }

  /**
   * Registers a client. A client authenticating with a secret gets one generated, returned here and never again
   * (store it at once; {@link rotateSecret} makes a new one).
   */
  async create(input: OAuthClientInput): Promise<IssuedSecret> {
    const checked = createInput.check(input);
    if (!checked.ok) throw new OAuthClientError('OAUTH_CLIENT_INVALID', `invalid client: ${checked.issues.map((issue) => `${issue.pointer || '(top level)'} ${issue.rule}`).join('; ')}`);
    const value = checked.value;
    const method: ClientAuthMethod = value.tokenEndpointAuthMethod ?? (value.type === 'public' ? 'none' : 'client_secret_basic');
    const clientId = value.clientId ?? randomToken(16);
    const now = this.#options.clock.now();
    const secret = SECRET_METHODS.has(method) ? randomToken(SECRET_BYTES) : undefined;
    const row: ClientRow = {
      client_id: clientId,
      client_type: value.type,
      name: value.name ?? null,
      application_type: value.applicationType ?? 'web',
      secret_sealed: secret === undefined ? null : this.#seal(clientId, secret),
      redirect_uris: JSON.stringify(value.redirectUris ?? []),
      post_logout_redirect_uris: JSON.stringify(value.postLogoutRedirectUris ?? []),
      grant_types: JSON.stringify(value.grantTypes),
      scope: (value.scopes ?? []).join(' '),
      token_endpoint_auth_method: method,
      tls_client_auth_subject_dn: value.tlsClientAuthSubjectDn ?? null,
      jwks: this.#jwksOf(value.jwks, value.certificates),
      certificate_bound_access_tokens: value.certificateBoundAccessTokens === true ? 1 : 0,
      dpop_bound_access_tokens: value.dpopBoundAccessTokens === true ? 1 : 0,
      first_party: value.firstParty === true ? 1 : 0,
      created_at: now,
      updated_at: now,
      secret_rotated_at: null,
    };
    await this.#check(row, secret);
    const inserted = await this.#store.db.insertInto('rampart_oauth_clients').values(row).onConflict((c) => c.column('client_id').doNothing()).executeTakeFirst();
    if (affected(inserted.numInsertedOrUpdatedRows) !== 1) throw new OAuthClientError('OAUTH_CLIENT_EXISTS', `a client "${clientId}" already exists`);
    return { client: this.#clientOf(row), ...(secret === undefined ? {} : { clientSecret: secret }) };
  }

  /** The client, or `undefined`. */
  async get(clientId: string): Promise<OAuthClient | undefined> {
    const row = await this.#row(clientId);
    return row === undefined ? undefined : this.#clientOf(row);
  }

  /** Clients in id order, `limit` at a time (at most 500), after the id `after` (a cursor, for the next page). */
  async list(options: { readonly limit?: number; readonly after?: string } = {}): Promise<OAuthClient[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 500);
    let query = this.#store.db.selectFrom('rampart_oauth_clients').selectAll().orderBy('client_id').limit(limit);
    if (options.after !== undefined) query = query.where('client_id', '>', options.after);
    return (await query.execute()).map((row) => this.#clientOf(normalized(row)));
  }

  /** Changes some fields; the result is validated as a whole, as at creation. */
  async update(clientId: string, patch: OAuthClientUpdate): Promise<OAuthClient> {
    const checked = updateInput.check(patch);
    if (!checked.ok) throw new OAuthClientError('OAUTH_CLIENT_INVALID', `invalid change: ${checked.issues.map((issue) => `${issue.pointer || '(top level)'} ${issue.rule}`).join('; ')}`);
    const change = checked.value;
    const current = await this.#row(clientId);
    if (current === undefined) throw new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${clientId}"`);
    const row: ClientRow = {
      ...current,
      ...(change.name === undefined ? {} : { name: change.name }),
      ...(change.redirectUris === undefined ? {} : { redirect_uris: JSON.stringify(change.redirectUris) }),
      ...(change.postLogoutRedirectUris === undefined ? {} : { post_logout_redirect_uris: JSON.stringify(change.postLogoutRedirectUris) }),
      ...(change.grantTypes === undefined ? {} : { grant_types: JSON.stringify(change.grantTypes) }),
      ...(change.scopes === undefined ? {} : { scope: change.scopes.join(' ') }),
      ...(change.tlsClientAuthSubjectDn === undefined ? {} : { tls_client_auth_subject_dn: change.tlsClientAuthSubjectDn }),
      ...(change.jwks === undefined && change.certificates === undefined ? {} : { jwks: this.#jwksOf(change.jwks, change.certificates) }),
      ...(change.certificateBoundAccessTokens === undefined ? {} : { certificate_bound_access_tokens: change.certificateBoundAccessTokens ? 1 : 0 }),
      ...(change.dpopBoundAccessTokens === undefined ? {} : { dpop_bound_access_tokens: change.dpopBoundAccessTokens ? 1 : 0 }),
      ...(change.firstParty === undefined ? {} : { first_party: change.firstParty ? 1 : 0 }),
      updated_at: this.#options.clock.now(),
    };
    await this.#check(row, row.secret_sealed === null ? undefined : this.#open(row));
    const { client_id: _id, created_at: _created, ...columns } = row;
    const updated = await this.#store.db.updateTable('rampart_oauth_clients').set(columns).where('client_id', '=', clientId).executeTakeFirst();
    if (affected(updated.numUpdatedRows) !== 1) throw new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${clientId}"`);
    return this.#clientOf(row);
  }

  /**
   * Replaces a secret-authenticating client's secret; the new one is returned once. The old one stops working at
   * once (every instance reads the client on each request).
   */
  async rotateSecret(clientId: string): Promise<IssuedSecret & { readonly clientSecret: string }> {
    const current = await this.#row(clientId);
    if (current === undefined) throw new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${clientId}"`);
    if (!SECRET_METHODS.has(current.token_endpoint_auth_method as ClientAuthMethod)) {
      throw new OAuthClientError('OAUTH_CLIENT_NO_SECRET', `client "${clientId}" does not authenticate with a secret`);
    }
    const secret = randomToken(SECRET_BYTES);
    const now = this.#options.clock.now();
    const row: ClientRow = { ...current, secret_sealed: this.#seal(clientId, secret), secret_rotated_at: now, updated_at: now };
    await this.#store.db
      .updateTable('rampart_oauth_clients')
      .set({ secret_sealed: row.secret_sealed, secret_rotated_at: now, updated_at: now })
      .where('client_id', '=', clientId)
      .execute();
    return { client: this.#clientOf(row), clientSecret: secret };
  }

  /** Deletes the client and everything issued to it (codes, tokens, grants). Returns whether it existed. */
  async delete(clientId: string): Promise<boolean> {
    const deleted = await this.#store.db.deleteFrom('rampart_oauth_clients').where('client_id', '=', clientId).executeTakeFirst();
    await this.#options.revokeIssued?.(clientId);
    return affected(deleted.numDeletedRows) === 1;
  }

  /**
   * The metadata oidc-provider reads for `clientId`, secret opened from its seal; `undefined` for an unknown client.
   * Only the provider's adapter calls this: nothing else ever needs a client's secret.
   */
  async providerMetadata(clientId: string): Promise<ProviderClientMetadata | undefined> {
    if (typeof clientId !== 'string' || clientId.length > 128) return undefined;
    const row = await this.#row(clientId);
    if (row === undefined) return undefined;
    let secret: string | undefined;
    try {
      secret = row.secret_sealed === null ? undefined : this.#open(row);
    } catch (error) {
      // A seal that does not open with this ring for this client (copied from another row, written without the key,
      // tampered with): the client cannot authenticate at all, rather than with a secret nobody issued it.
      if (error instanceof DecryptionError) return undefined;
      throw error;
    }
    return this.#metadataOf(row, secret);
  }

  async #row(clientId: string): Promise<ClientRow | undefined> {
    const row = await this.#store.db.selectFrom('rampart_oauth_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row === undefined ? undefined : normalized(row);
  }

  #seal(clientId: string, secret: string): string {
    return this.#cipher.encrypt(secret, { table: 'rampart_oauth_clients', column: 'secret', clientId });
  }

  #open(row: ClientRow): string {
    if (row.secret_sealed === null) throw new OAuthClientError('OAUTH_CLIENT_NO_SECRET', `client "${row.client_id}" has no secret`);
    return this.#cipher.decryptString(row.secret_sealed, { table: 'rampart_oauth_clients', column: 'secret', clientId: row.client_id });
  }

  #jwksOf(jwks: OAuthClientInput['jwks'], certificates: readonly string[] | undefined): string | null {
    if (jwks !== undefined && certificates !== undefined) throw new OAuthClientError('OAUTH_CLIENT_INVALID', 'give either jwks or certificates, not both');
    if (certificates !== undefined) return JSON.stringify({ keys: certificates.map(certificateJwk) });
    return jwks === undefined ? null : JSON.stringify(jwks);
  }

  /** The rules of the profile, then the provider's own validation of the metadata it will read. */
  async #check(row: ClientRow, secret: string | undefined): Promise<void> {
    const fail = (message: string): never => {
      throw new OAuthClientError('OAUTH_CLIENT_INVALID', message);
    };
    const method = row.token_endpoint_auth_method as ClientAuthMethod;
    const grants = parseJsonArray(row.grant_types);
    const redirects = parseJsonArray(row.redirect_uris);
    if (row.client_type === 'public' && method !== 'none') fail('a public client cannot authenticate: tokenEndpointAuthMethod must be none');
    if (row.client_type === 'confidential' && !CONFIDENTIAL_METHODS.has(method)) fail('a confidential client must authenticate (client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth or self_signed_tls_client_auth)');
    if (row.client_type === 'public' && grants.includes('client_credentials')) fail('client_credentials needs a confidential client');
    if (grants.includes('refresh_token') && !grants.includes('authorization_code')) fail('refresh_token comes with authorization_code');
    if (grants.includes('authorization_code') && redirects.length === 0) fail('authorization_code needs at least one redirect URI');
    if (method === 'private_key_jwt' && row.jwks === null) fail('private_key_jwt needs jwks (the client\'s public keys)');
    if (method === 'self_signed_tls_client_auth' && row.jwks === null) fail('self_signed_tls_client_auth needs the client\'s certificates');
    if (method === 'tls_client_auth' && row.tls_client_auth_subject_dn === null) fail('tls_client_auth needs tlsClientAuthSubjectDn');
    for (const uri of [...redirects, ...parseJsonArray(row.post_logout_redirect_uris)]) this.#checkRedirect(uri, row.application_type, fail);
    await this.#options.validate?.(this.#metadataOf(row, secret));
  }

  #checkRedirect(uri: string, applicationType: string, fail: (message: string) => never): void {
    const url = URL.parse(uri) ?? fail(`redirect URI is not an absolute URI: ${JSON.stringify(uri.slice(0, 80))}`);
    if (uri.includes('#')) fail('a redirect URI has no fragment (RFC 6749 §3.1.2)');
    if (applicationType !== 'web') return;
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && this.#options.allowLoopbackHttp === true && LOOPBACK_HOSTS.has(url.hostname)) return;
    fail(`a web client's redirect URIs use https (${url.protocol} refused)`);
  }

  #metadataOf(row: ClientRow, secret: string | undefined): ProviderClientMetadata {
    const grants = parseJsonArray(row.grant_types);
    const scopes = row.scope === '' ? [] : row.scope.split(' ');
    const oidcScopes = scopes.filter((scope) => OIDC_SCOPES.includes(scope));
    const apiScopes = scopes.filter((scope) => !OIDC_SCOPES.includes(scope));
    const jwks = row.jwks === null ? undefined : (JSON.parse(row.jwks) as unknown);
    return {
      client_id: row.client_id,
      ...(secret === undefined ? {} : { client_secret: secret }),
      ...(row.name === null ? {} : { client_name: row.name }),
      application_type: row.application_type,
      redirect_uris: parseJsonArray(row.redirect_uris),
      post_logout_redirect_uris: parseJsonArray(row.post_logout_redirect_uris),
      grant_types: grants,
      // OAuth 2.1: the authorization code flow only, answered in the query (no fragment, no form_post page).
      response_types: grants.includes('authorization_code') ? ['code'] : [],
      response_modes: ['query'],
      // The OpenID scopes are the provider's own client metadata; API scopes are matched per resource server.
      ...(oidcScopes.length === 0 ? {} : { scope: oidcScopes.join(' ') }),
      [RESOURCE_SCOPES_METADATA]: apiScopes.join(' '),
      token_endpoint_auth_method: row.token_endpoint_auth_method,
      ...(row.tls_client_auth_subject_dn === null ? {} : { tls_client_auth_subject_dn: row.tls_client_auth_subject_dn }),
      ...(jwks === undefined ? {} : { jwks }),
      tls_client_certificate_bound_access_tokens: row.certificate_bound_access_tokens === 1,
      dpop_bound_access_tokens: row.dpop_bound_access_tokens === 1,
      id_token_signed_response_alg: this.#options.idTokenAlgorithm(),
    };
  }

  #clientOf(row: ClientRow): OAuthClient {
    const secretRotatedAt = row.secret_rotated_at ?? undefined;
    const jwks = row.jwks === null ? undefined : (JSON.parse(row.jwks) as { keys: ClientPublicJwk[] });
    return {
      clientId: row.client_id,
      type: row.client_type === 'public' ? 'public' : 'confidential',
      ...(row.name === null ? {} : { name: row.name }),
      applicationType: row.application_type === 'native' ? 'native' : 'web',
      redirectUris: parseJsonArray(row.redirect_uris),
      postLogoutRedirectUris: parseJsonArray(row.post_logout_redirect_uris),
      grantTypes: parseJsonArray(row.grant_types) as ClientGrantType[],
      scopes: row.scope === '' ? [] : row.scope.split(' '),
      tokenEndpointAuthMethod: row.token_endpoint_auth_method as ClientAuthMethod,
      ...(row.tls_client_auth_subject_dn === null ? {} : { tlsClientAuthSubjectDn: row.tls_client_auth_subject_dn }),
      ...(jwks === undefined ? {} : { jwks }),
      certificateBoundAccessTokens: row.certificate_bound_access_tokens === 1,
      dpopBoundAccessTokens: row.dpop_bound_access_tokens === 1,
      firstParty: row.first_party === 1,
      hasSecret: row.secret_sealed !== null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      ...(secretRotatedAt === undefined ? {} : { secretRotatedAt }),
    };
  }
}
