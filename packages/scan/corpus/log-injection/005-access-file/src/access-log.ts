import { appendFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

function writeAccess(path: string, ref: string) {
  return appendFile('/var/log/app/access.log', `${new Date().toISOString()} ${path} ref=${ref}\n`);
}

export async function accessLog(app: FastifyInstance) {
  app.addHook('onRequest', async (request) => {
    const { ref = '-' } = request.query as { ref?: string };
    await writeAccess(request.url, ref);
  });
}
