/*
 * What a browser does for a same-origin page, without a browser: keeps cookies (honouring Max-Age=0 deletions),
 * sends `Origin` and `Sec-Fetch-Site: same-origin`, and echoes the CSRF token it was given in `x-csrf-token` on unsafe
 * requests. Attack tests take its cookies and replay them without the rest, the way a forged cross-site request would.
 */
import type { LoginFacts } from '../auth/contracts.js';
import { SESSION_COOKIE, sessionDataOf } from '../auth/session-cookie.js';
import type { TestServer } from './server.fixtures.js';

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (`undefined` for an empty body). */
  readonly body: unknown;
  /** The body as text. */
  readonly text: string;
}

export interface RequestOptions {
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as `application/x-www-form-urlencoded`. */
  readonly form?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Skip the automatic `x-csrf-token` (to show what the guard does without it). */
  readonly withoutCsrfToken?: boolean;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A same-origin browser with a cookie jar. */
export class BrowserClient {
  readonly #base: string;
  readonly #jar = new Map<string, string>();
  #csrfToken: string | undefined;

  constructor(base: string) {
    this.#base = base;
  }

  /** The `Cookie` header this browser would send now. */
  cookieHeader(): string {
    return [...this.#jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  cookie(name: string): string | undefined {
    return this.#jar.get(name);
  }

  setCookie(name: string, value: string): void {
    this.#jar.set(name, value);
  }

  /** The session cookie's value (the session id), if any. */
  get sessionId(): string | undefined {
    return this.#jar.get(SESSION_COOKIE);
  }

  /** The CSRF token the page holds (fetched from `GET /v1/csrf` when needed). */
  async csrfToken(): Promise<string> {
    if (this.#csrfToken === undefined) {
      const response = await this.request('GET', '/v1/csrf');
      const token = (response.body as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string') throw new Error(`no CSRF token: ${response.status} ${response.text}`);
      this.#csrfToken = token;
    }
    return this.#csrfToken;
  }

  /** Forgets the page's CSRF token (a new page load after login or logout). */
  forgetCsrfToken(): void {
    this.#csrfToken = undefined;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<JsonResponse> {
    const headers: Record<string, string> = { origin: new URL(this.#base).origin, 'sec-fetch-site': 'same-origin', ...options.headers };
    if (this.#jar.size > 0) headers.cookie = this.cookieHeader();
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    if (!SAFE.has(method) && options.withoutCsrfToken !== true && headers['x-csrf-token'] === undefined) {
      headers['x-csrf-token'] = await this.csrfToken();
      if (this.#jar.size > 0) headers.cookie = this.cookieHeader();
    }
    const response = await fetch(this.#base + path, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
    this.#absorb(response.headers.getSetCookie());
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  #absorb(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const deleted = value === '' || attributes.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (deleted) this.#jar.delete(name);
      else this.#jar.set(name, value);
      // A new session or a rotated CSRF cookie means the page's token changes too.
      if (name === SESSION_COOKIE || name.endsWith('csrf')) this.#csrfToken = undefined;
    }
  }
}

/** A program calling the API (curl, a mobile app): no cookies, no `Origin`, no Fetch Metadata. */
export async function apiRequest(base: string, method: string, path: string, options: { json?: unknown; headers?: Readonly<Record<string, string>>; rawBody?: string } = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.rawBody;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/**
 * A browser holding a session for `userId` made directly through the server's session manager (the same store and
 * cookie a login would give), for tests of routes that need a signed-in user. `facts` defaults to a password login that
 * just completed every factor.
 */
export async function browserSignedInAs(t: TestServer, userId: string, facts: Partial<Omit<LoginFacts, 'userId'>> = {}): Promise<BrowserClient> {
  const now = t.clock.now();
  const issued = await t.server.sessions.login(undefined, userId, {
    data: sessionDataOf({ userId, amr: facts.amr ?? ['pwd'], authTime: facts.authTime ?? now, fullyAuthenticatedAt: facts.fullyAuthenticatedAt ?? now }),
  });
  if (!issued.ok) throw new Error(`session refused: ${issued.reason}`);
  const browser = new BrowserClient(t.url);
  browser.setCookie(SESSION_COOKIE, issued.value.id);
  return browser;
}
