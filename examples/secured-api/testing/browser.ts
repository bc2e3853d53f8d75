/**
 * A minimal browser for the attack tests: keeps cookies, sends the page's `Origin`, and echoes the CSRF token the
 * shop gave it in `x-csrf-token`, as the shop's own front end does. Attacks are then one header or body away.
 */

export interface BrowserRequest {
  readonly json?: unknown;
  /** A raw body (sent as is, with `contentType`). */
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Leave out the CSRF token header, as a cross-site form would. */
  readonly withoutCsrfToken?: boolean;
}

export class Browser {
  readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    readonly origin: string,
  ) {}

  /** Loads the CSRF token (and its cookie), as the front end does on start. */
  async open(): Promise<this> {
    const response = await this.request('GET', '/csrf');
    this.csrfToken = ((await response.json()) as { token?: string }).token;
    return this;
  }

  /** Logs in and keeps the session cookie and the CSRF token rebound to it. */
  async login(username: string, password: string): Promise<Response> {
    const response = await this.request('POST', '/login', { json: { username, password } });
    if (response.ok) this.csrfToken = ((await response.clone().json()) as { csrfToken?: string }).csrfToken;
    return response;
  }

  async request(method: string, path: string, options: BrowserRequest = {}): Promise<Response> {
    const headers: Record<string, string> = { origin: this.origin, ...options.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (method !== 'GET' && this.csrfToken !== undefined && options.withoutCsrfToken !== true) headers['x-csrf-token'] = this.csrfToken;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      body = options.body;
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      if (/;\s*Max-Age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(at + 1));
    }
    return response;
  }
}
