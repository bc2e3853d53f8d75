import { createServer } from 'node:http';

createServer((req, res) => {
  const action = new URL(req.url, 'http://audit').searchParams.get('action') ?? '';
  process.stdout.write(`${new Date().toISOString()} action=${action} status=accepted\n`);
  res.writeHead(202).end();
}).listen(8050);
