import { compile, Type } from '@rampart/core/validate';
import { PAGE_LIMIT } from './schemas.js';

/*
 * Schemas of the OAuth client administration routes. The create and change bodies are the client store's own schemas
 * (`OAUTH_CLIENT_INPUT_SCHEMA`, `OAUTH_CLIENT_UPDATE_SCHEMA`): one definition checks them and documents them.
 */

/**
 * A client id as the store accepts it (RFC 3986 unreserved characters, 1–128): no `/` or `%`, so nothing in a path
 * can traverse; ids made only of dots are refused by the store.
 */
export const CLIENT_ID = Type.String({ pattern: '^[A-Za-z0-9._~-]{1,128}$' });

export const ClientParams = Type.Object({ clientId: CLIENT_ID });
export const ClientsQuery = Type.Object({ cursor: Type.Optional(CLIENT_ID), limit: Type.Optional(PAGE_LIMIT) });

/** `POST …/{clientId}/secret`: optional; `revokeIssued` also ends every token and grant the client holds (a leaked secret). */
export const RotateBody = compile(
  Type.Object(
    { revokeIssued: Type.Optional(Type.Boolean({ description: 'Also revoke every code, token and grant issued to the client (its users sign in again)' })) },
    { additionalProperties: false, description: 'Optional: no body rotates the secret only' },
  ),
);

const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const ClientView = Type.Object({
  clientId: Type.String(),
  type: Type.Union([Type.Literal('confidential'), Type.Literal('public')]),
  name: Nullable(Type.String()),
  applicationType: Type.Union([Type.Literal('web'), Type.Literal('native')]),
  redirectUris: Type.Array(Type.String()),
  postLogoutRedirectUris: Type.Array(Type.String()),
  grantTypes: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  tokenEndpointAuthMethod: Type.String(),
  tlsClientAuthSubjectDn: Nullable(Type.String()),
  jwks: Nullable(Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) })),
  certificateThumbprints: Type.Array(Type.String({ description: 'x5t#S256 (RFC 8705 §3.1)' })),
  certificateBoundAccessTokens: Type.Boolean(),
  dpopBoundAccessTokens: Type.Boolean(),
  firstParty: Type.Boolean(),
  hasSecret: Type.Boolean({ description: 'Whether a secret is stored; the secret itself is never returned after creation or rotation' }),
  createdAt: Time,
  updatedAt: Time,
  secretRotatedAt: Nullable(Time),
  version: Type.String({ description: 'The ETag value (unquoted): send it back in If-Match' }),
});

export const ClientPage = Type.Object({ clients: Type.Array(ClientView), next: Type.Union([Type.String(), Type.Null()], { description: 'cursor of the next page' }) });
export const IssuedClient = Type.Object({
  client: ClientView,
  clientSecret: Type.Optional(Type.String({ description: 'Shown once: store it now. Absent for clients that do not authenticate with a secret.' })),
});
export const RotatedSecret = Type.Object({
  client: ClientView,
  clientSecret: Type.String({ description: 'Shown once: the previous secret stopped working' }),
  revokedArtifacts: Type.Integer({ description: 'Codes, tokens and grants revoked (0 unless revokeIssued)' }),
});
