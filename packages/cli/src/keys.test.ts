import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { createServer, ensureDataDir, loadConfig } from '@rampart/server';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BACKENDS, cliStorage, rampart } from './cli-harness.fixtures.js';

// `rampart keys` as an operator runs it: the built bin (`npx tsc -b packages/cli/tsconfig.build.json` first) in real
// child processes, on the same data as a server.
const root = mkdtempSync(join(tmpdir(), 'rampart-keys-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
const KEK = 'c'.repeat(64);

const storage = (backend: 'sqlite' | 'postgres', cwd: string) => cliStorage(backend, cwd, { kek: KEK, schemaPrefix: 'rampart_keys' });
const BACKENDS = CLI_BACKENDS;

const kidsIn = (listing: string, state: string): string[] =>
  listing
    .split('\n')
    .filter((line) => line.startsWith(`${state} `))
    .map((line) => line.split(/\s+/)[1] ?? '');

describe('rampart keys', () => {
  it('refuses (exit 2) without a key to seal with, creating nothing, and with a KEK the stored keys do not open with', async () => {
    const cwd = mkdtempSync(join(root, 'k'));
    const none = await rampart(['keys', 'rotate'], cwd);
    expect(none.code).toBe(2);
    expect(none.err).toContain('set RAMPART_KEK');
    expect(() => statSync(join(cwd, '.rampart', 'dev-kek.key'))).toThrow();
    expect((await rampart(['keys', 'rotate'], cwd, { RAMPART_KEK: KEK })).code).toBe(0);
    const wrong = await rampart(['keys', 'rotate'], cwd, { RAMPART_KEK: 'd'.repeat(64) });
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('do not open with this key-encryption key');
    expect(kidsIn((await rampart(['keys', 'list'], cwd, { RAMPART_KEK: KEK })).out, 'next')).toHaveLength(1);
  });
});

describe.each(BACKENDS)('rampart keys on $name', ({ backend, skip }) => {
  it.skipIf(skip)('two rotations started at once publish one next key beside one active key; --promote refuses early; list shows them', async () => {
    const cwd = mkdtempSync(join(root, 'r'));
    const { env, drop } = await storage(backend, cwd);
    expect((await rampart(['migrate'], cwd, env)).code).toBe(0);
    const both = await Promise.all([rampart(['keys', 'rotate'], cwd, env), rampart(['keys', 'rotate'], cwd, env)]);
    expect(both.map((r) => r.code)).toEqual([0, 0]);
    expect(both.map((r) => r.out).join('')).toMatch(/published \S+ as the next signing key; it signs from \d{4}-/);
    const list = await rampart(['keys', 'list'], cwd, env);
    expect(list.code).toBe(0);
    expect(kidsIn(list.out, 'active')).toHaveLength(1);
    expect(kidsIn(list.out, 'next')).toHaveLength(1);
    const early = await rampart(['keys', 'rotate', '--promote'], cwd, env);
    expect(early.code).toBe(1);
    expect(early.out).toContain(`refused: ${kidsIn(list.out, 'next')[0] ?? '?'} may sign only from`);
    expect(early.out + early.err).not.toContain(KEK);
    await drop();
  });

  it.skipIf(skip)('a running server keeps verifying tokens across a rotation done by `rampart keys rotate` in another process', async () => {
    const cwd = mkdtempSync(join(root, 's'));
    const { env, drop } = await storage(backend, cwd);
    // The server's clock starts at the wall clock the command stamps its keys with, then moves by hand.
    ensureDataDir(join(cwd, '.rampart'));
    const clock = new ManualClock(Date.now());
    const events: SecurityEvent[] = [];
    const server = await createServer(loadConfig({ env, cwd }), { clock, logDestination: { write: () => undefined }, observeEvents: (e) => events.push(e) });
    try {
      const url = await server.listen();
      const at = new Date(clock.now()).toISOString();
      await server.database.db
        .insertInto('rampart_users')
        .values({ id: 'user-1', email: 'u@example.com', email_normalized: 'u@example.com', password_hash: 'x', email_verified_at: at, locked_at: null, password_changed_at: at, created_at: at, updated_at: at })
        .execute();
      const facts = () => ({ userId: 'user-1', amr: ['pwd'] as const, authTime: clock.now(), fullyAuthenticatedAt: clock.now() });
      const kidOf = (token: string): unknown => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: unknown }).kid;
      const identity = async (token: string): Promise<number> => (await fetch(`${url}/v1/identity`, { headers: { authorization: `Bearer ${token}` } })).status;
      const jwksKids = async (): Promise<string[]> => ((await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      const tokens = server.modules.tokens;

      const before = (await tokens.issuer.issue({ ...facts(), amr: ['pwd'] })).access_token;
      const oldKid = kidOf(before);
      const rotated = await rampart(['keys', 'rotate'], cwd, env);
      expect(rotated.code).toBe(0);
      const newKid = /published (\S+) as the next signing key/.exec(rotated.out)?.[1];
      expect(newKid).toBeDefined();

      // The server's timer tick (called here instead of waiting for it): the new key is published, not yet signing.
      await tokens.keys.sync();
      expect(await jwksKids()).toEqual(expect.arrayContaining([oldKid, newKid]));
      expect(kidOf((await tokens.issuer.issue({ ...facts(), amr: ['pwd'] })).access_token)).toBe(oldKid);
      expect(events.some((e) => e.type === 'token.signing_key.rotated' && e.attributes !== undefined && e.attributes.kid === newKid && e.attributes.actor === 'cli' && e.attributes.phase === 'published')).toBe(true);

      clock.advance(6 * 60_000);
      await tokens.keys.sync();
      const after = (await tokens.issuer.issue({ ...facts(), amr: ['pwd'] })).access_token;
      expect(kidOf(after)).toBe(newKid);
      expect(await identity(before)).toBe(200);
      expect(await identity(after)).toBe(200);
      const listed = await rampart(['keys', 'list'], cwd, env);
      expect(kidsIn(listed.out, 'active')).toEqual([newKid]);
      expect(kidsIn(listed.out, 'retiring')).toEqual([oldKid]);
    } finally {
      await server.close();
      await drop();
    }
  });
});
