/*
 * The token endpoints' request handling with the RFC's encoding (application/x-www-form-urlencoded), behind the same
 * `@rampart/fastify` plugin and body guard rule (`TOKEN_BODY_ROUTES`) the server mounts them with. The grants behind
 * them are the test's recorder: what matters here is which requests reach it, and what the client reads back.
 */
import { fail, ok } from '@rampart/core';
import { bodyLimits } from '@rampart/core/http';
import { JwtKeySet } from '@rampart/core/token';
import { rampart } from '@rampart/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenResponse } from '../auth/contracts.js';
import { ReloadingKeySet } from './key-source.js';
import { registerTokenRoutes, TOKEN_BODY_ROUTES } from './routes.js';
import type { ServerTokenIssuer } from './service.js';

const GOOD = 'G'.repeat(43);
const ANSWER: TokenResponse = { access_token: 'a.b.c', token_type: 'Bearer', expires_in: 600, refresh_token: 'R'.repeat(43) };

describe('token endpoints with form bodies (RFC 6749 §6, RFC 7009)', () => {
  let app: FastifyInstance;
  const calls: unknown[] = [];

  beforeAll(async () => {
    app = Fastify({ logger: false });
    await app.register(rampart, { guards: [bodyLimits({ maxBytes: 64 * 1024, routes: TOKEN_BODY_ROUTES })] });
    const issuer: ServerTokenIssuer = {
      issue: () => Promise.reject(new Error('not used here')),
      refresh: (token, scope) => {
        calls.push({ refresh: token, scope });
        return Promise.resolve(token === GOOD ? ok(ANSWER) : fail('invalid_grant'));
      },
      revoke: (token) => {
        calls.push({ revoke: token });
        return Promise.resolve();
      },
      revokeUser: () => Promise.resolve(0),
    };
    const keys = await ReloadingKeySet.open({ load: () => JwtKeySet.generate(), clock: { now: () => 0 }, minUnknownKidIntervalMs: 1000, onError: () => undefined });
    registerTokenRoutes(app, { issuer, keys, clientId: 'rampart', jwksMaxAgeSeconds: 300 });
    await app.ready();
  });
  afterAll(() => app.close());
  beforeEach(() => {
    calls.length = 0;
  });

  const post = (url: string, payload: string | Buffer, contentType = 'application/x-www-form-urlencoded') => app.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

  it('exchanges a refresh token sent as a form; unknown parameters are ignored (RFC 6749 §3.2), scope is parsed', async () => {
    const answer = await post('/v1/token', `grant_type=refresh_token&refresh_token=${GOOD}&scope=orders%3Aread+orders%3Aread&resource=https%3A%2F%2Fapi&role=admin`);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers.pragma).toBe('no-cache');
    expect(answer.json()).toEqual(ANSWER);
    expect(calls).toEqual([{ refresh: GOOD, scope: ['orders:read'] }]);
  });

  it('ATTACK: repeated, oversized, non-UTF-8, field-flooded or mistyped bodies are invalid_request and reach nothing', async () => {
    const bodies: [string | Buffer, string][] = [
      [`grant_type=refresh_token&refresh_token=${GOOD}&refresh_token=${GOOD}`, 'application/x-www-form-urlencoded'],
      [`grant_type=refresh_token&grant_type=password&refresh_token=${GOOD}`, 'application/x-www-form-urlencoded'],
      [Buffer.from([0x67, 0x3d, 0xff, 0xfe]), 'application/x-www-form-urlencoded'],
      [`grant_type=refresh_token&refresh_token=${GOOD}&pad=${'x'.repeat(70_000)}`, 'application/x-www-form-urlencoded'],
      [Array.from({ length: 1200 }, (_, i) => `f${i}=1`).join('&'), 'application/x-www-form-urlencoded'],
      [`grant_type=refresh_token&refresh_token=${GOOD}`, 'text/plain'],
      [`<grant_type>refresh_token</grant_type>`, 'application/xml'],
      [`grant_type=refresh_token&refresh_token=${GOOD}`, 'multipart/form-data; boundary=x'],
    ];
    for (const [body, type] of bodies) {
      const answer = await post('/v1/token', body, type);
      expect({ type, status: answer.statusCode, body: answer.json<unknown>() }).toMatchObject({ type, status: 400, body: { error: 'invalid_request' } });
      expect(answer.headers['content-type']).toContain('application/json');
      expect(answer.headers['cache-control']).toBe('no-store');
    }
    expect(calls).toEqual([]);
  });

  it('unsupported grant types are named as such, before the other parameters are looked at', async () => {
    for (const grant of ['password', 'authorization_code', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer']) {
      const answer = await post('/v1/token', `grant_type=${encodeURIComponent(grant)}&username=a&password=b`);
      expect(answer.json()).toMatchObject({ error: 'unsupported_grant_type' });
    }
    expect(calls).toEqual([]);
  });

  it('revokes with a form; always 200 for a refresh-token-shaped value, unsupported_token_type for a JWT', async () => {
    expect((await post('/v1/token/revoke', `token=${GOOD}&token_type_hint=refresh_token`)).statusCode).toBe(200);
    expect((await post('/v1/token/revoke', 'token=unknown')).statusCode).toBe(200);
    expect((await post('/v1/token/revoke', 'token=a.b.c')).json()).toMatchObject({ error: 'unsupported_token_type' });
    expect((await post('/v1/token/revoke', 'token=a&token=b')).json()).toMatchObject({ error: 'invalid_request' });
    expect(calls).toEqual([{ revoke: GOOD }, { revoke: 'unknown' }]);
  });
});
