/*
 * One contender in a cross-process race (see `raceInProcesses` in databases.fixtures.ts): opens its own connection to
 * the database named on the command line, prints `ready`, waits for `go` on stdin, performs one store operation and
 * prints the outcome as one JSON line.
 */
import { createInterface } from 'node:readline';
import type { BackendLocation, ContenderOperation } from './databases.fixtures.js';
import { openAt } from './databases.fixtures.js';
import { SqlBackupCodeStore } from './backup-code-store.js';
import { SqlRefreshTokenStore } from './refresh-token-store.js';
import { SqlSessionStore } from './session-store.js';
import { SqlTotpReplayStore } from './totp-replay-store.js';
import { SqlWebAuthnChallengeStore } from './webauthn-challenge-store.js';
import type { ServerDatabase } from '../db/database.js';

const { location, operation } = JSON.parse(process.argv[2] ?? '{}') as { location: BackendLocation; operation: ContenderOperation };

async function perform(database: ServerDatabase): Promise<unknown> {
  switch (operation.op) {
    case 'refresh-rotate':
      return new SqlRefreshTokenStore(database).rotate({
        parentHash: operation.parentHash,
        usedAt: 1,
        successor: { id: operation.successorId, familyId: operation.familyId, tokenHash: `hash-${operation.successorId}`, issuedAt: 1, parentId: operation.parentId },
      });
    case 'backup-consume':
      return { remaining: (await new SqlBackupCodeStore(database).consume(operation.subject, [{ kid: operation.kid, hash: operation.hash }])) ?? null };
    case 'totp-accept':
      return { accepted: await new SqlTotpReplayStore(database).acceptStep(operation.key, operation.step, Number.MAX_SAFE_INTEGER) };
    case 'challenge-take':
      return { taken: (await new SqlWebAuthnChallengeStore(database).take(operation.ceremonyId)) ?? null };
    case 'session-rotate': {
      const now = 1_000;
      return new SqlSessionStore(database).insert(
        { key: operation.key, handle: `h-${operation.key}`, data: {}, createdAt: now, lastSeenAt: now, idleExpiresAt: now + 1_000_000, absoluteExpiresAt: now + 1_000_000 },
        { now, replaces: operation.replaces },
      );
    }
  }
}

const database = await openAt(location, false); // the test migrated it before the race
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line !== 'go') continue;
  try {
    process.stdout.write(`${JSON.stringify(await perform(database))}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error) })}\n`);
  }
  break;
}
lines.close();
await database.close();
