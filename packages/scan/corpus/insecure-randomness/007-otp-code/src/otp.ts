import type { FastifyInstance } from 'fastify';

export async function otpRoutes(app: FastifyInstance) {
  app.post('/login/code', async (request) => {
    const { email } = request.body as { email: string };
    const code = String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
    await app.codes.store(email, code, { ttlSeconds: 300 });
    return { sent: true };
  });
}
