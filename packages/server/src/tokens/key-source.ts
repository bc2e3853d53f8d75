import type { Clock } from '@rampart/core';
import type { JwtAlgorithm, JwtKeySet, PublicJwks, VerificationKey, VerificationKeySource } from '@rampart/core/token';

/** Options of {@link ReloadingKeySet}. */
export interface ReloadingKeySetOptions {
  /** Reads the key set from its store (the database). */
  readonly load: () => Promise<JwtKeySet>;
  readonly clock: Clock;
  /**
   * Least time between two reloads asked for by tokens with an unknown kid. Bounds the database reads an attacker can
   * cause with made-up kids to one per interval per process.
   */
  readonly minUnknownKidIntervalMs: number;
  /** Told when a reload fails; the last good set stays in use. */
  readonly onError: (error: unknown) => void;
}

function fingerprintOf(set: JwtKeySet): string {
  const { current, kids } = set.toJSON();
  return JSON.stringify([current, [...kids].sort()]);
}

/**
 * The server's view of the signing keys: a {@link JwtKeySet} read from the database, replaced when the stored keys
 * change. Every server process holds one; a rotation made by another process reaches it on the next {@link reload}
 * (a timer) or when a token names a kid it does not know (rate-limited).
 *
 * Protects against: a server that never learns of a rotation (tokens signed by a newer key refused, or an old key
 * signing forever); an unknown-kid flood turned into database load (one reload per `minUnknownKidIntervalMs`,
 * concurrent callers share it); a failed or tampered reload taking the service down or swapping in keys that did not
 * verify (the last good set stays).
 */
export class ReloadingKeySet implements VerificationKeySource {
  readonly #options: ReloadingKeySetOptions;
  #set: JwtKeySet;
  #fingerprint: string;
  #generation = 0;
  #lastUnknownKidReload = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;

  private constructor(options: ReloadingKeySetOptions, first: JwtKeySet) {
    this.#options = options;
    this.#set = first;
    this.#fingerprint = fingerprintOf(first);
  }

  /** Loads the first set; a failure here stops the server (no keys, no tokens). */
  static async open(options: ReloadingKeySetOptions): Promise<ReloadingKeySet> {
    return new ReloadingKeySet(options, await options.load());
  }

  get generation(): number {
    return this.#generation;
  }

  /** The set in use now: its current key signs. */
  get keys(): JwtKeySet {
    return this.#set;
  }

  find(kid: string | undefined, alg: JwtAlgorithm): VerificationKey | undefined {
    return this.#set.find(kid, alg);
  }

  /** The public keys to publish: active, next and retiring ones. */
  jwks(): PublicJwks {
    return this.#set.jwks();
  }

  /** Called by core's verifier for a token whose kid is not in the set: a rotation elsewhere, or a made-up kid. */
  async refresh(): Promise<void> {
    const now = this.#options.clock.now();
    if (now - this.#lastUnknownKidReload < this.#options.minUnknownKidIntervalMs) {
      await this.#inFlight;
      return;
    }
    this.#lastUnknownKidReload = now;
    await this.reload();
  }

  /** Reads the keys again and swaps them in when they changed. Never rejects; a failure keeps the last good set. */
  reload(): Promise<void> {
    if (this.#inFlight === undefined) {
      // `finally` runs in a later microtask, so the promise is stored before it is cleared, even if loading fails at once.
      const running = this.#load().finally(() => {
        if (this.#inFlight === running) this.#inFlight = undefined;
      });
      this.#inFlight = running;
    }
    return this.#inFlight;
  }

  async #load(): Promise<void> {
    try {
      const fresh = await this.#options.load();
      const fingerprint = fingerprintOf(fresh);
      if (fingerprint === this.#fingerprint) return;
      this.#set = fresh;
      this.#fingerprint = fingerprint;
      // Verifiers drop their cache of verified tokens on a new generation: a retired key's tokens stop at once.
      this.#generation += 1;
    } catch (error) {
      this.#options.onError(error);
    }
  }
}
