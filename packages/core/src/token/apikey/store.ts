/**
 * The storage port for API keys. Stores hold a keyed hash of each key, looked up by the key's public id; never the key.
 *
 * ## Atomicity contract
 *
 * - {@link ApiKeyStore.insert} fails when the id exists (a primary key), never overwrites.
 * - {@link ApiKeyStore.revoke} is a conditional write (`UPDATE … SET revoked_at = $1 WHERE id = $2 AND revoked_at IS
 *   NULL`) and reports whether it changed the row, so the revocation event is emitted once.
 * - {@link ApiKeyStore.markUsed} writes only `last_used_at` (never earlier than the stored value) and, when asked, the
 *   hash and its kid. It must never write back a whole record read earlier: such a lost update could erase a
 *   revocation that happened in between and bring a revoked key back.
 */

/** What is stored about one key. */
export interface ApiKeyRecord {
  /** Public, random; the middle part of the key. */
  readonly id: string;
  readonly prefix: string;
  /** Who the key acts for. */
  readonly subject: string;
  /** A label for the owner's key list ("CI deploy"); not secret. */
  readonly name?: string;
  readonly scopes: readonly string[];
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms after which the key is refused; absent only for keys created with `neverExpires`. */
  readonly expiresAt?: number;
  readonly lastUsedAt?: number;
  readonly revokedAt?: number;
  /** base64url HMAC-SHA256 of the key body under the ring subkey of `hashKid`. */
  readonly hash: string;
  /** The ring key the hash was computed with, so rotation never breaks existing keys. */
  readonly hashKid: string;
}

/** A record without its hash: what callers and clients may see. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'hash' | 'hashKid'>;

/** A new hash for a key, written when a key hashed under an older ring key is used. */
export interface ApiKeyRehash {
  readonly hash: string;
  readonly hashKid: string;
}

/**
 * Where API keys live. Implementations: in memory ({@link MemoryApiKeyStore}) now, SQL later; all must meet the
 * atomicity contract at the top of this module.
 */
export interface ApiKeyStore {
  insert(record: ApiKeyRecord): Promise<void>;
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  /** Records a use; optionally replaces the hash (see the contract). */
  markUsed(id: string, at: number, rehash?: ApiKeyRehash): Promise<void>;
  /** Marks the key revoked unless it already is; `true` only for the call that revoked it. */
  revoke(id: string, at: number): Promise<boolean>;
  listBySubject(subject: string): Promise<ApiKeyRecord[]>;
}
