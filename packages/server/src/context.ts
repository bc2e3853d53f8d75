import type { Redis } from 'ioredis';
import type { Clock, SecurityEventSink } from '@rampart/core';
import type { KeyRing } from '@rampart/core/crypto';
import type { PasswordHasher } from '@rampart/core/password';
import type { RateLimitStore } from '@rampart/core/ratelimit';
import type { SessionManager } from '@rampart/core/session';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { ServerConfig } from './config/config.js';
import type { ServerDatabase } from './db/database.js';
import type { RampartDatabase } from './db/schema.js';

/**
 * What every server module is built from: one object, so adding a dependency to a module does not change the
 * signature of every other. Modules register their routes on `app` and return what other modules need from them.
 */
export interface ServerContext {
  readonly app: FastifyInstance;
  readonly config: ServerConfig;
  readonly database: ServerDatabase;
  readonly db: Kysely<RampartDatabase>;
  /** Every security event goes here (the hub: audit trail, detectors). */
  readonly events: SecurityEventSink;
  readonly clock: Clock;
  /** The key-encryption key (32+ bytes): encrypts keys at rest (signing keys, TOTP secrets). */
  readonly kek: Buffer;
  /** Key ring derived from the KEK: purpose-bound subkeys (CSRF, API-key hashes, backup-code hashes, field ciphers). */
  readonly ring: KeyRing;
  readonly hasher: PasswordHasher;
  readonly sessions: SessionManager;
  /** Base URL of the server's pages and links (`https://id.example.com`), no trailing slash. */
  readonly publicUrl: string;
  /** `new URL(publicUrl).origin`: what browsers must send as `Origin`. */
  readonly origin: string;
  readonly production: boolean;
  /**
   * The store every rate limiter of the server counts in: Redis when configured (shared by all instances), else this
   * process's memory. Limiters use their own key prefixes within it.
   */
  readonly rateLimits: RateLimitStore;
  /** Redis and the server's key prefix when configured: short-lived state shared by every instance (OAuth flows). */
  readonly redis?: { readonly client: Redis; readonly prefix: string };
}
