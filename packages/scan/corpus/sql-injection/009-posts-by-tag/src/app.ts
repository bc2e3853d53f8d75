import { Hono } from 'hono';
import Database from 'better-sqlite3';

const db = new Database('blog.db', { readonly: true });
const app = new Hono();

app.get('/posts', (c) => {
  const tag = c.req.query('tag') ?? '';
  const posts = db.prepare(`SELECT id, title FROM posts WHERE tag = '${tag}' ORDER BY published_at DESC`).all();
  return c.json(posts);
});

export default app;
