import { randomBytes } from 'node:crypto';
import { ConfigurationError } from '../../errors.js';
import { fail, ok, type Result } from '../../result.js';
import { base62, base62Bytes } from './base62.js';
import { crc32 } from './crc32.js';

/** A prefix names the issuer and kind of key, so scanners and humans recognize it: lowercase, 2-10 characters. */
export const API_KEY_PREFIX_PATTERN = /^[a-z][a-z0-9]{1,9}$/;
export const DEFAULT_API_KEY_PREFIX = 'rpk';

const ID_BYTES = 16; // 128 bits: ids are not secret, but unguessable ids keep key enumeration pointless
const ID_CHARS = 22; // 62^22 > 2^128
const SECRET_BYTES = 32; // 256 bits
const SECRET_CHARS = 43; // 62^43 > 2^256
const CHECKSUM_CHARS = 6; // 62^6 > 2^32
const MAX_LENGTH = 10 + 1 + ID_CHARS + 1 + SECRET_CHARS + CHECKSUM_CHARS;
const KEY_PATTERN = new RegExp(
  `^([a-z][a-z0-9]{1,9})_([0-9A-Za-z]{${ID_CHARS}})_([0-9A-Za-z]{${SECRET_CHARS}})([0-9A-Za-z]{${CHECKSUM_CHARS}})$`,
);

/** The three meaningful parts of a key; the checksum is derived. */
export interface ApiKeyParts {
  readonly prefix: string;
  /** Random, public: the lookup key in the store. */
  readonly id: string;
  /** 256 random bits, base62: the secret that is hashed. */
  readonly secret: string;
}

/** Why a presented string is not a key, decided without any store lookup. */
export type ApiKeyFormatFailure = 'malformed' | 'bad_checksum';

function checksum(body: string): string {
  return base62(BigInt(crc32(body)), CHECKSUM_CHARS);
}

/** Throws a {@link ConfigurationError} unless `prefix` matches {@link API_KEY_PREFIX_PATTERN}. */
export function checkApiKeyPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !API_KEY_PREFIX_PATTERN.test(prefix)) {
    throw new ConfigurationError('an API key prefix must be 2-10 characters of a-z and 0-9, starting with a letter');
  }
  return prefix;
}

/** Fresh random parts: a 128-bit id and a 256-bit secret from the operating system's CSPRNG. */
export function generateApiKeyParts(prefix: string = DEFAULT_API_KEY_PREFIX): ApiKeyParts {
  return {
    prefix: checkApiKeyPrefix(prefix),
    id: base62Bytes(randomBytes(ID_BYTES), ID_CHARS),
    secret: base62Bytes(randomBytes(SECRET_BYTES), SECRET_CHARS),
  };
}

/**
 * `<prefix>_<id>_<secret><checksum>`: the checksum (CRC-32 of everything before it, base62, 6 characters) lets secret
 * scanners confirm a leaked key offline, and lets {@link parseApiKey} reject typos and garbage before any lookup.
 */
export function formatApiKey(parts: ApiKeyParts): string {
  const body = `${parts.prefix}_${parts.id}_${parts.secret}`;
  if (!KEY_PATTERN.test(body + '0'.repeat(CHECKSUM_CHARS))) throw new ConfigurationError('API key parts do not fit the key format');
  return body + checksum(body);
}

/**
 * Splits a presented key into its parts and checks its checksum, without touching any store. Never throws: any
 * string, or any non-string value from an untrusted body, yields a typed failure. With `expectedPrefix`, a key of
 * another kind is `malformed`.
 */
export function parseApiKey(presented: unknown, expectedPrefix?: string): Result<ApiKeyParts, ApiKeyFormatFailure> {
  if (typeof presented !== 'string' || presented.length > MAX_LENGTH) return fail('malformed');
  const match = KEY_PATTERN.exec(presented);
  if (match === null) return fail('malformed');
  const [, prefix = '', id = '', secret = '', sum = ''] = match;
  if (expectedPrefix !== undefined && prefix !== expectedPrefix) return fail('malformed');
  // The checksum is public (anyone can compute it), so a plain comparison leaks nothing.
  if (checksum(`${prefix}_${id}_${secret}`) !== sum) return fail('bad_checksum');
  return ok({ prefix, id, secret });
}
