import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

// The command as a user runs it: the built bin in a real child process, a real socket on 127.0.0.1.
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const root = mkdtempSync(join(tmpdir(), 'rampart-cli-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

function start(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Finished>; output: () => { out: string; err: string } } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RAMPART_')));
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const done = new Promise<Finished>((settle) => child.on('exit', (code, signal) => { settle({ code, signal, out, err }); }));
  return { child, done, output: () => ({ out, err }) };
}

const rampart = (args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Finished> => start(args, cwd, env).done;

async function listening(output: () => { out: string }, done: Promise<Finished>): Promise<string> {
  for (;;) {
    const match = /listening on (http:\/\/[^\s]+)/.exec(output().out);
    if (match?.[1] !== undefined) return match[1];
    const finished = await Promise.race([done, new Promise<undefined>((wake) => setTimeout(() => {
      wake(undefined);
    }, 50))]);
    if (finished !== undefined) throw new Error(`the server exited: ${finished.err}`);
  }
}

describe('rampart', () => {
  it('prints usage, and exits 2 on an unknown command', async () => {
    const cwd = mkdtempSync(join(root, 'u'));
    expect((await rampart(['--help'], cwd)).code).toBe(0);
    const unknown = await rampart(['frobnicate'], cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
  });

  it('config check reports the settings and their sources, never the key, and names a bad setting', async () => {
    const cwd = mkdtempSync(join(root, 'c'));
    const ok = await rampart(['config', 'check'], cwd, { RAMPART_PORT: '9090', RAMPART_KEK: 'd'.repeat(64) });
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('127.0.0.1:9090 (default/env)');
    expect(ok.out).toContain('key-encryption    RAMPART_KEK');
    expect(ok.out).toContain('log level         info (default)');
    expect(ok.out).toContain('publicUrl         http://127.0.0.1:9090 (derived)');
    expect(ok.out + ok.err).not.toContain('d'.repeat(64));
    const bad = await rampart(['config', 'check'], cwd, { RAMPART_PORT: '99999' });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('/listen/port: maximum');
    const production = await rampart(['config', 'check'], cwd, { RAMPART_ENV: 'production' });
    expect(production.code).toBe(2);
    expect(production.err).toContain('[CONFIG_UNSAFE_FOR_PRODUCTION]');
  });

  it('serve: ready on a real socket, stops gracefully on SIGTERM, and the audit trail then verifies', async () => {
    const cwd = mkdtempSync(join(root, 's'));
    const server = start(['serve'], cwd, { RAMPART_PORT: '0' });
    const url = await listening(server.output, server.done);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.output().err).toContain('WARNING development key generated');
    expect(statSync(join(cwd, '.rampart', 'dev-kek.key')).mode & 0o777).toBe(0o600);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    server.child.kill('SIGTERM');
    const finished = await server.done;
    expect(finished.code).toBe(0);
    expect(finished.err).toContain('final audit checkpoint signed');
    const verified = await rampart(['audit', 'verify'], cwd);
    expect(verified.code).toBe(0);
    expect(verified.out).toContain('audit trail ok');
  });

  it('survives kill -9: restarts on the same data, and the audit trail verifies', async () => {
    const cwd = mkdtempSync(join(root, 'k'));
    const first = start(['serve'], cwd, { RAMPART_PORT: '0' });
    await listening(first.output, first.done);
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const second = start(['serve'], cwd, { RAMPART_PORT: '0' });
    const url = await listening(second.output, second.done);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await second.done).code).toBe(0);
    expect((await rampart(['audit', 'verify'], cwd)).code).toBe(0);
  });

  it('kill -9 under write load: every acknowledged registration is there after the restart, and the trail verifies', async () => {
    const cwd = mkdtempSync(join(root, 'w'));
    // Each request names its own client through the trusted local proxy, so the per-client limit does not cap the load.
    const env = { RAMPART_PORT: '0', RAMPART_TRUSTED_PROXIES: '127.0.0.1' };
    const first = start(['serve'], cwd, env);
    const url = await listening(first.output, first.done);
    const acknowledged: string[] = [];
    let sent = 0;
    let stop = false;
    const writer = async (lane: number): Promise<void> => {
      while (!stop) {
        const n = sent++;
        const email = `load-${lane}-${n}@example.test`;
        try {
          const response = await fetch(`${url}/v1/accounts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.18.${Math.floor(n / 250)}.${n % 250}` },
            body: JSON.stringify({ email, password: 'violet kettle marching under cobalt rain' }),
          });
          if (response.status === 202) acknowledged.push(email);
          await response.arrayBuffer();
        } catch {
          return; // the server died under this request: it was never acknowledged
        }
      }
    };
    const writers = Array.from({ length: 6 }, (_, lane) => writer(lane));
    // Kill once a good number of writes were acknowledged (bounded: at most 20 s of load).
    for (let waited = 0; acknowledged.length < 25 && waited < 20_000; waited += 50) await new Promise((wake) => setTimeout(wake, 50));
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThanOrEqual(25);

    const second = start(['serve'], cwd, env);
    const again = await listening(second.output, second.done);
    expect((await fetch(`${again}/readyz`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect((await second.done).code).toBe(0);
    const db = new Database(join(cwd, '.rampart', 'rampart.db'), { readonly: true });
    try {
      const stored = new Set((db.prepare('SELECT email FROM rampart_users').all() as { email: string }[]).map((row) => row.email));
      expect(acknowledged.filter((email) => !stored.has(email))).toEqual([]);
    } finally {
      db.close();
    }
    expect((await rampart(['audit', 'verify'], cwd)).code).toBe(0);
  });

  it('audit verify exits 1 and names the position when the trail was altered', async () => {
    const cwd = mkdtempSync(join(root, 'a'));
    const server = start(['serve'], cwd, { RAMPART_PORT: '0' });
    await listening(server.output, server.done);
    server.child.kill('SIGTERM');
    await server.done;
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(cwd, '.rampart', 'audit.db'));
    db.prepare("UPDATE audit_checkpoints SET tree_size = tree_size + 5").run();
    db.close();
    const verified = await rampart(['audit', 'verify'], cwd);
    expect(verified.code).toBe(1);
    expect(verified.out).toMatch(/audit trail FAILED at \d+: (bad_checkpoint|truncated)/);
  });

  it('audit verify creates nothing: without RAMPART_KEK or an existing development key it refuses', async () => {
    const cwd = mkdtempSync(join(root, 'n'));
    const verified = await rampart(['audit', 'verify'], cwd);
    expect(verified.code).toBe(2);
    expect(verified.err).toContain('set RAMPART_KEK');
    expect(() => statSync(join(cwd, '.rampart', 'dev-kek.key'))).toThrow();
  });

  it('migrate brings a fresh database to the latest version, then has nothing to do', async () => {
    const cwd = mkdtempSync(join(root, 'm'));
    expect((await rampart(['migrate'], cwd)).out).toContain('applied 0001_meta');
    expect((await rampart(['migrate'], cwd)).out).toContain('already at the latest version');
  });
  it('admin create: an administrator with a one-time password on stderr only; --promote for an existing address; exit 0/1/2', async () => {
    const cwd = mkdtempSync(join(root, 'a'));
    const usage = await rampart(['admin', 'create'], cwd);
    expect(usage.code).toBe(2);
    expect((await rampart(['admin', 'create', '--email', 'not an address'], cwd)).code).toBe(2);
    const created = await rampart(['admin', 'create', '--email', 'ops@example.com'], cwd);
    expect(created.code).toBe(0);
    const password = /one-time password \(shown once[^)]*\): (\S+)/.exec(created.err)?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(created.out).toContain('administrator ops@example.com created');
    expect(created.out).not.toContain(password);
    const db = new Database(join(cwd, '.rampart', 'rampart.db'), { readonly: true });
    try {
      const row = db.prepare("SELECT u.password_hash AS hash FROM rampart_users u JOIN rampart_role_bindings b ON b.user_id = u.id WHERE u.email_normalized = 'ops@example.com' AND b.role = 'admin' AND b.tenant = '*'").get() as { hash: string } | undefined;
      expect(row?.hash).toMatch(/^\$argon2id\$/);
      expect(row?.hash).not.toContain(password);
    } finally {
      db.close();
    }
    const taken = await rampart(['admin', 'create', '--email', 'OPS@example.com'], cwd);
    expect(taken.code).toBe(1);
    expect(taken.err).toContain('--promote');
    const promoted = await rampart(['admin', 'create', '--email', 'ops@example.com', '--promote'], cwd);
    expect(promoted.code).toBe(0);
    expect(promoted.out).toContain('promoted');
    expect(/one-time password[^:]*: (\S+)/.exec(promoted.err)?.[1]).not.toBe(password);
  });
});
