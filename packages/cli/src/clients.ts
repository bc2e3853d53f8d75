import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '@rampart/core';
import {
  DEV_KEK_FILE,
  developmentKek,
  ensureDataDir,
  keyScheduleOf,
  migrateToLatest,
  OAuthClientError,
  oauthClientEventFacts,
  oauthClientView,
  openDatabase,
  openOAuthClientStore,
  recordCliEvent,
  serverKeyRing,
  SigningKeyStore,
  type CliEvent,
  type ClientAuthMethod,
  type ClientGrantType,
  type OAuthClient,
  type OAuthClientInput,
  type OAuthClientStore,
  type OAuthClientUpdate,
  type OAuthClientView,
  type ServerConfig,
  type ServerDatabase,
} from '@rampart/server';

/** Where `clients` writes; a subset of the CLI's io. */
export interface ClientsIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly cwd: string;
}

export const CLIENTS_USAGE = `usage: rampart clients <action> [options] [--config <file>] [--json]

actions:
  create          register a client; a secret-authenticating client's secret is printed once (stderr, or in --json)
                  --type confidential|public (required)   --grant <grant> (repeat; authorization_code, refresh_token,
                  client_credentials)   --redirect-uri <uri> (repeat)   --post-logout-redirect-uri <uri> (repeat)
                  --scope <scope> (repeat, or space-separated)   --name <text>   --client-id <id>   --native
                  --auth-method client_secret_basic|client_secret_post|private_key_jwt|tls_client_auth|
                                self_signed_tls_client_auth|none (default: client_secret_basic, none for public)
                  --tls-subject-dn <RFC 4514 DN> (tls_client_auth)   --certificate <PEM file> (repeat;
                  self_signed_tls_client_auth)   --jwks <JWK Set file> (public keys; with x5c for self-signed mTLS)
                  --dpop (DPoP-bound tokens)   --certificate-bound (mTLS-bound tokens)   --first-party (no consent)
  list            the clients, in id order (--limit 1-500, default 100; --after <client-id> for the next page)
  show <id>       one client with its version (never its secret)
  update <id>     change the options given (lists are replaced); --no-dpop, --no-certificate-bound,
                  --no-first-party turn a flag off; --if-version <version> refuses if the client changed since
  rotate-secret <id>
                  a new secret, printed once; the old one stops working at once; --revoke-tokens also revokes every
                  code, token and grant issued to the client (a leaked secret); --if-version as for update
  delete <id>     delete the client and every code, token and grant issued to it

Changes reach the audit trail at the next server start (a running server is the trail's only writer).
Exit codes: 0 ok, 1 no such client, the client changed since --if-version, or nothing to rotate, 2 a usage or
configuration error or a client the rules refuse (the message names the rule).`;

const ACTIONS = ['create', 'list', 'show', 'update', 'rotate-secret', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

const OPTIONS = {
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  type: { type: 'string' },
  name: { type: 'string' },
  'client-id': { type: 'string' },
  native: { type: 'boolean' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  grant: { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  'auth-method': { type: 'string' },
  'tls-subject-dn': { type: 'string' },
  certificate: { type: 'string', multiple: true },
  jwks: { type: 'string' },
  dpop: { type: 'boolean' },
  'no-dpop': { type: 'boolean' },
  'certificate-bound': { type: 'boolean' },
  'no-certificate-bound': { type: 'boolean' },
  'first-party': { type: 'boolean' },
  'no-first-party': { type: 'boolean' },
  limit: { type: 'string' },
  after: { type: 'string' },
  'if-version': { type: 'string' },
  'revoke-tokens': { type: 'boolean' },
} as const;

/** Which options each action takes (besides --config, --help, --json): anything else is a usage error. */
const SETTINGS = ['name', 'redirect-uri', 'post-logout-redirect-uri', 'grant', 'scope', 'tls-subject-dn', 'certificate', 'jwks', 'dpop', 'certificate-bound', 'first-party'] as const;
const ACCEPTED: Readonly<Record<Action, readonly string[]>> = {
  create: [...SETTINGS, 'type', 'client-id', 'native', 'auth-method'],
  list: ['limit', 'after'],
  show: [],
  update: [...SETTINGS, 'no-dpop', 'no-certificate-bound', 'no-first-party', 'if-version'],
  'rotate-secret': ['revoke-tokens', 'if-version'],
  delete: [],
};

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A refusal of the command line itself: printed with the usage, exit 2. */
class UsageError extends Error {}

/** Whether `argv` is a `rampart clients …` command (its first positional word), whatever options come before it. */
export function isClientsCommand(argv: readonly string[]): boolean {
  const lenient = parseArgs({ args: [...argv], strict: false, allowPositionals: true, options: { config: { type: 'string' } } });
  return lenient.positionals[0] === 'clients';
}

function scopesOf(values: readonly string[] | undefined): string[] | undefined {
  return values?.flatMap((value) => value.split(/\s+/)).filter((scope) => scope !== '');
}

function flag(values: Values, on: 'dpop' | 'certificate-bound' | 'first-party'): boolean | undefined {
  const off = values[`no-${on}`] === true;
  if (values[on] === true && off) throw new UsageError(`--${on} and --no-${on} contradict each other`);
  return values[on] === true ? true : off ? false : undefined;
}

function readInput(cwd: string, file: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** The settings given on the command line, as the store's input members (only those given). */
function settingsOf(values: Values, cwd: string): Partial<OAuthClientInput> {
  let jwks: OAuthClientInput['jwks'];
  if (values.jwks !== undefined) {
    try {
      jwks = JSON.parse(readInput(cwd, values.jwks, 'JWK Set')) as OAuthClientInput['jwks'];
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`${values.jwks} is not JSON (a JWK Set: {"keys":[…]})`);
    }
  }
  const dpop = flag(values, 'dpop');
  const certificateBound = flag(values, 'certificate-bound');
  const firstParty = flag(values, 'first-party');
  const scopes = scopesOf(values.scope);
  return {
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values['redirect-uri'] === undefined ? {} : { redirectUris: values['redirect-uri'] }),
    ...(values['post-logout-redirect-uri'] === undefined ? {} : { postLogoutRedirectUris: values['post-logout-redirect-uri'] }),
    ...(values.grant === undefined ? {} : { grantTypes: values.grant as ClientGrantType[] }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(values['tls-subject-dn'] === undefined ? {} : { tlsClientAuthSubjectDn: values['tls-subject-dn'] }),
    ...(values.certificate === undefined ? {} : { certificates: values.certificate.map((file) => readInput(cwd, file, 'certificate')) }),
    ...(jwks === undefined ? {} : { jwks }),
    ...(dpop === undefined ? {} : { dpopBoundAccessTokens: dpop }),
    ...(certificateBound === undefined ? {} : { certificateBoundAccessTokens: certificateBound }),
    ...(firstParty === undefined ? {} : { firstParty }),
  };
}

function createInput(values: Values, cwd: string): OAuthClientInput {
  if (values.type !== 'confidential' && values.type !== 'public') throw new UsageError('create needs --type confidential or --type public');
  if (values.grant === undefined) throw new UsageError('create needs at least one --grant (authorization_code, refresh_token, client_credentials)');
  return {
    type: values.type,
    grantTypes: [],
    ...settingsOf(values, cwd),
    ...(values['client-id'] === undefined ? {} : { clientId: values['client-id'] }),
    ...(values.native === true ? { applicationType: 'native' as const } : {}),
    ...(values['auth-method'] === undefined ? {} : { tokenEndpointAuthMethod: values['auth-method'] as ClientAuthMethod }),
  };
}

/** The lines `show` prints: every setting, never a secret. */
function describe(view: OAuthClientView): string[] {
  const list = (items: readonly string[]): string => (items.length === 0 ? '-' : items.join(' '));
  return [
    `client id                  ${view.clientId}`,
    `name                       ${view.name ?? '-'}`,
    `type                       ${view.type} (${view.applicationType})`,
    `authentication             ${view.tokenEndpointAuthMethod}${view.hasSecret ? ' (secret stored, never shown again)' : ''}`,
    `grants                     ${list(view.grantTypes)}`,
    `scopes                     ${list(view.scopes)}`,
    `redirect URIs              ${list(view.redirectUris)}`,
    `post-logout redirect URIs  ${list(view.postLogoutRedirectUris)}`,
    ...(view.tlsClientAuthSubjectDn === null ? [] : [`certificate subject DN     ${view.tlsClientAuthSubjectDn}`]),
    ...(view.jwks === null ? [] : [`public keys                ${String(view.jwks.keys.length)}`]),
    ...(view.certificateThumbprints.length === 0 ? [] : [`certificates (x5t#S256)    ${view.certificateThumbprints.join(' ')}`]),
    `DPoP-bound tokens          ${view.dpopBoundAccessTokens ? 'yes' : 'no'}`,
    `certificate-bound tokens   ${view.certificateBoundAccessTokens ? 'yes' : 'no'}`,
    `first party (no consent)   ${view.firstParty ? 'yes' : 'no'}`,
    `created                    ${view.createdAt}`,
    `updated                    ${view.updatedAt}`,
    ...(view.secretRotatedAt === null ? [] : [`secret rotated             ${view.secretRotatedAt}`]),
    `version                    ${view.version}`,
  ];
}

/** The store as the server builds it, on the configuration's database, with the KEK the servers use. */
async function openStore(io: ClientsIo, settings: ServerConfig, database: ServerDatabase): Promise<OAuthClientStore | undefined> {
  const kek = settings.keyEncryptionKey ?? developmentKek(settings.dataDir).key;
  await migrateToLatest(database.db);
  const signingKeys = new SigningKeyStore(database, serverKeyRing(kek), keyScheduleOf());
  const first = await signingKeys.ensureActive(Date.now(), 'cli');
  if (first.created) io.out(`rampart: created the first signing key ${first.kid} (active)`);
  let keySet: Awaited<ReturnType<SigningKeyStore['load']>>;
  try {
    // Also proves the KEK is the servers' one: a secret sealed under another would never open for them.
    keySet = await signingKeys.load();
  } catch (error) {
    io.err(`rampart: the stored signing keys do not open with this key-encryption key: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  return openOAuthClientStore(database, serverKeyRing(kek), keySet, {
    issuer: settings.publicUrl ?? `http://${settings.listen.host}:${String(settings.listen.port)}`,
    production: settings.env === 'production',
    clock: systemClock,
  });
}

/**
 * A change for the trail, reported by the next server start (`how: "cli"`). No subject: the command knows no account
 * that acted (`by: "cli"`); the client is `clientId`.
 */
async function audit(database: ServerDatabase, type: CliEvent['type'], attributes: Readonly<Record<string, string | number | boolean>>): Promise<void> {
  await recordCliEvent(database, { type, attributes: { ...attributes, by: 'cli' } }, Date.now());
}

function refused(io: ClientsIo, error: unknown): number {
  if (!(error instanceof OAuthClientError)) throw error;
  io.err(`rampart: ${error.message}`);
  return error.code === 'OAUTH_CLIENT_INVALID' ? 2 : 1;
}

/**
 * `rampart clients create|list|show|update|rotate-secret|delete`: OAuth client administration on the database the
 * configuration names, opened and migrated as `serve` opens it, with the KEK `serve` uses — the same store, rules and
 * provider validation as `/v1/admin/oauth/clients`.
 *
 * Protects against: secrets lingering (printed once — to stderr, or in the `--json` document the operator asked for —
 * and never by `list` or `show`); secrets sealed under a key the servers do not have (the stored signing keys must
 * open with this KEK first); clients the server would refuse (the store's profile rules and oidc-provider's
 * validation, the rule named, nothing written); lost updates (`--if-version`, and every write conditional on the row
 * read); unaudited changes (each change is recorded for the trail, which the next server start writes).
 */
export async function clients(argv: readonly string[], io: ClientsIo, loadSettings: (file: string | undefined) => ServerConfig): Promise<number> {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (error) {
    io.err(`rampart: ${error instanceof Error ? error.message : String(error)}`);
    io.err(CLIENTS_USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  const [, action, clientId, ...extra] = positionals;
  if (values.help === true || action === undefined || action === 'help') {
    io.out(CLIENTS_USAGE);
    return values.help === true || action === 'help' ? 0 : 2;
  }
  const usage = (message: string): number => {
    io.err(`rampart: ${message}`);
    io.err(CLIENTS_USAGE);
    return 2;
  };
  if (!(ACTIONS as readonly string[]).includes(action)) return usage(`unknown clients action "${action}"`);
  const act = action as Action;
  const needsId = act !== 'create' && act !== 'list';
  if (needsId && clientId === undefined) return usage(`clients ${act} needs a client id`);
  if ((!needsId && clientId !== undefined) || extra.length > 0) return usage(`unexpected argument "${(needsId ? extra[0] : clientId) ?? ''}"`);
  const given = Object.keys(values).filter((name) => !['config', 'help', 'json'].includes(name));
  const stray = given.find((name) => !ACCEPTED[act].includes(name));
  if (stray !== undefined) return usage(`clients ${act} does not take --${stray}`);
  let limit: number | undefined;
  if (values.limit !== undefined) {
    if (!/^[1-9][0-9]{0,2}$/.test(values.limit) || Number(values.limit) > 500) return usage('--limit is a whole number from 1 to 500');
    limit = Number(values.limit);
  }

  const settings = loadSettings(values.config);
  // Sealing secrets must not create a key: without RAMPART_KEK, only an existing development key will do.
  if (settings.keyEncryptionKey === undefined && !existsSync(join(settings.dataDir, DEV_KEK_FILE))) {
    io.err(`rampart: no key to seal client secrets with: set RAMPART_KEK (no development key in ${settings.dataDir})`);
    return 2;
  }
  ensureDataDir(settings.dataDir);
  const database = openDatabase(settings);
  try {
    const store = await openStore(io, settings, database);
    if (store === undefined) return 2;
    const json = values.json === true;
    const print = (document: unknown, lines: () => string[]): void => {
      if (json) io.out(JSON.stringify(document, null, 2));
      else for (const line of lines()) io.out(line);
    };
    try {
      switch (act) {
        case 'create': {
          const { client, clientSecret } = await store.create(createInput(values, io.cwd));
          await audit(database, 'oauth.client.created', oauthClientEventFacts(client));
          print({ client: oauthClientView(client), ...(clientSecret === undefined ? {} : { clientSecret }) }, () => [`rampart: client ${client.clientId} created`, ...describe(oauthClientView(client))]);
          // Out of stdout (often shipped as a log), once; in --json the document is what the operator asked for.
          if (!json && clientSecret !== undefined) io.err(`rampart: client secret (shown once, store it now): ${clientSecret}`);
          return 0;
        }
        case 'list': {
          const listed = await store.list({ limit: (limit ?? 100) + 1, ...(values.after === undefined ? {} : { after: values.after }) });
          const page = listed.slice(0, limit ?? 100);
          const next = listed.length > page.length ? (page.at(-1)?.clientId ?? null) : null;
          print({ clients: page.map(oauthClientView), next }, () => [
            ...page.map((c) => [c.clientId, c.type, c.tokenEndpointAuthMethod, c.grantTypes.join(','), c.name ?? ''].join('  ').trimEnd()),
            ...(next === null ? [] : [`rampart: more clients: --after ${next}`]),
          ]);
          return 0;
        }
        case 'show': {
          const client = await store.get(clientId ?? '');
          if (client === undefined) return refused(io, new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${clientId ?? ''}"`));
          print(oauthClientView(client), () => describe(oauthClientView(client)));
          return 0;
        }
        case 'update': {
          const patch: OAuthClientUpdate = settingsOf(values, io.cwd);
          if (Object.keys(patch).length === 0) return usage('update needs at least one setting to change');
          const client: OAuthClient = await store.update(clientId ?? '', patch, values['if-version'] === undefined ? {} : { ifVersion: values['if-version'] });
          await audit(database, 'oauth.client.updated', { changed: Object.keys(patch).sort().join(' '), ...oauthClientEventFacts(client) });
          print(oauthClientView(client), () => [`rampart: client ${client.clientId} updated`, ...describe(oauthClientView(client))]);
          return 0;
        }
        case 'rotate-secret': {
          const rotated = await store.rotateSecret(clientId ?? '', values['if-version'] === undefined ? {} : { ifVersion: values['if-version'] });
          const revokeIssued = values['revoke-tokens'] === true;
          const revokedArtifacts = revokeIssued ? await store.revokeIssued(rotated.client.clientId) : 0;
          await audit(database, 'oauth.client.secret_rotated', { clientId: rotated.client.clientId, revokeIssued, revokedArtifacts, version: rotated.client.version });
          print({ client: oauthClientView(rotated.client), clientSecret: rotated.clientSecret, revokedArtifacts }, () => [
            `rampart: client ${rotated.client.clientId}: secret rotated; the previous one no longer works`,
            ...(revokeIssued ? [`rampart: revoked ${String(revokedArtifacts)} codes, tokens and grants issued to it`] : []),
          ]);
          if (!json) io.err(`rampart: client secret (shown once, store it now): ${rotated.clientSecret}`);
          return 0;
        }
        case 'delete': {
          const client = await store.get(clientId ?? '');
          if (client === undefined || !(await store.delete(client.clientId))) return refused(io, new OAuthClientError('OAUTH_CLIENT_UNKNOWN', `no client "${clientId ?? ''}"`));
          await audit(database, 'oauth.client.deleted', { clientId: client.clientId, clientType: client.type, authMethod: client.tokenEndpointAuthMethod });
          print({ clientId: client.clientId, deleted: true }, () => [`rampart: client ${client.clientId} deleted, with every code, token and grant issued to it`]);
          return 0;
        }
      }
    } catch (error) {
      if (error instanceof UsageError) return usage(error.message);
      return refused(io, error);
    }
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  } finally {
    await database.close();
  }
}
