import { z } from 'zod';
import { prisma } from '../../../../lib/prisma';

const TeamUpdate = z.object({ name: z.string().min(1).max(80), slackChannel: z.string().max(80).optional() }).strict();

export async function PATCH(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const data = TeamUpdate.parse(await request.json());
  const team = await prisma.team.update({ where: { id }, data });
  return Response.json(team);
}
