import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Aggregator, find } from 'mingo';

/*
 * mingo is the query interpreter in these tests: there is no MongoDB server on this machine and none can be installed
 * (no Debian package; mongodb-memory-server downloads server binaries at run time, which this network forbids).
 * mingo implements MongoDB's query language in JavaScript; it refuses to run JavaScript given as a string, so for
 * `$where`/`$function`/`$accumulator` the proof that a payload is live is that mingo dispatches it to that operator.
 */

export interface User {
  readonly _id: number;
  readonly username: string;
  readonly password: string;
  readonly role?: string;
  readonly tenant: string;
  readonly profile?: { readonly plan: string };
  readonly resetToken?: string;
}

/** A fresh copy of the seeded collection for each query, so no query can see another's mutations. */
export function users(): User[] {
  return [
    { _id: 1, username: 'alice', password: 'correct-horse', role: 'user', tenant: 'a', profile: { plan: 'pro' } },
    { _id: 2, username: 'admin', password: 's3cret', role: 'admin', tenant: 'a' },
    { _id: 3, username: 'bob', password: 'hunter2', role: 'user', tenant: 'b', profile: { plan: 'free' }, resetToken: 'rt-7f3a' },
    { _id: 4, username: 'carol', password: 'p4ss', tenant: 'b' },
  ];
}

/** The `_id`s a filter matches on the seeded collection, sorted. */
export function matchIds(filter: Record<string, unknown>): number[] {
  return find(users(), filter)
    .all()
    .map((doc) => doc._id as number)
    .sort((a, b) => a - b);
}

export type Outcome = { readonly kind: 'matched'; readonly ids: readonly number[] } | { readonly kind: 'javascript'; readonly operator: string };

const SCRIPT_OPERATOR = /\$(where|function|accumulator)\b/;

/**
 * Runs a filter or pipeline the way an unguarded application would, with mingo's script execution off: either it
 * matches documents, or mingo reports that it reached a server-side JavaScript operator. Anything else throws, so a
 * payload that is neither is not silently counted as an attack.
 */
export function runUnguarded(query: unknown): Outcome {
  try {
    if (Array.isArray(query)) {
      const result = new Aggregator(query as Record<string, unknown>[], { scriptEnabled: false }).run(users());
      return { kind: 'matched', ids: result.map((_, index) => index) };
    }
    const ids = find(users(), query as Record<string, unknown>, {}, { scriptEnabled: false })
      .all()
      .map((doc) => doc._id as number)
      .sort((a, b) => a - b);
    return { kind: 'matched', ids };
  } catch (error) {
    const match = error instanceof Error ? SCRIPT_OPERATOR.exec(error.message) : null;
    if (match === null) throw error;
    return { kind: 'javascript', operator: match[0] };
  }
}

/** True when the unguarded run did something the guarded one must not: matched documents or reached JavaScript. */
export function isLiveAttack(outcome: Outcome): boolean {
  return outcome.kind === 'javascript' || outcome.ids.length > 0;
}

export interface CorpusEntry {
  /** The `#` comment above the payload: its source or idea. */
  readonly source: string;
  readonly line: number;
  readonly payload: string;
}

/** Every payload of a corpus file, one per line, with the comment that names its source. */
export function readCorpus(name: string): CorpusEntry[] {
  const text = readFileSync(new URL(`./corpus/${name}`, import.meta.url), 'utf8');
  const entries: CorpusEntry[] = [];
  let source = '';
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.startsWith('#')) source = line.slice(1).trim();
    else entries.push({ source, line: index + 1, payload: line });
  });
  return entries;
}

/** JSON.parse for corpus lines, typed for the tests. */
export function parseJsonPayload(payload: string): Record<string, unknown> {
  return JSON.parse(payload) as Record<string, unknown>;
}

interface QsModule {
  parse(text: string): Record<string, unknown>;
}

/**
 * The `qs` query-string parser, as Express's `'extended'` query parser and body-parser's `urlencoded({ extended: true })`
 * use it. Loaded with `require`: it ships no type declarations.
 */
export const qs = createRequire(import.meta.url)('qs') as QsModule;

/**
 * The key test of express-mongo-sanitize (`/^\$|\./`, which mongo-sanitize narrows to `/^\$/`): what the peers strip.
 * Used to show that lookalike keys pass them.
 */
export function peerWouldStrip(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, child]) => /^\$|\./.test(key) || peerWouldStrip(child));
}

/**
 * A layer between a check and the database that normalizes keys, as i18n middleware (NFKC), "strip invisible and
 * control characters" sanitizers and trimming form handlers do. It turns disguised keys into operators and paths.
 */
export function normalizingLayer(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizingLayer);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [key.normalize('NFKC').replace(/[\p{Cc}\p{Cf}]/gu, '').trim(), normalizingLayer(child)]),
  );
}

/**
 * The recursive merge that query builders shipped before they were fixed (mquery's `utils.merge`, CVE-2020-35149): it
 * follows `__proto__` and `constructor.prototype` into `Object.prototype`.
 */
export function vulnerableMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(source)) {
    const from = source[key];
    const into = target[key];
    if (typeof from === 'object' && from !== null && (typeof into === 'object' || typeof into === 'function') && into !== null) {
      vulnerableMerge(into as Record<string, unknown>, from as Record<string, unknown>);
    } else if (typeof from === 'object' && from !== null) {
      target[key] = vulnerableMerge({}, from as Record<string, unknown>);
    } else {
      target[key] = from;
    }
  }
  return target;
}

/** Runs `action`, then removes whatever it added to `Object.prototype`, so a pollution test cannot leak into others. */
export function withPrototypeRestored<T>(action: () => T): T {
  const before = new Set(Reflect.ownKeys(Object.prototype));
  try {
    return action();
  } finally {
    for (const key of Reflect.ownKeys(Object.prototype)) {
      if (!before.has(key)) Reflect.deleteProperty(Object.prototype, key);
    }
  }
}
