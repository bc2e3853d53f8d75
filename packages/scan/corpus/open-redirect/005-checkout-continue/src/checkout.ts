import type { FastifyInstance } from 'fastify';

const DESTINATIONS: Record<string, string> = { orders: '/account/orders', home: '/', receipt: '/checkout/receipt' };

export async function checkoutRoutes(app: FastifyInstance) {
  app.post('/checkout/complete', async (request, reply) => {
    const { continueUrl } = request.body as { continueUrl: string };
    return reply.redirect(continueUrl);
  });
}
