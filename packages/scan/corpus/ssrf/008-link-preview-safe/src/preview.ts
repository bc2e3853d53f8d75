import { Hono } from 'hono';
import { safeFetch } from '@rampart/core/safe/fetch';

export const preview = new Hono();

preview.get('/preview', async (c) => {
  const target = c.req.query('target') ?? '';
  const response = await safeFetch(target);
  const html = await response.text();
  const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1] ?? '';
  return c.json({ title });
});
