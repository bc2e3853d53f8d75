import type { FastifyInstance } from 'fastify';
import sqlite3 from 'sqlite3';

const db = new sqlite3.Database('./data/newsletter.db');

export default async function subscribers(app: FastifyInstance) {
  app.post('/subscribers/lookup', (request, reply) => {
    const { email } = request.body as { email: string };
    db.all("SELECT id, email, confirmed FROM subscribers WHERE email = '" + email + "'", (err, rows) => {
      if (err) return reply.code(500).send({ error: 'lookup failed' });
      reply.send(rows);
    });
  });
}
