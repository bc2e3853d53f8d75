import type { FastifyInstance } from 'fastify';

const DESTINATIONS: Record<string, string> = { orders: '/account/orders', home: '/', receipt: '/checkout/receipt' };

export async function checkoutRoutes(app: FastifyInstance) {
  app.post('/checkout/complete', async (request, reply) => {
    const { continueTo } = request.body as { continueTo: string };
    return reply.redirect(DESTINATIONS[continueTo] ?? '/');
  });
}
