const http = require('node:http');
const { exec, execFile } = require('node:child_process');

http.createServer((req, res) => {
  const domain = new URL(req.url, 'http://localhost').searchParams.get('domain') || '';
  execFile('nslookup', [domain], { timeout: 5000 }, (err, stdout) => {
    res.writeHead(err ? 502 : 200, { 'content-type': 'text/plain' });
    res.end(err ? 'lookup failed' : stdout);
  });
}).listen(9090);
