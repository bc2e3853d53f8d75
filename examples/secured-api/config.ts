/**
 * Settings of the secured shop. Nothing secret is in the source: keys come from the environment (`RAMPART_KEYRING`,
 * a key-ring document) or are generated at start, and every loosening is a named setting.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SecuredShopConfig {
  /** The origin browsers load the shop from: the only one CORS and CSRF accept. */
  readonly publicOrigin: string;
  /** Where uploads, the application log and the mail outbox live. */
  readonly dataDir: string;
  /** The partner's stock service, called over verified HTTPS by the sync. */
  readonly partnerUrl: string;
  /**
   * Named loosening for the partner call only: addresses outside the public internet it may reach (CIDR), e.g. a
   * partner on a private link. Empty by default: the sync is held to the same SSRF policy as everything else.
   */
  readonly partnerAllowAddresses: readonly string[];
  /** Extra trust anchors (PEM) for the partner call, for a partner under a private CA. Verification stays on. */
  readonly partnerCa?: string;
  /** The office network that may open the admin pages (CIDR). */
  readonly adminNetwork: string;
}

/** The settings from the environment; `publicOrigin` defaults to the address the server listens on. */
export function loadConfig(listeningOrigin: string, env: NodeJS.ProcessEnv = process.env): SecuredShopConfig {
  return {
    publicOrigin: env.PUBLIC_ORIGIN ?? listeningOrigin,
    dataDir: env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'secured-shop-')),
    partnerUrl: env.PARTNER_URL ?? 'https://partner.example/stock',
    partnerAllowAddresses: (env.PARTNER_ALLOW_ADDRESSES ?? '').split(',').filter((cidr) => cidr !== ''),
    adminNetwork: env.ADMIN_NETWORK ?? '10.0.0.0/8',
  };
}
