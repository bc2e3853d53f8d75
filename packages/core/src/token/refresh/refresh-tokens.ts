import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import { FieldCipher } from '../../crypto/field.js';
import type { KeyRing } from '../../crypto/keyring.js';
import { randomToken } from '../../crypto/random.js';
import { ConfigurationError } from '../../errors.js';
import { discardEvents, securityEvent, type SecurityEventSink, type SecurityEventType } from '../../events.js';
import { fail, ok, type Result } from '../../result.js';
import type { RefreshRevocationReason, RefreshTokenEntry, RefreshTokenRecord, RefreshTokenStore } from './store.js';

const DAY = 24 * 60 * 60 * 1000;
/** Default idle lifetime: a token not exchanged within 7 days is dead. */
export const DEFAULT_REFRESH_IDLE_MS = 7 * DAY;
/** Default absolute lifetime: a login lasts at most 30 days, however active. */
export const DEFAULT_REFRESH_ABSOLUTE_MS = 30 * DAY;
/** Default grace window during which a just-used token yields the same successor again. */
export const DEFAULT_REFRESH_GRACE_MS = 5_000;
/** Longest grace window accepted: beyond this, reuse detection is weakened for little gain. */
export const MAX_REFRESH_GRACE_MS = 60_000;

/** 32 random bytes as unpadded base64url: exactly what {@link randomToken} returns by default. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const SUBJECT_MAX = 256;

export interface RefreshTokensOptions {
  readonly store: RefreshTokenStore;
  /**
   * Encrypts the successor kept for the grace window (AES-256-GCM via {@link FieldCipher}). Required unless
   * `reuseGraceMs` is 0.
   */
  readonly ring?: KeyRing;
  readonly clock?: Clock;
  /** Receives `token.refresh.rotated`, `token.refresh.reuse_detected` and `token.refresh.family_revoked`. */
  readonly events?: SecurityEventSink;
  /** Time since the last rotation after which a token is refused. Default {@link DEFAULT_REFRESH_IDLE_MS}. */
  readonly idleLifetimeMs?: number;
  /** Time since the login after which every token of the family is refused. Default {@link DEFAULT_REFRESH_ABSOLUTE_MS}. */
  readonly absoluteLifetimeMs?: number;
  /**
   * How long after a rotation the same parent, presented again, returns the same successor instead of counting as
   * reuse (two tabs, a retried request). Default {@link DEFAULT_REFRESH_GRACE_MS}; 0 makes every second presentation
   * a reuse; at most {@link MAX_REFRESH_GRACE_MS}.
   */
  readonly reuseGraceMs?: number;
}

/** A refresh token handed to the client, with what the server may tell it about the token. */
export interface RefreshGrant {
  /** The secret. Give it to the client; it is stored only as a hash. */
  readonly token: string;
  readonly familyId: string;
  readonly subject: string;
  /** Epoch ms after which this token is refused: the earlier of the idle and the absolute deadline. */
  readonly expiresAt: number;
  /** Epoch ms after which the whole family is refused. */
  readonly familyExpiresAt: number;
}

/**
 * Why a refresh was refused. `reused` means the token had already been exchanged: the family is now revoked.
 * Map all of them to one `invalid_grant` (RFC 6749 §5.2) for the client.
 */
export type RefreshFailure = 'malformed' | 'unknown' | 'expired' | 'revoked' | 'reused';

/** base64url SHA-256 of a refresh token: the only form in which it is stored. */
export function hashRefreshToken(token: string): string {
  // A 256-bit random token cannot be guessed from its hash (2^256 preimage work), so a fast hash suffices: slow
  // hashes exist to stretch low-entropy passwords, and there is nothing here to stretch. A fast, deterministic hash
  // also keeps the lookup an indexed equality.
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

function checkDuration(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${name} must be an integer number of milliseconds between ${min} and ${max}`);
  }
  return value;
}

/**
 * Refresh tokens with rotation and reuse detection (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
 *
 * Protects against a stolen refresh token living forever: each token is single-use and opaque (256 random bits,
 * stored as a SHA-256 hash); each exchange returns a successor; presenting a token that was already exchanged
 * (outside the grace window) means two parties hold the family, so the whole family, including the newest legitimate
 * token, is revoked and `token.refresh.reuse_detected` is emitted. Idle and absolute lifetimes bound how long a
 * stolen, unused token is worth anything. Concurrent exchanges of one token never mint two valid successors (see the
 * README for the grace-window argument).
 */
export class RefreshTokens {
  readonly #store: RefreshTokenStore;
  readonly #clock: Clock;
  readonly #events: SecurityEventSink;
  readonly #cipher: FieldCipher | undefined;
  readonly #idleMs: number;
  readonly #absoluteMs: number;
  readonly #graceMs: number;

  constructor(options: RefreshTokensOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? systemClock;
    this.#events = options.events ?? discardEvents;
    this.#absoluteMs = checkDuration('absoluteLifetimeMs', options.absoluteLifetimeMs ?? DEFAULT_REFRESH_ABSOLUTE_MS, 1_000, 400 * DAY);
    this.#idleMs = checkDuration('idleLifetimeMs', options.idleLifetimeMs ?? Math.min(DEFAULT_REFRESH_IDLE_MS, this.#absoluteMs), 1_000, this.#absoluteMs);
    this.#graceMs = checkDuration('reuseGraceMs', options.reuseGraceMs ?? DEFAULT_REFRESH_GRACE_MS, 0, MAX_REFRESH_GRACE_MS);
    if (this.#graceMs > 0 && options.ring === undefined) {
      throw new ConfigurationError('a reuse grace window needs a key ring to encrypt the successor; pass `ring` or set `reuseGraceMs: 0`');
    }
    this.#cipher = this.#graceMs > 0 && options.ring !== undefined ? new FieldCipher(options.ring) : undefined;
  }

  /** Starts a new family (one per login) and returns its first token. */
  async issue(subject: string): Promise<RefreshGrant> {
    if (typeof subject !== 'string' || subject.length === 0 || subject.length > SUBJECT_MAX) {
      throw new ConfigurationError(`subject must be a string of 1-${SUBJECT_MAX} characters`);
    }
    const now = this.#clock.now();
    const family = { id: randomToken(16), subject, createdAt: now, absoluteExpiresAt: now + this.#absoluteMs };
    const token = randomToken();
    await this.#store.createFamily(family, { id: randomToken(16), familyId: family.id, tokenHash: hashRefreshToken(token), issuedAt: now });
    return this.#grant(token, now, family);
  }

  /**
   * Exchanges a refresh token for its successor. Never throws on attacker input: any string, or any non-string value
   * from an untrusted body, yields a typed failure. Store failures do propagate (fail closed).
   */
  async refresh(presented: unknown): Promise<Result<RefreshGrant, RefreshFailure>> {
    if (typeof presented !== 'string' || !TOKEN_PATTERN.test(presented)) return fail('malformed');
    const parentHash = hashRefreshToken(presented);
    const entry = await this.#store.findByHash(parentHash);
    if (entry === undefined) return fail('unknown');
    const now = this.#clock.now();
    const checked = this.#checkFamily(entry, now);
    if (checked !== undefined) return fail(checked);
    if (entry.token.usedAt !== undefined) return this.#presentedAgain(entry, now);
    if (now >= entry.token.issuedAt + this.#idleMs) return fail('expired');

    const successorToken = randomToken();
    const successor: RefreshTokenRecord = {
      id: randomToken(16),
      familyId: entry.family.id,
      tokenHash: hashRefreshToken(successorToken),
      issuedAt: now,
      parentId: entry.token.id,
    };
    const outcome = await this.#store.rotate({
      parentHash,
      usedAt: now,
      successor,
      ...(this.#cipher === undefined
        ? {}
        : { graceUntil: now + this.#graceMs, sealedSuccessor: this.#cipher.encrypt(successorToken, sealContext(entry.token)) }),
    });
    switch (outcome.status) {
      case 'rotated':
        this.#emit('token.refresh.rotated', entry.family.subject, { familyId: entry.family.id });
        return ok(this.#grant(successorToken, now, entry.family));
      case 'already_used':
        // Lost the race to a concurrent exchange: same treatment as a later second presentation.
        return this.#presentedAgain(outcome.entry, now);
      case 'revoked':
        return fail('revoked');
      case 'not_found':
        return fail('unknown');
    }
  }

  /**
   * Revokes the family that `presented` belongs to (logout, RFC 7009 revocation). Works for used tokens too, so a
   * client holding any token of the login can end it.
   */
  async revoke(presented: unknown): Promise<Result<{ readonly familyId: string }, 'malformed' | 'unknown'>> {
    if (typeof presented !== 'string' || !TOKEN_PATTERN.test(presented)) return fail('malformed');
    const entry = await this.#store.findByHash(hashRefreshToken(presented));
    if (entry === undefined) return fail('unknown');
    await this.#revokeFamily(entry.family.id, 'logout');
    return ok({ familyId: entry.family.id });
  }

  /** Revokes one family by id (an administrator ending one login). `true` when this call revoked it. */
  async revokeFamily(familyId: string, reason: RefreshRevocationReason = 'administrative'): Promise<boolean> {
    return this.#revokeFamily(familyId, reason);
  }

  /** Logout everywhere: revokes every family of `subject`. Returns how many were revoked by this call. */
  async revokeAllForSubject(subject: string): Promise<number> {
    const now = this.#clock.now();
    const revoked = await this.#store.revokeSubject(subject, now, 'logout_everywhere');
    for (const familyId of revoked) this.#emit('token.refresh.family_revoked', subject, { familyId, reason: 'logout_everywhere' });
    return revoked.length;
  }

  #checkFamily(entry: RefreshTokenEntry, now: number): 'revoked' | 'expired' | undefined {
    if (entry.family.revokedAt !== undefined) return 'revoked';
    if (now >= entry.family.absoluteExpiresAt) return 'expired';
    return undefined;
  }

  /**
   * The parent was already exchanged. Within the grace window, and while the successor is itself unused, hand back
   * that same successor: no second valid successor ever exists. Otherwise it is reuse: revoke the family.
   */
  async #presentedAgain(entry: RefreshTokenEntry, now: number): Promise<Result<RefreshGrant, RefreshFailure>> {
    const { token, family } = entry;
    if (this.#cipher !== undefined && token.sealedSuccessor !== undefined && token.graceUntil !== undefined && now < token.graceUntil) {
      const opened = this.#cipher.tryDecrypt(token.sealedSuccessor, sealContext(token));
      if (opened.ok) {
        const successorToken = opened.value.toString('utf8');
        const successor = await this.#store.findByHash(hashRefreshToken(successorToken));
        if (
          successor !== undefined &&
          successor.token.id === token.successorId &&
          successor.token.usedAt === undefined &&
          this.#checkFamily(successor, now) === undefined
        ) {
          return ok(this.#grant(successorToken, successor.token.issuedAt, successor.family));
        }
      }
      // A successor that cannot be opened (its key retired) or was already exchanged: fail closed, treat as reuse.
    }
    this.#emit('token.refresh.reuse_detected', family.subject, { familyId: family.id, tokenId: token.id });
    await this.#revokeFamily(family.id, 'reuse');
    return fail('reused');
  }

  async #revokeFamily(familyId: string, reason: RefreshRevocationReason): Promise<boolean> {
    const revoked = await this.#store.revokeFamily(familyId, this.#clock.now(), reason);
    if (revoked === undefined) return false;
    this.#emit('token.refresh.family_revoked', revoked.subject, { familyId, reason });
    return true;
  }

  #grant(token: string, issuedAt: number, family: { readonly id: string; readonly subject: string; readonly absoluteExpiresAt: number }): RefreshGrant {
    return {
      token,
      familyId: family.id,
      subject: family.subject,
      expiresAt: Math.min(issuedAt + this.#idleMs, family.absoluteExpiresAt),
      familyExpiresAt: family.absoluteExpiresAt,
    };
  }

  #emit(type: SecurityEventType, subject: string | undefined, attributes: Record<string, string>): void {
    try {
      this.#events(securityEvent(type, subject, attributes));
    } catch {
      // A failing sink must not change the outcome of a refresh (events.ts contract).
    }
  }
}

/** Binds a sealed successor to its parent row and family, so it cannot be moved to another row. */
function sealContext(parent: RefreshTokenRecord): { table: string; row: string; family: string } {
  return { table: 'refresh_grace', row: parent.id, family: parent.familyId };
}
