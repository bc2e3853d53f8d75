import { Hono } from 'hono';
import { users } from './db';

export const profile = new Hono();

profile.post('/profile/lookup', async (c) => {
  const { username } = await c.req.json();
  if (typeof username !== 'string') return c.json({ error: 'username must be a string' }, 400);
  const user = await users.findOne({ username }, { projection: { passwordHash: 0 } });
  return user ? c.json(user) : c.notFound();
});
