import type { Clock, SecurityEventSink } from '@rampart/core';
import type { Grant, KoaContextWithOIDC } from 'oidc-provider';
import { eventEmitter, type EmitEvent } from '../http/events.js';
import type { SqlModelStore, StoredGrant } from './adapter.js';
import type { OAuthClientStore } from './clients.js';

/** One application the account has let in: what it may receive and since when (the "Connected apps" page). */
export interface ConnectedApp {
  readonly clientId: string;
  /** The client's registered name; `undefined` when it has none. */
  readonly name?: string;
  /** The operator's own application (consent was never asked). */
  readonly firstParty: boolean;
  /** OpenID Connect scopes granted (`openid`, `email`, `offline_access`). */
  readonly scopes: readonly string[];
  /** Individual claims granted through the `claims` parameter (OIDC Core §5.5). */
  readonly claims: readonly string[];
  /** API scopes granted, by resource indicator (RFC 8707). */
  readonly resources: readonly { readonly indicator: string; readonly scopes: readonly string[] }[];
  /** When the oldest live grant was given, and the newest (epoch ms). */
  readonly firstGrantedAt: number;
  readonly lastGrantedAt: number;
}

/** What {@link AccountGrants} needs. */
export interface AccountGrantsDeps {
  readonly store: SqlModelStore;
  readonly clients: OAuthClientStore;
  readonly events: SecurityEventSink;
  readonly clock: Clock;
}

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter((word) => word !== '') : [];
}

/** What a stored grant grants: its OpenID scopes and claims and its resource scopes, the rejected ones left out. */
function grantedBy(payload: Readonly<Record<string, unknown>>): { scopes: Set<string>; claims: Set<string>; resources: Map<string, Set<string>> } {
  const openid = payload.openid as { scope?: unknown; claims?: unknown } | undefined;
  const rejected = payload.rejected as { openid?: { scope?: unknown; claims?: unknown }; resources?: Readonly<Record<string, unknown>> } | undefined;
  const rejectedScopes = new Set(words(rejected?.openid?.scope));
  const rejectedClaims = new Set(Array.isArray(rejected?.openid?.claims) ? rejected.openid.claims : []);
  const scopes = new Set(words(openid?.scope).filter((scope) => scope === 'openid' || !rejectedScopes.has(scope)));
  const claims = new Set((Array.isArray(openid?.claims) ? openid.claims : []).filter((claim): claim is string => typeof claim === 'string' && !rejectedClaims.has(claim)));
  const resources = new Map<string, Set<string>>();
  const stored = typeof payload.resources === 'object' && payload.resources !== null ? (payload.resources as Readonly<Record<string, unknown>>) : {};
  for (const [indicator, granted] of Object.entries(stored)) {
    const refused = new Set(words(rejected?.resources?.[indicator]));
    const kept = words(granted).filter((scope) => !refused.has(scope));
    if (kept.length > 0) resources.set(indicator, new Set(kept));
  }
  return { scopes, claims, resources };
}

function issuedAtMs(payload: Readonly<Record<string, unknown>>): number {
  return typeof payload.iat === 'number' ? payload.iat * 1000 : 0;
}

/**
 * Consent remembered per account and client: the provider's `Grant`s, looked up by account (`account_id`), listed on
 * the "Connected apps" page and withdrawn from there.
 *
 * A grant is also the token family of one browser session's authorizations (oidc-provider revokes it on that
 * session's logout and on a refresh-token reuse). So a new browser session does not share another session's grant:
 * {@link loadExistingGrant} copies what the account already granted the client into a grant of its own. Consent is
 * remembered while any grant of the account and client lives (each lives 30 days from its last change), and withdrawing
 * it ends every grant of that client and every token issued under them.
 *
 * Protects against: a user being asked again for what they already allowed (consent fatigue, which trains people to
 * click "Allow"), one session's logout or stolen-token detection ending another device's tokens, and consent nobody can
 * see or take back.
 */
export class AccountGrants {
  readonly #store: SqlModelStore;
  readonly #clients: OAuthClientStore;
  readonly #emit: EmitEvent<'oauth.grant.revoked' | 'oauth.consent.revoked'>;

  constructor(deps: AccountGrantsDeps) {
    this.#store = deps.store;
    this.#clients = deps.clients;
    this.#emit = eventEmitter(deps.events, deps.clock);
  }

  /**
   * oidc-provider's `loadExistingGrant`: this browser session's grant for the client when it still exists (the
   * provider's default), else a new grant carrying what the account granted the client in another session, else none
   * (the consent prompt then asks). The grant found must be the account's and the client's.
   */
  async loadExistingGrant(ctx: KoaContextWithOIDC): Promise<Grant | undefined> {
    const { provider } = ctx.oidc;
    const clientId = ctx.oidc.client?.clientId;
    const accountId = ctx.oidc.account?.accountId ?? ctx.oidc.session?.accountId;
    if (clientId === undefined || accountId === undefined) return undefined;
    const ownId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(clientId);
    if (ownId !== undefined) {
      const own = await provider.Grant.find(ownId);
      if (own !== undefined && own.accountId === accountId && own.clientId === clientId) return own;
    }
    const [remembered] = await this.#store.grantsOf(accountId, { clientId, limit: 1 });
    if (remembered === undefined) return undefined;
    const granted = grantedBy(remembered.payload);
    if (granted.scopes.size === 0 && granted.claims.size === 0 && granted.resources.size === 0) return undefined;
    const copy = new provider.Grant({ accountId, clientId });
    if (granted.scopes.size > 0) copy.addOIDCScope([...granted.scopes]);
    if (granted.claims.size > 0) copy.addOIDCClaims([...granted.claims]);
    for (const [indicator, scopes] of granted.resources) copy.addResourceScope(indicator, [...scopes]);
    await copy.save();
    return copy;
  }

  /** The applications `accountId` has live grants for, by name. Protects against IDOR: only that account's rows are read. */
  async list(accountId: string): Promise<ConnectedApp[]> {
    const byClient = new Map<string, StoredGrant[]>();
    for (const grant of await this.#store.grantsOf(accountId)) byClient.set(grant.clientId, [...(byClient.get(grant.clientId) ?? []), grant]);
    const apps: ConnectedApp[] = [];
    for (const [clientId, grants] of byClient) {
      const client = await this.#clients.get(clientId);
      // A deleted client's grants are deleted with it; one read in between is not an application any more.
      if (client === undefined) continue;
      const scopes = new Set<string>();
      const claims = new Set<string>();
      const resources = new Map<string, Set<string>>();
      for (const grant of grants) {
        const granted = grantedBy(grant.payload);
        for (const scope of granted.scopes) scopes.add(scope);
        for (const claim of granted.claims) claims.add(claim);
        for (const [indicator, list] of granted.resources) resources.set(indicator, new Set([...(resources.get(indicator) ?? []), ...list]));
      }
      const times = grants.map((grant) => issuedAtMs(grant.payload));
      apps.push({
        clientId,
        ...(client.name === undefined ? {} : { name: client.name }),
        firstParty: client.firstParty,
        scopes: [...scopes].sort(),
        claims: [...claims].sort(),
        resources: [...resources].map(([indicator, list]) => ({ indicator, scopes: [...list].sort() })).sort((a, b) => a.indicator.localeCompare(b.indicator)),
        firstGrantedAt: Math.min(...times),
        lastGrantedAt: Math.max(...times),
      });
    }
    return apps.sort((a, b) => (a.name ?? a.clientId).localeCompare(b.name ?? b.clientId) || a.clientId.localeCompare(b.clientId));
  }

  /**
   * Withdraws the account's consent to `clientId`: every grant of the account and client is deleted with every code,
   * access token and refresh token issued under it. Returns how many grants ended; `0` when the account has none for
   * that client (another account's grants are never read, so a foreign client id changes nothing).
   */
  async revoke(accountId: string, clientId: string): Promise<number> {
    let ended = 0;
    for (;;) {
      const grants = await this.#store.grantsOf(accountId, { clientId });
      if (grants.length === 0) break;
      for (const grant of grants) {
        await this.#store.revokeByGrantId(grant.id);
        await this.#store.destroy('Grant', grant.id);
        ended += 1;
        // Each grant's end, so its earlier token events can be followed to it; the withdrawal itself once below.
        this.#emit('oauth.grant.revoked', accountId, { reason: 'consent_withdrawn', grantId: grant.id, clientId });
      }
    }
    if (ended > 0) this.#emit('oauth.consent.revoked', accountId, { clientId, grants: ended });
    return ended;
  }
}
