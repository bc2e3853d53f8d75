import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type CredentialDeviceType,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { decodeClientDataJSON } from '@simplewebauthn/server/helpers';
import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError, RampartError } from '../../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink, type SecurityEventType } from '../../events.js';
import { fail, ok, type Result } from '../../result.js';
import { randomToken } from '../../crypto/random.js';
import { hasCanonicalEcdsaSignature } from './strict-signature.js';
import type { StoredWebAuthnChallenge, WebAuthnCeremonyKind, WebAuthnChallengeStore } from './challenge-store.js';
import type { StoredWebAuthnCredential, WebAuthnCredentialStore } from './credential-store.js';

/** User-verification policy (WebAuthn L3 §5.8.6). */
export type WebAuthnUserVerification = 'required' | 'preferred' | 'discouraged';

/** Discoverable-credential (passkey) policy sent to the authenticator (WebAuthn L3 §5.4.6). */
export type WebAuthnResidentKey = 'required' | 'preferred' | 'discouraged';

/** COSE algorithms accepted at registration: EdDSA, ES256, RS256 (WebAuthn L3 §5.8.5 recommends these three). */
export const DEFAULT_WEBAUTHN_ALGORITHMS: readonly number[] = [-8, -7, -257];

export interface WebAuthnConfig {
  /** Relying Party id: the registrable domain credentials are scoped to, e.g. `example.com`. No scheme, no port. */
  readonly rpId: string;
  /** Name the authenticator shows to the user. */
  readonly rpName: string;
  /**
   * Exact origins allowed to run ceremonies, e.g. `['https://example.com', 'https://app.example.com']`. Each must be
   * `https:` (or `http://localhost`) on `rpId` or a subdomain of it, or an `android:apk-key-hash:` app origin.
   */
  readonly origins: readonly string[];
  /** Default `'required'`: a response without the UV flag is refused. */
  readonly userVerification?: WebAuthnUserVerification;
  /** Default `'preferred'`: ask for a passkey, accept a non-discoverable security key. */
  readonly residentKey?: WebAuthnResidentKey;
  /** Lifetime of a challenge. Default 300 (5 minutes); 30 to 1800. */
  readonly challengeTtlSeconds?: number;
  readonly challenges: WebAuthnChallengeStore;
  readonly credentials: WebAuthnCredentialStore;
  readonly clock?: Clock;
  readonly events?: SecurityEventSink;
  /** Disable a credential whose signature counter went backwards (possible clone). Default `true`. */
  readonly flagOnCounterRegression?: boolean;
  /**
   * Accept ceremonies run inside a cross-origin iframe (`clientDataJSON.crossOrigin === true`). Default `false`:
   * an embedding page could otherwise trick the user into a ceremony it controls (WebAuthn L3 §13.4.2).
   */
  readonly allowCrossOrigin?: boolean;
  /** COSE algorithm ids accepted at registration. Default {@link DEFAULT_WEBAUTHN_ALGORITHMS}. */
  readonly supportedAlgorithmIds?: readonly number[];
}

/** The account a credential is registered for. */
export interface WebAuthnUser {
  /**
   * Stable, opaque account id (1 to 64 UTF-8 bytes). It becomes the WebAuthn user handle, which authenticators store
   * and may reveal, so it must not be an e-mail address or other personal data (WebAuthn L3 §14.6.1).
   */
  readonly id: string;
  /** Account name shown by the authenticator (e.g. the e-mail address). */
  readonly name: string;
  readonly displayName?: string;
}

/** A started ceremony: keep `ceremonyId` server-side (in the session), send `options` to the browser. */
export interface WebAuthnCeremony<Options> {
  readonly ceremonyId: string;
  readonly options: Options;
}

export type WebAuthnRegistrationFailure =
  | 'challenge_unknown'
  | 'challenge_expired'
  | 'user_mismatch'
  | 'malformed'
  | 'verification_failed'
  | 'credential_exists';

export type WebAuthnAuthenticationFailure =
  | 'challenge_unknown'
  | 'challenge_expired'
  | 'malformed'
  | 'credential_unknown'
  | 'credential_disabled'
  | 'user_mismatch'
  | 'verification_failed'
  | 'counter_regression';

/** A successful authentication. */
export interface WebAuthnAuthentication {
  /** The account the credential belongs to: the authenticated user. */
  readonly userId: string;
  readonly credentialId: string;
  /** Whether the authenticator verified the user (PIN, biometrics): with it the assertion is two factors in one. */
  readonly userVerified: boolean;
  readonly deviceType: CredentialDeviceType;
  readonly backedUp: boolean;
  readonly counter: number;
}

export interface WebAuthn {
  /** Starts a registration ceremony for `user`; the user's credentials are excluded (no double registration). */
  startRegistration(user: WebAuthnUser): Promise<WebAuthnCeremony<PublicKeyCredentialCreationOptionsJSON>>;
  /**
   * Verifies a registration response (WebAuthn L3 §7.1) and stores the credential. `userId` is the signed-in user the
   * ceremony was started for; `response` is the untrusted JSON body. Never throws on bad input.
   */
  finishRegistration(
    ceremonyId: string,
    userId: string,
    response: unknown,
  ): Promise<Result<StoredWebAuthnCredential, WebAuthnRegistrationFailure>>;
  /** Starts an authentication ceremony, for a named user (their credentials only) or usernameless (passkeys). */
  startAuthentication(userId?: string): Promise<WebAuthnCeremony<PublicKeyCredentialRequestOptionsJSON>>;
  /**
   * Verifies an authentication response (WebAuthn L3 §7.2). With `expectedUserId` (or a ceremony started for a named
   * user), a credential of any other user is refused. Never throws on bad input.
   */
  finishAuthentication(
    ceremonyId: string,
    response: unknown,
    expectedUserId?: string,
  ): Promise<Result<WebAuthnAuthentication, WebAuthnAuthenticationFailure>>;
}

/** Thrown by `start…` when the application passes an unusable user (a programming error, not attacker input). */
export class WebAuthnUserError extends RampartError {
  constructor(message: string) {
    super('WEBAUTHN_USER_INVALID', message);
  }
}

// Size caps on attacker-supplied fields (base64url characters), so a huge body cannot make us decode megabytes.
// Credential ids are at most 1023 bytes (WebAuthn L3 §7.1 step 25) = 1364 base64url characters.
const MAX_CREDENTIAL_ID = 1364;
const MAX_CLIENT_DATA = 16_384;
const MAX_AUTHENTICATOR_DATA = 16_384;
const MAX_ATTESTATION_OBJECT = 65_536;
const MAX_SIGNATURE = 2_048;
const MAX_USER_HANDLE = 88; // 64 bytes
const MAX_CEREMONY_ID = 128;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const KNOWN_TRANSPORTS: ReadonlySet<string> = new Set([
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
]);
const encoder = new TextEncoder();

function isKnownTransport(value: unknown): value is AuthenticatorTransportFuture {
  return typeof value === 'string' && KNOWN_TRANSPORTS.has(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function b64url(value: unknown, max: number, min = 1): value is string {
  return typeof value === 'string' && value.length >= min && value.length <= max && BASE64URL.test(value);
}

/** The user handle is the UTF-8 of the user id, base64url in JSON. */
function userHandleOf(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

interface CommonFields {
  readonly id: string;
  readonly inner: Record<string, unknown>;
  readonly clientDataJSON: string;
  readonly clientExtensionResults: Record<string, never>;
}

/*
 * Copies only the fields we understand out of the untrusted body, after checking their types and sizes, so the
 * library never sees prototype tricks, getters or multi-megabyte strings, and "malformed" is told apart from "forged".
 */
function parseCommon(body: unknown): CommonFields | undefined {
  if (!isRecord(body)) return undefined;
  const { id, rawId, type, response } = body;
  if (!b64url(id, MAX_CREDENTIAL_ID) || rawId !== id || type !== 'public-key' || !isRecord(response)) return undefined;
  const { clientDataJSON } = response;
  if (!b64url(clientDataJSON, MAX_CLIENT_DATA)) return undefined;
  // Client extension outputs are not used by any check here; dropping them keeps attacker data out of the library.
  return { id, inner: response, clientDataJSON, clientExtensionResults: {} };
}

function parseRegistration(body: unknown): RegistrationResponseJSON | undefined {
  const common = parseCommon(body);
  if (common === undefined) return undefined;
  const { attestationObject, transports } = common.inner;
  if (!b64url(attestationObject, MAX_ATTESTATION_OBJECT)) return undefined;
  // Transports are only hints for later prompts; unknown values are dropped rather than stored.
  const known = new Set<AuthenticatorTransportFuture>();
  if (Array.isArray(transports)) {
    for (const transport of transports.slice(0, 16)) {
      if (isKnownTransport(transport)) known.add(transport);
    }
  } else if (transports !== undefined) {
    return undefined;
  }
  return {
    id: common.id,
    rawId: common.id,
    type: 'public-key',
    response: { clientDataJSON: common.clientDataJSON, attestationObject, transports: [...known] },
    clientExtensionResults: common.clientExtensionResults,
  };
}

function parseAuthentication(body: unknown): AuthenticationResponseJSON | undefined {
  const common = parseCommon(body);
  if (common === undefined) return undefined;
  const { authenticatorData, signature, userHandle } = common.inner;
  if (!b64url(authenticatorData, MAX_AUTHENTICATOR_DATA) || !b64url(signature, MAX_SIGNATURE)) return undefined;
  if (userHandle !== undefined && userHandle !== null && !b64url(userHandle, MAX_USER_HANDLE, 0)) return undefined;
  return {
    id: common.id,
    rawId: common.id,
    type: 'public-key',
    response: {
      clientDataJSON: common.clientDataJSON,
      authenticatorData,
      signature,
      ...(typeof userHandle === 'string' && userHandle !== '' ? { userHandle } : {}),
    },
    clientExtensionResults: common.clientExtensionResults,
  };
}

/** Runs a parser over an untrusted value; a throwing getter or proxy trap counts as malformed input, never an error. */
function safely<T>(parse: (body: unknown) => T | undefined, body: unknown): T | undefined {
  try {
    return parse(body);
  } catch {
    return undefined;
  }
}

/** Decodes clientDataJSON; `undefined` unless it is a JSON object. type/challenge/origin are checked by the library. */
function clientDataOf(clientDataJSON: string): Record<string, unknown> | undefined {
  try {
    const decoded: unknown = decodeClientDataJSON(clientDataJSON);
    return isRecord(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

const RP_ID = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function validateOrigins(rpId: string, origins: readonly string[]): string[] {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new ConfigurationError('webauthn origins must list at least one origin');
  }
  return origins.map((origin) => {
    if (typeof origin !== 'string') throw new ConfigurationError('webauthn origins must be strings');
    if (/^android:apk-key-hash:[A-Za-z0-9_-]+$/.test(origin)) return origin;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigurationError(`webauthn origin ${origin} is not a URL`);
    }
    // Exact serialized origin only: a path, a trailing slash or a wildcard would never match clientDataJSON.origin
    // (which is compared byte for byte) and signals a misunderstanding worth failing loudly on.
    if (url.origin !== origin) {
      throw new ConfigurationError(`webauthn origin ${origin} must be a bare origin such as https://example.com`);
    }
    // A wildcard or other non-domain host parses as a URL but could never be a WebAuthn origin's effective domain.
    if (!RP_ID.test(url.hostname)) {
      throw new ConfigurationError(`webauthn origin ${origin} must have a domain name as host`);
    }
    const localhost = url.hostname === 'localhost';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && localhost)) {
      throw new ConfigurationError(`webauthn origin ${origin} must use https (http is allowed for localhost only)`);
    }
    // WebAuthn L3 §5.1.3: the RP ID must equal the origin's host or be a registrable suffix of it.
    if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`)) {
      throw new ConfigurationError(`webauthn origin ${origin} is not on rpId ${rpId}`);
    }
    return origin;
  });
}

function validateUser(user: WebAuthnUser): void {
  const idBytes = typeof user.id === 'string' ? encoder.encode(user.id).length : 0;
  if (idBytes < 1 || idBytes > 64) throw new WebAuthnUserError('WebAuthn user id must be 1 to 64 UTF-8 bytes');
  if (typeof user.name !== 'string' || user.name === '' || user.name.length > 256) {
    throw new WebAuthnUserError('WebAuthn user name must be 1 to 256 characters');
  }
  if (user.displayName !== undefined && (typeof user.displayName !== 'string' || user.displayName.length > 256)) {
    throw new WebAuthnUserError('WebAuthn user displayName must be at most 256 characters');
  }
}

function counterRegressed(received: number, stored: number): boolean {
  // WebAuthn L3 §7.2 step 22 / §6.1.1: a counter of 0 on both sides means "no counter"; otherwise it must increase.
  return (received > 0 || stored > 0) && received <= stored;
}

/**
 * Creates WebAuthn registration and authentication ceremonies (passkeys, security keys, platform biometrics).
 *
 * Protects against: phishing (origin and RP id are checked exactly; a credential signs only for its RP id),
 * replayed or stale responses (challenges are single use and expire), cloned authenticators (signature-counter
 * regression refuses and flags the credential), weak assertions (user verification required by default),
 * double registration of one authenticator, and account confusion (a credential of user A never signs in user B).
 * Throws {@link ConfigurationError} at construction on an unsafe configuration.
 */
export function createWebAuthn(config: WebAuthnConfig): WebAuthn {
  const rpId = config.rpId;
  if (typeof rpId !== 'string' || !RP_ID.test(rpId)) {
    throw new ConfigurationError('webauthn rpId must be a lowercase domain such as example.com (no scheme, no port)');
  }
  if (typeof config.rpName !== 'string' || config.rpName.trim() === '') {
    throw new ConfigurationError('webauthn rpName must not be empty');
  }
  const origins = validateOrigins(rpId, config.origins);
  const userVerification = config.userVerification ?? 'required';
  if (!['required', 'preferred', 'discouraged'].includes(userVerification)) {
    throw new ConfigurationError('webauthn userVerification must be required, preferred or discouraged');
  }
  const residentKey = config.residentKey ?? 'preferred';
  if (!['required', 'preferred', 'discouraged'].includes(residentKey)) {
    throw new ConfigurationError('webauthn residentKey must be required, preferred or discouraged');
  }
  const ttlSeconds = config.challengeTtlSeconds ?? 300;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 30 || ttlSeconds > 1800) {
    throw new ConfigurationError('webauthn challengeTtlSeconds must be an integer between 30 and 1800');
  }
  const algorithms = [...(config.supportedAlgorithmIds ?? DEFAULT_WEBAUTHN_ALGORITHMS)];
  if (algorithms.length === 0 || !algorithms.every((alg) => DEFAULT_WEBAUTHN_ALGORITHMS.includes(alg))) {
    throw new ConfigurationError('webauthn supportedAlgorithmIds must be a non-empty subset of -8, -7, -257');
  }
  const { challenges, credentials } = config;
  const clock = config.clock ?? systemClock;
  const events = config.events ?? discardEvents;
  const flagOnRegression = config.flagOnCounterRegression ?? true;
  const allowCrossOrigin = config.allowCrossOrigin ?? false;
  const requireUv = userVerification === 'required';
  const ttlMs = ttlSeconds * 1000;

  function emit(type: SecurityEventType, subject: string, attributes: Record<string, string | number | boolean>): void {
    try {
      events({ ...securityEvent(type, subject, attributes), at: new Date(clock.now()) });
    } catch {
      // A failing sink must not change the outcome of a ceremony (events.ts contract).
    }
  }

  async function issue(kind: WebAuthnCeremonyKind, challenge: string, userId?: string): Promise<string> {
    const ceremonyId = randomToken(32);
    const record: StoredWebAuthnChallenge = {
      kind,
      challenge,
      expiresAt: clock.now() + ttlMs,
      ...(userId === undefined ? {} : { userId }),
    };
    await challenges.put(ceremonyId, record);
    return ceremonyId;
  }

  /*
   * Takes the challenge before looking at the response, so every finish attempt burns it: a response cannot be
   * replayed, and a failed attempt cannot be retried with a tweaked response against the same challenge.
   */
  async function redeem(
    ceremonyId: unknown,
    kind: WebAuthnCeremonyKind,
  ): Promise<Result<StoredWebAuthnChallenge, 'challenge_unknown' | 'challenge_expired'>> {
    if (typeof ceremonyId !== 'string' || ceremonyId === '' || ceremonyId.length > MAX_CEREMONY_ID) {
      return fail('challenge_unknown');
    }
    const record = await challenges.take(ceremonyId);
    if (record?.kind !== kind) return fail('challenge_unknown');
    if (clock.now() >= record.expiresAt) return fail('challenge_expired');
    return ok(record);
  }

  function crossOriginRefused(clientDataJSON: string): boolean | undefined {
    const clientData = clientDataOf(clientDataJSON);
    if (clientData === undefined) return undefined;
    return clientData.crossOrigin === true && !allowCrossOrigin;
  }

  async function startRegistration(
    user: WebAuthnUser,
  ): Promise<WebAuthnCeremony<PublicKeyCredentialCreationOptionsJSON>> {
    validateUser(user);
    const existing = await credentials.listByUser(user.id);
    const options = await generateRegistrationOptions({
      rpName: config.rpName,
      rpID: rpId,
      userName: user.name,
      userID: encoder.encode(user.id),
      userDisplayName: user.displayName ?? user.name,
      timeout: ttlMs,
      attestationType: 'none',
      // WebAuthn L3 §5.4.3 excludeCredentials: the authenticator refuses to create a second credential for this user.
      excludeCredentials: existing.map((credential) => ({ id: credential.id, transports: [...credential.transports] })),
      authenticatorSelection: { residentKey, requireResidentKey: residentKey === 'required', userVerification },
      supportedAlgorithmIDs: algorithms,
    });
    return { ceremonyId: await issue('registration', options.challenge, user.id), options };
  }

  async function finishRegistration(
    ceremonyId: string,
    userId: string,
    response: unknown,
  ): Promise<Result<StoredWebAuthnCredential, WebAuthnRegistrationFailure>> {
    const redeemed = await redeem(ceremonyId, 'registration');
    if (!redeemed.ok) return redeemed;
    // The ceremony belongs to the user it was started for; a ceremony id leaked or mixed up across sessions cannot
    // attach a credential to someone else's account.
    if (redeemed.value.userId !== userId) return fail('user_mismatch');
    const parsed = safely(parseRegistration, response);
    if (parsed === undefined) return fail('malformed');
    const crossOrigin = crossOriginRefused(parsed.response.clientDataJSON);
    if (crossOrigin === undefined) return fail('malformed');
    if (crossOrigin) return fail('verification_failed');

    let info;
    try {
      // WebAuthn L3 §7.1 steps 7-24: type webauthn.create, challenge, origin, rpIdHash, UP, UV per policy, algorithm,
      // attestation statement.
      const verification = await verifyRegistrationResponse({
        response: parsed,
        expectedChallenge: redeemed.value.challenge,
        expectedOrigin: origins,
        expectedRPID: rpId,
        expectedType: 'webauthn.create',
        requireUserPresence: true,
        requireUserVerification: requireUv,
        supportedAlgorithmIDs: algorithms,
      });
      if (!verification.verified) return fail('verification_failed');
      info = verification.registrationInfo;
    } catch {
      return fail('verification_failed');
    }
    // The credential id in the authenticator data is the one the authenticator will present later; the outer JSON id
    // is client-controlled and must agree, or we would store a credential under an id nobody can use (or a chosen one).
    if (info.credential.id !== parsed.id) return fail('verification_failed');

    const credential: StoredWebAuthnCredential = {
      id: info.credential.id,
      userId,
      publicKey: info.credential.publicKey,
      counter: info.credential.counter,
      transports: parsed.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      createdAt: new Date(clock.now()),
    };
    // WebAuthn L3 §7.1 step 26: a credential id already registered (to anyone) is refused, atomically in the store.
    if (!(await credentials.create(credential))) return fail('credential_exists');
    emit('mfa.webauthn.registered', userId, {
      credentialId: credential.id,
      deviceType: credential.deviceType,
      userVerified: info.userVerified,
    });
    return ok(credential);
  }

  async function startAuthentication(
    userId?: string,
  ): Promise<WebAuthnCeremony<PublicKeyCredentialRequestOptionsJSON>> {
    let allowCredentials: { id: string; transports: AuthenticatorTransportFuture[] }[] | undefined;
    if (userId !== undefined) {
      if (typeof userId !== 'string' || userId === '') {
        throw new WebAuthnUserError('WebAuthn user id must not be empty');
      }
      const owned = await credentials.listByUser(userId);
      allowCredentials = owned
        .filter((credential) => credential.flagged === undefined)
        .map((credential) => ({ id: credential.id, transports: [...credential.transports] }));
    }
    const options = await generateAuthenticationOptions({
      rpID: rpId,
      timeout: ttlMs,
      userVerification,
      ...(allowCredentials === undefined ? {} : { allowCredentials }),
    });
    return { ceremonyId: await issue('authentication', options.challenge, userId), options };
  }

  async function finishAuthentication(
    ceremonyId: string,
    response: unknown,
    expectedUserId?: string,
  ): Promise<Result<WebAuthnAuthentication, WebAuthnAuthenticationFailure>> {
    const redeemed = await redeem(ceremonyId, 'authentication');
    if (!redeemed.ok) return redeemed;
    const parsed = safely(parseAuthentication, response);
    if (parsed === undefined) return fail('malformed');
    const crossOrigin = crossOriginRefused(parsed.response.clientDataJSON);
    if (crossOrigin === undefined) return fail('malformed');
    if (crossOrigin) return fail('verification_failed');

    const stored = await credentials.findById(parsed.id);
    if (stored === undefined) return fail('credential_unknown');
    if (stored.flagged !== undefined) return fail('credential_disabled');
    // WebAuthn L3 §7.2 steps 5-6: the credential must be one the named user owns, and a returned user handle must be
    // the credential owner's. This is what stops user A's authenticator from signing in as user B.
    const namedUser = redeemed.value.userId;
    if (namedUser !== undefined && stored.userId !== namedUser) return fail('user_mismatch');
    if (expectedUserId !== undefined && stored.userId !== expectedUserId) return fail('user_mismatch');
    const userHandle = parsed.response.userHandle;
    if (userHandle !== undefined && userHandle !== userHandleOf(stored.userId)) return fail('user_mismatch');

    let info;
    try {
      // WebAuthn L3 §7.2 steps 11-21: type webauthn.get, challenge, origin, rpIdHash, UP, UV per policy, signature.
      // The library is given counter 0 so it never judges the counter before the signature is checked: a counter
      // regression must only be reported (and the credential flagged) for a validly signed assertion, or anyone who
      // knows a credential id could get it disabled by sending a forged low counter.
      const verification = await verifyAuthenticationResponse({
        response: parsed,
        expectedChallenge: redeemed.value.challenge,
        expectedOrigin: origins,
        expectedRPID: rpId,
        expectedType: 'webauthn.get',
        credential: {
          id: stored.id,
          publicKey: new Uint8Array(stored.publicKey),
          counter: 0,
          transports: [...stored.transports],
        },
        requireUserVerification: requireUv,
      });
      if (!verification.verified) return fail('verification_failed');
      info = verification.authenticationInfo;
    } catch {
      return fail('verification_failed');
    }
    const { authenticatorData, clientDataJSON, signature } = parsed.response;
    if (!hasCanonicalEcdsaSignature(stored.publicKey, authenticatorData, clientDataJSON, signature)) {
      return fail('verification_failed');
    }

    // WebAuthn L3 §7.2 step 22 (signature counter), as a compare-and-set so two concurrent assertions from a clone
    // cannot both be accepted with the same counter value.
    let current = stored;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (current.flagged !== undefined) return fail('credential_disabled');
      if (counterRegressed(info.newCounter, current.counter)) {
        if (flagOnRegression) await credentials.flag(current.id, 'counter_regression', new Date(clock.now()));
        emit('mfa.webauthn.counter_regression', current.userId, {
          credentialId: current.id,
          storedCounter: current.counter,
          receivedCounter: info.newCounter,
          flagged: flagOnRegression,
        });
        return fail('counter_regression');
      }
      const applied = await credentials.recordUse(current.id, current.counter, {
        counter: info.newCounter,
        backedUp: info.credentialBackedUp,
        lastUsedAt: new Date(clock.now()),
      });
      if (applied) {
        return ok({
          userId: current.userId,
          credentialId: current.id,
          userVerified: info.userVerified,
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          counter: info.newCounter,
        });
      }
      const reloaded = await credentials.findById(current.id);
      if (reloaded === undefined) return fail('credential_unknown');
      current = reloaded;
    }
    // Persistent contention on one credential is itself suspicious; refuse rather than guess.
    return fail('verification_failed');
  }

  return { startRegistration, finishRegistration, startAuthentication, finishAuthentication };
}
