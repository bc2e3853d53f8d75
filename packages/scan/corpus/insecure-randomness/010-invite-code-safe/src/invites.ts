import { Hono } from 'hono';
import { randomBytes } from 'node:crypto';
import { invites } from './db';

export const invitesApp = new Hono();

async function withRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** i + Math.random() * 50));
    }
  }
}

invitesApp.post('/teams/:id/invites', async (c) => {
  const code = randomBytes(8).toString('hex').toUpperCase();
  await withRetry(() => invites.insert({ teamId: c.req.param('id'), code }));
  return c.json({ code }, 201);
});
