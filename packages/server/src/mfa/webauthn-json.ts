import { Type, compile, type Static } from '@rampart/core/validate';

/*
 * The JSON a browser sends for a WebAuthn credential (`PublicKeyCredential.toJSON()`, WebAuthn L3 §5.1), as closed
 * schemas: every member a browser sends is declared, bounded and typed, anything else is refused with a 400 before
 * core's verifier runs (which copies only the members it checks). Sizes follow core's caps: credential ids are at most
 * 1023 bytes (§7.1 step 25), user handles 64 bytes.
 */

const b64url = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });
const CREDENTIAL_ID = b64url(1364);
const CLIENT_DATA = b64url(16_384);
const ATTACHMENT = Type.Union([Type.Literal('platform'), Type.Literal('cross-platform'), Type.Null()]);

/** A registration response (`navigator.credentials.create()`). */
export const RegistrationCredential = Type.Object({
  id: CREDENTIAL_ID,
  rawId: CREDENTIAL_ID,
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(ATTACHMENT),
  // Registration asks for credProps (whether the credential is discoverable); nothing else is requested.
  clientExtensionResults: Type.Object({ credProps: Type.Optional(Type.Object({ rk: Type.Optional(Type.Boolean()) })) }),
  response: Type.Object({
    clientDataJSON: CLIENT_DATA,
    attestationObject: b64url(60_000),
    authenticatorData: Type.Optional(b64url(16_384)),
    transports: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { maxItems: 16 })),
    publicKey: Type.Optional(b64url(4_096)),
    publicKeyAlgorithm: Type.Optional(Type.Integer({ minimum: -65_536, maximum: 65_535 })),
  }),
});
export type RegistrationCredential = Static<typeof RegistrationCredential>;

/** An authentication response (`navigator.credentials.get()`). */
export const AuthenticationCredential = Type.Object({
  id: CREDENTIAL_ID,
  rawId: CREDENTIAL_ID,
  type: Type.Literal('public-key'),
  authenticatorAttachment: Type.Optional(ATTACHMENT),
  clientExtensionResults: Type.Object({}),
  response: Type.Object({
    clientDataJSON: CLIENT_DATA,
    authenticatorData: b64url(16_384),
    signature: b64url(2_048),
    userHandle: Type.Optional(Type.Union([Type.String({ maxLength: 88, pattern: '^[A-Za-z0-9_-]*$' }), Type.Null()])),
  }),
});
export type AuthenticationCredential = Static<typeof AuthenticationCredential>;

/** A passkey's display name: printable text, no control characters (it is shown in lists and mails). */
export const PASSKEY_NAME = Type.String({ minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$' });

/** A credential id in a URL path. */
export const credentialIdParam = compile(Type.Object({ id: CREDENTIAL_ID }));
