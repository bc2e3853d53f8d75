import type { AuthenticatorTransportFuture, CredentialDeviceType } from '@simplewebauthn/server';

/** Why a credential was disabled. */
export type WebAuthnCredentialFlagReason = 'counter_regression';

/**
 * A registered WebAuthn credential. Holds a public key only: nothing here lets anyone sign in, so a leaked credential
 * table does not leak authenticators.
 */
export interface StoredWebAuthnCredential {
  /** Credential id, base64url (as in `response.id`). Globally unique. */
  readonly id: string;
  /** The account that owns the credential. */
  readonly userId: string;
  /** COSE-encoded public key, as returned by registration. */
  readonly publicKey: Uint8Array;
  /** Last signature counter seen (WebAuthn L3 §6.1.1); 0 for authenticators that do not implement one. */
  readonly counter: number;
  readonly transports: readonly AuthenticatorTransportFuture[];
  /** `multiDevice` when the credential is a synced passkey (backup eligible, BE flag). */
  readonly deviceType: CredentialDeviceType;
  /** Whether the credential is currently backed up (BS flag); updated at each authentication. */
  readonly backedUp: boolean;
  /** Authenticator model id (AAGUID); all zeros for `none` attestation from many authenticators. */
  readonly aaguid: string;
  readonly createdAt: Date;
  readonly lastUsedAt?: Date;
  /** Set when the credential was disabled, e.g. after a counter regression (possible clone). Refused while set. */
  readonly flagged?: { readonly reason: WebAuthnCredentialFlagReason; readonly at: Date };
}

/** Fields written after a successful authentication. */
export interface WebAuthnCredentialUse {
  readonly counter: number;
  readonly backedUp: boolean;
  readonly lastUsedAt: Date;
}

/**
 * Port for WebAuthn credentials.
 *
 * Atomicity contract:
 * - `create` inserts only when no credential with that id exists (any user) and reports whether it did, in one step
 *   (a unique key on `id`). This is what stops one authenticator credential being registered twice or attached to a
 *   second account (WebAuthn L3 §7.1 step 26).
 * - `recordUse` is a compare-and-set: it applies only when the stored counter still equals `expectedCounter` and the
 *   credential is not flagged, and reports whether it applied (`UPDATE … WHERE id = ? AND counter = ? AND flagged IS
 *   NULL`). Without it, two concurrent assertions from a cloned authenticator with the same counter could both pass.
 * Implementations return copies: mutating a returned object must not change what is stored.
 */
export interface WebAuthnCredentialStore {
  findById(credentialId: string): Promise<StoredWebAuthnCredential | undefined>;
  listByUser(userId: string): Promise<readonly StoredWebAuthnCredential[]>;
  create(credential: StoredWebAuthnCredential): Promise<boolean>;
  recordUse(credentialId: string, expectedCounter: number, use: WebAuthnCredentialUse): Promise<boolean>;
  /** Disables the credential; later authentications with it are refused until it is deleted and re-registered. */
  flag(credentialId: string, reason: WebAuthnCredentialFlagReason, at: Date): Promise<void>;
  delete(credentialId: string): Promise<void>;
}

function copy(credential: StoredWebAuthnCredential): StoredWebAuthnCredential {
  return {
    ...credential,
    publicKey: new Uint8Array(credential.publicKey),
    transports: [...credential.transports],
    createdAt: new Date(credential.createdAt),
    ...(credential.lastUsedAt === undefined ? {} : { lastUsedAt: new Date(credential.lastUsedAt) }),
    ...(credential.flagged === undefined
      ? {}
      : { flagged: { reason: credential.flagged.reason, at: new Date(credential.flagged.at) } }),
  };
}

/**
 * Single-process credential store for tests and embedded use. Each method runs to completion without yielding, which
 * makes `create` and `recordUse` atomic as the port requires.
 */
export class InMemoryWebAuthnCredentialStore implements WebAuthnCredentialStore {
  readonly #byId = new Map<string, StoredWebAuthnCredential>();

  findById(credentialId: string): Promise<StoredWebAuthnCredential | undefined> {
    const found = this.#byId.get(credentialId);
    return Promise.resolve(found === undefined ? undefined : copy(found));
  }

  listByUser(userId: string): Promise<readonly StoredWebAuthnCredential[]> {
    const list: StoredWebAuthnCredential[] = [];
    for (const credential of this.#byId.values()) {
      if (credential.userId === userId) list.push(copy(credential));
    }
    return Promise.resolve(list);
  }

  create(credential: StoredWebAuthnCredential): Promise<boolean> {
    if (this.#byId.has(credential.id)) return Promise.resolve(false);
    this.#byId.set(credential.id, copy(credential));
    return Promise.resolve(true);
  }

  recordUse(credentialId: string, expectedCounter: number, use: WebAuthnCredentialUse): Promise<boolean> {
    const current = this.#byId.get(credentialId);
    if (current?.counter !== expectedCounter || current.flagged !== undefined) return Promise.resolve(false);
    this.#byId.set(credentialId, {
      ...current,
      counter: use.counter,
      backedUp: use.backedUp,
      lastUsedAt: new Date(use.lastUsedAt),
    });
    return Promise.resolve(true);
  }

  flag(credentialId: string, reason: WebAuthnCredentialFlagReason, at: Date): Promise<void> {
    const current = this.#byId.get(credentialId);
    if (current !== undefined) this.#byId.set(credentialId, { ...current, flagged: { reason, at: new Date(at) } });
    return Promise.resolve();
  }

  delete(credentialId: string): Promise<void> {
    this.#byId.delete(credentialId);
    return Promise.resolve();
  }
}
