import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { KeyRing } from '../packages/core/src/crypto/index.js';
import { createPasswordHasher } from '../packages/core/src/password/index.js';
import { compare, measure, type BenchRow } from './harness.js';

/**
 * Password hashing. Argon2id costs by design, so the numbers that matter are the latency of one hash at OWASP's
 * defaults (m = 19 MiB, t = 2, p = 1) and what Rampart's verify adds around the Argon2 call: NFKC, the byte bound, PHC
 * parsing, the bulkhead, and for the peppered variant one HMAC-SHA256. The peer is `@node-rs/argon2`'s own `verify` on
 * the same PHC string. Everything runs one operation at a time, so the bulkhead never refuses.
 */
export async function run(): Promise<BenchRow[]> {
  const password = 'correct horse battery staple';
  const hasher = createPasswordHasher();
  const peppered = createPasswordHasher({ pepper: KeyRing.generate() });
  const stored = await hasher.hash(password);
  const storedPeppered = await peppered.hash(password);

  return [
    await measure('argon2id hash, OWASP defaults', { name: 'rampart hasher.hash', fn: () => hasher.hash(password) }),
    await measure('argon2id hash, OWASP defaults', { name: '@node-rs/argon2 hash', fn: () => argon2Hash(password) }),
    await compare(
      'argon2id verify, OWASP defaults',
      { name: 'rampart hasher.verify', fn: () => hasher.verify(stored, password) },
      { name: '@node-rs/argon2 verify', fn: () => argon2Verify(stored, password) },
    ),
    await compare(
      'argon2id verify + pepper',
      { name: 'rampart hasher.verify (peppered)', fn: () => peppered.verify(storedPeppered, password) },
      { name: '@node-rs/argon2 verify', fn: () => argon2Verify(stored, password) },
    ),
    await compare(
      'unknown-user verify (dummy hash)',
      { name: 'rampart hasher.verify(null, …)', fn: () => hasher.verify(null, password) },
      { name: '@node-rs/argon2 verify', fn: () => argon2Verify(stored, password) },
    ),
  ];
}
