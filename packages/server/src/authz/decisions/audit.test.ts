import { ManualClock, type SecurityEvent } from '@rampart/core';
import { Authorizer, compilePolicies } from '@rampart/core/authz';
import { describe, expect, it } from 'vitest';
import { eventEmitter } from '../events.js';
import { ALLOW_SUMMARY_WINDOW_MS, DecisionAudit, MAX_DENIAL_EVENTS_PER_REQUEST, type DecisionFact } from './audit.js';

const authorizer = new Authorizer(
  compilePolicies([{ source: 'p.yaml', text: 'apiVersion: rampart.authz/v1\nname: p\nversion: "1"\nroles: { viewer: { permissions: ["doc:read"] } }\nresources:\n  doc: { actions: [read, write] }\n' }]),
);
const allow = authorizer.check({ id: 'u', roles: ['viewer'] }, 'read', { kind: 'doc' });
const deny = authorizer.check({ id: 'u', roles: ['viewer'] }, 'write', { kind: 'doc' });
const fact = (decision: typeof allow, n = 0): DecisionFact => ({ principalId: `u${n}`, action: decision.allowed ? 'read' : 'write', resourceKind: 'doc', resourceId: `d${n}`, tenant: undefined, decision });
const caller = { apiKeyId: 'key1', userId: 'owner', correlationId: 'c1' };

describe('decision events', () => {
  it('reports every denial up to the per-request bound, then one summary with the count', () => {
    const clock = new ManualClock(0);
    const events: SecurityEvent[] = [];
    const audit = new DecisionAudit(eventEmitter((e) => events.push(e), clock), clock);
    audit.record(caller, Array.from({ length: MAX_DENIAL_EVENTS_PER_REQUEST + 25 }, (_, n) => fact(deny, n)));
    const denied = events.filter((e) => e.type === 'authz.denied');
    expect(denied).toHaveLength(MAX_DENIAL_EVENTS_PER_REQUEST + 1);
    expect(denied[0]).toMatchObject({ subject: 'u0', attributes: { allowed: false, reason: 'no_rule_matched', action: 'write', resourceId: 'd0', apiKeyId: 'key1', callerId: 'owner' } });
    expect(denied.at(-1)?.attributes).toMatchObject({ summarized: true, count: 25 });
  });

  it('attack: a flood of allowed checks becomes one summary event per key and window, not one per decision', () => {
    const clock = new ManualClock(0);
    const events: SecurityEvent[] = [];
    const audit = new DecisionAudit(eventEmitter((e) => events.push(e), clock), clock);
    for (let n = 0; n < 1000; n++) audit.record(caller, [fact(allow, n)]);
    expect(events).toHaveLength(0);
    clock.advance(ALLOW_SUMMARY_WINDOW_MS);
    audit.record(caller, [fact(allow)]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'authz.allowed', subject: 'owner', attributes: { summarized: true, count: 1001, apiKeyId: 'key1' } });
    audit.record({ ...caller, apiKeyId: 'key2' }, [fact(allow)]);
    audit.flush();
    expect(events.at(-1)?.attributes).toMatchObject({ count: 1, apiKeyId: 'key2' });
  });
});
