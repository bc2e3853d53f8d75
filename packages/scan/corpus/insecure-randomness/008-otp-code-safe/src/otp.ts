import type { FastifyInstance } from 'fastify';
import { randomInt } from 'node:crypto';

export async function otpRoutes(app: FastifyInstance) {
  app.post('/login/code', async (request) => {
    const { email } = request.body as { email: string };
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await app.codes.store(email, code, { ttlSeconds: 300 });
    return { sent: true };
  });
}
