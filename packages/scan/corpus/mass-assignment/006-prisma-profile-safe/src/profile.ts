import type { FastifyInstance } from 'fastify';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export async function profileRoutes(app: FastifyInstance) {
  app.patch('/profile', async (request) => {
    const body = request.body as { bio?: string; avatarUrl?: string };
    const data = { bio: body.bio, avatarUrl: body.avatarUrl };
    return prisma.user.update({ where: { id: request.user.id }, data });
  });
}
