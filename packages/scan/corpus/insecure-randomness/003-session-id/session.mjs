import { createServer } from 'node:http';

function newSessionId() {
  let id = '';
  for (let i = 0; i < 32; i++) id += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)];
  return id;
}

createServer((req, res) => {
  res.setHeader('Set-Cookie', `sid=${newSessionId()}; HttpOnly; Secure; SameSite=Lax; Path=/`);
  res.end('ok');
}).listen(8020);
