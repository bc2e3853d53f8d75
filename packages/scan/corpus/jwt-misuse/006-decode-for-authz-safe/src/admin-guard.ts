import type { FastifyReply, FastifyRequest } from 'fastify';
import jwt from 'jsonwebtoken';

const KEY = process.env.JWT_SECRET as string;

export async function adminOnly(request: FastifyRequest, reply: FastifyReply) {
  const token = (request.headers.authorization ?? '').slice('Bearer '.length);
  const claims = jwt.verify(token, KEY, { algorithms: ['HS256'] }) as { role?: string };
  if (claims?.role !== 'admin') return reply.code(403).send({ error: 'forbidden' });
}
