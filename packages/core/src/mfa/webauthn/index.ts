export {
  createWebAuthn,
  DEFAULT_WEBAUTHN_ALGORITHMS,
  WebAuthnUserError,
  type WebAuthn,
  type WebAuthnAuthentication,
  type WebAuthnAuthenticationFailure,
  type WebAuthnCeremony,
  type WebAuthnConfig,
  type WebAuthnRegistrationFailure,
  type WebAuthnResidentKey,
  type WebAuthnUser,
  type WebAuthnUserVerification,
} from './webauthn.js';
export {
  InMemoryWebAuthnChallengeStore,
  type InMemoryWebAuthnChallengeStoreOptions,
  type StoredWebAuthnChallenge,
  type WebAuthnCeremonyKind,
  type WebAuthnChallengeStore,
} from './challenge-store.js';
export {
  InMemoryWebAuthnCredentialStore,
  type StoredWebAuthnCredential,
  type WebAuthnCredentialFlagReason,
  type WebAuthnCredentialStore,
  type WebAuthnCredentialUse,
} from './credential-store.js';
