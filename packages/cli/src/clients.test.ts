import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, type SecurityEvent } from '@rampart/core';
import { createServer, ensureDataDir, loadConfig, type RampartServer } from '@rampart/server';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BACKENDS, cliStorage, rampart, type Finished } from './cli-harness.fixtures.js';
import { run as runInProcess } from './main.js';

// `rampart clients` as an operator runs it: the built bin (`npx tsc -b packages/cli/tsconfig.build.json` first) in
// real child processes, on the data a server uses — and that server's token endpoint judging the secrets it printed.
// Refusals, which need no second process to be believed, run the same `run()` in this process (each child process
// loads the server package and oidc-provider: seconds on a busy machine).
const root = mkdtempSync(join(tmpdir(), 'rampart-clients-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
const KEK = 'e'.repeat(64);

const storage = (backend: 'sqlite' | 'postgres', cwd: string) => cliStorage(backend, cwd, { kek: KEK, schemaPrefix: 'rampart_clients' });
const BACKENDS = CLI_BACKENDS;

/** The command in this process: the same `run()` the bin calls, with its output captured. */
async function inProcess(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInProcess(args, { out: (line) => out.push(line), err: (line) => err.push(line), env, cwd, stopSignal: new Promise(() => undefined) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const SECRET_LINE = /client secret \(shown once, store it now\): ([A-Za-z0-9_-]{43})/;
const secretIn = (run: Finished): string => SECRET_LINE.exec(run.err)?.[1] ?? '';
const createdId = (run: Finished): string => /client (\S+) created/.exec(run.out)?.[1] ?? '';

/** The server's token endpoint: client credentials with HTTP Basic (RFC 6749 §2.3.1, §4.4). */
async function token(url: string, clientId: string, secret: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** RFC 7662 introspection by another client: whether the server still honours `accessToken`. */
async function active(url: string, by: { id: string; secret: string }, accessToken: string): Promise<unknown> {
  const response = await fetch(`${url}/oauth/token/introspection`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${by.id}:${by.secret}`).toString('base64')}` },
    body: new URLSearchParams({ token: accessToken }).toString(),
  });
  return ((await response.json()) as { active?: unknown }).active;
}

describe('rampart clients', () => {
  it('prints its usage; refuses unknown actions, stray or contradictory options and missing ids with exit 2, creating nothing', async () => {
    const cwd = mkdtempSync(join(root, 'u'));
    const env = { RAMPART_KEK: KEK };
    const help = await rampart(['clients', '--help'], cwd, env);
    expect(help.code).toBe(0);
    expect(help.out).toContain('rotate-secret <id>');
    expect((await rampart(['--help'], cwd, env)).out).toContain('clients         create | list | show | update | rotate-secret | delete');
    const unknown = await rampart(['clients', 'frobnicate'], cwd, env);
    expect([unknown.code, unknown.err]).toEqual([2, expect.stringContaining('unknown clients action "frobnicate"')]);
    for (const args of [
      ['clients'],
      ['--config', join(cwd, 'none.yaml'), 'clients', 'show'],
      ['clients', 'show'],
      ['clients', 'list', 'extra'],
      ['clients', 'create', '--grant', 'client_credentials'],
      ['clients', 'create', '--type', 'confidential'],
      ['clients', 'list', '--type', 'public'],
      ['clients', 'list', '--limit', '501'],
      ['clients', 'create', '--type', 'confidential', '--grant', 'client_credentials', '--bogus'],
      ['clients', 'update', 'x', '--dpop', '--no-dpop'],
      ['clients', 'update', 'x'],
    ]) {
      const run = await inProcess(args, cwd, env);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 2]);
      expect(run.out + run.err).toContain('usage: rampart clients');
    }
    // Without a KEK nothing is created (no development key appears to seal secrets with).
    const none = await inProcess(['clients', 'list'], cwd);
    expect(none.code).toBe(2);
    expect(none.err).toContain('set RAMPART_KEK');
  }, 60_000);
});

describe.each(BACKENDS)('rampart clients on $name', ({ backend, skip }) => {
  it.skipIf(skip)('create, list, show, update, rotate-secret, delete — judged by a running server, secrets printed once, every change in the trail', async () => {
    const cwd = mkdtempSync(join(root, 'c'));
    const { env, drop } = await storage(backend, cwd);
    const run = (args: readonly string[]) => rampart(['clients', ...args], cwd, env);
    const quick = (args: readonly string[]) => inProcess(['clients', ...args], cwd, env);
    const servers: RampartServer[] = [];
    try {
      // Registered before any server ran: the command migrates and makes the first signing key, as `serve` would.
      const billing = await run(['create', '--type', 'confidential', '--grant', 'client_credentials', '--scope', 'orders:read orders:write', '--name', 'Billing', '--dpop']);
      expect([billing.code, billing.err]).toEqual([0, expect.stringMatching(SECRET_LINE)]);
      const billingId = createdId(billing);
      const billingSecret = secretIn(billing);
      expect(billing.out).toContain('scopes                     orders:read orders:write');
      expect(billing.out).not.toContain(billingSecret);
      const reader = await run(['create', '--type', 'confidential', '--grant', 'client_credentials', '--client-id', 'introspector', '--json']);
      expect(reader.code).toBe(0);
      const readerDocument = JSON.parse(reader.out) as { client: { clientId: string; hasSecret: boolean }; clientSecret: string };
      expect(readerDocument.client).toMatchObject({ clientId: 'introspector', hasSecret: true });
      expect(readerDocument.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const introspector = { id: 'introspector', secret: readerDocument.clientSecret };
      const certificatePath = join(cwd, 'not-a-certificate.pem');
      writeFileSync(certificatePath, '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n');

      // What OAuth 2.1 forbids: exit 2, the rule named, nothing stored.
      for (const [args, rule] of [
        [['create', '--type', 'confidential', '--grant', 'authorization_code', '--redirect-uri', 'https://*.example.test/cb'], /wildcard/],
        [['create', '--type', 'confidential', '--grant', 'authorization_code', '--redirect-uri', 'https://app.example.test/cb#x'], /fragment/],
        [['create', '--type', 'public', '--native', '--grant', 'authorization_code', '--redirect-uri', 'http://evil.example/cb'], /RFC 8252/],
        [['create', '--type', 'confidential', '--grant', 'implicit', '--redirect-uri', 'https://app.example.test/cb'], /implicit was removed by OAuth 2\.1/],
        [['create', '--type', 'confidential', '--grant', 'password'], /password was removed by OAuth 2\.1/],
        [['create', '--type', 'public', '--grant', 'client_credentials'], /client_credentials needs a confidential client/],
        [['create', '--type', 'confidential', '--auth-method', 'none', '--grant', 'client_credentials'], /confidential client must authenticate/],
        [['create', '--type', 'confidential', '--auth-method', 'self_signed_tls_client_auth', '--grant', 'client_credentials', '--certificate', certificatePath], /not a PEM X\.509 certificate/],
        [['create', '--type', 'confidential', '--auth-method', 'self_signed_tls_client_auth', '--grant', 'client_credentials', '--certificate', join(cwd, 'missing.pem')], /cannot read the certificate file/],
      ] as const) {
        const refused = await quick(args);
        expect([args.join(' '), refused.code, refused.err]).toEqual([args.join(' '), 2, expect.stringMatching(rule)]);
        expect(refused.err).not.toMatch(SECRET_LINE);
      }
      const listed = await run(['list']);
      expect(listed.code).toBe(0);
      expect(listed.out.trim().split('\n').map((line) => line.split(/\s+/)[0]).sort()).toEqual([billingId, 'introspector'].sort());
      const shown = await run(['show', billingId, '--json']);
      expect(shown.code).toBe(0);
      const view = JSON.parse(shown.out) as { version: string; dpopBoundAccessTokens: boolean; hasSecret: boolean };
      expect(view).toMatchObject({ dpopBoundAccessTokens: true, hasSecret: true });
      for (const output of [listed, shown, await quick(['list', '--json'])]) {
        expect(output.out + output.err).not.toContain(billingSecret);
        expect(output.out + output.err).not.toContain(introspector.secret);
        expect(output.out).not.toMatch(/clientSecret|secret_sealed/);
      }
      expect((await quick(['show', 'nobody'])).code).toBe(1);
      expect((await quick(['update', billingId, '--dpop', '--if-version', 'AAAAAAAAAAAAAAAAAAAAAA'])).code).toBe(1);
      const updated = await run(['update', billingId, '--no-dpop', '--if-version', view.version]);
      expect([updated.code, updated.out]).toEqual([0, expect.stringContaining('DPoP-bound tokens          no')]);
      // The version it was decided on is gone now: a second change from the same reading is refused.
      const stale = await quick(['update', billingId, '--name', 'Stale', '--if-version', view.version]);
      expect([stale.code, stale.err]).toEqual([1, expect.stringContaining('changed since')]);

      // A server on the same data: the changes made while none ran enter its trail at start; the printed secret works.
      ensureDataDir(join(cwd, '.rampart'));
      const events: SecurityEvent[] = [];
      const start = async (): Promise<string> => {
        const server = await createServer(loadConfig({ env, cwd }), { clock: new ManualClock(Date.now()), logDestination: { write: () => undefined }, observeEvents: (e) => events.push(e) });
        servers.push(server);
        return server.listen();
      };
      const url = await start();
      const server = servers[0];
      await server?.events.flush();
      // OAuth client administration has its own types; the command knows no account that acted (no subject, by: cli).
      const created = events.filter((e) => e.type === 'oauth.client.created');
      expect(created.map((e) => e.attributes?.clientId).sort()).toEqual([billingId, 'introspector'].sort());
      expect(created.every((e) => e.subject === undefined)).toBe(true);
      expect(created.find((e) => e.attributes?.clientId === billingId)?.attributes).toMatchObject({ how: 'cli', by: 'cli', scopes: 'orders:read orders:write', dpopBoundAccessTokens: true });
      expect(events.some((e) => e.type === 'oauth.client.updated' && e.attributes?.clientId === billingId && e.attributes.changed === 'dpopBoundAccessTokens' && e.attributes.how === 'cli')).toBe(true);
      expect(events.some((e) => e.type.startsWith('account.') && e.attributes?.how === 'cli')).toBe(false);
      const issued = await token(url, billingId, billingSecret);
      expect(issued.status).toBe(200);
      expect(await active(url, introspector, String(issued.body.access_token))).toBe(true);

      // Rotation while the server runs: the old secret stops at once, the new one (printed once) works.
      const rotated = await run(['rotate-secret', billingId]);
      expect(rotated.code).toBe(0);
      const newSecret = secretIn(rotated);
      expect(newSecret).not.toBe(billingSecret);
      expect(rotated.out).not.toContain(newSecret);
      expect((await token(url, billingId, billingSecret)).body.error).toBe('invalid_client');
      expect((await token(url, billingId, newSecret)).status).toBe(200);
      expect(await active(url, introspector, String(issued.body.access_token))).toBe(true);
      // A leaked secret: rotation with --revoke-tokens ends what was obtained with it.
      const leaked = await run(['rotate-secret', billingId, '--revoke-tokens', '--json']);
      expect(leaked.code).toBe(0);
      const leakedDocument = JSON.parse(leaked.out) as { clientSecret: string; revokedArtifacts: number };
      expect(leakedDocument.revokedArtifacts).toBeGreaterThanOrEqual(1);
      expect(await active(url, introspector, String(issued.body.access_token))).toBe(false);
      const last = await token(url, billingId, leakedDocument.clientSecret);
      expect(last.status).toBe(200);

      // Deletion: the client's tokens die with it.
      const deleted = await run(['delete', billingId]);
      expect([deleted.code, deleted.out]).toEqual([0, expect.stringContaining('deleted')]);
      expect(await active(url, introspector, String(last.body.access_token))).toBe(false);
      expect((await token(url, billingId, leakedDocument.clientSecret)).body.error).toBe('invalid_client');
      expect((await quick(['delete', billingId])).code).toBe(1);
      const publicApp = await quick(['create', '--type', 'public', '--native', '--grant', 'authorization_code', '--redirect-uri', 'http://127.0.0.1/cb', '--redirect-uri', 'com.example.app:/cb']);
      expect([publicApp.code, publicApp.err]).toEqual([0, expect.not.stringMatching(SECRET_LINE)]);
      const noSecret = await quick(['rotate-secret', createdId(publicApp)]);
      expect([noSecret.code, noSecret.err]).toEqual([1, expect.stringContaining('does not authenticate with a secret')]);

      // The next start reports what the command did while this server ran; no event carries a secret.
      await server?.close();
      await start();
      await servers[1]?.events.flush();
      const cli = events.filter((e) => e.attributes?.how === 'cli' && e.attributes.clientId === billingId).map((e) => e.type);
      expect(cli).toEqual(['oauth.client.created', 'oauth.client.updated', 'oauth.client.secret_rotated', 'oauth.client.secret_rotated', 'oauth.client.deleted']);
      expect(events.find((e) => e.type === 'oauth.client.secret_rotated' && e.attributes?.revokeIssued === true)?.attributes).toMatchObject({ by: 'cli', revokedArtifacts: leakedDocument.revokedArtifacts });
      const everything = JSON.stringify(events);
      for (const secret of [billingSecret, newSecret, leakedDocument.clientSecret, introspector.secret]) expect(everything).not.toContain(secret);
    } finally {
      for (const server of servers) await server.close();
      await drop();
    }
    // Eight child processes, each loading the server package and oidc-provider, and two server starts.
  }, 180_000);
});
