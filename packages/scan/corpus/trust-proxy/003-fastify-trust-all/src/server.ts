import Fastify from 'fastify';

export const app = Fastify({
  logger: true,
  trustProxy: true,
});
