import vm from 'node:vm';
import type { FastifyInstance } from 'fastify';

const STANDARD_FORMULA = 'base * quantity * (1 - discount)';

export async function pricingRoutes(app: FastifyInstance) {
  app.post('/quote', async (request) => {
    const body = request.body as { formula: string; base: number; quantity: number; discount: number };
    const context = { base: Number(body.base), quantity: Number(body.quantity), discount: Number(body.discount) };
    const total = vm.runInNewContext(body.formula, context, { timeout: 50 });
    return { total };
  });
}
