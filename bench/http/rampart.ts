// The Rampart variant's chain, as the READMEs recommend it for a JSON API called by a browser SPA on another origin
// with credentials: security headers (API preset), CORS for that one origin, a rate limit per client address, and
// CSRF (Fetch Metadata + origin + signed double-submit token). Client address: the default, no proxy trusted (the load
// generator connects directly). The CSRF key ring comes from RAMPART_KEYRING, as in production; the runner sets it.
import { KeyRing } from '../../packages/core/src/crypto/index.js';
import { cors } from '../../packages/core/src/http/cors/index.js';
import { csrf } from '../../packages/core/src/http/csrf/index.js';
import { securityHeaders } from '../../packages/core/src/http/headers/index.js';
import { createChain, nodeHeaderReader, type Guard } from '../../packages/core/src/http/index.js';
import { gcra, MemoryRateLimitStore, rateLimit } from '../../packages/core/src/ratelimit/index.js';
import { APP_ORIGIN, FULL_CHAIN, RATE_LIMIT, RATE_WINDOW_SECONDS } from './common.js';

export interface RampartGuards {
  readonly guards: readonly Guard[];
  /** The controls in the chain, checked by the runner before it measures. */
  readonly pieces: readonly string[];
}

function keyRing(): KeyRing {
  return process.env.RAMPART_KEYRING === undefined ? KeyRing.generate() : KeyRing.fromEnv('RAMPART_KEYRING');
}

/** The CSRF guard with the benchmark's settings; the runner uses it too, to mint the token cookie a browser would hold. */
export function csrfGuard(ring: KeyRing): ReturnType<typeof csrf> {
  return csrf({ ring, allowedOrigins: [APP_ORIGIN] });
}

/**
 * The full chain, or — for finding where time goes — only the pieces named in `RAMPART_HTTP_BENCH_GUARDS`
 * (`headers,cors`; empty: the adapter with no guard). The runner marks such a row `partial`.
 */
export function rampartGuards(ring: KeyRing = keyRing(), only = process.env.RAMPART_HTTP_BENCH_GUARDS): RampartGuards {
  const all: [string, () => Guard][] = [
    ['headers', () => securityHeaders({ preset: 'api' })],
    ['cors', () => cors({ origins: [APP_ORIGIN], credentials: true })],
    ['ratelimit', () => rateLimit({ store: new MemoryRateLimitStore(), policy: gcra(RATE_LIMIT, RATE_WINDOW_SECONDS) })],
    ['csrf', () => csrfGuard(ring)],
  ];
  const wanted = only === undefined ? undefined : new Set(only.split(',').map((name) => name.trim()).filter((name) => name !== ''));
  const chosen = all.filter(([name]) => wanted === undefined || wanted.has(name));
  return { guards: chosen.map(([, build]) => build()), pieces: chosen.map(([name]) => name) };
}

/**
 * The headers Rampart's full chain sends on the measured request (GET / from the SPA origin with a valid CSRF cookie),
 * captured once by running the chain in-process: the `floor` variant sends exactly these as constants.
 */
export function floorHeaders(ring: KeyRing = keyRing()): readonly (readonly [string, string])[] {
  const { guards } = rampartGuards(ring, FULL_CHAIN.join(','));
  const cookie = csrfGuard(ring).issueToken(undefined).setCookie.split(';')[0] ?? '';
  const headers = { host: '127.0.0.1', origin: APP_ORIGIN, cookie };
  const outcome = createChain({ guards }).run({ method: 'GET', target: '/', header: nodeHeaderReader(headers), peerAddress: '127.0.0.1', tls: false });
  if (outcome instanceof Promise || outcome.verdict.action !== 'continue' || outcome.headers.cookies.length > 0) {
    throw new Error('floor headers: the chain did not let the measured request through unchanged');
  }
  const captured: (readonly [string, string])[] = [];
  outcome.headers.forEach(captured, (list, name, value) => list.push([name, value]));
  return captured;
}
