import { createHash, X509Certificate } from 'node:crypto';
import { RampartError } from '@rampart/core';
import { DecryptionError, FieldCipher, randomToken, type KeyRing } from '@rampart/core/crypto';
import { clientIssues, compile, Type, type ClientIssue, type Static } from '@rampart/core/validate';
import type { Selectable } from 'kysely';
import { prepared } from '../db/prepared.js';
import { affected, int64, optionalInt64, type StoreDatabase, type WriteTransaction } from '../stores/sql.js';
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
  /**
   * Changes with every change to the client (its secret included): what an administrator sends back to say "the
   * client as I read it" (`If-Match`, `--if-version`), so a concurrent change is refused rather than overwritten.
   * 128 bits of a SHA-256 over the stored row; it says nothing about the secret.
   */
  readonly version: string;
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

const PARTIAL_UPDATE_SCHEMA = Type.Partial(UPDATE_SCHEMA, { additionalProperties: false });
const createInput = compile(CREATE_SCHEMA, { reportAllIssues: true });
const updateInput = compile(PARTIAL_UPDATE_SCHEMA, { reportAllIssues: true });

/** The schema {@link OAuthClientStore.create} checks its input with: for API documentation (`/openapi.json`). */
export const OAUTH_CLIENT_INPUT_SCHEMA = createInput;
/** The schema {@link OAuthClientStore.update} checks its patch with: for API documentation. */
export const OAUTH_CLIENT_UPDATE_SCHEMA = updateInput;

/** What a refusal is about: `OAUTH_CLIENT_INVALID` (a rule, named in the message), `…_UNKNOWN`, `…_EXISTS`, `…_NO_SECRET`, `…_CONFLICT`. */
export type OAuthClientErrorCode = 'OAUTH_CLIENT_INVALID' | 'OAUTH_CLIENT_UNKNOWN' | 'OAUTH_CLIENT_EXISTS' | 'OAUTH_CLIENT_NO_SECRET' | 'OAUTH_CLIENT_CONFLICT';

/**
 * Why the store refused a client: `code` says which rule, `message` says how to fix it. Messages name fields and
 * rules, never a secret nor the refused value; `issues` lists the schema's findings (JSON Pointers and rules) when the
 * input did not match the schema at all.
 */
export class OAuthClientError extends RampartError<OAuthClientErrorCode> {
  readonly issues: readonly ClientIssue[] | undefined;

  constructor(code: OAuthClientErrorCode, message: string, options?: ErrorOptions & { readonly issues?: readonly ClientIssue[] }) {
    super(code, message, options);
    this.issues = options?.issues;
  }
}

/** Options of {@link OAuthClientStore.update} and {@link OAuthClientStore.rotateSecret}. */
export interface OAuthClientWriteOptions {
  /**
   * The {@link OAuthClient.version} the change was decided on: refused with `OAUTH_CLIENT_CONFLICT` when the client
   * changed since. Without it, the change still never overwrites a write that landed between its read and its write.
   */
  readonly ifVersion?: string;
}

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
  /** Deletes what was issued to a client (codes, tokens, grants); resolves with how many artifacts it deleted. */
  readonly revokeIssued?: (clientId: string) => Promise<number>;
  /** The signing algorithm of ID tokens (the server's key algorithm). */
  readonly idTokenAlgorithm: () => string;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
/** RFC 8252 §7.3: a native app's loopback redirect uses the IP literal; `localhost` is NOT RECOMMENDED (§8.3). */
const LOOPBACK_IPS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]']);
/** RFC 8252 §7.1: a private-use scheme is a reverse domain name the app's publisher controls (`com.example.app`). */
const REVERSE_DOMAIN_SCHEME = /^[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+$/;
/** Grants OAuth 2.1 removed, with the reason given to whoever asks for one. */
const REMOVED_GRANTS: Readonly<Record<string, string>> = {
  implicit: 'grantTypes: implicit was removed by OAuth 2.1 (tokens in the URL, no sender binding): use authorization_code with PKCE',
  password: 'grantTypes: password was removed by OAuth 2.1 (the client sees the user\'s password): use authorization_code with PKCE',
};
/** `columns`, which must name every column of the table: a column added later without being listed fails to compile. */
function everyColumn<const T extends readonly (keyof ClientRow)[]>(columns: T & (Exclude<keyof ClientRow, T[number]> extends never ? unknown : { readonly missing: Exclude<keyof ClientRow, T[number]> })): T {
  return columns;
}

/** Every column, in a fixed order: what a client's version is computed over and what a conditional write compares. */
const ROW_COLUMNS = everyColumn([
  'client_id',
  'client_type',
  'name',
  'application_type',
  'secret_sealed',
  'redirect_uris',
  'post_logout_redirect_uris',
  'grant_types',
  'scope',
  'token_endpoint_auth_method',
  'tls_client_auth_subject_dn',
  'jwks',
  'certificate_bound_access_tokens',
  'dpop_bound_access_tokens',
  'first_party',
  'created_at',
  'updated_at',
  'secret_rotated_at',
]);
const SECRET_METHODS: ReadonlySet<ClientAuthMethod> = new Set(['client_secret_basic', 'client_secret_post']);
const CONFIDENTIAL_METHODS: ReadonlySet<ClientAuthMethod> = new Set(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']);
/** 256 bits: out of reach of online guessing whatever the rate, and of offline guessing if one ever leaked hashed. */
const SECRET_BYTES = 32;

/** The removed grant the raw input asks for, if any: named before the schema, which only says "not one of these". */
function removedGrantIn(input: unknown): string | undefined {
  const grants = typeof input === 'object' && input !== null ? (input as { readonly grantTypes?: unknown }).grantTypes : undefined;
  if (!Array.isArray(grants)) return undefined;
  const removed = grants.find((grant): grant is string => typeof grant === 'string' && Object.hasOwn(REMOVED_GRANTS, grant));
  return removed === undefined ? undefined : REMOVED_GRANTS[removed];
}

/** A random client id (128 bits) that never starts with `-`, which a command line would read as an option. */
function generatedClientId(): string {
  for (;;) {
    const id = randomToken(16);
    if (!id.startsWith('-')) return id;
  }
}

/** The schema's findings as one line: pointers and rules only (never the value, never an undeclared name). */
function describeIssues(issues: readonly ClientIssue[]): string {
  return issues.map((issue) => `${issue.pointer || '(top level)'} ${issue.rule}`).join('; ');
}

/** Clients whose opened metadata is kept (the most recently used). */
const OPENED_CLIENTS = 1024;

function sameRow(a: ClientRow, b: ClientRow): boolean {
  return ROW_COLUMNS.every((column) => a[column] === b[column]);
}

// Every token request reads its client. Built once per dialect (../db/prepared.ts).
const clientById = prepared((db: WriteTransaction, args: { clientId: string }) => db.selectFrom('rampart_oauth_clients').selectAll().where('client_id', '=', args.clientId));

function versionOf(row: ClientRow): string {
  return createHash('sha256').update(JSON.stringify(ROW_COLUMNS.map((column) => row[column]))).digest('base64url').slice(0, 22);
}

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

/** The members that make up a public key, by key type: what a certificate's key and its JWK must agree on. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };

/**
 * A `self_signed_tls_client_auth` client's keys: oidc-provider recognises the client by the certificate in each key's
 * `x5c` (its SHA-256 thumbprint, RFC 8705 §2.2), so every key carries one, it parses, and the key it states is the
 * certificate's own — a JWK claiming one key while carrying another's certificate is refused, not stored.
 */
function checkCertificateKeys(jwks: string, fail: (message: string) => never): void {
  const { keys } = JSON.parse(jwks) as { keys: ClientPublicJwk[] };
  keys.forEach((key, index) => {
    const x5c = key.x5c;
    const der = (Array.isArray(x5c) ? (x5c as readonly string[])[0] : undefined) ?? fail(`jwks.keys[${index}]: a self_signed_tls_client_auth key carries its certificate (x5c)`);
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(Buffer.from(der, 'base64'));
    } catch {
      return fail(`jwks.keys[${index}].x5c[0]: not a DER X.509 certificate (base64)`);
    }
    const actual = certificate.publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const members = PUBLIC_MEMBERS[String(key.kty)] ?? [];
    if (actual.kty !== key.kty || members.some((member) => key[member] !== actual[member])) fail(`jwks.keys[${index}]: the key is not the one in its certificate (x5c)`);
  });
}

/** The SHA-256 thumbprints (base64url, RFC 8705 §3.1 `x5t#S256`) of the certificates a client's keys carry. */
export function certificateThumbprints(client: Pick<OAuthClient, 'jwks'>): string[] {
  return (client.jwks?.keys ?? []).flatMap((key) => {
    const der = Array.isArray(key.x5c) ? (key.x5c as readonly string[])[0] : undefined;
    return der === undefined ? [] : [createHash('sha256').update(Buffer.from(der, 'base64')).digest('base64url')];
  });
}

/**
 * The registered OAuth clients, in `rampart_oauth_clients`: what the authorization server trusts to ask for tokens,
 * and the API client administration is built on (`rampart clients …`, the admin routes).
 *
 * Protects against: client secrets readable from a database dump (sealed with the field cipher under a ring subkey,
 * bound to the client id — a sealed secret copied to another client does not open); weak or reused secrets (256
 * random bits, generated here, shown once); open redirectors (redirect URIs are absolute, without fragment, wildcard
 * or user information, compared exactly by the provider; web clients use https except on loopback in development;
 * native clients follow RFC 8252 — http on the loopback IP literal only, claimed https, reverse-domain private-use
 * schemes); clients that could never work or would weaken the profile (removed grants, client credentials for public
 * clients, confidential clients without authentication, private keys in place of public ones, self-signed mTLS keys
 * whose JWK is not their certificate's, refresh tokens without authorization code) — refused at write time with the
 * rule broken, not discovered at the first token request; lost updates (every write conditional on the row it read,
 * `ifVersion` for a version read earlier); tokens outliving a deleted client (deleted with it).
 */
export class OAuthClientStore {
  readonly #store: StoreDatabase;
  readonly #cipher: FieldCipher;
  readonly #options: OAuthClientStoreOptions;
  /**
   * Metadata opened for the provider, by client id, with the row it was opened from. Every token request still reads
   * the row (so an update, a rotation or a delete by any process counts at once); only when that row is unchanged,
   * column for column, is the secret not decrypted again.
   */
  readonly #opened = new Map<string, { readonly row: ClientRow; readonly metadata: ProviderClientMetadata }>();

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
    const removed = removedGrantIn(input);
    if (removed !== undefined) throw new OAuthClientError('OAUTH_CLIENT_INVALID', removed);
    const checked = createInput.check(input);
    if (!checked.ok) throw new OAuthClientError('OAUTH_CLIENT_INVALID', `invalid client: ${describeIssues(checked.issues)}`, { issues: clientIssues(checked.issues) });
    const value = checked.value;
    // `.` and `..` would be path segments in every URL that names the client (the admin API's).
    if (value.clientId !== undefined && /^\.+$/.test(value.clientId)) throw new OAuthClientError('OAUTH_CLIENT_INVALID', 'clientId: not only dots');
    const method: ClientAuthMethod = value.tokenEndpointAuthMethod ?? (value.type === 'public' ? 'none' : 'client_secret_basic');
    const clientId = value.clientId ?? generatedClientId();
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

  /**
   * Changes some fields; the result is validated as a whole, as at creation. The write is conditional on the row
   * being the one read (every column compared), so two administrators changing one client at once never merge
   * silently: the second gets `OAUTH_CLIENT_CONFLICT`, also when it named no version.
   */
  async update(clientId: string, patch: OAuthClientUpdate, options: OAuthClientWriteOptions = {}): Promise<OAuthClient> {
    const removed = removedGrantIn(patch);
    if (removed !== undefined) throw new OAuthClientError('OAUTH_CLIENT_INVALID', removed);
    const checked = updateInput.check(patch);
    if (!checked.ok) throw new OAuthClientError('OAUTH_CLIENT_INVALID', `invalid change: ${describeIssues(checked.issues)}`, { issues: clientIssues(checked.issues) });
    const change = checked.value;
    const current = await this.#row(clientId);
    if (current === undefined) throw new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${clientId}"`);
    this.#expectVersion(current, options);
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
    await this.#writeOver(current, columns);
    return this.#clientOf(row);
  }

  /**
   * Deletes what was issued to the client (codes, access and refresh tokens, grants): its users sign in again.
   * Returns how many artifacts were deleted. For a leaked secret, after {@link rotateSecret}.
   */
  async revokeIssued(clientId: string): Promise<number> {
    return (await this.#options.revokeIssued?.(clientId)) ?? 0;
  }

  /**
   * Replaces a secret-authenticating client's secret; the new one is returned once. The old one stops working at
   * once (every instance reads the client on each request).
   */
  async rotateSecret(clientId: string, options: OAuthClientWriteOptions = {}): Promise<IssuedSecret & { readonly clientSecret: string }> {
    const current = await this.#row(clientId);
    if (current === undefined) throw new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${clientId}"`);
    if (!SECRET_METHODS.has(current.token_endpoint_auth_method as ClientAuthMethod)) {
      throw new OAuthClientError('OAUTH_CLIENT_NO_SECRET', `client "${clientId}" does not authenticate with a secret`);
    }
    this.#expectVersion(current, options);
    const secret = randomToken(SECRET_BYTES);
    const now = this.#options.clock.now();
    const row: ClientRow = { ...current, secret_sealed: this.#seal(clientId, secret), secret_rotated_at: now, updated_at: now };
    // Conditional: of two rotations at once, one wins and the other is refused — never two secrets handed out of
    // which only the last written works.
    await this.#writeOver(current, { secret_sealed: row.secret_sealed, secret_rotated_at: now, updated_at: now });
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
    if (row === undefined) {
      this.#opened.delete(clientId);
      return undefined;
    }
    const opened = this.#opened.get(clientId);
    if (opened !== undefined && sameRow(opened.row, row)) return opened.metadata;
    let secret: string | undefined;
    try {
      secret = row.secret_sealed === null ? undefined : this.#open(row);
    } catch (error) {
      // A seal that does not open with this ring for this client (copied from another row, written without the key,
      // tampered with): the client cannot authenticate at all, rather than with a secret nobody issued it.
      if (error instanceof DecryptionError) {
        this.#opened.delete(clientId);
        return undefined;
      }
      throw error;
    }
    const metadata = this.#metadataOf(row, secret);
    this.#opened.delete(clientId);
    this.#opened.set(clientId, { row, metadata });
    if (this.#opened.size > OPENED_CLIENTS) this.#opened.delete(this.#opened.keys().next().value as string);
    return metadata;
  }

  #expectVersion(current: ClientRow, options: OAuthClientWriteOptions): void {
    if (options.ifVersion !== undefined && options.ifVersion !== versionOf(current)) {
      throw new OAuthClientError('OAUTH_CLIENT_CONFLICT', `client "${current.client_id}" changed since that version was read: read it again`);
    }
  }

  /** Writes `columns` over the row only if it is still exactly `current`; otherwise a conflict (or an unknown client). */
  async #writeOver(current: ClientRow, columns: Partial<Omit<ClientRow, 'client_id' | 'created_at'>>): Promise<void> {
    let query = this.#store.db.updateTable('rampart_oauth_clients').set(columns).where('client_id', '=', current.client_id);
    for (const column of ROW_COLUMNS) {
      const value = current[column];
      query = value === null ? query.where(column, 'is', null) : query.where(column, '=', value as never);
    }
    const updated = await query.executeTakeFirst();
    if (affected(updated.numUpdatedRows) === 1) return;
    if ((await this.#row(current.client_id)) === undefined) throw new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${current.client_id}"`);
    throw new OAuthClientError('OAUTH_CLIENT_CONFLICT', `client "${current.client_id}" was changed by someone else at the same time: read it again`);
  }

  async #row(clientId: string): Promise<ClientRow | undefined> {
    const row = await clientById.first(this.#store.db, { clientId });
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
    if (method === 'self_signed_tls_client_auth' && row.jwks !== null) checkCertificateKeys(row.jwks, fail);
    parseJsonArray(row.redirect_uris).forEach((uri, index) => { this.#checkRedirect(uri, `redirectUris[${index}]`, row.application_type, fail); });
    parseJsonArray(row.post_logout_redirect_uris).forEach((uri, index) => { this.#checkRedirect(uri, `postLogoutRedirectUris[${index}]`, row.application_type, fail); });
    try {
      await this.#options.validate?.(this.#metadataOf(row, secret));
    } catch (error) {
      // oidc-provider's refusals of client metadata (its own rules beyond the profile's) become the store's: the
      // caller gets one error type, with the provider's description (field and rule, no secret).
      const refusal = error as { readonly error?: unknown; readonly error_description?: unknown };
      if (refusal.error !== 'invalid_client_metadata' && refusal.error !== 'invalid_redirect_uri') throw error;
      const description = typeof refusal.error_description === 'string' ? refusal.error_description : 'the client metadata is refused';
      throw new OAuthClientError('OAUTH_CLIENT_INVALID', `refused by the authorization server: ${description}`, { cause: error });
    }
  }

  /**
   * One redirect (or post-logout redirect) URI against OAuth 2.1 and RFC 8252. The message names the field and the
   * rule, never the URI: the refusal may travel to places (an HTTP answer, a terminal log) the URI should not.
   */
  #checkRedirect(uri: string, where: string, applicationType: string, fail: (message: string) => never): void {
    const url = URL.parse(uri) ?? fail(`${where} is not an absolute URI`);
    // RFC 6749 §3.1.2: the endpoint URI has no fragment (the provider would append the code after it).
    if (uri.includes('#')) fail(`${where} has a fragment: a redirect URI has no fragment (RFC 6749 §3.1.2)`);
    // RFC 9700 §2.1, §4.1: redirect URIs are compared exactly; patterns are what attackers matched look-alikes against.
    if (uri.includes('*')) fail(`${where} has a wildcard: register every redirect URI in full, they are compared exactly (RFC 9700 §2.1)`);
    // `https://good.example@evil.example/` reads as one host and goes to another.
    if (url.username !== '' || url.password !== '') fail(`${where} has user information (user@ or user:password@): not allowed in a redirect URI`);
    const native = applicationType === 'native';
    if (url.protocol === 'https:') {
      // RFC 8252 §7.2: a claimed https redirect of a native app is on a domain the publisher owns, never loopback.
      if (native && LOOPBACK_HOSTS.has(url.hostname)) fail(`${where}: a native client's https redirect URI is a claimed domain, not loopback (RFC 8252 §7.2); use http://127.0.0.1`);
      return;
    }
    if (url.protocol === 'http:') {
      if (native) {
        if (LOOPBACK_IPS.has(url.hostname)) return;
        fail(`${where}: a native client uses http only on the loopback IP literal, 127.0.0.1 or [::1] (RFC 8252 §7.3; localhost is not recommended, §8.3)`);
      }
      if (this.#options.allowLoopbackHttp === true && LOOPBACK_HOSTS.has(url.hostname)) return;
      fail(`${where}: a web client's redirect URIs use https (http: refused${this.#options.allowLoopbackHttp === true ? '; plain http is accepted on loopback only' : ' in production'})`);
    }
    if (native && REVERSE_DOMAIN_SCHEME.test(url.protocol.slice(0, -1))) return;
    if (native) fail(`${where}: a native client's private-use URI scheme is a reverse domain name it controls, such as com.example.app (RFC 8252 §7.1)`);
    fail(`${where}: a web client's redirect URIs use https (${url.protocol} refused)`);
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
      version: versionOf(row),
    };
  }
}
