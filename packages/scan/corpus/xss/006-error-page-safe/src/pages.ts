import type { FastifyInstance } from 'fastify';
import { encodeHtml } from '@rampart/core/safe/encode';

export async function pageRoutes(app: FastifyInstance) {
  app.get('/pages/:slug', async (request, reply) => {
    const { slug } = request.params as { slug: string };
    const page = await app.pages.find(slug);
    if (page) return reply.type('text/html').send(page.html);
    return reply.code(404).type('text/html').send(`<h2>Page ${encodeHtml(slug)} does not exist</h2>`);
  });
}
