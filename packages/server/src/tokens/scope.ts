import { compile, Type } from '@rampart/core/validate';

/**
 * RFC 6749 §3.3: `scope = scope-token *( SP scope-token )`, `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. Quotes,
 * backslashes, control characters and non-ASCII never reach a token, a log line or a policy.
 */
export const SCOPE_PATTERN = '^[!#-\\[\\]-~]+( [!#-\\[\\]-~]+)*$';
/** Longest scope string accepted (far above real ones; bounds what a token or a request can carry). */
export const SCOPE_MAX_LENGTH = 1024;
export const SCOPE_SCHEMA = Type.String({ pattern: SCOPE_PATTERN, maxLength: SCOPE_MAX_LENGTH });
const scopeString = compile(SCOPE_SCHEMA);

/** The scope tokens of a well-formed scope string, without repetitions; `undefined` when it is not well formed. */
export function scopeTokens(value: string): readonly string[] | undefined {
  if (!scopeString.check(value).ok) return undefined;
  return [...new Set(value.split(' '))];
}

/** Whether `requested` asks for nothing beyond `granted` (`undefined` granted: an unnarrowed login, anything narrower). */
export function withinScope(requested: readonly string[], granted: readonly string[] | undefined): boolean {
  if (granted === undefined) return true;
  const allowed = new Set(granted);
  return requested.every((token) => allowed.has(token));
}
