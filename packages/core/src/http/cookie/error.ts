import { RampartError } from '../../errors.js';

/** Which part of a cookie broke a rule. Stable, safe to log. */
export type CookieField = 'name' | 'value' | 'prefix' | 'path' | 'domain' | 'maxAge' | 'expires' | 'sameSite' | 'partitioned' | 'size' | 'options';

/**
 * Thrown when a cookie would be unsafe or malformed as written. Refusing (rather than encoding or dropping) is the
 * point: a value that could end the cookie and start an attribute (`; Domain=evil.com`) or split the header (CR LF) is a
 * bug or an attack, and the caller must see it. The message never contains the refused value, which may be a secret.
 */
export class CookieError extends RampartError {
  readonly field: CookieField;

  constructor(field: CookieField, message: string) {
    super('COOKIE_INVALID', message);
    this.field = field;
  }
}
