import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

function newSessionId() {
  return randomUUID();
}

createServer((req, res) => {
  res.setHeader('Set-Cookie', `sid=${newSessionId()}; HttpOnly; Secure; SameSite=Lax; Path=/`);
  res.end('ok');
}).listen(8020);
