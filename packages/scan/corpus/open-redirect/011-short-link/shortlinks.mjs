import { createServer } from 'node:http';
import { linkTargets } from './links.mjs';

createServer((req, res) => {
  const to = new URL(req.url, 'http://go').searchParams.get('to') ?? '';
  const target = to;
  res.writeHead(302, { Location: target });
  res.end();
}).listen(8090);
