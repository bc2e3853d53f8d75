/*
 * Route-level authorization through every adapter, over real HTTP on 127.0.0.1: the OWASP API1 (BOLA), API3 (field
 * level) and API5 (function level) attacks are performed and must be refused; the owner and an editor get through; the
 * decision's reason is in the security event and never in the response.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '@rampart/core';
import { json, send, type Reply } from './client.js';
import { LOADER_SECRET, POLICY_VERSION, startAuthzApp, type AuthzApp } from './authz.fixtures.js';
import { ADAPTERS } from './servers.js';

/** Every decision detail that must stay out of responses. */
const DECISION_DETAILS = /no_rule_matched|no_role_in_tenant|field_not_allowed|scope_not_granted|rule_denied|resources\/|roles\/|documents\.yaml|2026-02-01|mallory|globex/;

function bearer(user: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { authorization: `Bearer ${user}`, ...extra };
}

function patch(path: string, user: string, body: object): Parameters<typeof send>[1] {
  return { method: 'PATCH', path, headers: bearer(user, { 'content-type': 'application/json' }), body: JSON.stringify(body) };
}

/** The problem body without its per-request correlation id. */
function withoutCorrelation(reply: Reply): Record<string, unknown> {
  const { correlationId: _id, ...rest } = json(reply);
  return rest;
}

function expectProblem(reply: Reply, status: number): void {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(reply.text).not.toMatch(DECISION_DETAILS);
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
}

describe.each(ADAPTERS)('authorize() through %s', (adapter) => {
  let app: AuthzApp;

  beforeAll(async () => {
    app = await startAuthzApp(adapter);
  });

  afterAll(async () => {
    await app.close();
  });

  /** The events of the requests sent by `act`, and the handler runs they caused. */
  async function observe(act: () => Promise<Reply>): Promise<{ reply: Reply; events: SecurityEvent[]; handled: number }> {
    const before = app.events.length;
    const handledBefore = app.store.handled;
    const reply = await act();
    return { reply, events: app.events.slice(before), handled: app.store.handled - handledBefore };
  }

  it('attack (API1, BOLA): a member reading another member’s document by id gets the 404 of a missing id', async () => {
    const { reply, events, handled } = await observe(() => send(app.port, { path: '/documents/doc-bob', headers: bearer('alice') }));
    expectProblem(reply, 404);
    expect(handled).toBe(0);
    const missing = await send(app.port, { path: '/documents/no-such-doc', headers: bearer('alice') });
    expect(missing.status).toBe(404);
    expect(withoutCorrelation(reply)).toEqual(withoutCorrelation(missing));
    expect(reply.text).not.toContain('bob plans');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'authz.denied',
      subject: 'alice',
      attributes: { allowed: false, reason: 'no_rule_matched', action: 'read', kind: 'document', resourceId: 'doc-bob', status: 404, policyVersion: POLICY_VERSION },
    });
    // The event joins the response through the correlation id.
    expect(events[0]?.attributes?.correlationId).toBe(json(reply).correlationId);
  });

  it('attack (API1, BOLA): a member overwriting another member’s document is refused and nothing changes', async () => {
    const { reply, handled } = await observe(() => send(app.port, patch('/documents/doc-bob', 'alice', { title: 'pwned' })));
    expectProblem(reply, 404);
    expect(handled).toBe(0);
    expect(app.store.documents.get('doc-bob')?.title).toBe('bob plans');
  });

  it('attack (API5, BFLA): an editor calling the admin-only purge gets 403 and the document survives', async () => {
    const { reply, events, handled } = await observe(() => send(app.port, { method: 'POST', path: '/documents/doc-bob/purge', headers: bearer('erin') }));
    expectProblem(reply, 403);
    expect(json(reply)).toMatchObject({ status: 403, code: 'authz.denied', type: 'https://rampart.dev/problems/authz-denied' });
    expect(handled).toBe(0);
    expect(app.store.documents.has('doc-bob')).toBe(true);
    expect(events[0]).toMatchObject({ type: 'authz.denied', subject: 'erin', attributes: { reason: 'no_rule_matched', action: 'purge', status: 403 } });
  });

  it('attack (API5): a member purging their own document is refused too (ownership grants read and update only)', async () => {
    const reply = await send(app.port, { method: 'POST', path: '/documents/doc-alice/purge', headers: bearer('alice') });
    expectProblem(reply, 403);
    expect(app.store.documents.has('doc-alice')).toBe(true);
  });

  it('attack: a cross-tenant id (an admin of another tenant) is refused as not found', async () => {
    for (const request of [
      { path: '/documents/doc-alice', headers: bearer('mallory') },
      { method: 'POST', path: '/documents/doc-alice/purge', headers: bearer('mallory') },
    ]) {
      const { reply, events, handled } = await observe(() => send(app.port, request));
      expectProblem(reply, 404);
      expect(handled).toBe(0);
      expect(events[0]).toMatchObject({ type: 'authz.denied', subject: 'mallory', attributes: { reason: 'no_role_in_tenant', status: 404 } });
    }
    expect(app.store.documents.has('doc-alice')).toBe(true);
  });

  it('attack (API3, field level): a member writing `role` in their own profile gets 403; `name` alone passes', async () => {
    const { reply, events, handled } = await observe(() => send(app.port, patch('/profiles/alice', 'alice', { name: 'A', role: 'admin' })));
    expectProblem(reply, 403);
    expect(handled).toBe(0);
    expect(app.store.profiles.get('alice')).toMatchObject({ name: 'Alice', role: 'member' });
    expect(events[0]).toMatchObject({ type: 'authz.denied', attributes: { reason: 'field_not_allowed', field: 'role', status: 403 } });

    const renamed = await send(app.port, patch('/profiles/alice', 'alice', { name: 'Alice B.' }));
    expect(renamed.status).toBe(200);
    expect(json(renamed)).toMatchObject({ name: 'Alice B.', role: 'member', rule: 'resources/profile/self-renames' });

    const other = await send(app.port, patch('/profiles/bob', 'alice', { name: 'x' }));
    expectProblem(other, 404);
    expect(app.store.profiles.get('bob')?.name).toBe('Bob');
  });

  it('attack: a token whose scopes do not cover the action is refused even for the owner', async () => {
    const { reply, events } = await observe(() => send(app.port, { path: '/documents/doc-alice', headers: bearer('alice', { 'x-scopes': 'profile:read' }) }));
    expectProblem(reply, 404);
    expect(events[0]).toMatchObject({ attributes: { reason: 'scope_not_granted' } });
  });

  it('the owner reads and edits their document; the handler gets the decision', async () => {
    const { reply, events, handled } = await observe(() => send(app.port, { path: '/documents/doc-alice', headers: bearer('alice') }));
    expect(reply.status).toBe(200);
    expect(handled).toBe(1);
    expect(json(reply)).toEqual({ title: 'alice plans', rule: 'resources/document/owner-reads-and-edits', policyVersion: POLICY_VERSION });
    expect(events[0]).toMatchObject({ type: 'authz.allowed', subject: 'alice', attributes: { allowed: true, reason: 'rule_allowed', action: 'read' } });
    const edited = await send(app.port, patch('/documents/doc-alice', 'alice', { title: 'alice plans v2' }));
    expect(edited.status).toBe(200);
    expect(app.store.documents.get('doc-alice')?.title).toBe('alice plans v2');
  });

  it('an editor edits any document of the tenant; an admin purges', async () => {
    const edited = await send(app.port, patch('/documents/doc-bob', 'erin', { title: 'reviewed' }));
    expect(edited.status).toBe(200);
    expect(json(edited)).toMatchObject({ title: 'reviewed', rule: 'roles/editor/document:update' });
    const purged = await send(app.port, { method: 'POST', path: '/documents/doc-bob/purge', headers: bearer('root') });
    expect(purged.status).toBe(200);
    expect(app.store.documents.has('doc-bob')).toBe(false);
  });

  it('no principal: 401 with a challenge, the handler never runs', async () => {
    const { reply, events, handled } = await observe(() => send(app.port, { path: '/documents/doc-alice', headers: { authorization: 'Bearer nobody' } }));
    expectProblem(reply, 401);
    expect(reply.headers['www-authenticate']).toBe('Bearer');
    expect(handled).toBe(0);
    expect(events[0]).toMatchObject({ type: 'authz.denied', attributes: { reason: 'unauthenticated', status: 401 } });
  });

  it('fail closed: a loader that throws gives a 500 problem without its message, and no handler', async () => {
    const { reply, events, handled } = await observe(() => send(app.port, { path: '/broken/doc-alice', headers: bearer('root') }));
    expectProblem(reply, 500);
    expect(reply.text).not.toContain(LOADER_SECRET);
    expect(reply.text).not.toMatch(/SELECT|10\.0\.0\.7|stack/);
    expect(handled).toBe(0);
    expect(events[0]).toMatchObject({ type: 'authz.failed', attributes: { stage: 'load_resource', error: 'Error' } });
  });

  it('revealExistence (a named loosening) answers a hidden document with 403 instead of 404', async () => {
    const reply = await send(app.port, { path: '/revealed/doc-alice', headers: bearer('bob') });
    expectProblem(reply, 403);
  });
});

const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe.each(ADAPTERS)('the %s README authorization example', (adapter) => {
  it('runs, refuses another user’s document with 404 and lets the owner in', async () => {
    const packageDir = join(packagesDir, adapter);
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const code = /## Authorization example\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (code === undefined) throw new Error('no ```ts block under ## Authorization example');
    expect(code.trimEnd().split('\n').length).toBeLessThan(40);
    const dir = mkdtempSync(join(packageDir, '.readme-authz-'));
    try {
      writeFileSync(join(dir, 'example.ts'), code);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(dir, 'example.ts')], {
        cwd: packageDir,
        timeout: 30_000,
      });
      expect(stdout.trim()).toBe('404 200');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
