import { RampartError } from '../../errors.js';
import { sanitizeLogText } from '../log/sanitize.js';

/** Why a redirect target was refused: stable codes, safe to log and branch on, never containing the target. */
export type RedirectRefusal =
  | 'not_a_string'
  | 'empty'
  | 'too_long'
  | 'control_character'
  | 'backslash'
  | 'scheme_relative'
  | 'not_relative'
  | 'origin_not_allowed'
  | 'credentials'
  | 'malformed'
  | 'too_deeply_encoded'
  | 'leaves_origin';

const PREVIEW_LENGTH = 80;

/**
 * Thrown by `assertSafeRedirect` / `policy.orThrow`. The message names only the reason; the attacker's target is kept
 * for developers in `targetPreview`, truncated and with control, bidi and ANSI characters escaped, so neither a log
 * viewer nor a problem response that carelessly includes it can be turned against its reader.
 */
export class RedirectRefusedError extends RampartError<'REDIRECT_REFUSED'> {
  readonly reason: RedirectRefusal;
  readonly targetPreview: string;

  constructor(reason: RedirectRefusal, target: unknown) {
    super('REDIRECT_REFUSED', `redirect target refused: ${reason}`);
    this.reason = reason;
    this.targetPreview = typeof target === 'string' ? sanitizeLogText(target, { maxLength: PREVIEW_LENGTH }) : `[${typeof target}]`;
  }
}
