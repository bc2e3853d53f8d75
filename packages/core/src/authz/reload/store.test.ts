import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import type { Principal, Resource } from '../model.js';
import type { PolicySource } from '../policy/parse.js';
import { PolicyReloadError } from './errors.js';
import { createPolicyStore, type PolicySetChange, type PolicyStore } from './store.js';

const root = mkdtempSync(join(tmpdir(), 'rampart-authz-reload-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});
let folders = 0;
function folder(files: Readonly<Record<string, string>>): string {
  folders += 1;
  const dir = join(root, `f${folders}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Version `v` of the policy: viewers may `read`, and `delete` too when `viewersDelete`. */
function policy(v: string, viewersDelete: boolean): string {
  return `apiVersion: rampart.authz/v1
name: docs
version: "${v}"
roles:
  viewer:
    permissions: ["document:read"${viewersDelete ? ', "document:delete"' : ''}]
  editor:
    inherits: [viewer]
    permissions: ["document:update"]
resources:
  document:
    actions: [read, update, delete]
    rules:
      - name: not-archived
        effect: deny
        roles: ["*"]
        actions: [update]
        condition: has(resource.attributes.archived) && resource.attributes.archived == true
`;
}
const BROKEN_YAML = 'apiVersion: rampart.authz/v1\nname: docs\nversion: "9"\nroles:\n  viewer: { permissions: ["document:read", "document:delete" }\n';
const ROLE_CYCLE = policy('9', true).replace('  editor:\n    inherits: [viewer]', '  editor:\n    inherits: [viewer]\n  auditor:\n    inherits: [admin]\n  admin:\n    inherits: [auditor]');
const BAD_CEL = policy('9', true).replace('resource.attributes.archived == true', 'resource.attributes.archived === true');
const RUNAWAY = policy('9', true).replace(
  'has(resource.attributes.archived) && resource.attributes.archived == true',
  'resource.attributes.a.all(x, resource.attributes.b.all(y, x != y))',
);

const viewer: Principal = { id: 'v', roles: ['viewer'] };
const doc: Resource = { kind: 'document', id: 'd1', attributes: {} };

function recorder(): { errors: PolicyReloadError[]; changes: PolicySetChange[]; onError: (e: PolicyReloadError) => void; onReload: (c: PolicySetChange) => void } {
  const errors: PolicyReloadError[] = [];
  const changes: PolicySetChange[] = [];
  return { errors, changes, onError: (e) => errors.push(e), onReload: (c) => changes.push(c) };
}

describe('policy store: reload', () => {
  it('loads a folder, and a valid reload swaps the set; the same documents again change nothing', async () => {
    const dir = folder({ 'docs.yaml': policy('1', false), 'docs.test.yaml': 'not a policy: [', '.docs.yaml.swp': 'junk' });
    const log = recorder();
    const store = await createPolicyStore({ folder: dir }, log);
    const first = store.policies;
    expect(first.version).toBe(`sha256:${first.digest}`);
    expect(store.check(viewer, 'delete', doc).allowed).toBe(false);

    writeFileSync(join(dir, 'docs.yaml'), policy('2', true));
    const outcome = await store.reload();
    expect(outcome).toEqual({ ok: true, changed: true, version: `sha256:${store.policies.digest}`, digest: store.policies.digest });
    expect(store.check(viewer, 'delete', doc)).toMatchObject({ allowed: true, policyVersion: store.policies.version });
    expect(log.changes).toEqual([{ previous: { version: first.version, digest: first.digest }, current: { version: store.policies.version, digest: store.policies.digest } }]);

    const before = store.authorizer;
    await expect(store.reload()).resolves.toMatchObject({ ok: true, changed: false });
    expect(store.authorizer).toBe(before);
    expect(log.errors).toEqual([]);
    await store.close();
  });

  it.each([
    ['a broken YAML file', BROKEN_YAML, 'AUTHZ_POLICY_SYNTAX'],
    ['a role cycle', ROLE_CYCLE, 'AUTHZ_ROLE_CYCLE'],
    ['an invalid CEL condition', BAD_CEL, 'AUTHZ_CONDITION_INVALID'],
    ['a runaway CEL condition', RUNAWAY, 'AUTHZ_CONDITION_TOO_COSTLY'],
  ])('attack: %s is refused, the old set stays active and decides as before', async (_name, text, code) => {
    const dir = folder({ 'docs.yaml': policy('1', false) });
    const log = recorder();
    const store = await createPolicyStore({ folder: dir }, { ...log, versioning: 'documents' });
    const active = store.authorizer;
    const decisionBefore = store.check(viewer, 'delete', doc);

    writeFileSync(join(dir, 'docs.yaml'), text);
    const outcome = await store.reload();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toBe('AUTHZ_RELOAD_POLICY_REFUSED');
    expect(outcome.error).toBeInstanceOf(PolicyReloadError);
    expect(outcome.error.policyError).toMatchObject({ code, source: 'docs.yaml' });
    expect(log.errors).toEqual([outcome.error]);
    expect(log.changes).toEqual([]);
    expect(store.authorizer).toBe(active);
    expect(store.policies.version).toBe('1');
    expect(store.check(viewer, 'delete', doc)).toEqual(decisionBefore);
    expect(decisionBefore.allowed).toBe(false);
    if (code === 'AUTHZ_ROLE_CYCLE') expect(outcome.error.policyError?.cycle).toEqual(expect.arrayContaining(['admin', 'auditor']));

    // Fixing the file recovers on the next reload.
    writeFileSync(join(dir, 'docs.yaml'), policy('2', true));
    await expect(store.reload()).resolves.toMatchObject({ ok: true, changed: true, version: '2' });
    await store.close();
  });

  it('reports every policy change to the security-event sink: reloaded with both versions, refused with the code', async () => {
    const dir = folder({ 'docs.yaml': policy('1', false) });
    const events: SecurityEvent[] = [];
    const store = await createPolicyStore({ folder: dir }, { versioning: 'documents', events: (event) => events.push(event) });
    writeFileSync(join(dir, 'docs.yaml'), policy('2', true));
    await store.reload();
    writeFileSync(join(dir, 'docs.yaml'), ROLE_CYCLE);
    await store.reload();
    expect(events.map((event) => event.type)).toEqual(['authz.policy.reloaded', 'authz.policy.refused']);
    expect(events[0]?.attributes).toMatchObject({ previousVersion: '1', version: '2' });
    expect(events[1]?.attributes).toMatchObject({ code: 'AUTHZ_RELOAD_POLICY_REFUSED', policyCode: 'AUTHZ_ROLE_CYCLE', activeVersion: '2' });
    await store.close();
  });

  it('one broken file among several refuses the whole set (no half-applied reload)', async () => {
    const other = 'apiVersion: rampart.authz/v1\nname: reports\nversion: "1"\nroles:\n  analyst: { permissions: ["report:read"] }\nresources:\n  report: { actions: [read] }\n';
    const dir = folder({ 'a-docs.yaml': policy('1', false), 'b-reports.yaml': other });
    const store = await createPolicyStore({ folder: dir }, { versioning: 'documents' });
    writeFileSync(join(dir, 'a-docs.yaml'), policy('2', true));
    writeFileSync(join(dir, 'b-reports.yaml'), other.replace('[read] }', '[read], rules: [{ name: r, effect: allow, roles: [nobody], actions: [read] }] }'));
    const outcome = await store.reload();
    expect(outcome).toMatchObject({ ok: false, error: { policyError: { code: 'AUTHZ_POLICY_UNKNOWN_REFERENCE', source: 'b-reports.yaml' } } });
    expect(store.policies.version).toBe('docs@1+reports@1');
    expect(store.check(viewer, 'delete', doc).allowed).toBe(false);
    await store.close();
  });

  it('fails closed at start: no store without a valid set', async () => {
    await expect(createPolicyStore({ folder: folder({ 'docs.yaml': BROKEN_YAML }) })).rejects.toMatchObject({ code: 'AUTHZ_RELOAD_POLICY_REFUSED' });
    await expect(createPolicyStore({ folder: folder({}) })).rejects.toMatchObject({ code: 'AUTHZ_RELOAD_SOURCE_FAILED' });
    await expect(createPolicyStore({ folder: join(root, 'does-not-exist') })).rejects.toMatchObject({ code: 'AUTHZ_RELOAD_SOURCE_FAILED' });
    await expect(createPolicyStore({ folder: '' })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createPolicyStore({ folder: folder({ 'docs.yaml': policy('1', false) }) }, { debounceMs: -1 })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('an emptied folder (mid-deploy) keeps the old set instead of denying everything', async () => {
    const dir = folder({ 'docs.yaml': policy('1', false) });
    const store = await createPolicyStore({ folder: dir });
    unlinkSync(join(dir, 'docs.yaml'));
    await expect(store.reload()).resolves.toMatchObject({ ok: false, reason: 'AUTHZ_RELOAD_SOURCE_FAILED' });
    expect(store.check(viewer, 'read', doc).allowed).toBe(true);
    await store.close();
  });

  it('attack: a policy file linking outside the folder is refused and never read into the error', async () => {
    const secret = join(root, 'secret.yaml');
    writeFileSync(secret, 'password: hunter2\n');
    const dir = folder({ 'docs.yaml': policy('1', false) });
    const store = await createPolicyStore({ folder: dir });
    symlinkSync(secret, join(dir, 'leak.yaml'));
    const outcome = await store.reload();
    expect(outcome).toMatchObject({ ok: false, reason: 'AUTHZ_RELOAD_SOURCE_FAILED' });
    if (!outcome.ok) expect(outcome.error.message).not.toContain('hunter2');
    await store.close();
  });

  it('follows links inside the folder (a Kubernetes ConfigMap: files link into ..data, swapped in one rename)', async () => {
    const dir = folder({});
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'docs.yaml'), policy('1', false));
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync(join('..data', 'docs.yaml'), join(dir, 'docs.yaml'));
    const store = await createPolicyStore({ folder: dir }, { versioning: 'documents' });
    expect(store.policies.version).toBe('1');
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'docs.yaml'), policy('2', true));
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await expect(store.reload()).resolves.toMatchObject({ ok: true, version: '2' });
    await store.close();
  });

  it('counter versioning numbers each activated set; a load function is a source too', async () => {
    let text = policy('1', false);
    const store = await createPolicyStore({ load: () => Promise.resolve([{ source: 'db:docs', text }]) }, { versioning: 'counter' });
    expect(store.policies.version).toBe('1');
    await store.reload();
    expect(store.policies.version).toBe('1');
    text = policy('2', true);
    await store.reload();
    expect(store.policies.version).toBe('2');
    expect(store.check(viewer, 'delete', doc)).toMatchObject({ allowed: true, policyVersion: '2' });
    expect(() => {
      store.watch();
    }).toThrow(ConfigurationError);
    await store.close();
  });

  it('a failing or malformed load function keeps the old set', async () => {
    let mode: 'ok' | 'throw' | 'garbage' = 'ok';
    const load = (): Promise<readonly PolicySource[]> => {
      if (mode === 'throw') return Promise.reject(new Error('connection refused'));
      if (mode === 'garbage') return Promise.resolve('nope' as unknown as PolicySource[]);
      return Promise.resolve([{ source: 'docs', document: { apiVersion: 'rampart.authz/v1', name: 'docs', version: '1', roles: { viewer: { permissions: ['document:read'] } }, resources: { document: { actions: ['read'] } } } }]);
    };
    const log = recorder();
    const store = await createPolicyStore({ load }, log);
    const active = store.authorizer;
    mode = 'throw';
    await expect(store.reload()).resolves.toMatchObject({ ok: false, reason: 'AUTHZ_RELOAD_SOURCE_FAILED' });
    mode = 'garbage';
    await expect(store.reload()).resolves.toMatchObject({ ok: false, reason: 'AUTHZ_RELOAD_SOURCE_FAILED' });
    expect(log.errors.map((e) => e.code)).toEqual(['AUTHZ_RELOAD_SOURCE_FAILED', 'AUTHZ_RELOAD_SOURCE_FAILED']);
    expect(store.authorizer).toBe(active);
    await store.close();
    await expect(store.reload()).resolves.toMatchObject({ ok: false, reason: 'AUTHZ_RELOAD_CLOSED' });
    // Requests still in flight after close keep deciding with the last set.
    expect(store.check(viewer, 'read', doc).allowed).toBe(true);
  });

  it('an observer that throws does not break reloading', async () => {
    let text = policy('1', false);
    const store = await createPolicyStore(
      { load: () => Promise.resolve([{ source: 'docs.yaml', text }]) },
      {
        onReload: () => {
          throw new Error('observer bug');
        },
        onError: () => {
          throw new Error('observer bug');
        },
      },
    );
    text = policy('2', true);
    await expect(store.reload()).resolves.toMatchObject({ ok: true, changed: true });
    text = BROKEN_YAML;
    await expect(store.reload()).resolves.toMatchObject({ ok: false });
    expect(store.check(viewer, 'delete', doc).allowed).toBe(true);
    await store.close();
  });
});

describe('policy store: atomic swaps under concurrent requests', () => {
  it('a request that takes the authorizer once sees one set for all its checks, while reloads flip the policy', async () => {
    let flip = false;
    const store = await createPolicyStore({ load: () => Promise.resolve([{ source: 'docs.yaml', text: policy(flip ? '2' : '1', flip) }]) }, { versioning: 'documents' });
    const expectedDelete = new Map([
      ['1', false],
      ['2', true],
    ]);
    const seen = new Set<string>();
    const request = async (_: unknown, start: number): Promise<void> => {
      // Requests arrive over time, so some start before, during and after each reload.
      for (let tick = 0; tick < start; tick += 1) await new Promise<void>((resolve) => setImmediate(resolve));
      const authz = store.authorizer;
      const versions = new Set<string>();
      for (let step = 0; step < 5; step += 1) {
        const decision = authz.check(viewer, 'delete', doc);
        versions.add(decision.policyVersion);
        expect(decision.allowed).toBe(expectedDelete.get(decision.policyVersion));
        // Yield between checks: reloads complete in between.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      expect(versions.size).toBe(1);
      for (const v of versions) seen.add(v);
    };
    const reloads = async (): Promise<void> => {
      for (let i = 0; i < 20; i += 1) {
        flip = !flip;
        await store.reload();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    const many = async (): Promise<void> => {
      for (let i = 0; i < 20; i += 1) {
        const grid = store.checkMany(viewer, ['read', 'delete'], [doc, { ...doc, id: 'd2' }, { ...doc, id: 'd3' }]);
        const versions = new Set(grid.flat().map((d) => d.policyVersion));
        expect(versions.size).toBe(1);
        const [version] = versions;
        expect(grid.map((row) => row[1]?.allowed)).toEqual(Array.from({ length: 3 }, () => expectedDelete.get(version ?? '')));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all([reloads(), many(), ...Array.from({ length: 30 }, request)]);
    // Both sets were really active at some point while requests ran, so the test could have seen a mix.
    expect([...seen].sort()).toEqual(['1', '2']);
    await store.close();
  });

  it('re-reading store.authorizer per check across an await is exactly how a mix happens (why requests capture it once)', async () => {
    let flip = false;
    const store = await createPolicyStore({ load: () => Promise.resolve([{ source: 'docs.yaml', text: policy(flip ? '2' : '1', flip) }]) }, { versioning: 'documents' });
    const first = store.authorizer.check(viewer, 'delete', doc);
    flip = true;
    await store.reload();
    const second = store.authorizer.check(viewer, 'delete', doc);
    expect([first.policyVersion, second.policyVersion]).toEqual(['1', '2']);
    await store.close();
  });

  it('reloads run one at a time, calls while one waits share it, and the last content wins', async () => {
    let reads = 0;
    let text = policy('1', false);
    let release: () => void = () => undefined;
    const store = await createPolicyStore(
      {
        load: async () => {
          reads += 1;
          const snapshot = text;
          if (reads > 1) await new Promise<void>((resolve) => (release = resolve));
          return [{ source: 'docs.yaml', text: snapshot }];
        },
      },
      { versioning: 'documents' },
    );
    text = policy('2', false);
    const running = store.reload();
    await vi.waitFor(() => {
      expect(reads).toBe(2);
    });
    text = policy('3', true);
    const queuedA = store.reload();
    const queuedB = store.reload();
    expect(queuedA).toBe(queuedB);
    expect(queuedA).not.toBe(running);
    // The queued reload has not started while the first one is still reading.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(reads).toBe(2);
    release();
    await expect(running).resolves.toMatchObject({ ok: true, version: '2' });
    await vi.waitFor(() => {
      expect(reads).toBe(3);
    });
    release();
    await expect(queuedA).resolves.toMatchObject({ ok: true, version: '3' });
    expect(store.policies.version).toBe('3');
    await store.close();
  });
});

describe('policy store: watching a folder', () => {
  const settle = { timeout: 5000, interval: 10 };

  async function watched(dir: string, log = recorder()): Promise<PolicyStore> {
    const store = await createPolicyStore({ folder: dir }, { ...log, versioning: 'documents', debounceMs: 20 });
    store.watch();
    store.watch();
    return store;
  }

  it('picks up a changed file, and keeps the old set when the change is broken', async () => {
    const dir = folder({ 'docs.yaml': policy('1', false) });
    const log = recorder();
    const store = await watched(dir, log);
    writeFileSync(join(dir, 'docs.yaml'), policy('2', true));
    await vi.waitFor(() => {
      expect(store.policies.version).toBe('2');
    }, settle);
    expect(store.check(viewer, 'delete', doc).allowed).toBe(true);

    writeFileSync(join(dir, 'docs.yaml'), ROLE_CYCLE);
    await vi.waitFor(() => {
      expect(log.errors.map((e) => e.policyError?.code)).toContain('AUTHZ_ROLE_CYCLE');
    }, settle);
    expect(store.policies.version).toBe('2');

    writeFileSync(join(dir, 'extra.yaml'), 'apiVersion: rampart.authz/v1\nname: extra\nversion: "1"\n');
    writeFileSync(join(dir, 'docs.yaml'), policy('3', false));
    await vi.waitFor(() => {
      expect(store.policies.version).toBe('docs@3+extra@1');
    }, settle);
    await store.close();
  });

  it('close() stops watching', async () => {
    const dir = folder({ 'docs.yaml': policy('1', false) });
    const log = recorder();
    const store = await watched(dir, log);
    await store.close();
    // A second watcher on the same folder proves the change was delivered and the debounce elapsed.
    const witness = await watched(dir);
    writeFileSync(join(dir, 'docs.yaml'), policy('2', true));
    await vi.waitFor(() => {
      expect(witness.policies.version).toBe('2');
    }, settle);
    await new Promise<void>((resolve) => setTimeout(resolve, 40));
    expect(store.policies.version).toBe('1');
    expect(log.changes).toEqual([]);
    expect(() => {
      store.watch();
    }).toThrow(ConfigurationError);
    await witness.close();
  });
});
