import { randomBytes } from 'node:crypto';
import type { Clock } from '@rampart/core';
import type { KeyRing } from '@rampart/core/crypto';
import type { JwtKeySet } from '@rampart/core/token';
import type { StoreDatabase } from '../stores/sql.js';
import type { OAuthClientStore } from './clients.js';

/** What {@link openOAuthClientStore} needs besides the database, the key ring and the signing keys. */
export interface OfflineClientStoreOptions {
  /** The issuer the provider validates against (the server's public URL). */
  readonly issuer: string;
  /** Production: plain-http loopback redirect URIs of web clients are refused, as the server refuses them. */
  readonly production: boolean;
  readonly clock: Pick<Clock, 'now'>;
}

/**
 * The client store as a running server builds it, for tools that work on the database directly (`rampart clients …`):
 * secrets sealed with the same ring, the same profile rules, the same oidc-provider validation of the metadata (a
 * provider built on the server's configuration and signing keys, never mounted), and deletion reaching every code,
 * token and grant issued to the client.
 *
 * Protects against the offline path being a weaker one: a client the server would refuse cannot be registered from
 * the command line either, and a client deleted there loses its tokens exactly as through the API. oidc-provider is
 * loaded here, on demand, not by every command that imports the server package.
 */
export async function openOAuthClientStore(database: StoreDatabase, ring: KeyRing, signingKeys: JwtKeySet, options: OfflineClientStoreOptions): Promise<OAuthClientStore> {
  const [{ default: Provider, interactionPolicy }, { OAuthClientStore: Store }, { SqlModelStore }, { providerConfiguration }, { providerKeysOf }] = await Promise.all([
    import('oidc-provider'),
    import('./clients.js'),
    import('./adapter.js'),
    import('./configuration.js'),
    import('./keys.js'),
  ]);
  const keys = providerKeysOf(signingKeys);
  const models = new SqlModelStore(database);
  const nothing = (): Promise<undefined> => Promise.resolve(undefined);
  const unused = {
    upsert: () => Promise.reject(new Error('this provider only validates client metadata')),
    find: nothing,
    findByUid: nothing,
    findByUserCode: nothing,
    consume: () => Promise.resolve(),
    destroy: () => Promise.resolve(),
    revokeByGrantId: () => Promise.resolve(),
  };
  const provider = new Provider(
    options.issuer,
    providerConfiguration({
      keys,
      adapter: () => unused,
      findAccount: () => undefined,
      resources: new Map(),
      // Never used: this provider serves no request. Random, so nothing of the server's is exposed to it.
      cookieKeys: [randomBytes(32).toString('base64url')],
      dpopNonceSecret: randomBytes(32),
      policy: interactionPolicy.base(),
      certificates: () => undefined,
      loadExistingGrant: nothing,
    }),
  );
  return new Store(database, ring, {
    clock: options.clock,
    allowLoopbackHttp: !options.production,
    revokeIssued: (clientId) => models.revokeByClientId(clientId),
    idTokenAlgorithm: () => keys.algorithm,
    validate: async (metadata) => {
      await provider.Client.validate(metadata as never);
    },
  });
}
