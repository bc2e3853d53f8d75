import { randomUUID } from 'node:crypto';
import type { EventAttributes } from '../http/events.js';
import { affected, type StoreDatabase } from '../stores/sql.js';
import type { AdminEvents, OAuthClientEventType } from './events.js';

/** Prefix of the `rampart_meta` rows that carry a CLI change to the next server start, which puts it in the trail. */
export const CLI_EVENT_PREFIX = 'admin.cli-event:';

/** The events a CLI command may leave for the trail: OAuth client administration (`rampart clients …`). */
const CLI_EVENT_TYPES: ReadonlySet<string> = new Set<OAuthClientEventType>(['oauth.client.created', 'oauth.client.updated', 'oauth.client.secret_rotated', 'oauth.client.deleted']);

/**
 * Rows an earlier `rampart clients` wrote before OAuth clients had event types of their own (account types with
 * `principal: "oauth_client"` and the client as subject): still reported after an upgrade, as the new types — a change
 * made offline must not vanish from the trail because the server in between was upgraded.
 */
const EARLIER_CLI_TYPES: Readonly<Record<string, OAuthClientEventType>> = {
  'account.created': 'oauth.client.created',
  'account.profile_updated': 'oauth.client.updated',
  'account.password_changed': 'oauth.client.secret_rotated',
  'account.disabled': 'oauth.client.deleted',
};

/** Rows reported per start at most (a page of 100 at a time): a flood of rows cannot hold a start up for long. */
const MAX_REPORTED = 10_000;

/** A change made by a CLI command, to be reported by the next server start. */
export interface CliEvent {
  readonly type: OAuthClientEventType;
  /** The account that acted, when known; `rampart clients` has none (`by: "cli"` says who). */
  readonly subject?: string;
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

const EARLIER_ONLY: ReadonlySet<string> = new Set(['principal', 'credential', 'hasSecret', 'deleted']);

/** A stored row as the event to emit: a type a CLI command writes (or wrote, see {@link EARLIER_CLI_TYPES}), else nothing. */
function cliEventOf(parsed: { type?: unknown; subject?: unknown; attributes?: unknown }): CliEvent | undefined {
  const attributes = flat(parsed.attributes);
  const subject = typeof parsed.subject === 'string' ? parsed.subject : undefined;
  if (typeof parsed.type !== 'string') return undefined;
  if (CLI_EVENT_TYPES.has(parsed.type)) return { type: parsed.type as OAuthClientEventType, ...(subject === undefined ? {} : { subject }), attributes };
  const earlier = EARLIER_CLI_TYPES[parsed.type];
  if (earlier === undefined || attributes.principal !== 'oauth_client' || subject === undefined) return undefined;
  // The client was the subject; `principal`, `credential`, `hasSecret` and `deleted` said what the type now says.
  const rest = Object.fromEntries(Object.entries(attributes).filter(([name]) => !EARLIER_ONLY.has(name)));
  return { type: earlier, attributes: { ...rest, clientId: subject } };
}

/**
 * Puts changes recorded by CLI commands since the last start into the trail: each row is deleted by one conditional
 * DELETE before its event is emitted, so of several instances starting together exactly one reports it. A row of a
 * type no CLI command writes is deleted and reported as nothing (the database's writers are trusted; this keeps a
 * stray row from posing as, say, an `authz.role.granted`, or an `account.disabled` of a user).
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
      const event = cliEventOf(parsed);
      if (event === undefined) continue;
      events(event.type, event.subject, { ...event.attributes, how: 'cli', ...(typeof parsed.at === 'string' ? { recordedAt: parsed.at } : {}) });
      reported++;
    }
  }
  return reported;
}
