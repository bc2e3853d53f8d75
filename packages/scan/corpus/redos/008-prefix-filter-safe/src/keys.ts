import { Hono } from 'hono';
import { listKeys } from './kv';

export const keys = new Hono();

keys.get('/keys', async (c) => {
  const prefix = c.req.query('prefix') ?? '';
  const matching = (await listKeys()).filter((k) => k.startsWith(prefix));
  return c.json(matching);
});
