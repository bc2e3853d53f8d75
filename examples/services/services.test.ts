/*
 * The zero-trust services example end to end on 127.0.0.1: a Rampart server terminating TLS, the orders service
 * requiring client certificates, billing calling it — real TLS handshakes, real tokens, real processes. Each attack of
 * the demonstration is checked for the exact refusal (status and the reason the orders service recorded), and for
 * leaving nothing behind: no order in the answer, no token in the events.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS_RESOURCE } from './orders.js';
import { demonstrate, startServices, type Outcome, type Services } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('zero-trust services (in process)', () => {
  let services: Services;
  let outcomes: Outcome[];
  const tokensSeen: string[] = [];
  const outcome = (start: string): Outcome => {
    const found = outcomes.find((candidate) => candidate.step.startsWith(start));
    if (found === undefined) throw new Error(`no step "${start}"`);
    return found;
  };

  beforeAll(async () => {
    services = await startServices();
    const lines: string[] = [];
    outcomes = await demonstrate(services, (line) => lines.push(line));
    expect(lines).toHaveLength(outcomes.length);
  });
  afterAll(async () => {
    await services.close();
  });

  it('billing reads an order of its tenant with a token bound to its certificate (cnf x5t#S256, aud = orders)', async () => {
    expect(outcome('billing reads order o-1001')).toMatchObject({ status: 200, body: { id: 'o-1001', tenant: 'acme', caller: 'billing', binding: 'mtls' } });
    const token = await services.billing.requestToken({ resource: ORDERS_RESOURCE, scope: 'orders:read' });
    tokensSeen.push(token);
    const thumbprint = createHash('sha256').update(new X509Certificate(services.certificates.billing.cert).raw).digest('base64url');
    expect(claimsOf(token)).toMatchObject({ iss: services.issuer, aud: ORDERS_RESOURCE, client_id: 'billing', sub: 'billing', scope: 'orders:read', cnf: { 'x5t#S256': thumbprint } });
    expect(services.rampartEvents.find((event) => event.type === 'oauth.token.issued' && event.attributes?.clientId === 'billing')?.attributes).toMatchObject({ grantType: 'client_credentials', binding: 'mtls' });
  });

  it('the DPoP variant: a token bound to billing\'s DPoP key is accepted with a fresh proof', () => {
    expect(outcome('billing reads order o-1002 with a DPoP-bound token')).toMatchObject({ status: 200, body: { id: 'o-1002', caller: 'billing-dpop', binding: 'dpop' } });
    expect(services.rampartEvents.find((event) => event.type === 'oauth.token.issued' && event.attributes?.clientId === 'billing-dpop')?.attributes).toMatchObject({ binding: 'dpop' });
  });

  it('attack: billing\'s token replayed from another workload\'s certificate is refused (RFC 8705 binding)', () => {
    expect(outcome("billing's token replayed from another workload")).toMatchObject({ status: 401, reason: 'mtls_certificate_mismatch', asExpected: true });
  });

  it('attack: a caller without a certificate from the workload CA never reaches HTTP', () => {
    expect(outcome("billing's token replayed by a caller without a client certificate")).toMatchObject({ error: 'TLS handshake refused: certificate required' });
  });

  it('attack: a token for another API (audience), a token without the route\'s scope, and an unbound bearer token are refused', () => {
    expect(outcome('a token billing obtained for the inventory API')).toMatchObject({ status: 401, reason: 'token_audience_mismatch' });
    expect(outcome('a token for orders without orders:read')).toMatchObject({ status: 403, reason: 'insufficient_scope' });
    expect(outcome('a plain bearer token')).toMatchObject({ status: 401, reason: 'sender_constraint_required' });
  });

  it('attack: an order of another tenant is denied by the authorizer, answered like a missing one (404)', () => {
    expect(outcome('billing reads order o-2001 of another tenant')).toMatchObject({ status: 404, reason: 'no_role_in_tenant' });
    expect(services.ordersEvents.find((event) => event.type === 'authz.denied')?.attributes).toMatchObject({ reason: 'no_role_in_tenant' });
  });

  it('attack: the captured DPoP request replayed, and the DPoP-bound token downgraded to Bearer, are refused', () => {
    expect(outcome('the DPoP request replayed')).toMatchObject({ status: 401, reason: 'dpop_replayed' });
    expect(outcome('the DPoP-bound token sent as a plain bearer token')).toMatchObject({ status: 401, reason: 'dpop_bound_token_as_bearer' });
  });

  it('attack: another workload\'s certificate cannot obtain billing\'s tokens (tls_client_auth checks the subject)', () => {
    expect(outcome('analytics asks the token endpoint for a token as billing')).toMatchObject({ error: 'invalid_client' });
    expect(services.rampartEvents.findLast((event) => event.type === 'oauth.client.authentication_failed')?.attributes).toMatchObject({ clientId: 'billing' });
  });

  it('every attack was refused, and no refused call returned an order', () => {
    const attacks = outcomes.filter((candidate) => candidate.expected === 'refused');
    expect(attacks.length).toBeGreaterThanOrEqual(9);
    for (const attack of attacks) {
      expect(attack.asExpected, attack.step).toBe(true);
      expect(attack.status, attack.step).not.toBe(200);
      expect(attack.body, attack.step).toBeUndefined();
    }
  });

  it('no event of either service carries a token or a DPoP proof', async () => {
    // The DPoP token is the one the replays used (billing reuses it until near expiry); the proof is a fresh one.
    expect((await services.billing.getOrderWithDpop('o-1001')).status).toBe(200);
    const captured = services.lastSentToOrders();
    const secrets = [...tokensSeen, captured?.get('authorization')?.split(' ')[1], captured?.get('dpop')].filter((value): value is string => typeof value === 'string' && value.length > 0);
    expect(secrets).toHaveLength(3);
    const logged = JSON.stringify([...services.ordersEvents, ...services.rampartEvents]);
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });
});

describe('zero-trust services (`npx tsx examples/services/run.ts`, a real process)', () => {
  it('runs to the end and reports every call as the design says', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'run.ts')], { cwd: join(here, '..', '..'), timeout: 90_000 });
    const steps = stdout.split('\n').filter((line) => /^[✓✗] /.test(line));
    expect(steps.length).toBeGreaterThanOrEqual(11);
    expect(steps.filter((line) => line.startsWith('✗'))).toEqual([]);
    expect(stdout).toContain('every call went as the design says');
  }, 120_000);
});
