import { createServer } from 'node:http';

function layout(message) {
  const escaped = String(message).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<html><body><div class="flash">${escaped}</div></body></html>`;
}

createServer((req, res) => {
  const msg = new URL(req.url, 'http://app').searchParams.get('msg') ?? '';
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(layout(msg));
}).listen(3000);
