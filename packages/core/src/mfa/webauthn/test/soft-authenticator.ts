/*
 * Test-only software authenticator: a real ES256 (P-256) key pair from node:crypto, producing the exact bytes a
 * browser + authenticator would send (WebAuthn L3 §6.1 authenticator data, §6.5.4 "none" attestation, §5.8.1 client
 * data). Every field can be overridden so attack tests can forge one thing at a time.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftAuthenticatorOptions {
  /** Origin the simulated browser reports. */
  readonly origin: string;
  /** Signature counter before the first use; 0 = authenticator without a counter (typical synced passkey). */
  readonly counter?: number;
  /** Whether each use increments the counter. Default true when the start counter is non-zero. */
  readonly incrementCounter?: boolean;
  /** Backup eligible/state (a synced passkey). Default false. */
  readonly backedUp?: boolean;
}

/** Per-call forgeries. */
export interface CeremonyOverrides {
  readonly origin?: string;
  /** RP id whose SHA-256 goes into authenticator data (defaults to the options' rpId). */
  readonly rpId?: string;
  readonly type?: string;
  readonly challenge?: string;
  readonly userPresent?: boolean;
  readonly userVerified?: boolean;
  /** Exact counter to put in authenticator data for this call (bypasses the internal counter). */
  readonly counter?: number;
  /** Sign with this key instead of the credential's. */
  readonly signingKey?: KeyObject;
  /** userHandle to return (base64url); defaults to the one stored at registration. `null` omits it. */
  readonly userHandle?: string | null;
  readonly crossOrigin?: boolean;
}

export class SoftAuthenticator {
  readonly credentialId: Buffer = randomBytes(32);
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  readonly #origin: string;
  readonly #increment: boolean;
  readonly #backedUp: boolean;
  #counter: number;
  #userHandle: string | undefined;

  constructor(options: SoftAuthenticatorOptions) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
    this.#origin = options.origin;
    this.#counter = options.counter ?? 0;
    this.#increment = options.incrementCounter ?? this.#counter > 0;
    this.#backedUp = options.backedUp ?? false;
  }

  get id(): string {
    return this.credentialId.toString('base64url');
  }

  get counter(): number {
    return this.#counter;
  }

  /** Responds to `navigator.credentials.create(options)` with "none" attestation. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides: CeremonyOverrides = {},
  ): RegistrationResponseJSON {
    const rpId = overrides.rpId ?? options.rp.id ?? 'invalid.example';
    this.#userHandle = options.user.id;
    const clientDataJSON = this.#clientData('webauthn.create', options.challenge, overrides);
    const authData = Buffer.concat([
      this.#authDataHeader(rpId, FLAG_AT, overrides, this.#counter),
      this.#attestedCredentialData(),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, Uint8Array | string | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['usb'],
      },
      clientExtensionResults: {},
    };
  }

  /** Responds to `navigator.credentials.get(options)`: signs authData || SHA-256(clientDataJSON). */
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides: CeremonyOverrides = {},
  ): AuthenticationResponseJSON {
    const rpId = overrides.rpId ?? options.rpId ?? 'invalid.example';
    if (overrides.counter === undefined && this.#increment) this.#counter += 1;
    const counter = overrides.counter ?? this.#counter;
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge, overrides);
    const authData = this.#authDataHeader(rpId, 0, overrides, counter);
    const signed = Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]);
    // node:crypto emits DER-encoded ECDSA signatures, the format WebAuthn uses for ES256 (§6.5.5).
    const signature = sign('sha256', signed, overrides.signingKey ?? this.#privateKey);
    const userHandle = overrides.userHandle === undefined ? this.#userHandle : overrides.userHandle;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(userHandle === null || userHandle === undefined ? {} : { userHandle }),
      },
      clientExtensionResults: {},
    };
  }

  #clientData(type: string, challenge: string, overrides: CeremonyOverrides): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? this.#origin,
        crossOrigin: overrides.crossOrigin ?? false,
      }),
      'utf8',
    );
  }

  /** rpIdHash(32) | flags(1) | signCount(4, big-endian). */
  #authDataHeader(rpId: string, extraFlags: number, overrides: CeremonyOverrides, counter: number): Buffer {
    let flags = extraFlags;
    if (overrides.userPresent ?? true) flags |= FLAG_UP;
    if (overrides.userVerified ?? true) flags |= FLAG_UV;
    if (this.#backedUp) flags |= FLAG_BE | FLAG_BS;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), count]);
  }

  /** aaguid(16) | credIdLen(2) | credId | COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}. */
  #attestedCredentialData(): Buffer {
    const jwk = this.#publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x ?? '', 'base64url');
    const y = Buffer.from(jwk.y ?? '', 'base64url');
    const coseKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(x)],
        [-3, new Uint8Array(y)],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    return Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, Buffer.from(coseKey)]);
  }
}

/** A fresh P-256 private key, for "signed by a different key" attacks. */
export function otherSigningKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}
