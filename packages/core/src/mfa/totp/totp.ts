import { TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { ConfigurationError } from '../../errors.js';
import { securityEvent } from '../../events.js';
import { constantTimeEqualString } from '../../crypto/compare.js';
import { fail, ok, type Result } from '../../result.js';
import { normalizeTotpCode } from './code.js';
import { MAX_TOTP_WINDOW, resolveTotpOptions, TOTP_PERIOD_SECONDS, type ResolvedTotpOptions, type TotpOptions } from './options.js';
import { decodeTotpSecret, generateTotpSecret } from './secret.js';

const PERIOD_MS = TOTP_PERIOD_SECONDS * 1000;

/**
 * Why a code was refused. `malformed`: not exactly the configured number of digits. `invalid`: wrong, or outside
 * the window. `replayed`: right, but its time step (or a later one) was already accepted for this credential.
 */
export type TotpFailure = 'malformed' | 'invalid' | 'replayed';

/** What enrollment hands to the caller. The secret is shown once (URI / QR) and stored encrypted (`FieldCipher`). */
export interface TotpEnrollment {
  /** Base32 (RFC 4648) shared secret. Store it encrypted; never log it. */
  readonly secret: string;
  /** `otpauth://totp/…` key URI for authenticator apps. Contains the secret. */
  readonly uri: string;
  /** The URI as an SVG QR code. Contains the secret. */
  readonly qrSvg: string;
}

/** Input of {@link Totp.enroll}. */
export interface TotpEnrollInput {
  /** Account name shown in the app, e.g. the user's e-mail. */
  readonly label: string;
  /** Import an existing base32 secret instead of generating one; refused below 160 bits. */
  readonly secret?: string;
}

/** Input of {@link Totp.verify}. */
export interface TotpVerifyInput {
  /** Replay scope: the account id, or a credential id when an account has several TOTP credentials. */
  readonly subject: string;
  /** The credential's base32 secret (decrypted by the caller). */
  readonly secret: string;
  /** What the user typed. Anything is accepted; only the configured number of digits can succeed. */
  readonly code: unknown;
}

/**
 * Time-based one-time passwords (RFC 6238) for a second factor.
 *
 * Protects against:
 * - **replay**: a code is accepted once; after step `s` is accepted for a subject, every code of step ≤ `s` is refused
 *   (also an older code from the window once a newer one was used), through an atomic store port;
 * - **weak secrets**: secrets under 160 bits are refused at enrollment and at verification;
 * - **timing attacks**: every step of the window is generated and compared in constant time, without early exit;
 * - **hostile input**: verification never throws on the code; it returns a typed failure.
 *
 * Not covered here: online guessing. A 6-digit code with a ±1 window is guessed with probability 3/10^6 per try, so
 * callers must rate-limit verification per account.
 */
export class Totp {
  readonly #options: ResolvedTotpOptions;

  constructor(options: TotpOptions) {
    this.#options = resolveTotpOptions(options);
  }

  /**
   * Creates (or imports) a secret and renders it for an authenticator app. The credential should only be activated
   * after the user proves possession with a first {@link verify}, so a mistyped or unscanned QR code cannot lock them out.
   */
  async enroll(input: TotpEnrollInput): Promise<TotpEnrollment> {
    const { label } = input;
    if (typeof label !== 'string' || label.trim() === '') throw new ConfigurationError('TOTP enrollment needs a label');
    const secret = input.secret ?? generateTotpSecret(this.#options.secretBytes);
    const uri = this.#instance(secret, label).toString();
    const qrSvg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret: decodeTotpSecret(secret).base32, uri, qrSvg };
  }

  /** The code for `secret` at `timestamp` (ms; default now). For tests, tooling and vector checks. */
  generate(secret: string, timestamp: number = this.#options.clock.now()): string {
    return this.#instance(secret).generate({ timestamp });
  }

  /**
   * Verifies `code` for `subject` at the clock's current time and, when it is right and fresh, records its time step
   * so it can never be accepted again.
   *
   * Never throws on `code`. Throws {@link TotpSecretError} for a malformed or short `secret` (operator data), and
   * rejects when the replay store fails, so a broken store denies instead of allowing replays (fail closed).
   */
  async verify(input: TotpVerifyInput): Promise<Result<{ step: number }, TotpFailure>> {
    const { subject, secret, code } = input;
    if (typeof subject !== 'string' || subject === '') throw new ConfigurationError('TOTP verify needs a subject');
    const totp = this.#instance(secret);
    const normalized = normalizeTotpCode(code, this.#options.digits);
    if (normalized === undefined) return fail('malformed');

    const now = Math.floor(this.#options.clock.now() / PERIOD_MS);
    let matched: number | undefined;
    // The whole window is always computed and compared (no early exit, constant-time compare), so timing tells an
    // attacker neither whether nor where in the window a guess matched. On a collision the highest step wins: recording
    // the highest one makes the same code unusable for every step it matches.
    for (let step = Math.max(0, now - this.#options.window); step <= now + this.#options.window; step += 1) {
      if (constantTimeEqualString(totp.generate({ timestamp: step * PERIOD_MS }), normalized)) matched = step;
    }
    if (matched === undefined) return fail('invalid');

    // Once the clock is past matched + MAX_TOTP_WINDOW (+1 step of inter-process skew), no acceptable step can be ≤
    // matched, so the record may be dropped without re-opening a replay.
    const retainUntil = (matched + MAX_TOTP_WINDOW + 2) * PERIOD_MS;
    if (!(await this.#options.replayStore.acceptStep(subject, matched, retainUntil))) {
      this.#options.events(securityEvent('mfa.totp.replay', subject, { step: matched }));
      return fail('replayed');
    }
    return ok({ step: matched });
  }

  #instance(secret: string, label?: string): TOTP {
    return new TOTP({
      issuer: this.#options.issuer,
      ...(label === undefined ? {} : { label }),
      algorithm: this.#options.algorithm,
      digits: this.#options.digits,
      period: TOTP_PERIOD_SECONDS,
      secret: decodeTotpSecret(secret),
    });
  }
}
