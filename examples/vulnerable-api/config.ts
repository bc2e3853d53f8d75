/**
 * Settings of the vulnerable shop. DELIBERATELY INSECURE: the secrets below are written into the source, so anyone
 * who can read the repository (or a leaked build) can sign tokens and decrypt gift messages (CWE-798).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The HMAC key every session token is signed with. Committed to git, never rotated. */
export const JWT_SECRET = 'shop-signing-secret-2024-do-not-share';

/** The AES-128 key for gift messages (16 bytes). */
export const GIFT_MESSAGE_KEY = Buffer.from('0123456789abcdef', 'utf8');

/** The office network whose addresses may open the admin pages. */
export const ADMIN_NETWORK_PREFIX = '10.0.0.';

export interface ShopConfig {
  readonly port: number;
  readonly host: string;
  /** Where the database seed, uploads, the application log and the mail outbox live. */
  readonly dataDir: string;
  /** The partner's stock service, called over HTTPS by the nightly sync. */
  readonly partnerUrl: string;
}

/** The only interface this deliberately vulnerable server may listen on. */
export const LOOPBACK = '127.0.0.1';

/** Reads the configuration from the environment; refuses any host but the loopback address. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): ShopConfig {
  const host = env.HOST ?? LOOPBACK;
  if (host !== LOOPBACK) {
    throw new Error(`refusing to listen on ${host}: this API is deliberately vulnerable and binds ${LOOPBACK} only`);
  }
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`invalid PORT ${env.PORT ?? ''}`);
  return {
    port,
    host,
    dataDir: env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'vulnerable-shop-')),
    partnerUrl: env.PARTNER_URL ?? 'https://partner.example/stock',
  };
}
