import { Type } from '@rampart/core/validate';

/*
 * The route schemas: validated by core's validator (closed objects, bounded strings; see openapi/index.ts) and
 * documented in /openapi.json. Numbers in query strings are decimal strings with their bounds in the pattern, so
 * `limit=1000000` is a 400, never a silently clamped page.
 */

/** Account ids (`randomUUID`, or any id a fixture stored): no `/`, `.` or `%`, so nothing in a path can traverse. */
export const USER_ID = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
/** Core's API key id: 22 base62 characters (128 bits). */
export const KEY_ID = Type.String({ pattern: '^[0-9A-Za-z]{22}$' });
/** 1–100. */
export const PAGE_LIMIT = Type.String({ pattern: '^(?:[1-9][0-9]?|100)$', description: 'Page size, 1–100' });
/** A seq: 0 to 10^15 - 1. */
export const SEQ = Type.String({ pattern: '^(?:0|[1-9][0-9]{0,14})$' });

export const UserParams = Type.Object({ id: USER_ID });
export const KeyParams = Type.Object({ keyId: KEY_ID });
export const SeqParams = Type.Object({ seq: SEQ });

export const UsersQuery = Type.Object({
  cursor: Type.Optional(USER_ID),
  limit: Type.Optional(PAGE_LIMIT),
  // Printable ASCII (addresses are ASCII): matched as a literal prefix of the lower-cased address.
  email: Type.Optional(Type.String({ pattern: '^[\\x21-\\x7e]{1,254}$', description: 'Prefix of the normalized address, matched literally' })),
});
export const EventsQuery = Type.Object({
  after: Type.Optional(SEQ),
  limit: Type.Optional(PAGE_LIMIT),
  type: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.]{0,63}$', description: 'Only entries of this event type' })),
});
export const CheckpointsQuery = Type.Object({ limit: Type.Optional(PAGE_LIMIT) });

const Time = Type.String({ format: 'date-time' });
const UserSummary = Type.Object({ id: Type.String(), email: Type.String(), emailVerified: Type.Boolean(), locked: Type.Boolean(), createdAt: Time });

export const UserPage = Type.Object({ users: Type.Array(UserSummary), next: Type.Union([Type.String(), Type.Null()], { description: 'cursor of the next page' }) });
export const UserDetail = Type.Object({
  id: Type.String(),
  email: Type.String(),
  emailVerified: Type.Boolean(),
  locked: Type.Boolean(),
  createdAt: Time,
  displayName: Type.Union([Type.String(), Type.Null()]),
  lockedAt: Type.Union([Time, Type.Null()]),
  passwordChangedAt: Time,
  globalRoles: Type.Array(Type.String()),
  factors: Type.Object({ totp: Type.Boolean(), passkeys: Type.Integer(), backupCodes: Type.Integer() }),
  sessions: Type.Integer(),
  apiKeys: Type.Object({ live: Type.Integer(), total: Type.Integer() }),
});
export const LockResult = Type.Object({
  id: Type.String(),
  locked: Type.Literal(true),
  lockedAt: Time,
  changed: Type.Boolean(),
  revokedSessions: Type.Integer(),
  revokedTokenFamilies: Type.Integer(),
  revokedApiKeys: Type.Integer(),
});
export const UnlockResult = Type.Object({ id: Type.String(), locked: Type.Literal(false), changed: Type.Boolean() });
export const SessionList = Type.Object({
  sessions: Type.Array(Type.Object({ handle: Type.String(), createdAt: Time, lastSeenAt: Time, idleExpiresAt: Time, absoluteExpiresAt: Time })),
});
export const SessionsRevoked = Type.Object({ revokedSessions: Type.Integer(), revokedTokenFamilies: Type.Integer() });
export const ApiKeyList = Type.Object({
  keys: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.Union([Type.String(), Type.Null()]),
      prefix: Type.String(),
      scopes: Type.Array(Type.String()),
      createdAt: Time,
      expiresAt: Type.Union([Time, Type.Null()]),
      lastUsedAt: Type.Union([Time, Type.Null()]),
      revokedAt: Type.Union([Time, Type.Null()]),
    }),
  ),
});
const Head = Type.Object({ treeSize: Type.Integer(), rootHash: Type.String(), chainHash: Type.String(), at: Time, keyId: Type.String(), signature: Type.String() });
export const EventPage = Type.Object({
  instanceId: Type.String(),
  size: Type.Integer({ description: 'committed entries in this instance’s trail' }),
  entries: Type.Array(Type.Object({ seq: Type.Integer(), at: Time }, { additionalProperties: true })),
  next: Type.Union([Type.Integer(), Type.Null()], { description: '`after` of the next page; null at the end' }),
});
export const CheckpointList = Type.Object({ instanceId: Type.String(), publicKeys: Type.Array(Type.Object({ keyId: Type.String(), pem: Type.String() })), checkpoints: Type.Array(Head) });
export const ProofResult = Type.Object({
  instanceId: Type.String(),
  seq: Type.Integer(),
  canonical: Type.String(),
  leafIndex: Type.Integer(),
  treeSize: Type.Integer(),
  path: Type.Array(Type.String()),
  checkpoint: Head,
});
export const VerifyResult = Type.Object({
  instanceId: Type.String(),
  ok: Type.Boolean(),
  entries: Type.Optional(Type.Integer()),
  checkpoints: Type.Optional(Type.Integer()),
  position: Type.Optional(Type.Integer()),
  problem: Type.Optional(Type.String()),
});
