import http from 'node:http';
import knex from 'knex';

const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname !== '/reports/daily') { res.writeHead(404).end(); return; }
  const day = url.searchParams.get('day');
  const result = await db.raw('SELECT count(*) AS orders FROM orders WHERE created_at::date = ?', [day]);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(result.rows[0]));
}).listen(8080);
