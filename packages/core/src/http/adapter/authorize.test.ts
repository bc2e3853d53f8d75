import { describe, expect, it } from 'vitest';
import { Authorizer } from '../../authz/engine/authorizer.js';
import { compilePolicies } from '../../authz/policy/compile.js';
import type { Principal, Resource } from '../../authz/model.js';
import { ConfigurationError } from '../../errors.js';
import type { SecurityEvent } from '../../events.js';
import { createChain } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { AUTHZ_DECISION, AUTHZ_PRINCIPAL, AUTHZ_RESOURCE, routeAuthorization } from './authorize.js';
import { RampartState } from './state.js';

const POLICY = `
apiVersion: rampart.authz/v1
name: notes
version: "7"
roles:
  member: {}
derivedRoles:
  owner:
    parentRoles: [member]
    condition: resource.owner == principal.id
resources:
  note:
    actions: [read, archive]
    rules:
      - name: owner-reads
        effect: allow
        roles: [owner]
        actions: [read]
      - name: archive-when-flagged
        effect: allow
        roles: [member]
        actions: [archive]
        condition: resource.attributes.flagged == true
`;

const authz = new Authorizer(compilePolicies([{ source: 'notes.yaml', text: POLICY }]));
const alice: Principal = { id: 'alice', roles: ['member'] };
const note = (owner: string, attributes?: Resource['attributes']): Resource => ({ kind: 'note', id: 'n1', owner, ...(attributes ? { attributes } : {}) });

function stateFor(principal: Principal | undefined, events: SecurityEvent[]): RampartState {
  const outcome = createChain({
    guards: [
      (_request, context) => {
        if (principal !== undefined) context.set(AUTHZ_PRINCIPAL, principal);
        return { action: 'continue' };
      },
    ],
    events: (event) => events.push(event),
  }).run({ method: 'GET', target: '/notes/n1', header: nodeHeaderReader({}), peerAddress: '127.0.0.1', tls: false });
  if (outcome instanceof Promise) throw new Error('expected a synchronous chain');
  return new RampartState<unknown>(outcome, undefined, () => undefined);
}

describe('routeAuthorization', () => {
  it('refuses unsafe configuration when the route is declared', () => {
    expect(() => routeAuthorization(authz, '', () => undefined)).toThrow(ConfigurationError);
    expect(() => routeAuthorization(42 as unknown as Authorizer, 'read', () => undefined)).toThrow(ConfigurationError);
    expect(() => routeAuthorization(authz, 'read', 'load' as unknown as () => undefined)).toThrow(ConfigurationError);
    expect(() => routeAuthorization(authz, 'read', () => undefined, { visibleWith: '' })).toThrow(ConfigurationError);
  });

  it('allows the owner and hands the decision and resource to the handler', async () => {
    const events: SecurityEvent[] = [];
    const state = stateFor(alice, events);
    const resource = note('alice');
    const outcome = await routeAuthorization(authz, 'read', () => Promise.resolve(resource)).run(undefined, state);
    expect(outcome.allowed).toBe(true);
    expect(state.get(AUTHZ_DECISION)?.rule).toBe('resources/note/owner-reads');
    expect(state.get(AUTHZ_RESOURCE)).toBe(resource);
    expect(events[0]).toMatchObject({ type: 'authz.allowed', subject: 'alice', attributes: { reason: 'rule_allowed', action: 'read', kind: 'note' } });
  });

  it('attack: another user’s object is a 404 identical to a missing one; a visible one refused is a 403', async () => {
    const events: SecurityEvent[] = [];
    const hidden = await routeAuthorization(authz, 'archive', () => note('bob')).run(undefined, stateFor(alice, events));
    const missing = await routeAuthorization(authz, 'archive', () => null).run(undefined, stateFor(alice, events));
    const visible = await routeAuthorization(authz, 'archive', () => note('alice')).run(undefined, stateFor(alice, events));
    expect(hidden.allowed || hidden.problem).toBe(missing.allowed || missing.problem);
    expect(visible.allowed ? 0 : visible.problem.status).toBe(403);
    expect(events.map((event) => [event.type, event.attributes?.status])).toEqual([
      ['authz.denied', 404],
      ['authz.denied', 403],
    ]);
  });

  it('attack: a condition that cannot be evaluated denies (fail closed) and the event says why', async () => {
    const events: SecurityEvent[] = [];
    const outcome = await routeAuthorization(authz, 'archive', () => note('alice', { other: 1 })).run(undefined, stateFor(alice, events));
    expect(outcome.allowed).toBe(false);
    expect(events[0]?.attributes).toMatchObject({ reason: 'condition_error', status: 403, errorCode: expect.stringMatching(/^AUTHZ_/) as unknown });
  });

  it('fails closed: no chain state, a throwing authorizer factory, or no principal', async () => {
    const noState = await routeAuthorization(authz, 'read', () => note('alice')).run(undefined, undefined);
    expect(noState.allowed ? 0 : noState.problem.status).toBe(500);

    const events: SecurityEvent[] = [];
    const broken = routeAuthorization(() => {
      throw new Error('policy store down');
    }, 'read', () => note('alice'));
    const failed = await broken.run(undefined, stateFor(alice, events));
    expect(failed.allowed ? 0 : failed.problem.status).toBe(500);
    expect(JSON.stringify(failed)).not.toContain('policy store');
    expect(events[0]).toMatchObject({ type: 'authz.failed', attributes: { stage: 'check', error: 'Error' } });

    const anonymous = await routeAuthorization(authz, 'read', () => note('alice')).run(undefined, stateFor(undefined, []));
    expect(anonymous.allowed ? undefined : anonymous.problem.headers).toEqual({ 'www-authenticate': 'Bearer' });
  });
});
