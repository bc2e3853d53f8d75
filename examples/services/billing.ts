/**
 * The billing service: the client side of the zero-trust example. It holds one identity — its client certificate from
 * the workload CA — and uses it twice: to authenticate to the Rampart server's token endpoint (`tls_client_auth`, RFC
 * 8705 §2.1: no client secret exists to leak), which binds the access token to that certificate (`cnf.x5t#S256`), and
 * to connect to the orders service, which accepts the token only on a connection made with the same certificate.
 * openid-client does the OAuth work; the certificate rides on every connection through `mtlsFetch`.
 */
import * as client from 'openid-client';
import { mtlsFetch, type FetchInit, type MtlsFetch, type TlsIdentity } from './mtls-fetch.js';

/** What {@link createBilling} needs. */
export interface BillingOptions {
  /** The Rampart server's issuer identifier. */
  readonly issuer: string;
  /** Billing's OAuth client id (registered with `tls_client_auth` and certificate-bound tokens). */
  readonly clientId: string;
  /**
   * The client id billing uses for DPoP-bound tokens (registered with `tls_client_auth` and `dpopBoundAccessTokens`).
   * A token is bound one way or the other: oidc-provider refuses a DPoP proof from a client whose tokens are bound to
   * its certificate ("multiple proof-of-possession mechanisms"). DPoP is for the hop where the certificate does not
   * reach the service — a TLS-terminating egress proxy in between — since the binding travels in the request itself.
   */
  readonly dpopClientId?: string;
  /** Billing's certificate and key, and the workload CA (PEM). */
  readonly identity: Required<TlsIdentity>;
  /** The orders service, and its resource indicator (RFC 8707): the audience billing asks tokens for. */
  readonly ordersUrl: string;
  readonly ordersResource: string;
  /**
   * Sees every request billing sends, headers included: in the example, what an attacker who taps the traffic (a
   * compromised proxy, a debug log) would capture, to replay elsewhere.
   */
  readonly tap?: (url: string, headers: Headers) => void;
}

/** What the orders service answered. */
export interface CallResult {
  readonly status: number;
  readonly body: unknown;
  readonly challenge: string | null;
}

/** A token request: the API (resource indicator) and scope, and whether to bind it to a DPoP key too. */
export interface TokenRequest {
  readonly resource: string;
  readonly scope: string;
  readonly dpop?: boolean;
}

/** The billing service's client. */
export interface Billing {
  /** Client credentials grant over mutual TLS; the token is bound to billing's certificate (and DPoP key, if asked). */
  requestToken(request: TokenRequest): Promise<string>;
  /** `GET /orders/:id` with a token for the orders API (`orders:read`, fetched once and reused until near expiry). */
  getOrder(id: string): Promise<CallResult>;
  /** The same with a token bound to billing's DPoP key as well: each call carries a fresh proof (RFC 9449). */
  getOrderWithDpop(id: string): Promise<CallResult>;
  /** `GET /orders/:id` with a token billing already holds (for showing what the orders service does with it). */
  callOrders(id: string, token: string): Promise<CallResult>;
  close(): void;
}

async function resultOf(response: Response): Promise<CallResult> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, challenge: response.headers.get('www-authenticate') };
}

/**
 * Builds billing's client: discovers the Rampart server over TLS (trusting the workload CA only) and authenticates
 * with its certificate. Protects against client-secret theft (there is none) and token theft (a token it obtains is
 * useless without its private key).
 */
export async function createBilling(options: BillingOptions): Promise<Billing> {
  const tls: MtlsFetch = mtlsFetch(options.identity);
  const send = (url: string | URL, init: FetchInit = {}): Promise<Response> => {
    options.tap?.(String(url), new Headers(init.headers));
    return tls(url, init);
  };
  const discover = (clientId: string) => client.discovery(new URL(options.issuer), clientId, undefined, client.TlsClientAuth(), { [client.customFetch]: send });
  const config = await discover(options.clientId);
  const dpopConfig = options.dpopClientId === undefined ? undefined : await discover(options.dpopClientId);
  // The DPoP key lives in this process only (non-extractable): a copied token is useless without it.
  const dpop = dpopConfig === undefined ? undefined : client.getDPoPHandle(dpopConfig, await client.randomDPoPKeyPair('ES256'));
  const cache = new Map<string, { token: string; until: number }>();

  const requestToken = async (request: TokenRequest): Promise<string> => {
    const key = `${request.resource} ${request.scope} ${request.dpop === true ? 'dpop' : 'mtls'}`;
    const cached = cache.get(key);
    if (cached !== undefined && cached.until > Date.now()) return cached.token;
    if (request.dpop === true && (dpopConfig === undefined || dpop === undefined)) throw new Error('billing: no dpopClientId configured');
    const tokens = request.dpop === true && dpopConfig !== undefined ? await client.clientCredentialsGrant(dpopConfig, { resource: request.resource, scope: request.scope }, { DPoP: dpop }) : await client.clientCredentialsGrant(config, { resource: request.resource, scope: request.scope });
    // Reused until 30 s before it expires (the server's tokens live 10 minutes).
    cache.set(key, { token: tokens.access_token, until: Date.now() + Math.max(0, (tokens.expires_in ?? 0) - 30) * 1000 });
    return tokens.access_token;
  };
  const ordersUrl = (id: string): URL => new URL(`/orders/${encodeURIComponent(id)}`, options.ordersUrl);
  const callOrders = async (id: string, token: string): Promise<CallResult> => resultOf(await send(ordersUrl(id), { headers: { authorization: `Bearer ${token}` } }));

  return {
    requestToken,
    callOrders,
    async getOrder(id) {
      return callOrders(id, await requestToken({ resource: options.ordersResource, scope: 'orders:read' }));
    },
    async getOrderWithDpop(id) {
      const token = await requestToken({ resource: options.ordersResource, scope: 'orders:read', dpop: true });
      try {
        return await resultOf(await client.fetchProtectedResource(dpopConfig ?? config, token, ordersUrl(id), 'GET', undefined, undefined, { DPoP: dpop }));
      } catch (error) {
        // openid-client turns a 401 with a challenge into an error carrying the response.
        if (error instanceof client.WWWAuthenticateChallengeError) return resultOf(error.response);
        throw error;
      }
    },
    close() {
      tls.close();
    },
  };
}
