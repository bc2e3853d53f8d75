// Child process for crash.test.ts: appends forever and prints "seq hash" for each acknowledged entry, until killed.
// Usage: crash-child sqlite <file> | crash-child pg <url> <table> | crash-child jsonl <dir> <maxSegmentBytes>
// (checkpoint key in AUDIT_CRASH_KEY)
import { createPrivateKey } from 'node:crypto';
import pg from 'pg';
import { securityEvent } from '../events.js';
import { checkpointSigner } from './checkpoint.js';
import { JsonlAuditStore } from './jsonl-store.js';
import { AuditLog } from './log.js';
import { PostgresAuditStore } from './pg-store.js';
import { SqliteAuditStore } from './sqlite-store.js';
import type { AuditStore } from './store.js';

const [kind, where, option] = process.argv.slice(2);
const pem = process.env.AUDIT_CRASH_KEY;
if (where === undefined || pem === undefined) throw new Error('usage: crash-child sqlite <db> | pg <url> <table> | jsonl <dir> <maxSegmentBytes> (key in AUDIT_CRASH_KEY)');

async function openStore(): Promise<AuditStore> {
  if (kind === 'sqlite') return new SqliteAuditStore(where as string);
  if (kind === 'pg') return PostgresAuditStore.open(new pg.Pool({ connectionString: where, max: 4 }), { table: option });
  // Small segments in the test, so kills also land around rotations.
  if (kind === 'jsonl') return JsonlAuditStore.open(where as string, { maxSegmentBytes: Number(option), onTornTail: () => undefined });
  throw new Error(`unknown store kind ${String(kind)}`);
}

const log = await AuditLog.open({ store: await openStore(), signer: checkpointSigner(createPrivateKey(pem)) });

for (let round = 0; ; round++) {
  await Promise.all(
    Array.from({ length: 1 + (round % 8) }, async (_, i) => {
      const { seq, hash } = await log.append(securityEvent('session.created', `user${round}`, { round, i }));
      process.stdout.write(`${seq} ${hash}\n`);
    }),
  );
  if (round % 16 === 15) await log.checkpoint();
}
