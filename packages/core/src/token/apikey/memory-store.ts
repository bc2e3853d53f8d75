import { RampartError } from '../../errors.js';
import type { ApiKeyRecord, ApiKeyRehash, ApiKeyStore } from './store.js';

/**
 * In-memory {@link ApiKeyStore} for tests and single-process embedded use. Each method is one synchronous block, so
 * its conditional writes are atomic; records are copied in and out so callers cannot change stored state.
 */
export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();

  insert(record: ApiKeyRecord): Promise<void> {
    if (this.#records.has(record.id)) return Promise.reject(new RampartError('APIKEY_STORE_CONFLICT', 'an API key with this id exists'));
    this.#records.set(record.id, copy(record));
    return Promise.resolve();
  }

  findById(id: string): Promise<ApiKeyRecord | undefined> {
    const record = this.#records.get(id);
    return Promise.resolve(record === undefined ? undefined : copy(record));
  }

  markUsed(id: string, at: number, rehash?: ApiKeyRehash): Promise<void> {
    const record = this.#records.get(id);
    if (record !== undefined) {
      this.#records.set(id, {
        ...record,
        lastUsedAt: Math.max(at, record.lastUsedAt ?? at),
        ...(rehash === undefined ? {} : { hash: rehash.hash, hashKid: rehash.hashKid }),
      });
    }
    return Promise.resolve();
  }

  revoke(id: string, at: number): Promise<boolean> {
    const record = this.#records.get(id);
    if (record === undefined || record.revokedAt !== undefined) return Promise.resolve(false);
    this.#records.set(id, { ...record, revokedAt: at });
    return Promise.resolve(true);
  }

  listBySubject(subject: string): Promise<ApiKeyRecord[]> {
    return Promise.resolve([...this.#records.values()].filter((r) => r.subject === subject).map(copy));
  }
}

function copy(record: ApiKeyRecord): ApiKeyRecord {
  return { ...record, scopes: [...record.scopes] };
}
