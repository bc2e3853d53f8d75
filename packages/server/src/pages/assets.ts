import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

// The assets ship with the package (`assets/`), next to `src/` and `dist/`.
const ASSETS_DIR = fileURLToPath(new URL('../../assets/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** The asset names the pages may load; anything else is a 404 (no directory walk, no path from the request). */
export const ASSET_NAMES = ['rampart.css', 'passkeys.js', 'link-token.js'] as const;

/**
 * Serves the pages' stylesheet and scripts from memory: a fixed list read once at start, so a request path never
 * reaches the file system (no traversal), and each is served with its exact type and `nosniff` (from the chain).
 */
export function serveAssets(app: FastifyInstance): void {
  for (const name of ASSET_NAMES) {
    const body = readFileSync(`${ASSETS_DIR}${name}`);
    const type = TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream';
    app.get(`/assets/${name}`, { schema: { hide: true } }, (_request, reply) => reply.type(type).header('cache-control', 'public, max-age=3600').send(body));
  }
}
