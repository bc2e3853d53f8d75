const http = require('node:http');

const SERVICES = { billing: 'billing.internal', search: 'search.internal' };

http.createServer((req, res) => {
  const params = new URL(req.url, 'http://probe').searchParams;
  const host = params.get('host');
  if (!host) { res.writeHead(400).end(); return; }
  const probe = http.request({ host, port: 8080, path: '/healthz', timeout: 2000 }, (upstream) => {
    res.writeHead(upstream.statusCode === 200 ? 200 : 503).end();
  });
  probe.on('error', () => res.writeHead(503).end());
  probe.end();
}).listen(8088);
