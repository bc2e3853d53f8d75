import { Hono } from 'hono';
import { verify } from 'hono/jwt';
import { loadUser } from './users';

export const me = new Hono();

me.get('/me', async (c) => {
  const token = c.req.header('authorization')?.replace('Bearer ', '') ?? '';
  const payload = await verify(token, process.env.JWT_SECRET!, 'HS256');
  return c.json(await loadUser(String(payload.sub)));
});
