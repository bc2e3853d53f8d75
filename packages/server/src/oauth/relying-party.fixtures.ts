/*
 * A relying party for the browser tests: a small web application on its own loopback origin whose OAuth/OIDC is
 * `openid-client` — a library nobody here wrote — exactly as an application would use it. Chromium visits `/start`,
 * the RP sends it to the authorization server with PKCE, `state` and `nonce` (or through PAR), and `/cb` redeems the
 * code and validates the ID token. `/logout` starts RP-initiated logout, `/bye` is where it comes back.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import * as client from 'openid-client';

/** One authorization the RP completed (or saw refused) at `/cb`. */
export interface RelyingPartyResult {
  readonly tokens?: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  /** The error `/cb` met: an OAuth error the server sent, or the library's refusal. */
  readonly error?: string;
}

/** What the RP keeps between `/start` and `/cb`, by `state`. */
interface Pending {
  readonly verifier: string;
  readonly nonce: string;
  readonly maxAge?: number;
}

function page(response: ServerResponse, status: number, title: string, body: string): void {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`);
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A relying party web application on `http://127.0.0.1:<port>`. */
export class RelyingPartyApp {
  readonly #server: Server;
  readonly #pending = new Map<string, Pending>();
  #config: client.Configuration | undefined;
  /** Every result of `/cb`, in order. */
  readonly results: RelyingPartyResult[] = [];
  origin = '';

  private constructor() {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        page(response, 500, 'RP failure', escape(String(error)));
      });
    });
  }

  /** Starts the application on a free loopback port (its origin is known before the client is registered). */
  static async start(): Promise<RelyingPartyApp> {
    const app = new RelyingPartyApp();
    await new Promise<void>((resolve) => app.#server.listen(0, '127.0.0.1', resolve));
    const address = app.#server.address();
    app.origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    return app;
  }

  get redirectUri(): string {
    return `${this.origin}/cb`;
  }

  get postLogoutRedirectUri(): string {
    return `${this.origin}/bye`;
  }

  /** The openid-client configuration of the registered client (discovered from the server). */
  use(config: client.Configuration): void {
    this.#config = config;
  }

  /** The tokens of the last completed authorization. */
  lastTokens(): Awaited<ReturnType<typeof client.authorizationCodeGrant>> {
    const last = this.results.at(-1);
    if (last?.tokens === undefined) throw new Error(`the last authorization did not complete: ${last?.error ?? 'none yet'}`);
    return last.tokens;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => { resolve(); });
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const config = this.#config;
    if (config === undefined) throw new Error('no client configured');
    const url = new URL(request.url ?? '/', this.origin);
    if (url.pathname === '/start') {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const maxAge = url.searchParams.get('max_age');
      const parameters: Record<string, string> = {
        redirect_uri: this.redirectUri,
        scope: url.searchParams.get('scope') ?? 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      };
      for (const name of ['prompt', 'max_age']) {
        const value = url.searchParams.get(name);
        if (value !== null) parameters[name] = value;
      }
      this.#pending.set(state, { verifier, nonce, ...(maxAge === null ? {} : { maxAge: Number(maxAge) }) });
      const target = url.searchParams.get('par') === '1' ? await client.buildAuthorizationUrlWithPAR(config, parameters) : client.buildAuthorizationUrl(config, parameters);
      response.writeHead(302, { location: target.href });
      response.end();
      return;
    }
    if (url.pathname === '/cb') {
      const state = url.searchParams.get('state') ?? '';
      const pending = this.#pending.get(state);
      this.#pending.delete(state);
      if (pending === undefined) {
        this.results.push({ error: 'unknown state' });
        page(response, 400, 'Sign-in failed', 'unknown state');
        return;
      }
      try {
        const tokens = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: pending.verifier,
          expectedState: state,
          expectedNonce: pending.nonce,
          ...(pending.maxAge === undefined ? {} : { maxAge: pending.maxAge }),
        });
        this.results.push({ tokens });
        page(response, 200, 'Signed in', `<p id="sub">${escape(tokens.claims()?.sub ?? '')}</p>`);
      } catch (error) {
        const code = typeof (error as { error?: unknown }).error === 'string' ? (error as { error: string }).error : error instanceof Error ? error.message : 'failed';
        this.results.push({ error: code });
        page(response, 400, 'Sign-in failed', `<p id="error">${escape(code)}</p>`);
      }
      return;
    }
    if (url.pathname === '/logout') {
      const idToken = this.lastTokens().id_token ?? '';
      const target = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: this.postLogoutRedirectUri, state: 'bye-state' });
      response.writeHead(302, { location: target.href });
      response.end();
      return;
    }
    if (url.pathname === '/bye') {
      page(response, 200, 'Signed out of the RP', `<p id="state">${escape(url.searchParams.get('state') ?? '')}</p>`);
      return;
    }
    page(response, 404, 'Not found', '');
  }
}
