import type { FastifyInstance } from 'fastify';

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  if (parts.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new Error('invalid path');
  let node = obj as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

export async function preferenceRoutes(app: FastifyInstance) {
  app.put('/preferences', async (request) => {
    const { path, value } = request.body as { path: string; value: unknown };
    const prefs = await app.prefs.load(request.user.id);
    setPath(prefs, path, value);
    await app.prefs.save(request.user.id, prefs);
    return prefs;
  });
}
