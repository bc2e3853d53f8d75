import { hash as argon2Hash, verify as argon2Verify, type Algorithm, type Options, type Version } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';
import { pbkdf2, scrypt } from 'node:crypto';

/*
 * `Algorithm` and `Version` are ambient const enums in @node-rs/argon2's typings and absent at run time, which
 * isolatedModules forbids reading (TS2748); their values are spelled out here and checked against the library's
 * defaults (Argon2id, 0x13) by the vector tests.
 */
/** Argon2id as `@node-rs/argon2` numbers it. */
export const ARGON2ID = 2 as unknown as Algorithm;
/** Argon2 version 0x13 as `@node-rs/argon2` numbers it. */
export const ARGON2_V0X13 = 1 as unknown as Version;

export interface Argon2HashParameters {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly outputLen: number;
  readonly salt: Uint8Array;
}

/** The `@node-rs/argon2` options for Argon2id v1.3 with these parameters (the async and the sync engine share them). */
export function argon2idOptions(p: Argon2HashParameters): Options {
  return { algorithm: ARGON2ID, version: ARGON2_V0X13, memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism, outputLen: p.outputLen, salt: p.salt };
}

export interface ScryptParameters {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly maxmem: number;
}

/**
 * The primitives the hasher calls, and nothing else does: every byte of a password that gets hashed goes through one of
 * these five functions. Injectable so that tests can count calls (and prove that an over-long password never got here,
 * or that an unknown user really cost a hash) and so that a deployment could move hashing to worker threads or to a
 * separate service without touching the rest.
 */
export interface PasswordHashingEngine {
  /** Argon2id v1.3 with these parameters; returns the PHC string. */
  argon2Hash(password: Uint8Array, parameters: Argon2HashParameters): Promise<string>;
  /** Verifies `password` against an Argon2 PHC string (any variant and version). May throw on an unreadable string. */
  argon2Verify(phc: string, password: Uint8Array): Promise<boolean>;
  /** Verifies `password` against a bcrypt string. May throw on an unreadable string. */
  bcryptVerify(password: Uint8Array, encoded: string): Promise<boolean>;
  scrypt(password: Uint8Array, salt: Uint8Array, keyLength: number, parameters: ScryptParameters): Promise<Buffer>;
  pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Promise<Buffer>;
}

/** `@node-rs/argon2`, `@node-rs/bcrypt` and `node:crypto`: all of them run off the event loop, on libuv's thread pool. */
export const nodeHashingEngine: PasswordHashingEngine = {
  argon2Hash: (password, p) => argon2Hash(password, argon2idOptions(p)),
  argon2Verify: (phc, password) => argon2Verify(phc, password),
  bcryptVerify: (password, encoded) => bcryptVerify(password, encoded),
  scrypt: (password, salt, keyLength, p) =>
    new Promise((resolve, reject) => {
      scrypt(password, salt, keyLength, p, (error, key) => {
        if (error === null) resolve(key);
        else reject(error);
      });
    }),
  pbkdf2Sha256: (password, salt, iterations, keyLength) =>
    new Promise((resolve, reject) => {
      pbkdf2(password, salt, iterations, keyLength, 'sha256', (error, key) => {
        if (error === null) resolve(key);
        else reject(error);
      });
    }),
};
