import { randomUUID } from 'node:crypto';
import type { EventAttributes } from '../http/events.js';
import { affected, type StoreDatabase } from '../stores/sql.js';
import type { AdminEventType, AdminEvents } from './events.js';

/** Prefix of the `rampart_meta` rows that carry a CLI change to the next server start, which puts it in the trail. */
export const CLI_EVENT_PREFIX = 'admin.cli-event:';

/** The events a CLI command may leave for the trail: OAuth client administration (`rampart clients …`). */
const CLI_EVENT_TYPES: ReadonlySet<AdminEventType> = new Set<AdminEventType>(['account.created', 'account.profile_updated', 'account.password_changed', 'account.disabled']);

/** Rows reported per start at most (a page of 100 at a time): a flood of rows cannot hold a start up for long. */
const MAX_REPORTED = 10_000;

/** A change made by a CLI command, to be reported by the next server start. */
export interface CliEvent {
  readonly type: AdminEventType;
  readonly subject: string;
  /** Flat values only, never a secret (the same rule as every event). */
  readonly attributes: EventAttributes;
}

/**
 * Records a change made by a CLI command for the audit trail. The CLI cannot append to a trail a running server writes
 * (one writer per chain), so the next server start reads these rows in the order they were written, emits each event
 * (`how: "cli"`, `recordedAt`), and deletes it. Keys sort by time, then by a random suffix.
 */
export async function recordCliEvent(database: StoreDatabase, event: CliEvent, at: number): Promise<void> {
  const key = `${CLI_EVENT_PREFIX}${String(at).padStart(15, '0')}-${randomUUID()}`;
  await database.db.insertInto('rampart_meta').values({ key, value: JSON.stringify({ ...event, at: new Date(at).toISOString() }) }).execute();
}

function flat(value: unknown): EventAttributes {
  if (typeof value !== 'object' || value === null) return {};
  const attributes: Record<string, string | number | boolean> = {};
  for (const [name, item] of Object.entries(value)) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') attributes[name] = item;
  }
  return attributes;
}

/**
 * Puts changes recorded by CLI commands since the last start into the trail: each row is deleted by one conditional
 * DELETE before its event is emitted, so of several instances starting together exactly one reports it. A row of a
 * type no CLI command writes is deleted and reported as nothing (the database's writers are trusted; this keeps a
 * stray row from posing as, say, an `authz.role.granted`).
 */
export async function reportCliEvents(database: StoreDatabase, events: AdminEvents): Promise<number> {
  let reported = 0;
  let after = CLI_EVENT_PREFIX;
  while (reported < MAX_REPORTED) {
    const rows = await database.db.selectFrom('rampart_meta').select(['key', 'value']).where('key', 'like', `${CLI_EVENT_PREFIX}%`).where('key', '>', after).orderBy('key').limit(100).execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.key;
      const deleted = await database.db.deleteFrom('rampart_meta').where('key', '=', row.key).where('value', '=', row.value).executeTakeFirst();
      if (affected(deleted.numDeletedRows) !== 1) continue;
      let parsed: { type?: unknown; subject?: unknown; attributes?: unknown; at?: unknown } = {};
      try {
        parsed = JSON.parse(row.value) as typeof parsed;
      } catch {
        continue;
      }
      const type = parsed.type as AdminEventType;
      if (!CLI_EVENT_TYPES.has(type) || typeof parsed.subject !== 'string') continue;
      events(type, parsed.subject, { ...flat(parsed.attributes), how: 'cli', ...(typeof parsed.at === 'string' ? { recordedAt: parsed.at } : {}) });
      reported++;
    }
  }
  return reported;
}
