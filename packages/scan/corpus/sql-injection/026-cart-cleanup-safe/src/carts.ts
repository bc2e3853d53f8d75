import type { FastifyInstance } from 'fastify';

export async function cartRoutes(app: FastifyInstance) {
  app.post('/carts/cleanup', async (request) => {
    const { ids } = request.body as { ids: string[] };
    await Promise.all(
      ids.map((id) =>
        app.pg.query('DELETE FROM carts WHERE id = $1', [id]),
      ),
    );
    return { removed: ids.length };
  });
}
