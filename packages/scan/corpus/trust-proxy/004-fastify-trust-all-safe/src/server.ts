import Fastify from 'fastify';

export const app = Fastify({
  logger: true,
  trustProxy: '10.0.0.0/8',
});
