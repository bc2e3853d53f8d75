import type { Clock, SecurityEventSink } from '@rampart/core';
import { createPolicyStore, type Authorizer, type PolicyStore } from '@rampart/core/authz';
import type { ActiveMarker, PolicyRepository, StoredPolicy } from './repository.js';

/** The policy set one request decides with: the authorizer and the stored version it was compiled from. */
export interface PolicySnapshot {
  readonly authorizer: Authorizer;
  /** The stored version (`rampart_policies.version`). */
  readonly version: number;
  readonly activation: number;
  /** SHA-256 of the stored document text. */
  readonly sha256: string;
}

/** Options of {@link ActivePolicy.open}. */
export interface ActivePolicyOptions {
  readonly repository: PolicyRepository;
  readonly events: SecurityEventSink;
  /** The clock decisions default `request.time` to. */
  readonly clock: Clock;
  /** How often other instances' activations are looked for, in ms. Default 5000. */
  readonly pollMs?: number;
  /** Told when polling fails (the last good set keeps deciding). */
  readonly onPollError?: (error: unknown) => void;
}

/**
 * The active policy set of this process, kept in step with the database: core's hot-reload store (`load` reads the
 * active row; a set that does not compile is refused and the previous one keeps deciding), swapped as one
 * {@link PolicySnapshot} reference, and a poll of the active marker every few seconds so an activation made through
 * another server instance is picked up within `pollMs` (plus one query and one compile).
 *
 * Protects against: a request deciding half on the old and half on the new set (it takes `snapshot` once); an
 * instance deciding on a stale set indefinitely (bounded by the poll interval); a broken stored version taking
 * authorization down (refused, `authz.policy.refused`, not retried until the marker moves again).
 */
export class ActivePolicy {
  readonly #repository: PolicyRepository;
  readonly #store: PolicyStore;
  readonly #loading: { row: StoredPolicy | undefined };
  #snapshot: PolicySnapshot;
  #refused: string | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  private constructor(repository: PolicyRepository, store: PolicyStore, loading: { row: StoredPolicy | undefined }, snapshot: PolicySnapshot) {
    this.#repository = repository;
    this.#store = store;
    this.#loading = loading;
    this.#snapshot = snapshot;
  }

  /** Loads the active version (it must compile: a server without a valid policy does not start) and starts polling. */
  static async open(options: ActivePolicyOptions): Promise<ActivePolicy> {
    // What the last `load` read: the stored row behind the set the store compiled from it.
    const loading: { row: StoredPolicy | undefined } = { row: undefined };
    const load = async () => {
      const row = await options.repository.active();
      if (row === undefined) throw new Error('no active policy version');
      loading.row = row;
      return [{ source: `policy-v${row.version}.${row.format}`, text: row.document, format: row.format }];
    };
    const store = await createPolicyStore({ load }, { events: options.events, authorizer: { clock: options.clock } });
    const loaded = loading.row;
    if (loaded === undefined) throw new Error('no active policy version');
    const active = new ActivePolicy(options.repository, store, loading, { authorizer: store.authorizer, version: loaded.version, activation: loaded.activation ?? 0, sha256: loaded.sha256 });
    active.#timer = setInterval(() => {
      active.refresh().catch((error: unknown) => options.onPollError?.(error));
    }, options.pollMs ?? 5000);
    // Polling never keeps the process alive on its own.
    active.#timer.unref();
    return active;
  }

  /** The set to decide with. Take it once per request and make every check of that request on it. */
  get snapshot(): PolicySnapshot {
    return this.#snapshot;
  }

  /**
   * Compares the database's active marker with this process's and reloads when it moved. Serialized: concurrent
   * calls run one after the other. Resolves with the snapshot in force afterwards.
   */
  refresh(): Promise<PolicySnapshot> {
    const next = this.#tail.then(() => this.#refresh());
    this.#tail = next.catch(() => undefined);
    return next;
  }

  /** Stops polling and waits for a running reload. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tail;
    await this.#store.close();
  }

  async #refresh(): Promise<PolicySnapshot> {
    const marker = await this.#repository.activeMarker();
    if (marker === undefined || this.#same(marker)) return this.#snapshot;
    const key = `${marker.version}.${marker.activation}`;
    // A version this process refused stays refused until the marker moves: no reload (and event) every poll.
    if (this.#refused === key) return this.#snapshot;
    this.#loading.row = undefined;
    const outcome = await this.#store.reload();
    // Read through a function: the reload wrote it, which the compiler's narrowing of the line above cannot see.
    const loaded = this.#lastLoaded();
    if (!outcome.ok || loaded === undefined) {
      this.#refused = key;
      return this.#snapshot;
    }
    this.#refused = undefined;
    this.#snapshot = { authorizer: this.#store.authorizer, version: loaded.version, activation: loaded.activation ?? 0, sha256: loaded.sha256 };
    return this.#snapshot;
  }

  #lastLoaded(): StoredPolicy | undefined {
    return this.#loading.row;
  }

  #same(marker: ActiveMarker): boolean {
    return marker.version === this.#snapshot.version && marker.activation === this.#snapshot.activation;
  }
}
