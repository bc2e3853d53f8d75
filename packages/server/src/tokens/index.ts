import { createJwtVerifier, RefreshTokens, type AsymmetricJwtAlgorithm } from '@rampart/core/token';
import type { Authenticator } from '../auth/authenticate.js';
import type { ServerContext } from '../context.js';
import { SqlRefreshTokenStore } from '../stores/refresh-token-store.js';
import { bearerAuthenticator } from './bearer.js';
import { GrantStore } from './grants.js';
import { ReloadingKeySet } from './key-source.js';
import { registerTokenRoutes } from './routes.js';
import { createTokenService, type ServerTokenIssuer } from './service.js';
import { SigningKeyStore, type KeyLogEntry, type KeySchedule, type SigningKeyInfo } from './signing-keys.js';

export { ACR_COMPLETE, type IssueOptions, type ServerTokenIssuer } from './service.js';
export { bearerJwtOf } from './bearer.js';
export { TOKEN_BODY_ROUTES, TOKEN_ENDPOINT_MEDIA_TYPES, type OAuthError } from './routes.js';
export {
  promoteDelayMs,
  retireDelayMs,
  SigningKeyStore,
  SigningKeyStoreError,
  type KeyAction,
  type KeyActor,
  type KeyLogEntry,
  type KeySchedule,
  type PromoteOutcome,
  type SigningKeyInfo,
  type StageOutcome,
} from './signing-keys.js';

/** Settings of the token module; every process on one database must use the same ones (they time key rotation). */
export interface TokenModuleOptions {
  /** `aud` of access tokens and what the bearer authenticator accepts. Default: the server's public URL. */
  readonly audience?: string | readonly string[];
  /** `client_id` of first-party logins. Default `rampart`. */
  readonly clientId?: string;
  /** Access-token lifetime. Default 600 (10 minutes). */
  readonly accessTokenTtlSeconds?: number;
  /** `max-age` of the JWKS. Default 300. */
  readonly jwksMaxAgeSeconds?: number;
  /** How often the key set is reloaded (and due promotions and retirements run). Default 30 000. */
  readonly reloadIntervalMs?: number;
  /** Algorithm of new signing keys. Default `EdDSA` (Ed25519), core's recommendation. */
  readonly algorithm?: AsymmetricJwtAlgorithm;
}

/** The defaults of {@link TokenModuleOptions}, shared with `rampart keys` so that both time rotations alike. */
export const TOKEN_DEFAULTS = {
  clientId: 'rampart',
  accessTokenTtlSeconds: 600,
  jwksMaxAgeSeconds: 300,
  reloadIntervalMs: 30_000,
  algorithm: 'EdDSA',
} as const satisfies Omit<Required<TokenModuleOptions>, 'audience'>;

/** Least time between two key reloads triggered by tokens with an unknown kid. */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** core's verifier leeway on `exp` (30 s): part of how long a replaced key must keep verifying. */
const VERIFIER_LEEWAY_MS = 30_000;
/** How often expired refresh families and spent grace copies are deleted. */
const HOUSEKEEPING_MS = 60 * 60_000;

/** The rotation schedule implied by `options` (defaults filled in). */
export function keyScheduleOf(options: TokenModuleOptions = {}): KeySchedule {
  return {
    jwksMaxAgeMs: (options.jwksMaxAgeSeconds ?? TOKEN_DEFAULTS.jwksMaxAgeSeconds) * 1000,
    reloadIntervalMs: options.reloadIntervalMs ?? TOKEN_DEFAULTS.reloadIntervalMs,
    accessTokenTtlMs: (options.accessTokenTtlSeconds ?? TOKEN_DEFAULTS.accessTokenTtlSeconds) * 1000,
    leewayMs: VERIFIER_LEEWAY_MS,
  };
}

/** The signing keys as a running server handles them. */
export interface ServerSigningKeys {
  /** The stored keys (what `rampart keys rotate` works on too). */
  readonly store: SigningKeyStore;
  /**
   * One tick of the timer: promotes a due *next* key, retires keys whose tokens have all expired, reloads the set,
   * and reports unreported key changes as security events. Tests call it after moving the clock.
   */
  sync(): Promise<void>;
  /** The keys that are not retired. */
  status(): Promise<SigningKeyInfo[]>;
}

/** What the token module gives the server. */
export interface TokenModule {
  /** Mints access + refresh tokens for completed logins; refreshes and revokes. */
  readonly issuer: ServerTokenIssuer;
  /** Authenticates `Authorization: Bearer <access token>`. */
  readonly authenticator: Authenticator;
  readonly keys: ServerSigningKeys;
}

function eventOf(entry: KeyLogEntry): { type: 'token.signing_key.rotated' | 'token.signing_key.retired'; attributes: Record<string, string> } {
  const common = { kid: entry.kid, actor: entry.actor, ...(entry.previous === undefined ? {} : { previous: entry.previous }) };
  switch (entry.action) {
    case 'staged':
      return { type: 'token.signing_key.rotated', attributes: { ...common, phase: 'published' } };
    case 'activated':
    case 'promoted':
      return { type: 'token.signing_key.rotated', attributes: { ...common, phase: 'signing' } };
    case 'retired':
      return { type: 'token.signing_key.retired', attributes: common };
  }
}

/**
 * Builds the token module and registers its routes: `POST /v1/token`, `POST /v1/token/revoke`,
 * `GET /.well-known/jwks.json`. Makes sure a signing key exists (one, whatever number of servers start at once on an
 * empty database), and keeps the key set in step with the database on a timer stopped when the server closes.
 */
export async function createTokenModule(ctx: ServerContext, options: TokenModuleOptions = {}): Promise<TokenModule> {
  const { clock, events } = ctx;
  const schedule = keyScheduleOf(options);
  const audience = options.audience === undefined ? [ctx.publicUrl] : typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  const clientId = options.clientId ?? TOKEN_DEFAULTS.clientId;
  const accessTokenTtlSeconds = options.accessTokenTtlSeconds ?? TOKEN_DEFAULTS.accessTokenTtlSeconds;
  const store = new SigningKeyStore(ctx.database, ctx.ring, schedule, options.algorithm ?? TOKEN_DEFAULTS.algorithm);
  await store.ensureActive(clock.now(), 'server');
  const keys = await ReloadingKeySet.open({
    load: () => store.load(),
    clock,
    minUnknownKidIntervalMs: UNKNOWN_KID_RELOAD_MS,
    onError: (error) => {
      ctx.app.log.error({ err: error }, 'signing keys: reload failed; the last good key set stays in use');
    },
  });

  const report = async (): Promise<void> => {
    for (const entry of await store.claimLog(clock.now())) {
      const { type, attributes } = eventOf(entry);
      try {
        events({ type, at: new Date(entry.at), attributes });
      } catch {
        // A failing sink must not stop the key timer.
      }
    }
  };
  const sync = async (): Promise<void> => {
    const now = clock.now();
    await store.promote(now, 'server');
    await store.retireDue(now, 'server');
    await keys.reload();
    await report();
  };
  await report();

  const refreshStore = new SqlRefreshTokenStore(ctx.database);
  const refreshTokens = new RefreshTokens({ store: refreshStore, ring: ctx.ring, clock, events });
  const issuer = createTokenService({
    db: ctx.db,
    keys,
    refreshTokens,
    refreshStore,
    grants: new GrantStore(ctx.database),
    events,
    clock,
    issuer: ctx.publicUrl,
    audience,
    clientId,
    accessTokenTtlSeconds,
  });
  const verifier = createJwtVerifier({
    keys,
    issuer: ctx.publicUrl,
    audience,
    clock,
    requiredClaims: ['sub', 'client_id', 'auth_time', 'amr'],
    // An access token is at most one lifetime old; an older `iat` is a token this server did not mint as configured.
    maxAgeSeconds: accessTokenTtlSeconds + 60,
  });
  registerTokenRoutes(ctx.app, { issuer, keys, clientId, jwksMaxAgeSeconds: schedule.jwksMaxAgeMs / 1000 });

  let lastHousekeeping = clock.now();
  const tick = async (): Promise<void> => {
    await sync();
    if (clock.now() - lastHousekeeping >= HOUSEKEEPING_MS) {
      lastHousekeeping = clock.now();
      await refreshStore.deleteExpired(clock.now());
    }
  };
  const timer = setInterval(() => {
    tick().catch((error: unknown) => {
      ctx.app.log.error({ err: error }, 'signing keys: timer tick failed');
    });
  }, schedule.reloadIntervalMs);
  timer.unref();
  ctx.app.addHook('onClose', (_app, done) => {
    clearInterval(timer);
    done();
  });

  return {
    issuer,
    authenticator: bearerAuthenticator({ verifier, db: ctx.db, events, clock }),
    keys: { store, sync, status: () => store.status() },
  };
}
