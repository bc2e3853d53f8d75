/*
 * Field names whose value is a secret whatever it looks like. Names are compared after lower-casing and removing every
 * character but a-z and 0-9, so `API_KEY`, `api-key`, `apiKey`, `X-Api-Key` and `api.key` are one name.
 */

/** A name *containing* one of these is secret: `newPassword`, `x-amz-security-token`, `client_secret`, `setCookie`. */
const SECRET_NAME_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'accesskey',
  'privatekey',
  'credential',
  'sessionid',
  'signature',
  'connectionstring',
  'creditcard',
  'cardnumber',
  'securitycode',
] as const;

/** Short names that are secret only as a whole: `pin` is, `spinner` and `pinned` are not. */
const SECRET_NAMES = new Set(['pwd', 'pass', 'auth', 'jwt', 'otp', 'totp', 'pin', 'cvv', 'cvv2', 'cvc', 'sid', 'session', 'pan', 'ssn', 'dsn']);

/** The normalised form used for comparison: lower case, letters and digits only. */
export function normalizeKeyName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Whether a field, header, parameter or environment-variable name holds a secret (passwords, tokens, cookies,
 * API keys, private keys, card data…), case- and separator-insensitively. `extraParts` adds names matched the same way
 * as the built-in parts (contained anywhere). Protects against secrets logged because they sat under an expected name.
 */
export function isSecretKey(name: string, extraParts: readonly string[] = []): boolean {
  const normalized = normalizeKeyName(name);
  if (normalized === '') return false;
  if (SECRET_NAMES.has(normalized)) return true;
  if (SECRET_NAME_PARTS.some((part) => normalized.includes(part))) return true;
  return extraParts.some((part) => {
    const extra = normalizeKeyName(part);
    return extra !== '' && normalized.includes(extra);
  });
}
