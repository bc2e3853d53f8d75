import { watch as watchFolder, type FSWatcher } from 'node:fs';
import { ConfigurationError } from '../../errors.js';
import { securityEvent, type SecurityEvent, type SecurityEventSink } from '../../events.js';
import type { Failure } from '../../result.js';
import type { CelLimits } from '../cel/limits.js';
import { Authorizer, type AuthorizerOptions } from '../engine/authorizer.js';
import { AuthzPolicyError } from '../errors.js';
import type { CheckContext, Decision, Principal, Resource } from '../model.js';
import { compilePolicies } from '../policy/compile.js';
import { documentsDigest } from '../policy/digest.js';
import { parsePolicyDocument, type PolicySource } from '../policy/parse.js';
import type { CompiledPolicySet } from '../policy/types.js';
import { PolicyReloadError, type PolicyReloadErrorCode } from './errors.js';
import { MAX_POLICY_FILES, readPolicyFolder } from './folder.js';

/** Where the policies come from: a folder of `*.yaml|yml|json` files, or a function (a database, a config service). */
export type PolicyStoreSource = { readonly folder: string } | { readonly load: () => Promise<readonly PolicySource[]> };

/**
 * The version every decision carries: `digest` (default) is `sha256:<digest of the documents>`, so an edit that forgot
 * to bump `version:` still shows in the audit trail; `counter` is `1`, `2`, … per set this store activated;
 * `documents` is `compilePolicies`' default (`name@version` of the documents).
 */
export type PolicyVersioning = 'digest' | 'counter' | 'documents';

export interface PolicyStoreOptions {
  /**
   * Receives `authz.policy.reloaded` (a new set is active: previous and current version and digest) and
   * `authz.policy.refused` (a reload was refused: its error code; the previous set stays), and `compilePolicies`'
   * `config.loosened` events (raised condition limits). A policy change is what an audit trail must record.
   */
  readonly events?: SecurityEventSink;
  /** Called with every refused reload (the previous set stays active). Must not throw; if it does, it is ignored. */
  readonly onError?: (error: PolicyReloadError) => void;
  /** Called after a new set became active. Must not throw; if it does, it is ignored. */
  readonly onReload?: (change: PolicySetChange) => void;
  readonly versioning?: PolicyVersioning;
  /** Condition bounds for `compilePolicies`; raising one is a named loosening. */
  readonly limits?: Partial<CelLimits>;
  /** Options of each authorizer built (timing, clock). */
  readonly authorizer?: AuthorizerOptions;
  /** `watch()`: quiet time after the last file event before reloading, in ms. Default 100, 0 to 60 000. */
  readonly debounceMs?: number;
}

/** Identity of one policy set. */
export interface PolicySetIdentity {
  readonly version: string;
  readonly digest: string;
}

export interface PolicySetChange {
  readonly previous: PolicySetIdentity;
  readonly current: PolicySetIdentity;
}

/** The outcome of `reload()`: the active set (`changed: false` when the documents were the same), or why it was kept. */
export type ReloadOutcome =
  | { readonly ok: true; readonly changed: boolean; readonly version: string; readonly digest: string }
  | (Failure<PolicyReloadErrorCode> & { readonly error: PolicyReloadError });

/**
 * Policies that can change while the process runs. Each request should take `authorizer` **once** and make all its
 * checks on it (or use `check` / `checkMany` here, which do): it then sees one policy set, old or new, never a mix.
 */
export interface PolicyStore {
  /** The active authorizer. Replaced whole on a successful reload; never half-updated. */
  readonly authorizer: Authorizer;
  /** The active policy set (`authorizer.policies`). */
  readonly policies: CompiledPolicySet;
  /** `authorizer.check(...)` on the set active at the call. */
  check(principal: Principal, action: string, resource: Resource, context?: CheckContext): Decision;
  /** `authorizer.checkMany(...)`: every decision of the call comes from one set. */
  checkMany(principal: Principal, actions: readonly string[], resources: readonly Resource[], context?: CheckContext): Decision[][];
  /**
   * Reads and compiles every document; swaps the set only if all of it compiles. Never throws: a refusal keeps the
   * previous set, calls `onError` and is returned. Reloads run one at a time; calls made while one waits share it.
   */
  reload(): Promise<ReloadOutcome>;
  /** Folder stores only: reload (debounced) whenever the folder changes. Idempotent. */
  watch(): void;
  /** Stops watching and waits for a running reload. The last set stays usable. */
  close(): Promise<void>;
}

const MAX_DEBOUNCE_MS = 60_000;

function identity(set: CompiledPolicySet): PolicySetIdentity {
  return { version: set.version, digest: set.digest };
}

function callSafely<T>(callback: ((value: T) => void) | undefined, value: T): void {
  try {
    callback?.(value);
  } catch {
    // A failing observer must not turn a good reload into a bad one, nor a refused one into a crash.
  }
}

interface Candidate {
  readonly documents: readonly PolicySource[];
  readonly digest: string;
}

class ReloadingPolicyStore implements PolicyStore {
  readonly #source: PolicyStoreSource;
  readonly #options: PolicyStoreOptions;
  readonly #debounceMs: number;
  #current: Authorizer | undefined;
  #counter = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #queued: Promise<ReloadOutcome> | undefined;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(source: PolicyStoreSource, options: PolicyStoreOptions) {
    this.#source = source;
    this.#options = options;
    this.#debounceMs = options.debounceMs ?? 100;
  }

  get authorizer(): Authorizer {
    // Set before the store is handed out (createPolicyStore awaits the first load).
    if (this.#current === undefined) throw new ConfigurationError('authz reload: the store has no policy set');
    return this.#current;
  }

  get policies(): CompiledPolicySet {
    return this.authorizer.policies;
  }

  check(principal: Principal, action: string, resource: Resource, context?: CheckContext): Decision {
    return this.authorizer.check(principal, action, resource, context);
  }

  checkMany(principal: Principal, actions: readonly string[], resources: readonly Resource[], context?: CheckContext): Decision[][] {
    // One read of the reference: every decision of this call comes from the same set.
    return this.authorizer.checkMany(principal, actions, resources, context);
  }

  reload(): Promise<ReloadOutcome> {
    if (this.#closed) return Promise.resolve(this.#refuse(new PolicyReloadError('AUTHZ_RELOAD_CLOSED', 'the store is closed')));
    if (this.#queued !== undefined) return this.#queued;
    const next = this.#tail.then(() => {
      // From here on, a new call queues another reload: files may change after this one has read them.
      this.#queued = undefined;
      return this.#attempt();
    });
    this.#queued = next;
    this.#tail = next;
    return next;
  }

  /** The first load: a store without a valid set does not exist (fail closed), so this one throws. */
  async initialize(): Promise<void> {
    const outcome = await this.#attempt();
    if (!outcome.ok) throw outcome.error;
  }

  watch(): void {
    if (!('folder' in this.#source)) throw new ConfigurationError('authz reload: watch() needs a folder source; call reload() when the store changes');
    if (this.#closed) throw new ConfigurationError('authz reload: the store is closed');
    if (this.#watcher !== undefined) return;
    // `persistent: false`: watching never keeps the process alive on its own.
    const watcher = watchFolder(this.#source.folder, { persistent: false }, () => {
      this.#schedule();
    });
    watcher.on('error', (error) => {
      callSafely(this.#options.onError, new PolicyReloadError('AUTHZ_RELOAD_SOURCE_FAILED', 'watching the policy folder failed', { cause: error }));
    });
    this.#watcher = watcher;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#tail;
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    // Editors write a file in several steps (truncate, write, rename); reload once they are done.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.reload();
    }, this.#debounceMs);
    this.#timer.unref();
  }

  async #read(): Promise<readonly PolicySource[]> {
    if ('folder' in this.#source) return readPolicyFolder(this.#source.folder);
    let sources: unknown;
    try {
      sources = await this.#source.load();
    } catch (error) {
      throw new PolicyReloadError('AUTHZ_RELOAD_SOURCE_FAILED', 'the load function failed', { cause: error });
    }
    if (!Array.isArray(sources) || sources.length > MAX_POLICY_FILES) {
      throw new PolicyReloadError('AUTHZ_RELOAD_SOURCE_FAILED', `the load function must return an array of at most ${MAX_POLICY_FILES} policy sources`);
    }
    return [...(sources as readonly PolicySource[])];
  }

  /** Parses and validates the documents once, for the digest, and hands them to the compiler already parsed. */
  #candidate(sources: readonly PolicySource[]): Candidate {
    if (sources.length === 0) {
      // An empty folder mid-deploy (`rm *; cp new/* .`) must not become "deny everything" in production.
      throw new PolicyReloadError('AUTHZ_RELOAD_SOURCE_FAILED', 'there are no policy documents');
    }
    const documents = sources.map((input) => ({ source: input.source, document: parsePolicyDocument(input) }));
    return { documents, digest: documentsDigest(documents.map((d) => d.document)) };
  }

  #versionFor(candidate: Candidate): string | undefined {
    switch (this.#options.versioning ?? 'digest') {
      case 'digest':
        return `sha256:${candidate.digest}`;
      case 'counter':
        return String(this.#counter + 1);
      case 'documents':
        return undefined;
    }
  }

  async #attempt(): Promise<ReloadOutcome> {
    try {
      const candidate = this.#candidate(await this.#read());
      const active = this.#current;
      if (active !== undefined && active.policies.digest === candidate.digest) {
        return { ok: true, changed: false, version: active.policies.version, digest: active.policies.digest };
      }
      const set = compilePolicies(candidate.documents, {
        version: this.#versionFor(candidate),
        ...(this.#options.limits === undefined ? {} : { limits: this.#options.limits }),
        ...(this.#options.events === undefined ? {} : { events: this.#options.events }),
      });
      const next = new Authorizer(set, this.#options.authorizer);
      // The swap: one reference assignment. A check holding the old authorizer finishes on the old set.
      this.#current = next;
      this.#counter += 1;
      if (active !== undefined) {
        const change = { previous: identity(active.policies), current: identity(set) };
        this.#emit(
          securityEvent('authz.policy.reloaded', undefined, {
            previousVersion: change.previous.version,
            previousDigest: change.previous.digest,
            version: change.current.version,
            digest: change.current.digest,
          }),
        );
        callSafely(this.#options.onReload, change);
      }
      return { ok: true, changed: true, version: set.version, digest: set.digest };
    } catch (error) {
      return this.#refuse(this.#toReloadError(error));
    }
  }

  #toReloadError(error: unknown): PolicyReloadError {
    if (error instanceof PolicyReloadError) return error;
    if (error instanceof AuthzPolicyError) {
      return new PolicyReloadError('AUTHZ_RELOAD_POLICY_REFUSED', `the policy set was refused, the previous one stays active (${error.message})`, {
        cause: error,
        policyError: error,
      });
    }
    return new PolicyReloadError('AUTHZ_RELOAD_SOURCE_FAILED', 'the policy set could not be loaded', { cause: error });
  }

  #emit(event: SecurityEvent): void {
    try {
      this.#options.events?.(event);
    } catch {
      // A failing sink must not change which policy set is active.
    }
  }

  #refuse(error: PolicyReloadError): ReloadOutcome {
    const active = this.#current?.policies;
    this.#emit(
      securityEvent('authz.policy.refused', undefined, {
        code: error.code,
        ...(error.policyError === undefined ? {} : { policyCode: error.policyError.code }),
        ...(active === undefined ? {} : { activeVersion: active.version, activeDigest: active.digest }),
      }),
    );
    callSafely(this.#options.onError, error);
    return { ok: false, reason: error.code, error };
  }
}

/**
 * Loads a policy set from a folder or a `load` function and keeps it current: `reload()` (or `watch()` on a folder)
 * compiles the new documents and swaps the active {@link Authorizer} only if the whole set compiles. Protects against
 * a broken or malicious policy edit taking authorization down or half-applying: a syntax error, a role cycle, an
 * invalid or too costly condition or an unreadable file keeps the previous set, and reports a typed
 * {@link PolicyReloadError}; a request never sees a mix of two sets. The first load must succeed, or this rejects.
 */
export async function createPolicyStore(source: PolicyStoreSource, options: PolicyStoreOptions = {}): Promise<PolicyStore> {
  const valid = ('folder' in source && typeof source.folder === 'string' && source.folder !== '') || ('load' in source && typeof source.load === 'function');
  if (!valid) throw new ConfigurationError('authz reload: give { folder } or { load }');
  const debounce = options.debounceMs;
  if (debounce !== undefined && !(Number.isInteger(debounce) && debounce >= 0 && debounce <= MAX_DEBOUNCE_MS)) {
    throw new ConfigurationError(`authz reload: debounceMs must be a whole number from 0 to ${MAX_DEBOUNCE_MS}`);
  }
  const store = new ReloadingPolicyStore(source, options);
  await store.initialize();
  return store;
}
