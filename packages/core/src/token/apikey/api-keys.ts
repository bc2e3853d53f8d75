import { systemClock, type Clock } from '../../clock.js';
import { constantTimeEqual } from '../../crypto/compare.js';
import { hmacSha256 } from '../../crypto/hmac.js';
import type { KeyRing } from '../../crypto/keyring.js';
import { ConfigurationError } from '../../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink, type SecurityEventType } from '../../events.js';
import { fail, ok, type Result } from '../../result.js';
import { checkApiKeyPrefix, DEFAULT_API_KEY_PREFIX, formatApiKey, generateApiKeyParts, parseApiKey, type ApiKeyParts } from './format.js';
import type { ApiKeyInfo, ApiKeyRecord, ApiKeyStore } from './store.js';

const DAY = 24 * 60 * 60 * 1000;
/** Default lifetime of a key: 90 days. Keys that never expire need `neverExpires: true`. */
export const DEFAULT_API_KEY_TTL_MS = 90 * DAY;
/** Default longest lifetime a caller may ask for: 400 days. */
export const DEFAULT_API_KEY_MAX_TTL_MS = 400 * DAY;

const HASH_PURPOSE = 'apikey-hash/v1';
/** RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\`. */
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const MAX_SCOPES = 64;
const MAX_NAME = 100;
const MAX_SUBJECT = 256;

export interface ApiKeysOptions {
  readonly store: ApiKeyStore;
  /** Keys the stored hashes (HMAC-SHA256 under an HKDF subkey); see the README for why. */
  readonly ring: KeyRing;
  /** Default {@link DEFAULT_API_KEY_PREFIX} (`rpk`); must match `API_KEY_PREFIX_PATTERN`. */
  readonly prefix?: string;
  readonly clock?: Clock;
  /** Receives `token.apikey.created` and `token.apikey.revoked`. */
  readonly events?: SecurityEventSink;
  /** Lifetime of a key created without `ttlMs`. Default {@link DEFAULT_API_KEY_TTL_MS}. */
  readonly defaultTtlMs?: number;
  /** Longest `ttlMs` accepted. Default {@link DEFAULT_API_KEY_MAX_TTL_MS}. */
  readonly maxTtlMs?: number;
}

export interface CreateApiKeyInput {
  readonly subject: string;
  readonly scopes?: readonly string[];
  readonly name?: string;
  /** Lifetime in ms; default the store-wide `defaultTtlMs`. */
  readonly ttlMs?: number;
  /** Explicit loosening: the key never expires (rotate it by hand). */
  readonly neverExpires?: boolean;
}

export interface CreatedApiKey {
  /** The key. Show it to its owner once; only its hash is stored. */
  readonly key: string;
  readonly info: ApiKeyInfo;
}

/**
 * Why a presented key was refused. `malformed` and `bad_checksum` are decided without a store lookup. Map all of them
 * to one 401 for the client.
 */
export type ApiKeyFailure = 'malformed' | 'bad_checksum' | 'unknown' | 'mismatch' | 'expired' | 'revoked';

function info(record: ApiKeyRecord): ApiKeyInfo {
  const { hash: _hash, hashKid: _kid, ...rest } = record;
  return { ...rest, scopes: [...rest.scopes] };
}

function checkDuration(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1_000 || value > max) {
    throw new ConfigurationError(`${name} must be an integer number of milliseconds between 1000 and ${max}`);
  }
  return value;
}

/**
 * API keys: long-lived bearer credentials for machines.
 *
 * Protects against: keys leaked in code or logs going unnoticed (a recognizable prefix and a CRC-32 checksum let
 * secret scanners confirm them); key theft from a database leak (only keyed hashes are stored); guessing (256-bit
 * secrets, constant-time comparison); typos and garbage hammering the store (checksum checked before any lookup);
 * forgotten keys living forever (default 90-day expiry, revocation, last-used time).
 */
export class ApiKeys {
  readonly #store: ApiKeyStore;
  readonly #ring: KeyRing;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #events: SecurityEventSink;
  readonly #defaultTtlMs: number;
  readonly #maxTtlMs: number;

  constructor(options: ApiKeysOptions) {
    this.#store = options.store;
    this.#ring = options.ring;
    this.#prefix = checkApiKeyPrefix(options.prefix ?? DEFAULT_API_KEY_PREFIX);
    this.#clock = options.clock ?? systemClock;
    this.#events = options.events ?? discardEvents;
    this.#maxTtlMs = checkDuration('maxTtlMs', options.maxTtlMs ?? DEFAULT_API_KEY_MAX_TTL_MS, 10 * 365 * DAY);
    this.#defaultTtlMs = checkDuration('defaultTtlMs', options.defaultTtlMs ?? Math.min(DEFAULT_API_KEY_TTL_MS, this.#maxTtlMs), this.#maxTtlMs);
  }

  /** Creates a key for `subject`. The returned `key` is the only copy of the secret. */
  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const { subject, name, neverExpires = false } = input;
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > MAX_SUBJECT) {
      throw new ConfigurationError(`subject must be a string of 1-${MAX_SUBJECT} characters`);
    }
    if (name !== undefined && (typeof name !== 'string' || name.length > MAX_NAME)) {
      throw new ConfigurationError(`name must be a string of at most ${MAX_NAME} characters`);
    }
    const scopes = [...new Set(input.scopes ?? [])];
    if (scopes.length > MAX_SCOPES || !scopes.every((s) => typeof s === 'string' && SCOPE_PATTERN.test(s))) {
      throw new ConfigurationError(`scopes must be at most ${MAX_SCOPES} RFC 6749 scope tokens`);
    }
    if (neverExpires && input.ttlMs !== undefined) throw new ConfigurationError('give either ttlMs or neverExpires, not both');
    const now = this.#clock.now();
    const ttl = neverExpires ? undefined : checkDuration('ttlMs', input.ttlMs ?? this.#defaultTtlMs, this.#maxTtlMs);

    const parts = generateApiKeyParts(this.#prefix);
    const { kid } = this.#ring.active;
    const record: ApiKeyRecord = {
      id: parts.id,
      prefix: parts.prefix,
      subject,
      ...(name === undefined ? {} : { name }),
      scopes,
      createdAt: now,
      ...(ttl === undefined ? {} : { expiresAt: now + ttl }),
      hash: this.#hash(parts, kid).toString('base64url'),
      hashKid: kid,
    };
    await this.#store.insert(record);
    this.#emit('token.apikey.created', subject, { keyId: parts.id, ...(neverExpires ? { neverExpires: true } : {}) });
    return { key: formatApiKey(parts), info: info(record) };
  }

  /**
   * Checks a presented key. Never throws on attacker input (any string, or any non-string value from an untrusted
   * body); store failures do propagate (fail closed). The checksum is verified before any store lookup; the hash is
   * compared in constant time, and expiry and revocation are reported only once the secret has matched, so someone
   * who knows only an id (ids are not secret) learns nothing about the key's state.
   */
  async verify(presented: unknown): Promise<Result<ApiKeyInfo, ApiKeyFailure>> {
    const parsed = parseApiKey(presented, this.#prefix);
    if (!parsed.ok) return parsed;
    const record = await this.#store.findById(parsed.value.id);
    if (record === undefined) return fail('unknown');
    if (record.prefix !== parsed.value.prefix || this.#ring.get(record.hashKid) === undefined) return fail('mismatch');
    const expected = Buffer.from(record.hash, 'base64url');
    if (!constantTimeEqual(this.#hash(parsed.value, record.hashKid), expected)) return fail('mismatch');
    const now = this.#clock.now();
    if (record.revokedAt !== undefined) return fail('revoked');
    if (record.expiresAt !== undefined && now >= record.expiresAt) return fail('expired');

    // A key hashed under an older ring key moves to the active one on use, so the old key can be retired.
    const active = this.#ring.active.kid;
    const rehash = record.hashKid === active ? undefined : { hash: this.#hash(parsed.value, active).toString('base64url'), hashKid: active };
    await this.#store.markUsed(record.id, now, rehash);
    return ok({ ...info(record), lastUsedAt: now });
  }

  /** Revokes a key by id. `true` when this call revoked it. */
  async revoke(id: string): Promise<boolean> {
    if (typeof id !== 'string') return false;
    const record = await this.#store.findById(id);
    if (record === undefined) return false;
    const revoked = await this.#store.revoke(id, this.#clock.now());
    if (revoked) this.#emit('token.apikey.revoked', record.subject, { keyId: id });
    return revoked;
  }

  /** The keys of `subject`, without hashes: for a "your API keys" page. */
  async list(subject: string): Promise<ApiKeyInfo[]> {
    return (await this.#store.listBySubject(subject)).map(info);
  }

  /*
   * HMAC-SHA256 of the whole key body (prefix, id and secret) under a ring subkey. Binding the id means a hash copied
   * onto another row does not verify; keying it means write access to the table alone cannot plant a key.
   */
  #hash(parts: ApiKeyParts, kid: string): Buffer {
    return hmacSha256(this.#ring.subkey(HASH_PURPOSE, kid), `${parts.prefix}_${parts.id}_${parts.secret}`);
  }

  #emit(type: SecurityEventType, subject: string, attributes: Record<string, string | boolean>): void {
    try {
      this.#events(securityEvent(type, subject, attributes));
    } catch {
      // A failing sink must not change the outcome (events.ts contract).
    }
  }
}
