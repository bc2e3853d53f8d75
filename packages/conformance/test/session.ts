import { expect } from 'vitest';
import { cookiePairs, json, send } from './client.js';
import { ALLOWED_ORIGIN, CSRF_COOKIE, SESSION_COOKIE } from './servers.js';

/** A browser session: its session cookie, and the CSRF token the application handed it. */
export interface Session {
  readonly token: string;
  /** The `Cookie` header the browser sends: session and CSRF cookies. */
  readonly cookie: string;
}

/** Logs in as `sid` the way a page load does: a GET that returns the CSRF token in the body and its cookie. */
export async function openSession(port: number, sid: string): Promise<Session> {
  const reply = await send(port, { path: '/me', headers: { cookie: `${SESSION_COOKIE}=${sid}` } });
  expect(reply.status).toBe(200);
  const token = json(reply).csrfToken;
  if (typeof token !== 'string') throw new Error('no CSRF token in the page');
  expect(cookiePairs(reply).get(CSRF_COOKIE)).toBe(token);
  return { token, cookie: `${SESSION_COOKIE}=${sid}; ${CSRF_COOKIE}=${token}` };
}

/** Headers of a same-origin request from the application's own page, token included. */
export function sameOrigin(session: Session, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    cookie: session.cookie,
    origin: ALLOWED_ORIGIN,
    'sec-fetch-site': 'same-origin',
    'x-csrf-token': session.token,
    ...extra,
  };
}
