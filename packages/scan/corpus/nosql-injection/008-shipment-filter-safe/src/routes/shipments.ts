import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findShipments } from '../repositories/shipments.js';

const Filter = z.object({ status: z.enum(['pending', 'shipped', 'delivered']), carrier: z.string().max(40) });

export async function shipmentRoutes(app: FastifyInstance) {
  app.post('/shipments/search', async (request) => {
    return findShipments(Filter.parse(request.body));
  });
}
