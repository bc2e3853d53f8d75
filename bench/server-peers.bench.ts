// The peers of the server suites: bare Fastify routes doing the least work the same answer needs, with the libraries
// people use for it — no validation schema, no authentication, no rate limit, no events, no audit trail.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbilityBuilder, createMongoAbility, subject, type MongoAbility } from '@casl/ability';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';

/** A running peer server. */
export interface Peer {
  readonly port: number;
  close(): Promise<void>;
}

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/**
 * Refresh-token rotation at its floor: `POST /token` (form) → SHA-256 of the presented token, one conditional UPDATE
 * that swaps it for the next one's hash (SQLite, WAL, `synchronous = FULL` like the server's), an EdDSA access
 * token signed with jose, the RFC 6749 §5.1 JSON. `seed(n)` stores n refresh tokens to start chains from.
 */
export async function startRefreshPeer(): Promise<Peer & { seed(count: number): string[] }> {
  const db = new Database(join(mkdtempSync(join(tmpdir(), 'bench-refresh-peer-')), 'peer.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE refresh (hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, used_at INTEGER)');
  const rotate = db.prepare('UPDATE refresh SET hash = ?, used_at = NULL WHERE hash = ? AND used_at IS NULL RETURNING user_id');
  const { privateKey } = generateKeyPairSync('ed25519');
  const app = Fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.post<{ Body: Record<string, string> }>('/token', async (request, reply) => {
    const presented = request.body.refresh_token ?? '';
    const nextToken = randomBytes(32).toString('base64url');
    const row = rotate.get(sha256(nextToken), sha256(presented)) as { user_id: string } | undefined;
    if (row === undefined) return reply.code(400).send({ error: 'invalid_grant' });
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ client_id: 'rampart', scope: '' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .setSubject(row.user_id)
      .setIssuer('http://127.0.0.1')
      .setAudience('http://127.0.0.1')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti(randomBytes(32).toString('base64url'))
      .sign(privateKey);
    return reply.header('cache-control', 'no-store').send({ access_token: accessToken, token_type: 'Bearer', expires_in: 600, refresh_token: nextToken });
  });
  const port = await listen(app);
  const insert = db.prepare('INSERT INTO refresh (hash, user_id) VALUES (?, ?)');
  return {
    port,
    seed: (count) =>
      Array.from({ length: count }, (_, i) => {
        const token = randomBytes(32).toString('base64url');
        insert.run(sha256(token), `user-${i}`);
        return token;
      }),
    close: async () => {
      await app.close();
      db.close();
    },
  };
}

type DocumentAbility = MongoAbility<[string, string | Record<string, unknown>]>;

/**
 * The decision API at its floor: `POST /check` with the same JSON body as Rampart's, answered by CASL (the peer of
 * bench/authz) from an Ability per role set, built once and cached, as an application keeps one per user: viewers read
 * documents, editors also update them, owners delete theirs, and only within the principal's tenant.
 */
export async function startAuthzPeer(): Promise<Peer> {
  const abilities = new Map<string, DocumentAbility>();
  const abilityFor = (roles: readonly string[], id: string): DocumentAbility => {
    const key = `${roles.join(',')}|${id}`;
    let ability = abilities.get(key);
    if (ability === undefined) {
      const { can, build } = new AbilityBuilder<DocumentAbility>(createMongoAbility);
      if (roles.includes('viewer') || roles.includes('editor')) can('read', 'document');
      if (roles.includes('editor')) can('update', 'document');
      can('delete', 'document', { owner: id });
      ability = build();
      abilities.set(key, ability);
    }
    return ability;
  };
  interface CheckBody {
    readonly principal: { readonly id: string; readonly tenant: string; readonly roles: readonly string[] };
    readonly resource: { readonly kind: string; readonly id: string; readonly owner?: string; readonly tenant: string };
    readonly action: string;
  }
  const app = Fastify({ logger: false });
  app.post<{ Body: CheckBody }>('/check', (request) => {
    const { principal, resource, action } = request.body;
    const target: Record<string, unknown> = { ...resource };
    const allowed = principal.tenant === resource.tenant && abilityFor(principal.roles, principal.id).can(action, subject(resource.kind, target));
    return { decisions: [{ action, allowed }] };
  });
  const port = await listen(app);
  return { port, close: () => app.close() };
}
