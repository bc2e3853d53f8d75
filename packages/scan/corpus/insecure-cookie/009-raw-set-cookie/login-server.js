import { createServer } from 'node:http';
import { createSession } from './sessions.js';

createServer(async (req, res) => {
  const id = await createSession(req);
  res.setHeader('Set-Cookie', `sid=${id}; Path=/; Max-Age=3600`);
  res.end();
}).listen(8010);
