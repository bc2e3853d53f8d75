/**
 * Every error Rampart throws on purpose is a {@link RampartError} with a stable, machine-readable `code`, so callers
 * branch on codes (as with jose's `code`) and never on message text, and the HTTP layer can map a code to a problem
 * type without leaking the message to a client.
 */
export class RampartError<Code extends string = string> extends Error {
  /** Stable identifier, `SCREAMING_SNAKE_CASE`, part of the public API. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Thrown when a caller configures a control in a way that would make it unsafe (a short key, an unknown algorithm). */
export class ConfigurationError extends RampartError {
  constructor(message: string, options?: ErrorOptions) {
    super('CONFIGURATION_INVALID', message, options);
  }
}
