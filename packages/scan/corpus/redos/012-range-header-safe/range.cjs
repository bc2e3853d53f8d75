const http = require('node:http');

http.createServer((req, res) => {
  const spec = new URL(req.url, 'http://files').searchParams.get('bytes') || '';
  const match = /^(\d{1,15})-(\d{0,15})$/.exec(spec);
  if (!match) { res.writeHead(416).end(); return; }
  res.end(JSON.stringify({ start: Number(match[1]), end: match[2] ? Number(match[2]) : null }));
}).listen(8040);
