import type { FastifyReply } from 'fastify';

export function sendRefreshToken(reply: FastifyReply, token: string) {
  reply.setCookie('refresh_token', token, { path: '/auth/refresh', httpOnly: true, secure: true, sameSite: 'strict' });
}
