import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../clock.js';
import { ConfigurationError } from '../../errors.js';
import { createJwtIssuer } from './issuer.js';
import { JwtKeySet } from './keyset.js';
import { RemoteJwks } from './remote-jwks.js';
import { createJwtVerifier } from './verifier.js';

interface JwksServer {
  readonly url: string;
  requests: number;
  body: () => string;
  readonly server: Server;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => {
        resolve();
      }))));
});

async function serve(body: () => string, status = 200): Promise<JwksServer> {
  const state: { requests: number; body: () => string } = { requests: 0, body };
  const server = createServer((_req, res) => {
    state.requests += 1;
    res.writeHead(status, { 'content-type': 'application/json' }).end(state.body());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}/jwks.json`, server });
}

async function setup(options: { maxRefetches?: number } = {}) {
  const clock = new ManualClock();
  const keys = await JwtKeySet.generate();
  const issuer = createJwtIssuer({ keys, issuer: 'https://id.example', audience: 'api', clock });
  const jwks = await serve(() => JSON.stringify(keys.jwks()));
  const remote = new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock, ...options });
  const verifier = createJwtVerifier({ keys: remote, issuer: 'https://id.example', audience: 'api', clock });
  return { clock, keys, issuer, jwks, remote, verifier };
}

/** A token from another key set: its kid is unknown to the remote JWKS. */
async function unknownKidToken(clock: ManualClock): Promise<string> {
  const stranger = await JwtKeySet.generate();
  return createJwtIssuer({ keys: stranger, issuer: 'https://id.example', audience: 'api', clock }).issueAccessToken({ sub: 'x' }).token;
}

describe('RemoteJwks', () => {
  it('fetches once, then verifies from the cache', async () => {
    const { issuer, jwks, verifier } = await setup();
    for (let i = 0; i < 5; i += 1) {
      const result = await verifier.verifyAsync(issuer.issueAccessToken({ sub: `u${i}` }).token);
      expect(result.ok).toBe(true);
    }
    expect(jwks.requests).toBe(1);
  });

  it('attack: an unknown-kid flood causes no refetch inside the cooldown, and at most the cap across windows', async () => {
    const { clock, issuer, jwks, verifier } = await setup({ maxRefetches: 3 });
    expect((await verifier.verifyAsync(issuer.issueAccessToken({ sub: 'u' }).token)).ok).toBe(true);
    expect(jwks.requests).toBe(1);
    const strangers = await Promise.all(Array.from({ length: 5 }, () => unknownKidToken(clock)));
    // 200 concurrent unknown-kid tokens at one instant: one shared refetch at most.
    const first = await Promise.all(Array.from({ length: 200 }, (_, i) => verifier.verifyAsync(strangers[i % 5]!)));
    expect(first.every((r) => !r.ok && r.reason === 'unknown_kid')).toBe(true);
    expect(jwks.requests).toBe(1); // the last fetch was just now: cooldown
    // Keep flooding for 20 cooldown periods inside one hour: the cap (3) bounds the refetches.
    for (let round = 0; round < 20; round += 1) {
      clock.advance(31_000);
      await Promise.all(Array.from({ length: 50 }, (_, i) => verifier.verifyAsync(strangers[i % 5]!)));
    }
    expect(jwks.requests).toBe(1 + 3);
  });

  it('picks up a key the issuer rotated in, after the cooldown', async () => {
    const { clock, keys, issuer, jwks, verifier } = await setup();
    expect((await verifier.verifyAsync(issuer.issueAccessToken({ sub: 'u' }).token)).ok).toBe(true);
    await keys.rotate();
    const fresh = issuer.issueAccessToken({ sub: 'u' }).token;
    expect(await verifier.verifyAsync(fresh)).toEqual({ ok: false, reason: 'unknown_kid' });
    clock.advance(30_000);
    expect((await verifier.verifyAsync(fresh)).ok).toBe(true);
    expect(jwks.requests).toBe(2);
  });

  it('refetches when the cache is older than cacheMaxAge; sync verify fails closed on a stale set', async () => {
    const { clock, issuer, jwks, verifier } = await setup();
    const { token } = issuer.issueAccessToken({ sub: 'u' });
    expect(verifier.verify(token)).toEqual({ ok: false, reason: 'unknown_kid' }); // nothing fetched yet
    expect((await verifier.verifyAsync(token)).ok).toBe(true);
    clock.advance(601_000);
    const later = issuer.issueAccessToken({ sub: 'u' }).token;
    expect(verifier.verify(later)).toEqual({ ok: false, reason: 'unknown_kid' });
    expect((await verifier.verifyAsync(later)).ok).toBe(true);
    expect(jwks.requests).toBe(2);
  });

  it('attack: a key retired upstream stops verifying after the next fetch (cache emptied)', async () => {
    const { clock, keys, issuer, verifier } = await setup();
    const old = issuer.issueAccessToken({ sub: 'u' }).token;
    expect((await verifier.verifyAsync(old)).ok).toBe(true);
    const oldKid = keys.current.kid;
    await keys.rotate();
    keys.retire(oldKid);
    clock.advance(601_000);
    expect((await verifier.verifyAsync(issuer.issueAccessToken({ sub: 'u' }).token)).ok).toBe(true);
    expect(verifier.verify(old)).toEqual({ ok: false, reason: 'unknown_kid' });
  });

  it('attack: symmetric, private, duplicated or foreign-curve keys in the remote document are ignored', async () => {
    const clock = new ManualClock();
    const keys = await JwtKeySet.generate();
    const pub = keys.jwks().keys[0]!;
    const hs = JwtKeySet.empty();
    hs.addSymmetric(Buffer.alloc(32, 3), { kid: 'hs', current: true });
    const jwks = await serve(() =>
      JSON.stringify({
        keys: [
          { kty: 'oct', kid: 'hs', k: Buffer.alloc(32, 3).toString('base64url') },
          { ...keys.current.signingKey.export({ format: 'jwk' }), kid: 'with-private' },
          { ...pub, kid: 'dup' },
          { ...pub, kid: 'dup' },
          { ...pub, kid: 'enc', use: 'enc' },
          pub,
        ],
      }),
    );
    const remote = new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock });
    const verifier = createJwtVerifier({ keys: remote, issuer: 'i', audience: 'a', clock, algorithms: ['EdDSA', 'HS256'] });
    const hsToken = createJwtIssuer({ keys: hs, issuer: 'i', audience: 'a', clock }).issueAccessToken({ sub: 'u' }).token;
    expect(await verifier.verifyAsync(hsToken)).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(remote.status().kids).toEqual([pub.kid]);
    expect((await verifier.verifyAsync(createJwtIssuer({ keys, issuer: 'i', audience: 'a', clock }).issueAccessToken({ sub: 'u' }).token)).ok).toBe(true);
  });

  it('fails closed when the JWKS endpoint errors or sends garbage, and retries only after the cooldown', async () => {
    const clock = new ManualClock();
    const keys = await JwtKeySet.generate();
    const token = createJwtIssuer({ keys, issuer: 'i', audience: 'a', clock }).issueAccessToken({ sub: 'u' }).token;
    let body = 'not json';
    const jwks = await serve(() => body);
    const remote = new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock });
    const verifier = createJwtVerifier({ keys: remote, issuer: 'i', audience: 'a', clock });
    expect(await verifier.verifyAsync(token)).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(await verifier.verifyAsync(token)).toEqual({ ok: false, reason: 'unknown_kid' });
    expect(jwks.requests).toBe(1);
    expect(remote.status().lastError).toBeDefined();
    body = JSON.stringify(keys.jwks());
    clock.advance(30_000);
    expect((await verifier.verifyAsync(token)).ok).toBe(true);
  });

  it('refuses an oversized JWKS response', async () => {
    const clock = new ManualClock();
    const jwks = await serve(() => JSON.stringify({ keys: [], pad: 'x'.repeat(70_000) }));
    const remote = new RemoteJwks({ url: jwks.url, allowInsecureHttp: true, clock });
    await remote.refresh();
    expect(remote.status()).toMatchObject({ fetches: 1, fetchedAt: undefined, lastError: 'JWKS response too large' });
  });

  it('refuses a plain-http URL unless allowInsecureHttp is named', () => {
    expect(() => new RemoteJwks({ url: 'http://id.example/jwks' })).toThrow(ConfigurationError);
    expect(() => new RemoteJwks({ url: 'https://id.example/jwks', cooldownSeconds: 0 })).toThrow(ConfigurationError);
  });
});
