import type { FastifyInstance } from 'fastify';
import crypto from 'node:crypto';

export async function resetRoutes(app: FastifyInstance) {
  app.post('/password/reset/complete', async (request) => {
    const { token, password } = request.body as { token: string; password: string };
    const userId = await app.resetTokens.consume(token);
    const passwordHash = crypto.createHash('sha1').update(password).digest('hex');
    await app.users.setPassword(userId, passwordHash);
    return { ok: true };
  });
}
