import { Hono } from 'hono';
import { decode } from 'hono/jwt';
import { loadUser } from './users';

export const me = new Hono();

me.get('/me', async (c) => {
  const token = c.req.header('authorization')?.replace('Bearer ', '') ?? '';
  const { payload } = decode(token);
  return c.json(await loadUser(String(payload.sub)));
});
