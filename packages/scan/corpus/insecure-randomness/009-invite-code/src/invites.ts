import { Hono } from 'hono';
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
  const code = Math.random().toString(36).substring(2, 12).toUpperCase();
  await withRetry(() => invites.insert({ teamId: c.req.param('id'), code }));
  return c.json({ code }, 201);
});
