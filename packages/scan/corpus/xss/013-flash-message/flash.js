import { createServer } from 'node:http';

function layout(message) {
  return `<html><body><div class="flash">${message}</div></body></html>`;
}

createServer((req, res) => {
  const msg = new URL(req.url, 'http://app').searchParams.get('msg') ?? '';
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(layout(msg));
}).listen(3000);
