import { systemClock, type Clock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { discardEvents, type SecurityEventSink } from '../../events.js';
import type { TotpReplayStore } from './replay-store.js';
import { MAX_TOTP_SECRET_BYTES, MIN_TOTP_SECRET_BYTES } from './secret.js';

/** HMAC hashes of RFC 6238 §1.2. */
export type TotpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';
/** Code length; fewer than 6 digits is refused (RFC 4226 §5.3: at least 6 digits). */
export type TotpDigits = 6 | 7 | 8;
/** Accepted time steps either side of now. */
export type TotpWindow = 0 | 1 | 2;

/** The time step X of RFC 6238 §4.1, fixed at the recommended 30 s: every authenticator app supports it. */
export const TOTP_PERIOD_SECONDS = 30;
/** Largest window allowed: a window of w accepts 2w+1 codes, each one more chance for an online guesser (RFC 6238 §5.2). */
export const MAX_TOTP_WINDOW = 2;

/** Configuration of {@link Totp}; every default is the safe, widely compatible choice. */
export interface TotpOptions {
  /** Shown in the authenticator app (`otpauth://totp/<issuer>:<label>?issuer=<issuer>`). Required. */
  readonly issuer: string;
  /** Where the last accepted step per credential lives. Required: replay protection is not optional. */
  readonly replayStore: TotpReplayStore;
  /** Default `SHA1`, the only one every authenticator app implements. */
  readonly algorithm?: TotpAlgorithm;
  /** Default 6. */
  readonly digits?: TotpDigits;
  /** Steps accepted either side of now, for clock drift. Default 1 (RFC 6238 §5.2); at most 2. */
  readonly window?: TotpWindow;
  /** Size of generated secrets. Default: the hash output size (20, 32 or 64 bytes, as in RFC 6238 Appendix B). */
  readonly secretBytes?: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Receives `mfa.totp.replay`. */
  readonly events?: SecurityEventSink;
}

/** Options after validation, defaults filled in. */
export interface ResolvedTotpOptions {
  readonly issuer: string;
  readonly replayStore: TotpReplayStore;
  readonly algorithm: TotpAlgorithm;
  readonly digits: TotpDigits;
  readonly window: TotpWindow;
  readonly secretBytes: number;
  readonly clock: Clock;
  readonly events: SecurityEventSink;
}

const HASH_BYTES: Readonly<Record<TotpAlgorithm, number>> = { SHA1: 20, SHA256: 32, SHA512: 64 };

function isAlgorithm(value: unknown): value is TotpAlgorithm {
  return value === 'SHA1' || value === 'SHA256' || value === 'SHA512';
}

/**
 * Validates TOTP options and fills in the safe defaults. Checked at run time as well as by the types, so a JavaScript
 * caller or a config file cannot slip in a 4-digit code, a window of 10 steps or an unknown hash.
 */
export function resolveTotpOptions(options: TotpOptions): ResolvedTotpOptions {
  const { issuer, replayStore } = options;
  if (typeof issuer !== 'string' || issuer.trim() === '') throw new ConfigurationError('TOTP needs a non-empty issuer');
  if (typeof replayStore !== 'object' || typeof replayStore.acceptStep !== 'function') {
    throw new ConfigurationError('TOTP needs a replayStore (MemoryTotpReplayStore for a single process)');
  }
  const algorithm = options.algorithm ?? 'SHA1';
  if (!isAlgorithm(algorithm)) throw new ConfigurationError('TOTP algorithm must be SHA1, SHA256 or SHA512');
  // Typed as unknown: the union types do not stop a JavaScript caller or a config file.
  const digits: unknown = options.digits ?? 6;
  if (digits !== 6 && digits !== 7 && digits !== 8) throw new ConfigurationError('TOTP digits must be 6, 7 or 8');
  const window: unknown = options.window ?? 1;
  if (window !== 0 && window !== 1 && window !== 2) {
    throw new ConfigurationError(`TOTP window must be 0, 1 or ${MAX_TOTP_WINDOW} steps`);
  }
  const secretBytes = options.secretBytes ?? HASH_BYTES[algorithm];
  if (!Number.isInteger(secretBytes) || secretBytes < MIN_TOTP_SECRET_BYTES || secretBytes > MAX_TOTP_SECRET_BYTES) {
    throw new ConfigurationError(`TOTP secretBytes must be ${MIN_TOTP_SECRET_BYTES}-${MAX_TOTP_SECRET_BYTES}`);
  }
  return {
    issuer,
    replayStore,
    algorithm,
    digits,
    window,
    secretBytes,
    clock: options.clock ?? systemClock,
    events: options.events ?? discardEvents,
  };
}
