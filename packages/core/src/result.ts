/**
 * Verification functions return a `Result` instead of throwing: an attacker controls their input, so "invalid" is an
 * expected outcome, not an exception, and a typed `reason` forces the caller to handle it.
 */
export type Result<T, R extends string = string> = Success<T> | Failure<R>;

export interface Success<T> {
  readonly ok: true;
  readonly value: T;
}

export interface Failure<R extends string = string> {
  readonly ok: false;
  /** Stable reason code, safe to log and to branch on; never contains attacker-supplied text. */
  readonly reason: R;
}

export function ok<T>(value: T): Success<T> {
  return { ok: true, value };
}

export function fail<R extends string>(reason: R): Failure<R> {
  return { ok: false, reason };
}
