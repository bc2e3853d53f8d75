/*
 * HTML forms cannot send the token header and guards do not read bodies. With `verifyFormFieldAfterBodyParsing`, the
 * guard checks everything it can (Fetch Metadata, origin, the cookie bound to the session) and marks the request
 * pending; `verifyCsrfFormField` then compares the parsed `_csrf` field with the cookie before the handler runs.
 * Attacks: a form without the field, with another value, with the field twice, a form the guard never saw, a
 * cross-site form (refused before any body is read), and the default (no deferral) refusing header-less forms.
 */
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../crypto/keyring.js';
import type { SecurityEvent } from '../../events.js';
import { createChain, RequestContext, type ChainOutcome } from '../chain/chain.js';
import { nodeHeaderReader } from '../chain/request.js';
import { CSRF_TOKEN } from './context.js';
import { isCsrfPending, rotateCsrfToken, verifyCsrfFormField } from './form.js';
import { csrf } from './guard.js';

const ORIGIN = 'https://app.example';
const SID = 'victim-session-id';

function setup(defer = true) {
  const guard = csrf({ ring: KeyRing.generate(), allowedOrigins: [ORIGIN], verifyFormFieldAfterBodyParsing: defer });
  const events: SecurityEvent[] = [];
  const chain = createChain({ guards: [guard], events: (event) => events.push(event) });
  const send = (method: string, headers: Record<string, string>): ChainOutcome => {
    const outcome = chain.run({ method, target: '/profile', header: nodeHeaderReader(headers), peerAddress: '198.51.100.2', tls: true });
    if (outcome instanceof Promise) throw new Error('unexpected async');
    return outcome;
  };
  const { token } = guard.issueToken(SID);
  const form = (contentType = 'application/x-www-form-urlencoded'): Record<string, string> => ({
    cookie: `__Host-sid=${SID}; __Host-csrf=${token}`,
    origin: ORIGIN,
    'sec-fetch-site': 'same-origin',
    'content-type': contentType,
  });
  return { guard, events, send, token, form };
}

describe('csrf form field flow', () => {
  it('a same-origin form POST is pending after the guard and verified by the field', () => {
    const { send, token, form } = setup();
    const outcome = send('POST', form());
    expect(outcome.verdict.action).toBe('continue');
    expect(isCsrfPending(outcome.context)).toBe(true);
    expect(verifyCsrfFormField(outcome.context, { _csrf: token, name: 'Ada' })).toEqual({ action: 'continue' });
    expect(isCsrfPending(outcome.context)).toBe(false);
  });

  it('works with URLSearchParams and FormData and multipart bodies', () => {
    const { send, token, form } = setup();
    const a = send('POST', form());
    expect(verifyCsrfFormField(a.context, new URLSearchParams({ _csrf: token })).action).toBe('continue');
    const b = send('POST', form('multipart/form-data; boundary=x'));
    const data = new FormData();
    data.set('_csrf', token);
    expect(verifyCsrfFormField(b.context, data).action).toBe('continue');
  });

  it('attack: form without the field, with another value, or with the field twice → 403', () => {
    const { send, form, guard, events } = setup();
    const cases: [unknown, string][] = [
      [{ name: 'x' }, 'csrf.form_token_missing'],
      [{ _csrf: guard.issueToken(SID).token }, 'csrf.token_mismatch'],
      [{ _csrf: [guard.issueToken(SID).token, guard.issueToken(SID).token] }, 'csrf.form_token_missing'],
      [new URLSearchParams('_csrf=a&_csrf=b'), 'csrf.form_token_missing'],
      [{ _csrf: 42 }, 'csrf.form_token_missing'],
      [Object.create({ _csrf: 'inherited' }) as object, 'csrf.form_token_missing'],
      [undefined, 'csrf.form_token_missing'],
      ['_csrf=x', 'csrf.form_token_missing'],
    ];
    for (const [body, code] of cases) {
      const outcome = send('POST', form());
      const verdict = verifyCsrfFormField(outcome.context, body);
      expect(verdict.action).toBe('deny');
      if (verdict.action === 'deny') expect(verdict.problem.code).toBe(code);
      expect(isCsrfPending(outcome.context)).toBe(true);
    }
    expect(events.filter((event) => event.type === 'http.csrf.refused')).toHaveLength(cases.length);
  });

  it('attack: a cross-site form is refused by the guard itself, before any body is read', () => {
    const { send, form } = setup();
    const outcome = send('POST', { ...form(), origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(outcome.verdict.action).toBe('deny');
  });

  it('attack: a form whose cookie is missing or bound to another session is refused by the guard', () => {
    const { send, form, guard } = setup();
    const foreign = guard.issueToken('attacker').token;
    const noCookie = send('POST', { ...form(), cookie: `__Host-sid=${SID}` });
    const otherSession = send('POST', { ...form(), cookie: `__Host-sid=${SID}; __Host-csrf=${foreign}` });
    expect(noCookie.verdict).toMatchObject({ action: 'deny', problem: { code: 'csrf.cookie_missing' } });
    expect(otherSession.verdict).toMatchObject({ action: 'deny', problem: { code: 'csrf.token_invalid' } });
  });

  it('attack: a JSON or text/plain body is never deferred: no header, 403', () => {
    const { send, form } = setup();
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencodedX']) {
      expect(send('POST', form(type)).verdict).toMatchObject({ action: 'deny', problem: { code: 'csrf.token_missing' } });
    }
  });

  it('by default (no deferral) a form without the header is refused by the guard', () => {
    const { send, form } = setup(false);
    expect(send('POST', form()).verdict).toMatchObject({ action: 'deny', problem: { code: 'csrf.token_missing' } });
  });

  it('attack: verifying a context the guard never ran on fails closed', () => {
    const context = new RequestContext(undefined, () => undefined);
    expect(verifyCsrfFormField(context, { _csrf: 'x' })).toMatchObject({ action: 'deny', problem: { code: 'csrf.not_checked' } });
  });

  it('requests that were not pending pass verifyCsrfFormField untouched', () => {
    const { send, token, form } = setup();
    const withHeader = send('POST', { ...form(), 'x-csrf-token': token });
    expect(isCsrfPending(withHeader.context)).toBe(false);
    expect(verifyCsrfFormField(withHeader.context, {}).action).toBe('continue');
    expect(verifyCsrfFormField(send('GET', {}).context, {}).action).toBe('continue');
  });
});

describe('rotateCsrfToken', () => {
  it('at login: the new token binds to the new session id, the pre-login token stops verifying', () => {
    const { guard, send } = setup();
    const page = send('GET', {});
    const anonymous = page.context.get(CSRF_TOKEN) ?? '';
    const login = send('POST', { cookie: `__Host-csrf=${anonymous}`, 'x-csrf-token': anonymous, origin: ORIGIN });
    expect(login.verdict.action).toBe('continue');
    const fresh = rotateCsrfToken(login.context, 'new-session-id');
    expect(fresh).not.toBe(anonymous);
    expect(login.context.get(CSRF_TOKEN)).toBe(fresh);
    expect(login.headers.cookies.at(-1)).toMatch(new RegExp(`^__Host-csrf=${fresh}; `));
    expect(guard.verifyToken(fresh, 'new-session-id')).toBe(true);
    expect(guard.verifyToken(anonymous, 'new-session-id')).toBe(false);
  });

  it('throws when the csrf guard did not run on the context', () => {
    expect(() => rotateCsrfToken(new RequestContext(undefined, () => undefined), 'sid')).toThrow(/csrf guard/);
  });
});
