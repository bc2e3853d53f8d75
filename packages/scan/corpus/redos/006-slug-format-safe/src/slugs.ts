import type { FastifyInstance } from 'fastify';

export async function slugRoutes(app: FastifyInstance) {
  app.post('/articles', async (request, reply) => {
    const { title } = request.body as { title: string };
    if (!/^[\w ]{1,120}$/.test(title)) return reply.code(400).send({ error: 'title has invalid characters' });
    return app.articles.create({ title });
  });
}
