// Session validation and cookie parsing run on every authenticated request; these numbers are the hot-path budget.
// Cookie parse/serialize are compared with `cookie`, what Express and most Node frameworks use today. Session
// validation has no framework-free peer (express-session is middleware around a store), so it is measured alone.
import * as cookie from 'cookie';
import { parseCookies, serializeCookie } from '../packages/core/src/http/index.js';
import { createSessionManager, MemorySessionStore } from '../packages/core/src/session/index.js';
import { compare, measure, type BenchRow } from './harness.js';

const LOADED_SESSIONS = 10_000;

export async function run(): Promise<BenchRow[]> {
  const sessions = createSessionManager({ store: new MemorySessionStore(), maxSessionsPerUser: 100 });
  const ids: string[] = [];
  for (let i = 0; i < LOADED_SESSIONS; i++) {
    const issued = await sessions.login(undefined, `user-${i % 1000}`);
    if (!issued.ok) throw new Error('could not load sessions');
    ids.push(issued.value.id);
  }
  let next = 0;
  const unknownId = 'A'.repeat(43);

  const cookieHeader = [
    serializeCookie('sid', ids[0]!).split('; ')[0]!,
    '__Host-csrf=Zm9vYmFyYmF6cXV4',
    'theme=dark',
    'lang=en-GB',
    '_ga=GA1.2.1234567890.1700000000',
    '_gid=GA1.2.987654321.1700000000',
  ].join('; ');

  return [
    await measure('session validate (10k sessions, in-memory)', {
      name: 'rampart validate (live id)',
      fn: async () => {
        const result = await sessions.validate(ids[next++ % LOADED_SESSIONS]);
        if (!result.ok) throw new Error(result.reason);
      },
    }),
    await measure('session validate (10k sessions, in-memory)', {
      name: 'rampart validate (unknown id)',
      fn: async () => {
        const result = await sessions.validate(unknownId);
        if (result.ok) throw new Error('accepted an unknown id');
      },
    }),
    await measure('session validate (10k sessions, in-memory)', {
      name: 'rampart validate (malformed input)',
      fn: async () => {
        const result = await sessions.validate('garbage; Domain=evil.com');
        if (result.ok) throw new Error('accepted garbage');
      },
    }),
    await compare(
      'cookie parse (6 cookies)',
      { name: 'rampart parseCookies', fn: () => parseCookies(cookieHeader) },
      { name: 'cookie.parse', fn: () => cookie.parse(cookieHeader) },
    ),
    await compare(
      'cookie serialize (session cookie)',
      { name: 'rampart serializeCookie', fn: () => serializeCookie('sid', ids[0]!) },
      {
        name: 'cookie.serialize (same attributes)',
        fn: () => cookie.serialize('__Host-sid', ids[0]!, { secure: true, httpOnly: true, sameSite: 'lax', path: '/' }),
      },
    ),
  ];
}
