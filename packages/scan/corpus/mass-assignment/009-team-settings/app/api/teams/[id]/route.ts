import { z } from 'zod';
import { prisma } from '../../../../lib/prisma';

export async function PATCH(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const data = await request.json();
  const team = await prisma.team.update({ where: { id }, data });
  return Response.json(team);
}
