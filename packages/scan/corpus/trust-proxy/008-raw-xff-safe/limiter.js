import { createServer } from 'node:http';
import { hit } from './buckets.js';

createServer((req, res) => {
  const clientIp = req.socket.remoteAddress;
  if (!hit(clientIp)) { res.writeHead(429).end(); return; }
  res.end('ok');
}).listen(8000);
