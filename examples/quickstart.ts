/**
 * `npm start`: a tour of what @rampart/core gives today, run end to end on this machine with no service to start.
 * Each step prints what it protects against.
 */
import { FieldCipher, KeyRing, BlindIndex, randomToken } from '@rampart/core/crypto';

function step(title: string, detail: string): void {
  process.stdout.write(`\n• ${title}\n  ${detail}\n`);
}

const ring = KeyRing.generate({ name: 'demo' });

step('random token', `${randomToken()} (256 bits, base64url: unguessable session ids, reset links, API secrets)`);

const cipher = new FieldCipher(ring);
const place = { table: 'users', column: 'ssn', row: 42 };
const envelope = cipher.encrypt('123-45-6789', place);
const moved = cipher.tryDecrypt(envelope, { ...place, row: 43 });
step('field encryption', `${envelope}\n  copied to row 43 → ${moved.ok ? 'DECRYPTED (bug!)' : `refused (${moved.reason})`}`);

const index = new BlindIndex(ring, { column: 'users.email' });
step('blind index', `alice@example.com → ${index.compute('Alice@Example.com')} (equality search without decrypting)`);

ring.rotate();
step('key rotation', `active key ${ring.active.kid}; old envelope still opens: ${cipher.decryptString(envelope, place)}`);
