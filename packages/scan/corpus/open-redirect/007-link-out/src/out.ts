import { Hono } from 'hono';

const PARTNERS = new Set(['docs.example.com', 'status.example.com']);
export const out = new Hono();

out.get('/out', (c) => {
  const url = c.req.query('url') ?? '/';
  return c.redirect(url, 302);
});
