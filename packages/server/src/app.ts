import { join } from 'node:path';
import { AuditLog, PostgresAuditStore, SqliteAuditStore, checkpointSignerFromKeyRing, createSecurityEventHub, type AuditStore, type SecurityEventHub } from '@rampart/core/audit';
import { KeyRing } from '@rampart/core/crypto';
import { bodyLimits, securityHeaders } from '@rampart/core/http';
import { rampart } from '@rampart/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServerConfig } from './config/config.js';
import { developmentKek } from './data-dir.js';
import { openDatabase, type ServerDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrations.js';

/** A running (or ready to run) server. */
export interface RampartServer {
  readonly app: FastifyInstance;
  readonly database: ServerDatabase;
  readonly audit: AuditLog;
  readonly events: SecurityEventHub;
  /** Listens on the configured address; resolves with the URL. */
  listen(): Promise<string>;
  /**
   * Graceful shutdown: stop accepting, let requests in flight finish (up to `shutdownGraceMs`), commit pending audit
   * events and sign a final checkpoint, close the database. Idempotent.
   */
  close(): Promise<void>;
}

/** What the server tells its operator while starting (the CLI prints these). */
export type ServerNotice = { readonly kind: 'dev-kek-created' | 'dev-kek-used'; readonly path: string };

/** Options for {@link createServer}. */
export interface CreateServerOptions {
  readonly notify?: (notice: ServerNotice) => void;
}

/**
 * The key ring the server's keys derive from: the key-encryption key as its one key for now. The audit checkpoint key
 * is derived from it (HKDF, `checkpointSignerFromKeyRing`), so it is never stored on its own and a server restarted
 * with the same KEK signs with the same key: its old heads still verify.
 */
function serverKeyRing(kek: Buffer): KeyRing {
  return KeyRing.fromDocument({ active: 'kek', keys: { kek: kek.toString('base64url') } });
}

/**
 * Builds the server from a validated configuration: database migrated to this version, the audit trail open (the
 * database's own store: SQLite file `audit.db` in the data directory, or PostgreSQL), the security event hub, the
 * HTTP guard chain and the health endpoints. Protects against a server that accepts requests before its storage is
 * ready (`/readyz` answers 503 until then, and whenever the database stops answering).
 */
export async function createServer(config: ServerConfig, options: CreateServerOptions = {}): Promise<RampartServer> {
  let kek = config.keyEncryptionKey;
  if (kek === undefined) {
    const dev = developmentKek(config.dataDir);
    options.notify?.({ kind: dev.created ? 'dev-kek-created' : 'dev-kek-used', path: dev.path });
    kek = dev.key;
  }
  const database = openDatabase(config);
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await database.close();
    throw error;
  }
  const store: AuditStore =
    database.pool === undefined ? new SqliteAuditStore(join(config.dataDir, 'audit.db')) : await PostgresAuditStore.open(database.pool, { table: 'rampart_audit' });
  const audit = await AuditLog.open({ store, signer: checkpointSignerFromKeyRing(serverKeyRing(kek)) });
  const events = createSecurityEventHub({ log: audit, detectors: {} });

  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, trustProxy: false });
  await app.register(rampart, {
    guards: [securityHeaders({ preset: 'api' }), bodyLimits({ maxBytes: 64 * 1024 })],
  });
  app.get('/livez', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await database.ping();
      return { status: 'ready', database: database.kind };
    } catch {
      return reply.code(503).type('application/problem+json').send({ type: 'about:blank', title: 'Not ready', status: 503, detail: 'the database does not answer' });
    }
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const timer = setTimeout(() => { app.server.closeAllConnections(); }, config.shutdownGraceMs);
      timer.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
        // The hub commits what is pending and the log signs its final checkpoint before the database goes.
        await events.close();
        await database.close();
      }
    })());

  return {
    app,
    database,
    audit,
    events,
    listen: () => app.listen({ host: config.listen.host, port: config.listen.port }),
    close,
  };
}
