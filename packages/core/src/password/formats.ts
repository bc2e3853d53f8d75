import { fail, ok, type Result } from '../result.js';

/*
 * The stored-hash formats Rampart reads. Everything here is parsing only: no hashing, never throws, and every number is
 * bounded before it can reach a hash function, because a stored hash that says `m=4294967295` or `ln=40` would
 * otherwise make one verify allocate terabytes (a corrupted or injected row must not take the process down).
 *
 *   $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>                 PHC string, as written by the Argon2 reference code
 *   $rampart-pepper$kid=<kid>$argon2id$v=19$m=…,t=…,p=…$<s>$<h>  the same, computed over HMAC-SHA256(pepper[kid], pw)
 *   $2a$ / $2b$ / $2y$<cost>$<22 salt><31 hash>                  bcrypt (legacy)
 *   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>                scrypt, passlib's format (legacy)
 *   $pbkdf2-sha256$<iterations>$<salt>$<hash>                    PBKDF2-HMAC-SHA256, passlib's format (legacy)
 *   $pbkdf2-sha256$i=<iterations>$<salt>$<hash>                  the same with a PHC-style parameter name (legacy)
 *
 * Salt and hash of the legacy scrypt and PBKDF2 formats are base64 without padding, in the standard alphabet or in
 * passlib's "adapted" one (`.` for `+`); the salt bytes are the decoded ones, the hash length gives the key length.
 */

export type Argon2Variant = 'argon2id' | 'argon2i' | 'argon2d';

export interface ParsedArgon2 {
  readonly kind: 'argon2';
  readonly variant: Argon2Variant;
  /** 0x13 = 19 (current) or 0x10 = 16 (old; a PHC string without `v=` is 0x10). */
  readonly version: 16 | 19;
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly saltBytes: number;
  readonly hashBytes: number;
  /** The plain PHC string (without the pepper wrapper), as the Argon2 library reads it. */
  readonly phc: string;
  /** The key-ring kid of the pepper this hash was computed with, or `undefined` when it was not peppered. */
  readonly pepperKid: string | undefined;
}

export interface ParsedBcrypt {
  readonly kind: 'bcrypt';
  readonly cost: number;
  readonly encoded: string;
}

export interface ParsedScrypt {
  readonly kind: 'scrypt';
  readonly log2N: number;
  readonly blockSize: number;
  readonly parallelism: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export interface ParsedPbkdf2 {
  readonly kind: 'pbkdf2-sha256';
  readonly iterations: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

export type ParsedHash = ParsedArgon2 | ParsedBcrypt | ParsedScrypt | ParsedPbkdf2;

/** Why a stored hash cannot be used: unreadable, or readable but outside what this hasher accepts. */
export type HashFormatProblem = 'malformed_hash' | 'unsupported_hash';

/** Upper bounds on the cost parameters of stored hashes; beyond them a hash is `unsupported_hash` and never computed. */
export interface VerifyLimits {
  /** Argon2 `m`, KiB. Default: 262144 (256 MiB) or the configured memory cost if higher. */
  readonly maxArgon2MemoryCost: number;
  /** Argon2 `t`. Default: 32 or the configured time cost if higher. */
  readonly maxArgon2TimeCost: number;
  /** Argon2 `p`. Default: 16 or the configured parallelism if higher. */
  readonly maxArgon2Parallelism: number;
  /** bcrypt cost (log2 rounds). Default 16. */
  readonly maxBcryptCost: number;
  /** scrypt memory, 128 × N × r bytes. Default 256 MiB. */
  readonly maxScryptMemoryBytes: number;
  /** scrypt `p`. Default 16. */
  readonly maxScryptParallelism: number;
  /** PBKDF2 iterations. Default 5,000,000. */
  readonly maxPbkdf2Iterations: number;
}

export const PEPPER_PREFIX = '$rampart-pepper$kid=';

const ARGON2 = /^\$(argon2id|argon2i|argon2d)\$(?:v=(16|19)\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,86})\$([A-Za-z0-9+/]{22,86})$/;
const PEPPERED = /^\$rampart-pepper\$kid=([A-Za-z0-9_-]{1,64})(\$.*)$/s;
const BCRYPT = /^\$2([aby])\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/.]{0,128})\$([A-Za-z0-9+/.]{22,86})$/;
const PBKDF2 = /^\$pbkdf2-sha256\$(?:i=)?(\d{1,10})\$([A-Za-z0-9+/.]{0,128})\$([A-Za-z0-9+/.]{22,86})$/;
/** Some `$scheme$…` we do not read (md5-crypt `$1$`, sha512-crypt `$6$`, bcrypt `$2x$`, …). */
const OTHER_SCHEME = /^\$[A-Za-z0-9-]{1,32}\$/;

/** Bytes encoded by `length` characters of unpadded base64. */
function b64Bytes(length: number): number {
  return Math.floor((length * 3) / 4);
}

/** Decodes unpadded base64 in the standard or passlib's adapted (`.` for `+`) alphabet; `undefined` if impossible. */
function decodeB64(text: string): Buffer | undefined {
  if (text.length % 4 === 1) return undefined;
  return Buffer.from(text.replaceAll('.', '+'), 'base64');
}

function parseArgon2(phc: string, pepperKid: string | undefined, limits: VerifyLimits): Result<ParsedArgon2, HashFormatProblem> {
  const match = ARGON2.exec(phc);
  if (match === null) return fail('malformed_hash');
  const [, variant, version, m, t, p, salt, hash] = match as unknown as [string, Argon2Variant, string | undefined, string, string, string, string, string];
  const memoryCost = Number(m);
  const timeCost = Number(t);
  const parallelism = Number(p);
  if (timeCost < 1 || parallelism < 1 || memoryCost < 8 * parallelism || salt.length % 4 === 1 || hash.length % 4 === 1) {
    return fail('malformed_hash');
  }
  if (memoryCost > limits.maxArgon2MemoryCost || timeCost > limits.maxArgon2TimeCost || parallelism > limits.maxArgon2Parallelism) {
    return fail('unsupported_hash');
  }
  return ok({
    kind: 'argon2',
    variant,
    version: version === '19' ? 19 : 16,
    memoryCost,
    timeCost,
    parallelism,
    saltBytes: b64Bytes(salt.length),
    hashBytes: b64Bytes(hash.length),
    phc,
    pepperKid,
  });
}

/**
 * Reads a stored hash in one of the formats above. Never throws: anything that is not a string, or not one of them,
 * is `malformed_hash`; a recognised scheme that this hasher does not compute (md5-crypt, bcrypt `$2x$`) or whose cost
 * parameters exceed `limits` is `unsupported_hash`.
 */
export function parseStoredHash(stored: unknown, limits: VerifyLimits): Result<ParsedHash, HashFormatProblem> {
  if (typeof stored !== 'string' || stored.length > 512) return fail('malformed_hash');

  const peppered = PEPPERED.exec(stored);
  if (peppered !== null) {
    const [, kid, inner] = peppered as unknown as [string, string, string];
    return parseArgon2(inner, kid, limits);
  }
  if (stored.startsWith('$argon2')) return parseArgon2(stored, undefined, limits);

  const bcrypt = BCRYPT.exec(stored);
  if (bcrypt !== null) {
    const cost = Number(bcrypt[2]);
    if (cost < 4 || cost > 31) return fail('malformed_hash');
    if (cost > limits.maxBcryptCost) return fail('unsupported_hash');
    return ok({ kind: 'bcrypt', cost, encoded: stored });
  }

  const scrypt = SCRYPT.exec(stored);
  if (scrypt !== null) {
    const [, ln, r, p, salt, hash] = scrypt as unknown as [string, string, string, string, string, string];
    const log2N = Number(ln);
    const blockSize = Number(r);
    const parallelism = Number(p);
    const saltBytes = decodeB64(salt);
    const hashBytes = decodeB64(hash);
    if (log2N < 1 || blockSize < 1 || parallelism < 1 || saltBytes === undefined || hashBytes === undefined) return fail('malformed_hash');
    if (log2N > 30 || 128 * 2 ** log2N * blockSize > limits.maxScryptMemoryBytes || parallelism > limits.maxScryptParallelism) {
      return fail('unsupported_hash');
    }
    return ok({ kind: 'scrypt', log2N, blockSize, parallelism, salt: saltBytes, hash: hashBytes });
  }

  const pbkdf2 = PBKDF2.exec(stored);
  if (pbkdf2 !== null) {
    const [, i, salt, hash] = pbkdf2 as unknown as [string, string, string, string];
    const iterations = Number(i);
    const saltBytes = decodeB64(salt);
    const hashBytes = decodeB64(hash);
    if (iterations < 1 || saltBytes === undefined || hashBytes === undefined) return fail('malformed_hash');
    if (iterations > limits.maxPbkdf2Iterations) return fail('unsupported_hash');
    return ok({ kind: 'pbkdf2-sha256', iterations, salt: saltBytes, hash: hashBytes });
  }

  return fail(OTHER_SCHEME.test(stored) && !/^\$(?:2[aby]|scrypt|pbkdf2-sha256|rampart-pepper)\$/.test(stored) ? 'unsupported_hash' : 'malformed_hash');
}
