import { Hono } from 'hono';
import { request } from 'undici';

export const preview = new Hono();

preview.get('/preview', async (c) => {
  const target = c.req.query('target') ?? '';
  const { body } = await request(target, { maxRedirections: 0 });
  const html = await body.text();
  const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1] ?? '';
  return c.json({ title });
});
