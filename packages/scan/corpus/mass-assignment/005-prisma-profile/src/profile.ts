import type { FastifyInstance } from 'fastify';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export async function profileRoutes(app: FastifyInstance) {
  app.patch('/profile', async (request) => {
    const data = request.body as Record<string, unknown>;
    return prisma.user.update({ where: { id: request.user.id }, data });
  });
}
