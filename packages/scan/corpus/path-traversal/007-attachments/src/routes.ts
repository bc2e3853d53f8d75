import { Hono } from 'hono';
import { readAttachment } from './storage';

export const routes = new Hono();

routes.get('/tickets/:id/attachments/:name', async (c) => {
  const data = await readAttachment(c.req.param('id'), c.req.param('name'));
  return c.body(data, 200, { 'content-type': 'application/octet-stream' });
});
