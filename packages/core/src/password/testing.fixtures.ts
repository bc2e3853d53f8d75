import { nodeHashingEngine, type PasswordHashingEngine } from './engine.js';
import type { PasswordHasherOptions } from './hasher.js';

/** Argon2id at 1 MiB, one pass: fast enough for property tests. Never use outside tests. */
export const FAST: PasswordHasherOptions = { memoryCost: 1024, timeCost: 1, parallelism: 1, allowWeakParameters: true };

export type EngineCall = keyof PasswordHashingEngine;

export interface CountingEngine {
  readonly engine: PasswordHashingEngine;
  /** Calls per primitive. */
  readonly calls: Record<EngineCall, number>;
  /** Every password buffer any primitive received. */
  readonly inputs: Uint8Array[];
  /** Every Argon2 PHC string `argon2Verify` was asked about. */
  readonly verified: string[];
  total(): number;
}

/**
 * Wraps an engine (the real one by default) and counts every call: the spy that proves a password did, or did not,
 * reach a hash function.
 */
export function countingEngine(base: PasswordHashingEngine = nodeHashingEngine): CountingEngine {
  const calls: Record<EngineCall, number> = { argon2Hash: 0, argon2Verify: 0, bcryptVerify: 0, scrypt: 0, pbkdf2Sha256: 0 };
  const inputs: Uint8Array[] = [];
  const verified: string[] = [];
  const engine: PasswordHashingEngine = {
    argon2Hash: (password, parameters) => {
      calls.argon2Hash += 1;
      inputs.push(password);
      return base.argon2Hash(password, parameters);
    },
    argon2Verify: (phc, password) => {
      calls.argon2Verify += 1;
      inputs.push(password);
      verified.push(phc);
      return base.argon2Verify(phc, password);
    },
    bcryptVerify: (password, encoded) => {
      calls.bcryptVerify += 1;
      inputs.push(password);
      return base.bcryptVerify(password, encoded);
    },
    scrypt: (password, salt, keyLength, parameters) => {
      calls.scrypt += 1;
      inputs.push(password);
      return base.scrypt(password, salt, keyLength, parameters);
    },
    pbkdf2Sha256: (password, salt, iterations, keyLength) => {
      calls.pbkdf2Sha256 += 1;
      inputs.push(password);
      return base.pbkdf2Sha256(password, salt, iterations, keyLength);
    },
  };
  return { engine, calls, inputs, verified, total: () => Object.values(calls).reduce((a, b) => a + b, 0) };
}

/** An engine whose Argon2 calls all wait until `open()`: lets a test hold every slot busy for as long as it likes. */
export function gatedEngine(base: PasswordHashingEngine = nodeHashingEngine): { engine: PasswordHashingEngine; open: () => void; started: () => number } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let started = 0;
  return {
    engine: {
      ...base,
      argon2Hash: async (password, parameters) => {
        started += 1;
        await gate;
        return base.argon2Hash(password, parameters);
      },
      argon2Verify: async (phc, password) => {
        started += 1;
        await gate;
        return base.argon2Verify(phc, password);
      },
    },
    open: () => {
      release();
    },
    started: () => started,
  };
}

/** Settles after every pending microtask and one macrotask turn. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
