import Fastify from 'fastify';
import cors from '@fastify/cors';

const ALLOWED = ['https://dashboard.example.com'];
export const app = Fastify();

await app.register(cors, {
  credentials: true,
  origin: (origin, cb) => cb(null, true),
});
