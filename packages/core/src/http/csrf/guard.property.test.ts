/*
 * Attacker-controlled input, fuzzed: whatever headers and cookies an unsafe request carries, without a token minted
 * for its session the guard never throws and never lets it through.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import { createChain } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { csrf } from './guard.js';

const ORIGIN = 'https://app.example';
const ring = KeyRing.generate();
const guard = csrf({ ring, allowedOrigins: [ORIGIN], verifyFormFieldAfterBodyParsing: true });
const failures: string[] = [];
const chain = createChain({
  guards: [guard],
  events: (event) => {
    if (event.type === 'http.guard_failed') failures.push(String(event.attributes?.error));
  },
});

const tokenish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constant(guard.issueToken('attacker').token),
  fc.constant(guard.issueToken(undefined).token),
  fc.stringMatching(/^[A-Za-z0-9_-]{43}\.k-1\.[A-Za-z0-9_-]{43}$/),
);
const optional = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined });

describe('csrf guard under arbitrary input', () => {
  it('property: never throws, never continues (nor leaves pending) an unsafe request without a token of its session', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'post'),
        fc.record({
          // The victim's session; no token in `tokenish` was minted for it.
          sid: fc.stringMatching(/^[A-Za-z0-9]{1,40}$/).filter((sid) => sid !== 'attacker'),
          csrfCookie: optional(tokenish),
          header: optional(tokenish),
          origin: optional(fc.oneof(fc.string(), fc.constant(ORIGIN), fc.constant('null'))),
          referer: optional(fc.oneof(fc.string(), fc.webUrl())),
          site: optional(fc.oneof(fc.string(), fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none'))),
          contentType: optional(fc.oneof(fc.string(), fc.constantFrom('application/json', 'multipart/form-data; boundary=x'))),
          rawCookie: fc.string({ maxLength: 100 }),
        }),
        (method, r) => {
          // The session cookie first (first occurrence wins), then whatever the attacker adds.
          const cookies = [`__Host-sid=${r.sid}`];
          if (r.csrfCookie !== undefined) cookies.push(`__Host-csrf=${r.csrfCookie}`);
          cookies.push(r.rawCookie);
          const headers: Record<string, string> = { cookie: cookies.join('; ') };
          if (r.header !== undefined) headers['x-csrf-token'] = r.header;
          if (r.origin !== undefined) headers.origin = r.origin;
          if (r.referer !== undefined) headers.referer = r.referer;
          if (r.site !== undefined) headers['sec-fetch-site'] = r.site;
          if (r.contentType !== undefined) headers['content-type'] = r.contentType;
          const outcome = chain.run({ method, target: '/x', header: nodeHeaderReader(headers), peerAddress: '192.0.2.1', tls: true });
          if (outcome instanceof Promise) throw new Error('unexpected async');
          expect(outcome.verdict.action).toBe('deny');
        },
      ),
      { numRuns: 500 },
    );
    expect(failures).toEqual([]);
  });
});
