import http from 'node:http';
import { notify } from './notify.js';

globalThis.notify = notify;

http.createServer((req, res) => {
  const params = new URL(req.url, 'http://reminders').searchParams;
  const who = params.get('user');
  const delay = Number(params.get('minutes')) * 60_000;
  setTimeout(() => notify(who, 'reminder'), delay);
  res.writeHead(202).end();
}).listen(7070);
