import type { Clock, Result, SecurityEventSink } from '@rampart/core';
import {
  createWebAuthn,
  type StoredWebAuthnCredential,
  type WebAuthn,
  type WebAuthnAuthentication,
  type WebAuthnAuthenticationFailure,
  type WebAuthnRegistrationFailure,
} from '@rampart/core/mfa';
import { parseUntrustedJson } from '@rampart/core/validate';
import type { Kysely } from 'kysely';
import type { AuthMethod } from '../auth/identity.js';
import type { RampartDatabase } from '../db/schema.js';
import { SqlWebAuthnChallengeStore, SqlWebAuthnCredentialStore, type StoreDatabase } from '../stores/index.js';
import type { MfaEvents } from './events.js';
import type { PasskeyRegistry, PasskeySummary } from './passkey-registry.js';
import type { AuthenticationCredential, RegistrationCredential } from './webauthn-json.js';

/** The relying party the server's passkeys are scoped to. */
export interface RelyingParty {
  /** The RP id: the public URL's host name. */
  readonly id: string;
  /** The one origin whose ceremonies are accepted: the public URL's origin (what browsers send as `Origin`). */
  readonly origin: string;
}

/** Why a passkey ceremony was refused (for the event; the client gets one generic answer per route). */
export type PasskeyFailure = WebAuthnRegistrationFailure | WebAuthnAuthenticationFailure;

/** What {@link Passkeys} is built from. */
export interface PasskeysDeps {
  readonly database: StoreDatabase;
  readonly publicUrl: string;
  readonly origin: string;
  readonly clock: Clock;
  /** The hub (core's WebAuthn reports `mfa.webauthn.registered` and `mfa.webauthn.counter_regression` here). */
  readonly sink: SecurityEventSink;
  readonly events: MfaEvents;
  readonly registry: PasskeyRegistry;
}

/** Challenge lifetime: core's default, 5 minutes — long enough to find a security key, short enough to go stale. */
const CEREMONY_TTL_SECONDS = 300;

/**
 * The RP id and origin for the server's public URL: its host name and its origin. Core refuses (ConfigurationError)
 * the pairs passkeys cannot work on: WebAuthn scopes credentials to a domain (L3 §5.1.3: the RP id must be a valid
 * domain), so a server reached at an IP address cannot have passkeys, and a plain-http origin is accepted only on
 * `localhost` (a secure context in browsers).
 */
export function relyingPartyOf(publicUrl: string, origin: string): RelyingParty {
  return { id: new URL(publicUrl).hostname, origin };
}

/** The `challenge` of a response's client data (base64url JSON), without trusting anything else in it. */
function challengeOf(clientDataJSON: string): string | undefined {
  const parsed = parseUntrustedJson(Buffer.from(clientDataJSON, 'base64url'), { maxBytes: 16_384, maxDepth: 4 });
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) return undefined;
  const challenge: unknown = (parsed.value as Record<string, unknown>).challenge;
  return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 512 ? challenge : undefined;
}

/**
 * The RFC 8176 method a passkey assertion proves. A synced passkey (`multiDevice`: backup eligible, its private key
 * copied between devices through a provider's cloud) is a software-protected key, `swk`; a device-bound credential
 * (`singleDevice`: a security key, a platform authenticator without sync) is a hardware-protected key, `hwk`.
 */
export function passkeyMethod(authentication: Pick<WebAuthnAuthentication, 'deviceType'>): AuthMethod {
  return authentication.deviceType === 'multiDevice' ? 'swk' : 'hwk';
}

/**
 * The server's passkey ceremonies: registration for a signed-in user, authentication (second factor, passkey-only
 * login, step-up) — core's WebAuthn on the SQL stores.
 *
 * Decisions: user verification is REQUIRED in every ceremony and resident keys are REQUIRED at registration, so every
 * registered passkey can sign in on its own (usernameless, `['hwk'|'swk', 'user', 'mfa']`) — a passkey registered
 * without UV would be one factor pretending to be two. The ceremony handle never leaves the server: a finishing
 * request is matched to its ceremony by the challenge inside its signed client data, and the ceremony must be of the
 * right kind and for the right user (or usernameless) before core takes it (single use) and verifies it.
 *
 * Protects against: phishing (origin and RP id exact), replayed or stale responses (single-use, 5-minute
 * challenges), cloned authenticators (counter regression refuses and disables the credential), a credential of one
 * account signing in another, and one authenticator registered twice.
 */
export class Passkeys {
  readonly relyingParty: RelyingParty;
  readonly #webauthn: WebAuthn;
  readonly #db: Kysely<RampartDatabase>;
  readonly #deps: PasskeysDeps;

  constructor(deps: PasskeysDeps) {
    this.#deps = deps;
    this.#db = deps.database.db;
    this.relyingParty = relyingPartyOf(deps.publicUrl, deps.origin);
    // Throws a ConfigurationError for a public URL passkeys cannot work on (see relyingPartyOf); the module catches it.
    this.#webauthn = createWebAuthn({
      rpId: this.relyingParty.id,
      rpName: this.relyingParty.id,
      origins: [this.relyingParty.origin],
      userVerification: 'required',
      residentKey: 'required',
      challengeTtlSeconds: CEREMONY_TTL_SECONDS,
      challenges: new SqlWebAuthnChallengeStore(deps.database, { clock: deps.clock }),
      credentials: new SqlWebAuthnCredentialStore(deps.database),
      clock: deps.clock,
      events: deps.sink,
    });
  }

  /** Registration options for `userId` (its credentials excluded); the challenge stays in the store, single use. */
  async startRegistration(userId: string, accountName: string): Promise<unknown> {
    const ceremony = await this.#webauthn.startRegistration({ id: userId, name: accountName });
    return ceremony.options;
  }

  /** Verifies a registration response for `userId` and stores the credential and its name. */
  async finishRegistration(userId: string, credential: RegistrationCredential, name: string | undefined): Promise<Result<PasskeySummary, PasskeyFailure>> {
    const ceremonyId = await this.#ceremonyOf(credential.response.clientDataJSON, 'registration', userId);
    if (ceremonyId === undefined) return this.#failed(userId, 'registration', 'challenge_unknown');
    const result = await this.#webauthn.finishRegistration(ceremonyId, userId, credential);
    if (!result.ok) return this.#failed(userId, 'registration', result.reason);
    await this.#deps.registry.name(userId, result.value.id, name ?? null);
    return { ok: true, value: summaryOf(result.value, name ?? null) };
  }

  /** Authentication options: for a named user (their credentials only) or usernameless (discoverable credentials). */
  async startAuthentication(userId?: string): Promise<unknown> {
    const ceremony = await this.#webauthn.startAuthentication(userId);
    return ceremony.options;
  }

  /**
   * Verifies an assertion. With `userId`, only a ceremony started for that user and a credential it owns pass; without,
   * only a usernameless ceremony, and the credential decides the account.
   */
  async finishAuthentication(credential: AuthenticationCredential, userId: string | undefined, purpose: string): Promise<Result<WebAuthnAuthentication, PasskeyFailure>> {
    const ceremonyId = await this.#ceremonyOf(credential.response.clientDataJSON, 'authentication', userId ?? null);
    if (ceremonyId === undefined) return this.#failed(userId, purpose, 'challenge_unknown');
    const result = await this.#webauthn.finishAuthentication(ceremonyId, credential, userId);
    if (!result.ok) return this.#failed(userId, purpose, result.reason);
    return result;
  }

  /**
   * The pending ceremony a response answers, found by the challenge its client data names, of `kind`, for `userId`
   * (`null`: a usernameless ceremony). Core then takes it atomically and checks the challenge again, signed.
   */
  async #ceremonyOf(clientDataJSON: string, kind: 'registration' | 'authentication', userId: string | null): Promise<string | undefined> {
    const challenge = challengeOf(clientDataJSON);
    if (challenge === undefined) return undefined;
    let query = this.#db.selectFrom('rampart_webauthn_challenges').select('ceremony_id').where('challenge', '=', challenge).where('kind', '=', kind);
    query = userId === null ? query.where('user_id', 'is', null) : query.where('user_id', '=', userId);
    const row = await query.executeTakeFirst();
    return row?.ceremony_id;
  }

  #failed<T>(userId: string | undefined, ceremony: string, reason: PasskeyFailure): Result<T, PasskeyFailure> {
    // The counter regression has its own event from core (and the credential is disabled); it is a failure too.
    this.#deps.events('mfa.webauthn.failed', userId, { ceremony, reason });
    return { ok: false, reason };
  }
}

function summaryOf(credential: StoredWebAuthnCredential, name: string | null): PasskeySummary {
  return {
    id: credential.id,
    name,
    createdAt: credential.createdAt.toISOString(),
    lastUsedAt: credential.lastUsedAt === undefined ? null : credential.lastUsedAt.toISOString(),
    disabled: credential.flagged !== undefined,
  };
}
