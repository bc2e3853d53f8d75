/**
 * Log safety: neutralising log forging and terminal escapes, and redacting secrets by field name and by shape.
 * Shared with the audit trail. See README.md for the threat, what is recognised and the options.
 */
export { sanitizeLogText, DEFAULT_MAX_LOG_STRING_LENGTH, type SanitizeLogTextOptions } from './sanitize.js';
export { redactText, isCardNumberValue, REDACTED, type RedactTextOptions, type SecretShape } from './secret-shapes.js';
export { isSecretKey, normalizeKeyName } from './secret-keys.js';
export { passesLuhn } from './luhn.js';
export {
  redactSecrets,
  sanitizeForLog,
  DEFAULT_REDACT_MAX_DEPTH,
  DEFAULT_REDACT_MAX_NODES,
  type LogValue,
  type RedactOptions,
  type SanitizeForLogOptions,
} from './redact.js';
