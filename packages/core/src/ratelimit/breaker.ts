import { systemClock, type Clock } from '../clock.js';
import { ConfigurationError } from '../errors.js';

export interface CircuitBreakerOptions {
  /** Consecutive store failures that open the breaker. Default 5. */
  readonly failures?: number;
  /** Seconds the breaker stays open (the store is not called) before one probe is let through. Default 10. */
  readonly openSeconds?: number;
  readonly clock?: Clock;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Circuit breaker in front of a rate-limit store.
 *
 * Protects latency when the store is down: without it every request waits out the store's timeout before the
 * failure policy applies, which turns a dead Redis into a slow-down of the whole service (and a cheap
 * amplification for an attacker). After `failures` consecutive failures the breaker opens: for `openSeconds` the
 * store is not called at all and the failure policy applies at once. Then one request probes the store (half-open):
 * success closes the breaker, failure opens it again. Share one breaker among the limiters of one store.
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #clock: Clock;
  #failures = 0;
  #state: BreakerState = 'closed';
  #openUntil = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.failures ?? 5;
    const openSeconds = options.openSeconds ?? 10;
    this.#clock = options.clock ?? systemClock;
    if (!Number.isSafeInteger(this.#threshold) || this.#threshold < 1) throw new ConfigurationError('failures must be a positive integer');
    if (!Number.isFinite(openSeconds) || openSeconds <= 0) throw new ConfigurationError('openSeconds must be positive');
    this.#openMs = openSeconds * 1000;
  }

  /** How long the breaker stays open, in seconds (also the `Retry-After` of a fail-closed refusal). */
  get openSeconds(): number {
    return this.#openMs / 1000;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Whether the store may be called now. While open, `false` until `openSeconds` have passed; then `true` exactly
   * once (the probe) and `false` for everyone else until the probe reports.
   */
  tryCall(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open' && this.#clock.now() >= this.#openUntil) {
      this.#state = 'half-open';
      return true;
    }
    return false;
  }

  /** Reports a successful call. Returns `true` when this closed the breaker (the store is back). */
  succeeded(): boolean {
    this.#failures = 0;
    if (this.#state === 'closed') return false;
    this.#state = 'closed';
    return true;
  }

  /** Reports a failed call. Returns `true` when this opened the breaker. */
  failed(): boolean {
    this.#failures += 1;
    if (this.#state === 'open') return false;
    if (this.#state === 'half-open' || this.#failures >= this.#threshold) {
      this.#state = 'open';
      this.#openUntil = this.#clock.now() + this.#openMs;
      return true;
    }
    return false;
  }
}
