import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The credentials the authenticated scans send: every kind the server accepts. */
export interface ScanIdentity {
  readonly email: string;
  readonly password: string;
  readonly userId: string;
  /** `Cookie` header value: the session and CSRF cookies of a signed-in browser. */
  readonly cookie: string;
  /** The CSRF token bound to that session (`x-csrf-token`). */
  readonly csrfToken: string;
  /** A fully authenticated access token (login within the last minute, so step-up-gated routes pass). */
  readonly accessToken: string;
  /** An API key with `authz:check` (the decision API's credential). */
  readonly apiKey: string;
  /** The id of another key, for `DELETE /v1/api-keys/:id` (revoking it again answers 204 again: a stable page). */
  readonly revocableApiKeyId: string;
}

export const SCAN_PASSWORD = 'violet kettle marching under cobalt rain';

async function json(response: Response, expected: number, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  if (response.status !== expected) throw new Error(`${what}: ${response.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

function field(body: Record<string, unknown>, name: string, what: string): string {
  const value = body[name];
  if (typeof value !== 'string') throw new Error(`${what}: no ${name} in the answer`);
  return value;
}

/** The verification token of the last mail to `email` in the development mailbox (`<dataDir>/mailbox.jsonl`). */
function mailedToken(dataDir: string, email: string): string {
  const lines = readFileSync(join(dataDir, 'mailbox.jsonl'), 'utf8').trim().split('\n');
  for (const line of lines.reverse()) {
    const mail = JSON.parse(line) as { to?: unknown; text?: unknown };
    if (mail.to !== email || typeof mail.text !== 'string') continue;
    const token = /#token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    if (token !== undefined) return token;
  }
  throw new Error(`no verification mail for ${email}`);
}

function setCookies(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .filter((pair) => pair !== '')
    .join('; ');
}

async function login(origin: string, email: string, delivery: 'session' | 'tokens'): Promise<Response> {
  return fetch(`${origin}/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: SCAN_PASSWORD, delivery }),
  });
}

/**
 * Makes the administrator the admin routes need. The server has no bootstrap command for the first administrator
 * yet, so the scan writes the global `admin` binding into its own throwaway database, the row `grantAdmin` writes.
 */
function grantAdmin(dataDir: string, userId: string): void {
  const db = new Database(join(dataDir, 'rampart.db'));
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('INSERT INTO rampart_role_bindings (user_id, tenant, role, created_at, created_by) VALUES (?, ?, ?, ?, NULL)').run(userId, '*', 'admin', Date.now());
  } finally {
    db.close();
  }
}

/**
 * Creates a verified administrator through the API (registration, the link from the development mailbox, login) and
 * every credential the authenticated scans need, so that sqlmap reaches the code behind each route's authentication
 * instead of testing the 401 in front of it.
 */
export async function createScanIdentity(origin: string, dataDir: string): Promise<ScanIdentity> {
  const email = 'scanner@example.com';
  await json(
    await fetch(`${origin}/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: SCAN_PASSWORD }) }),
    202,
    'register',
  );
  // The mail leaves through the outbox after the response.
  let token: string | undefined;
  for (let i = 0; i < 50 && token === undefined; i++) {
    try {
      token = mailedToken(dataDir, email);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  if (token === undefined) throw new Error('the verification mail did not arrive');
  await json(
    await fetch(`${origin}/v1/accounts/verify-email`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }),
    200,
    'verify',
  );

  const browser = await login(origin, email, 'session');
  await json(browser, 200, 'login (session)');
  const cookie = setCookies(browser);
  const csrfToken = field(await json(await fetch(`${origin}/v1/csrf`, { headers: { cookie } }), 200, 'csrf'), 'token', 'csrf');
  const identity = await json(await fetch(`${origin}/v1/identity`, { headers: { cookie } }), 200, 'identity');
  const userId = field(identity, 'userId', 'identity');

  grantAdmin(dataDir, userId);
  const tokens = await json(await login(origin, email, 'tokens'), 200, 'login (tokens)');
  const accessToken = field(tokens, 'access_token', 'login (tokens)');
  const createKey = async (name: string) =>
    json(
      await fetch(`${origin}/v1/api-keys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
        body: JSON.stringify({ name, scopes: ['authz:check', 'authz:check:batch'] }),
      }),
      201,
      'api key',
    );
  const key = await createKey('scan');
  const revocable = await createKey('scan-revocable');
  return {
    email,
    password: SCAN_PASSWORD,
    userId,
    cookie,
    csrfToken,
    accessToken,
    apiKey: field(key, 'key', 'api key'),
    revocableApiKeyId: field(revocable, 'id', 'api key'),
  };
}
