import { Hono } from 'hono';
import { html } from 'hono/html';

export const comments = new Hono();

comments.post('/comments/preview', async (c) => {
  const { text } = await c.req.parseBody<{ text: string }>();
  return c.html(`<article class="comment">${text}</article>`);
});
