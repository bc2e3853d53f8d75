// Child process for crash.test.ts: appends forever and prints "seq hash" for each acknowledged entry, until killed.
import { createPrivateKey } from 'node:crypto';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { AuditLog } from './log.js';
import { SqliteAuditStore } from './sqlite-store.js';

const [path] = process.argv.slice(2);
const pem = process.env.AUDIT_CRASH_KEY;
if (path === undefined || pem === undefined) throw new Error('usage: crash-child <db> (key in AUDIT_CRASH_KEY)');
const log = AuditLog.open({ store: new SqliteAuditStore(path), signer: checkpointSigner(createPrivateKey(pem)) });

for (let round = 0; ; round++) {
  await Promise.all(
    Array.from({ length: 1 + (round % 8) }, async (_, i) => {
      const { seq, hash } = await log.append(securityEvent('session.created', `user${round}`, { round, i }));
      process.stdout.write(`${seq} ${hash}\n`);
    }),
  );
  if (round % 16 === 15) await log.checkpoint();
}
