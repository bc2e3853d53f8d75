import { RampartError } from '../../errors.js';
import type {
  RefreshFamilyRecord,
  RefreshRevocationReason,
  RefreshTokenEntry,
  RefreshTokenRecord,
  RefreshTokenStore,
  RotateOutcome,
  RotateRequest,
} from './store.js';

/**
 * In-memory {@link RefreshTokenStore} for tests and single-process embedded use.
 *
 * Meets the atomicity contract because every method runs its check and its write in one synchronous block: JavaScript
 * runs one block at a time, and there is no `await` between reading `usedAt` and writing it, so two concurrent
 * rotations of the same parent cannot both see it unused. State is lost on restart and not shared between processes;
 * use the SQL or Redis store for those.
 */
export class MemoryRefreshTokenStore implements RefreshTokenStore {
  readonly #families = new Map<string, RefreshFamilyRecord>();
  readonly #tokens = new Map<string, RefreshTokenRecord>();
  readonly #familyTokens = new Map<string, Set<string>>();
  readonly #subjectFamilies = new Map<string, Set<string>>();

  createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    if (this.#families.has(family.id) || this.#tokens.has(first.tokenHash) || first.familyId !== family.id) {
      return Promise.reject(new RampartError('REFRESH_STORE_CONFLICT', 'family or token already exists'));
    }
    this.#families.set(family.id, { ...family });
    this.#addToken(first);
    let families = this.#subjectFamilies.get(family.subject);
    if (families === undefined) {
      families = new Set();
      this.#subjectFamilies.set(family.subject, families);
    }
    families.add(family.id);
    return Promise.resolve();
  }

  findByHash(tokenHash: string): Promise<RefreshTokenEntry | undefined> {
    return Promise.resolve(this.#entry(tokenHash));
  }

  rotate(request: RotateRequest): Promise<RotateOutcome> {
    // Check and set with no await in between: this block is the atomic step of the contract.
    const entry = this.#entry(request.parentHash);
    if (entry === undefined) return Promise.resolve({ status: 'not_found' });
    if (entry.family.revokedAt !== undefined) return Promise.resolve({ status: 'revoked', entry });
    if (entry.token.usedAt !== undefined) return Promise.resolve({ status: 'already_used', entry });
    const { successor } = request;
    if (successor.familyId !== entry.token.familyId || successor.parentId !== entry.token.id || this.#tokens.has(successor.tokenHash)) {
      return Promise.reject(new RampartError('REFRESH_STORE_CONFLICT', 'successor does not belong to the parent'));
    }
    this.#tokens.set(request.parentHash, {
      ...entry.token,
      usedAt: request.usedAt,
      successorId: successor.id,
      ...(request.graceUntil === undefined ? {} : { graceUntil: request.graceUntil }),
      ...(request.sealedSuccessor === undefined ? {} : { sealedSuccessor: request.sealedSuccessor }),
    });
    this.#addToken(successor);
    return Promise.resolve({ status: 'rotated' });
  }

  revokeFamily(familyId: string, at: number, reason: RefreshRevocationReason): Promise<RefreshFamilyRecord | undefined> {
    return Promise.resolve(this.#revoke(familyId, at, reason));
  }

  revokeSubject(subject: string, at: number, reason: RefreshRevocationReason): Promise<string[]> {
    const revoked: string[] = [];
    for (const familyId of this.#subjectFamilies.get(subject) ?? []) {
      if (this.#revoke(familyId, at, reason) !== undefined) revoked.push(familyId);
    }
    return Promise.resolve(revoked);
  }

  deleteExpired(now: number): Promise<number> {
    let deleted = 0;
    for (const family of [...this.#families.values()]) {
      if (family.absoluteExpiresAt > now) continue;
      for (const hash of this.#familyTokens.get(family.id) ?? []) this.#tokens.delete(hash);
      this.#familyTokens.delete(family.id);
      this.#families.delete(family.id);
      const siblings = this.#subjectFamilies.get(family.subject);
      siblings?.delete(family.id);
      if (siblings?.size === 0) this.#subjectFamilies.delete(family.subject);
      deleted += 1;
    }
    for (const [hash, token] of this.#tokens) {
      if (token.sealedSuccessor !== undefined && (token.graceUntil === undefined || token.graceUntil <= now)) {
        const { sealedSuccessor: _erased, ...rest } = token;
        this.#tokens.set(hash, rest);
      }
    }
    return Promise.resolve(deleted);
  }

  /** Number of families held, for tests and metrics. */
  get familyCount(): number {
    return this.#families.size;
  }

  #entry(tokenHash: string): RefreshTokenEntry | undefined {
    const token = this.#tokens.get(tokenHash);
    if (token === undefined) return undefined;
    const family = this.#families.get(token.familyId);
    if (family === undefined) return undefined;
    // Copies, so that callers cannot change stored state without going through the store.
    return { token: { ...token }, family: { ...family } };
  }

  #addToken(token: RefreshTokenRecord): void {
    this.#tokens.set(token.tokenHash, { ...token });
    let hashes = this.#familyTokens.get(token.familyId);
    if (hashes === undefined) {
      hashes = new Set();
      this.#familyTokens.set(token.familyId, hashes);
    }
    hashes.add(token.tokenHash);
  }

  #revoke(familyId: string, at: number, reason: RefreshRevocationReason): RefreshFamilyRecord | undefined {
    const family = this.#families.get(familyId);
    if (family === undefined || family.revokedAt !== undefined) return undefined;
    const revoked = { ...family, revokedAt: at, revokedReason: reason };
    this.#families.set(familyId, revoked);
    return { ...revoked };
  }
}
