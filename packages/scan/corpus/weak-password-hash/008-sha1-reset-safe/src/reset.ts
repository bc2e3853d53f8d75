import type { FastifyInstance } from 'fastify';
import bcrypt from 'bcrypt';

export async function resetRoutes(app: FastifyInstance) {
  app.post('/password/reset/complete', async (request) => {
    const { token, password } = request.body as { token: string; password: string };
    const userId = await app.resetTokens.consume(token);
    const passwordHash = await bcrypt.hash(password, 12);
    await app.users.setPassword(userId, passwordHash);
    return { ok: true };
  });
}
