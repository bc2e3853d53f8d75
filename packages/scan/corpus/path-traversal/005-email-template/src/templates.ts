import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

const TEMPLATES = new Set(['welcome', 'reset-password', 'invoice']);

export async function templateRoutes(app: FastifyInstance) {
  app.get('/admin/templates/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    const html = await readFile(`./templates/email/${name}.html`, 'utf8');
    return reply.type('text/plain').send(html);
  });
}
