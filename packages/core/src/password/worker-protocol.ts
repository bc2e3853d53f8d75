import type { Argon2HashParameters, ScryptParameters } from './engine.js';

/** What a hash worker is started with. */
export interface HashWorkerSettings {
  /** Added to the thread's nice value (Linux); 0 leaves it at the event loop's priority. */
  readonly niceIncrement: number;
}

/** One call of a {@link PasswordHashingEngine} function, as sent to a hash worker. */
export type HashRequest = { readonly id: number; readonly password: Uint8Array } & (
  | { readonly op: 'argon2Hash'; readonly parameters: Argon2HashParameters }
  | { readonly op: 'argon2Verify'; readonly phc: string }
  | { readonly op: 'bcryptVerify'; readonly encoded: string }
  | { readonly op: 'scrypt'; readonly salt: Uint8Array; readonly keyLength: number; readonly parameters: ScryptParameters }
  | { readonly op: 'pbkdf2Sha256'; readonly salt: Uint8Array; readonly iterations: number; readonly keyLength: number }
);

export type HashReply =
  | { readonly id: number; readonly ok: true; readonly value: string | boolean | Uint8Array }
  | { readonly id: number; readonly ok: false; readonly message: string };
